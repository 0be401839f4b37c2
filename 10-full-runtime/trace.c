/*
 * trace.c: cell-trace, the system calls of one container, seen from the
 * kernel with eBPF (stage 09). `cell trace CONTAINER` runs it on a running
 * container; `cell run --trace FILE` has the monitor start it between the
 * create and the start, so that it sees the container's first calls.
 *
 * A program of its own, so that cell does not link libbcc: libbcc embeds
 * clang and LLVM, tens of megabytes that every `cell` command would load,
 * for a feature that only this program uses (RUNTIME.md). cell finds it
 * as it finds cell-init: $CELL_TRACE, the build's, or PATH.
 *
 *   cell-trace [--calls LIST] [--duration S] [--ready-fd N] PID
 *
 * follows the PID namespace of process PID (the container's init). Its
 * BPF program (trace.bpf.c), on the raw tracepoint sys_enter, counts
 * every call made in that namespace in a map, and sends an event through
 * a ring buffer only for the calls named in LIST, with their arguments
 * (strings copied from the caller at the call's entry). Each event is a
 * line on stdout; at the end (Ctrl-C, the end of the container, or S
 * seconds), the count of every call. Exit status: 0, or 125 with one line
 * on stderr when it cannot trace.
 *
 * libbcc (Debian's libbpfcc) compiles the BPF program at start from its
 * C text, against kernel headers, and loads it; libseccomp turns call
 * names into numbers and back, for this machine's architecture, from the
 * kernel's own tables: no list of numbers is kept here.
 *
 * Further reading: bpf(2), bpf-helpers(7), pid_namespaces(7),
 * pidfd_open(2), syscall(2), and bcc's docs/reference_guide.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/types.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <seccomp.h>

#include "error.h"
#include "trace.h"

#define EXIT_FAIL 125 /* cell's own failure status */
#define POLL_MS	  100 /* how often the end is looked for */

#ifndef CELL_HEADERS
#define CELL_HEADERS "/usr/local/share/cell/linux-headers"
#endif

/* trace.h and trace.bpf.c, as one C string (the Makefile makes it) */
static const char bpf_text[] =
#include "trace.bpf.inc"
	;

/* The calls a runtime is built from: the default of --calls. */
static const char default_calls[] = "clone,clone3,unshare,setns,mount,umount2,pivot_root,execve";

struct options {
	const char *calls;
	double duration; /* seconds; 0: until the end */
	int ready_fd;	 /* -1: none */
	pid_t pid;
};

struct tracer {
	const struct options *o;
	int pidfd;
	struct trace_target target;
	uint32_t wanted[TRACE_SLOTS];
	void *bpf; /* the module libbcc compiled */
	int prog_fd, tp_fd;
	void *ring;
	uint64_t t0; /* CLOCK_MONOTONIC ns at the attach: time 0 of the events */
	unsigned long long events;
};

static volatile sig_atomic_t stop_signal;

/* ---- the arguments, by call ---- */

/*
 * How each argument of a call is shown, one letter per argument:
 *   s  a string, copied by the BPF program      d  a signed number
 *   x  a number in hex    p  a pointer (NULL)    o  a mode, in octal
 *   m  open's mode: shown only after O_CREAT or O_TMPFILE, as it is read
 *   f  a directory fd (AT_FDCWD)                 A  clone_args: its flags
 *   C  clone flags and exit signal    N  CLONE_NEW* flags (unshare, setns)
 *   M  mount flags    U  umount flags    O  open flags
 * A call that is not here shows its six registers in hex.
 */
static const struct call_format {
	const char *name, *args;
} formats[] = {
	{ "clone", "Cpppx" },
	{ "clone3", "Ad" },
	{ "unshare", "N" },
	{ "setns", "dN" },
	{ "mount", "sssMp" },
	{ "umount2", "sU" },
	{ "pivot_root", "ss" },
	{ "execve", "spp" },
	{ "execveat", "fsppx" },
	{ "openat", "fsOm" },
	{ "open", "sOm" },
	{ "chroot", "s" },
	{ "chdir", "s" },
	{ "mkdir", "so" },
	{ "mkdirat", "fso" },
	{ "unlink", "s" },
	{ "unlinkat", "fsx" },
	{ "rmdir", "s" },
	{ "open_tree", "fsx" },
	{ "move_mount", "fsfsx" },
	{ "fsopen", "sx" },
	{ "fsmount", "dxx" },
	{ "newfstatat", "fspx" },
	{ "faccessat", "fso" },
	{ "faccessat2", "fsox" },
	{ "readlinkat", "fspd" },
	{ "symlinkat", "sfs" },
	{ "sethostname", "pd" },
	{ "kill", "dd" },
	{ "tgkill", "ddd" },
	{ "exit_group", "d" },
	{ "exit", "d" },
	{ "close", "d" },
	{ "read", "dpd" },
	{ "write", "dpd" },
	{ "dup2", "dd" },
	{ "dup3", "ddx" },
	{ "getpid", "" },
	{ "getppid", "" },
	{ "gettid", "" },
	{ "fork", "" },
	{ "vfork", "" },
	{ "wait4", "dpxp" },
	{ "nanosleep", "pp" },
	{ "chmod", "so" },
	{ "chown", "sdd" },
	{ "fchmodat", "fso" },
	{ "fchownat", "fsddx" },
	{ "mknodat", "fsox" },
	{ "renameat2", "fsfsx" },
	{ "prctl", "dxxxx" },
	{ "seccomp", "dxp" },
	{ "capset", "pp" },
	{ "setuid", "d" },
	{ "setgid", "d" },
	{ "setresuid", "ddd" },
	{ "setresgid", "ddd" },
	{ "setgroups", "dp" },
	{ "bpf", "dpd" },
	{ "init_module", "pds" },
	{ "finit_module", "dsx" },
};

struct flag {
	unsigned long long bit;
	const char *name;
};

#define FLAG(f)       \
	{             \
		f, #f \
	}

/* clone(2), unshare(2), setns(2); the low byte of clone's is the exit signal */
static const struct flag clone_flags[] = {
	FLAG(CLONE_VM),
	FLAG(CLONE_FS),
	FLAG(CLONE_FILES),
	FLAG(CLONE_SIGHAND),
	FLAG(CLONE_PIDFD),
	FLAG(CLONE_PTRACE),
	FLAG(CLONE_VFORK),
	FLAG(CLONE_PARENT),
	FLAG(CLONE_THREAD),
	FLAG(CLONE_NEWNS),
	FLAG(CLONE_SYSVSEM),
	FLAG(CLONE_SETTLS),
	FLAG(CLONE_PARENT_SETTID),
	FLAG(CLONE_CHILD_CLEARTID),
	FLAG(CLONE_DETACHED),
	FLAG(CLONE_UNTRACED),
	FLAG(CLONE_CHILD_SETTID),
	FLAG(CLONE_NEWCGROUP),
	FLAG(CLONE_NEWUTS),
	FLAG(CLONE_NEWIPC),
	FLAG(CLONE_NEWUSER),
	FLAG(CLONE_NEWPID),
	FLAG(CLONE_NEWNET),
	FLAG(CLONE_IO),
	{ 0x80ULL, "CLONE_NEWTIME" }, /* unshare's and setns's; clone3's is the same bit */
	{ 0, NULL },
};

static const struct flag mount_flags[] = {
	FLAG(MS_RDONLY),      FLAG(MS_NOSUID),	  FLAG(MS_NODEV),      FLAG(MS_NOEXEC),
	FLAG(MS_SYNCHRONOUS), FLAG(MS_REMOUNT),	  FLAG(MS_MANDLOCK),   FLAG(MS_DIRSYNC),
	FLAG(MS_NOSYMFOLLOW), FLAG(MS_NOATIME),	  FLAG(MS_NODIRATIME), FLAG(MS_BIND),
	FLAG(MS_MOVE),	      FLAG(MS_REC),	  FLAG(MS_SILENT),     FLAG(MS_POSIXACL),
	FLAG(MS_UNBINDABLE),  FLAG(MS_PRIVATE),	  FLAG(MS_SLAVE),      FLAG(MS_SHARED),
	FLAG(MS_RELATIME),    FLAG(MS_KERNMOUNT), FLAG(MS_I_VERSION),  FLAG(MS_STRICTATIME),
	FLAG(MS_LAZYTIME),    { 0, NULL },
};

static const struct flag umount_flags[] = {
	FLAG(MNT_FORCE), FLAG(MNT_DETACH), FLAG(MNT_EXPIRE), FLAG(UMOUNT_NOFOLLOW), { 0, NULL },
};

static const struct flag open_flags[] = {
	/* the flags of two bits first: O_SYNC holds O_DSYNC's, O_TMPFILE O_DIRECTORY's */
	FLAG(O_TMPFILE), FLAG(O_SYNC),	    FLAG(O_CREAT),     FLAG(O_EXCL),	 FLAG(O_NOCTTY),
	FLAG(O_TRUNC),	 FLAG(O_APPEND),    FLAG(O_NONBLOCK),  FLAG(O_DSYNC),	 FLAG(O_ASYNC),
	FLAG(O_DIRECT),	 FLAG(O_LARGEFILE), FLAG(O_DIRECTORY), FLAG(O_NOFOLLOW), FLAG(O_NOATIME),
	FLAG(O_CLOEXEC), FLAG(O_PATH),	    { 0, NULL },
};

static const struct call_format *format_of(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

/* "A|B|0x40", or "0" */
static void put_flags(FILE *out, const struct flag *table, unsigned long long v)
{
	const char *sep = "";

	if (v == 0) {
		fputc('0', out);
		return;
	}
	for (const struct flag *f = table; f->name != NULL; f++)
		if ((v & f->bit) == f->bit) {
			fprintf(out, "%s%s", sep, f->name);
			v &= ~f->bit;
			sep = "|";
		}
	if (v != 0)
		fprintf(out, "%s%#llx", sep, v);
}

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
	if (strlen(s) == TRACE_STR - 1)
		fputs("...", out);
}

static void put_arg(FILE *out, char kind, const struct trace_event *e, int i, unsigned *s)
{
	unsigned long long v = e->args[i];

	switch (kind) {
	case 's':
		if (v == 0)
			fputs("NULL", out);
		else if (*s < e->n_str)
			put_string(out, e->str[*s]);
		(*s)++;
		break;
	case 'd':
		fprintf(out, "%d", (int)v);
		break;
	case 'f':
		if ((int)v == AT_FDCWD)
			fputs("AT_FDCWD", out);
		else
			fprintf(out, "%d", (int)v);
		break;
	case 'o':
	case 'm':
		fprintf(out, "%#llo", v);
		break;
	case 'p':
		if (v == 0)
			fputs("NULL", out);
		else
			fprintf(out, "%#llx", v);
		break;
	case 'C':
		put_flags(out, clone_flags, v & ~0xffULL);
		if ((v & 0xff) != 0)
			fprintf(out, "|SIG%s", sigabbrev_np((int)(v & 0xff)) ?: "?");
		break;
	case 'N':
		put_flags(out, clone_flags, v);
		break;
	case 'A':
		fputs("{flags=", out);
		put_flags(out, clone_flags, e->word);
		fputs(", ...}", out);
		break;
	case 'M':
		put_flags(out, mount_flags, v);
		break;
	case 'U':
		put_flags(out, umount_flags, v);
		break;
	case 'O':
		fputs((v & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
		      : (v & O_ACCMODE) == O_RDWR ? "O_RDWR"
						  : "O_RDONLY",
		      out);
		if ((v & ~(unsigned long long)O_ACCMODE) != 0) {
			fputc('|', out);
			put_flags(out, open_flags, v & ~(unsigned long long)O_ACCMODE);
		}
		break;
	default:
		fprintf(out, "%#llx", v);
	}
}

/* What the BPF program copies for a call shown with FORMAT. */
static uint32_t want_of(const char *format)
{
	uint32_t w = TRACE_WANT;

	for (int i = 0; format[i] != '\0' && i < TRACE_ARGS; i++)
		if (format[i] == 's')
			w |= TRACE_ARG_AT(TRACE_ARG_STR, i);
		else if (format[i] == 'A')
			w |= TRACE_ARG_AT(TRACE_ARG_U64, i);
	return w;
}

/* ---- the command line ---- */

static const char usage_text[] =
	"Usage: cell trace [--calls LIST] [--duration S] CONTAINER\n"
	"       cell-trace [--calls LIST] [--duration S] [--ready-fd N] PID\n"
	"\n"
	"Follows the system calls of a container (the PID namespace of process\n"
	"PID) from the kernel: an eBPF program on the sys_enter tracepoint counts\n"
	"every call made in that namespace, and sends one line for each call\n"
	"named in LIST, with its arguments. Ctrl-C, the end of the container, or\n"
	"S seconds end it; then each call's count is printed.\n"
	"\n"
	"  --calls LIST     calls to show, by name, separated by commas, or `all`\n"
	"                   (default: clone,clone3,unshare,setns,mount,umount2,\n"
	"                   pivot_root,execve); every call is counted anyway\n"
	"  --duration S     stop after S seconds (a decimal number)\n"
	"  --ready-fd N     write \"ready\" to descriptor N once attached (or the\n"
	"                   error that stopped it), then close it\n"
	"\n"
	"Each line: seconds since the start, the caller's PID and name inside the\n"
	"container, the call with its arguments at its entry. Exit status 125\n"
	"when it cannot trace (needs root; kernel 5.8 or later).\n";

static int parse_options(int argc, char **argv, struct options *o, struct error *err)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "calls", required_argument, NULL, 'c' },
					       { "duration", required_argument, NULL, 'd' },
					       { "ready-fd", required_argument, NULL, 'r' },
					       { NULL, 0, NULL, 0 } };
	char *end;
	long n;
	int c;

	*o = (struct options){ .calls = default_calls, .ready_fd = -1 };
	while ((c = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'c':
			o->calls = optarg;
			break;
		case 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || errno != 0 || !(o->duration > 0) ||
			    o->duration > 1e9)
				return err_set(err, "--duration: \"%s\" is not a number of seconds",
					       optarg);
			break;
		case 'r':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || n < 0 || n > INT_MAX ||
			    fcntl((int)n, F_GETFD) < 0)
				return err_set(err, "--ready-fd: \"%s\" is not an open descriptor",
					       optarg);
			o->ready_fd = (int)n;
			break;
		default:
			return err_set(err, "bad option (try --help)");
		}
	}
	if (optind != argc - 1)
		return err_set(err, "give one PID (try --help)");
	n = strtol(argv[optind], &end, 10);
	if (end == argv[optind] || *end != '\0' || n < 1 || n > INT_MAX)
		return err_set(err, "\"%s\" is not a PID", argv[optind]);
	o->pid = (pid_t)n;
	return 0;
}

/* step: trace-calls: LIST's names, through libseccomp's table of this
 * architecture, into the entries of "wanted" */
static int parse_calls(struct tracer *t, struct error *err)
{
	char *list = strdup(t->o->calls), *save = NULL;
	int ret = -1, n = 0;

	if (list == NULL)
		return err_sys(err, "--calls");
	if (strcmp(list, "all") == 0) {
		for (int nr = 0; nr < TRACE_SLOTS; nr++) {
			char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
			const struct call_format *f = name != NULL ? format_of(name) : NULL;

			t->wanted[nr] = want_of(f != NULL ? f->args : "");
			free(name);
		}
		free(list);
		return 0;
	}
	for (char *name = strtok_r(list, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		int nr = seccomp_syscall_resolve_name(name);
		const struct call_format *f = format_of(name);

		if (nr < 0) {
			err_set(err, "--calls: \"%s\" is not a system call of this machine", name);
			goto out;
		}
		if (nr >= TRACE_SLOTS - 1) {
			err_set(err,
				"--calls: %s is call number %d; only those below %d are traced",
				name, nr, TRACE_SLOTS - 1);
			goto out;
		}
		t->wanted[nr] = want_of(f != NULL ? f->args : "");
		n++;
	}
	if (n == 0) {
		err_set(err, "--calls: give at least one call");
		goto out;
	}
	ret = 0;
out:
	free(list);
	return ret;
}

/* ---- before the attach ---- */

/*
 * step: trace-target
 * The PID namespace to follow is the init's, named by the device and inode
 * of /proc/PID/ns/pid, as the BPF helper compares them. A pidfd tells when
 * the init ends (it polls readable, parent or not), and holds the process:
 * the PID cannot name another process while the pidfd is open. A container
 * that shares the host's namespace cannot be told from the host, and is
 * refused.
 */
static int open_target(struct tracer *t, struct error *err)
{
	char path[64];
	struct stat ns, own;

	t->pidfd = (int)syscall(SYS_pidfd_open, t->o->pid, 0);
	if (t->pidfd < 0)
		return err_sys(err, "pidfd_open %d", t->o->pid);
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", t->o->pid);
	if (stat(path, &ns) < 0)
		return err_sys(err, "stat %s", path);
	if (stat("/proc/self/ns/pid", &own) < 0)
		return err_sys(err, "stat /proc/self/ns/pid");
	if (ns.st_ino == own.st_ino && ns.st_dev == own.st_dev)
		return err_set(err,
			       "process %d is in the host's PID namespace: its calls cannot "
			       "be told from the host's",
			       t->o->pid);
	t->target = (struct trace_target){ .dev = ns.st_dev, .ino = ns.st_ino };
	return 0;
}

/*
 * libbcc compiles against the headers in /lib/modules/$(uname -r)/build, or
 * in $BCC_KERNEL_SOURCE. A kernel without a headers package (many clouds'
 * and VMs') has neither: then the tree `make deps` unpacked from Debian's
 * packages (labs/deps.sh) is given through that variable. The program uses
 * only types that stay put from one kernel to the next (struct pt_regs,
 * the helpers' arguments).
 */
static int kernel_headers(const char **tree, struct error *err)
{
	static char path[PATH_MAX];
	struct utsname un;
	struct stat st;

	*tree = getenv("BCC_KERNEL_SOURCE");
	if (*tree != NULL)
		return 0;
	if (uname(&un) == 0) {
		snprintf(path, sizeof(path), "/lib/modules/%s/build", un.release);
		*tree = path;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
	}
	*tree = CELL_HEADERS;
	if (stat(CELL_HEADERS "/include/generated/autoconf.h", &st) < 0)
		return err_sys(err,
			       "no kernel headers for libbcc: no /lib/modules/%s/build, and "
			       "%s/include/generated/autoconf.h (run make deps)",
			       un.release, CELL_HEADERS);
	if (setenv("BCC_KERNEL_SOURCE", CELL_HEADERS, 1) < 0)
		return err_sys(err, "setenv BCC_KERNEL_SOURCE");
	return 0;
}

/*
 * step: bpf-load
 * libbcc's clang turns the program's text into BPF instructions, and its
 * BPF_* lines into maps the kernel creates; bpf(BPF_PROG_LOAD) hands the
 * instructions to the verifier, which proves that the program ends and
 * reads only what it may, or refuses it (its log on stderr).
 */
static int load_program(struct tracer *t, struct error *err)
{
	static const char fn[] = "raw_tracepoint__sys_enter";
	const char *headers;

	if (kernel_headers(&headers, err) < 0)
		return -1;
	t->bpf = bpf_module_create_c_from_string(bpf_text, 0, NULL, 0, true, NULL);
	if (t->bpf == NULL)
		return err_set(err,
			       "libbcc could not compile the BPF program against the kernel "
			       "headers in %s",
			       headers);
	t->prog_fd = bcc_func_load(t->bpf, BPF_PROG_TYPE_RAW_TRACEPOINT, fn,
				   bpf_function_start(t->bpf, fn),
				   (int)bpf_function_size(t->bpf, fn), bpf_module_license(t->bpf),
				   bpf_module_kern_version(t->bpf), 0, NULL, 0, NULL, 0);
	if (t->prog_fd < 0)
		return err_sys(err, "bpf BPF_PROG_LOAD %s", fn);
	return 0;
}

/*
 * step: bpf-attach
 * The calls asked for go into "wanted", the namespace into "target", and
 * the program onto the tracepoint, bpf(BPF_RAW_TRACEPOINT_OPEN): from the
 * next system call on, the kernel runs it at every call of every process.
 * Nothing is left to remove: the program, its maps and the attachment
 * live as long as their descriptors, which the kernel closes when this
 * process ends, however it ends. No tracefs, no kprobe.
 */
static int attach_program(struct tracer *t, struct error *err)
{
	int wanted = bpf_table_fd(t->bpf, "wanted"), target = bpf_table_fd(t->bpf, "target");
	uint32_t zero = 0;
	struct timespec now;

	for (uint32_t nr = 0; nr < TRACE_SLOTS; nr++)
		if (t->wanted[nr] != 0 && bpf_update_elem(wanted, &nr, &t->wanted[nr], 0) < 0)
			return err_sys(err, "bpf BPF_MAP_UPDATE_ELEM wanted[%u]", nr);
	if (bpf_update_elem(target, &zero, &t->target, 0) < 0)
		return err_sys(err, "bpf BPF_MAP_UPDATE_ELEM target");
	clock_gettime(CLOCK_MONOTONIC, &now);
	t->t0 = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	t->tp_fd = bpf_attach_raw_tracepoint(t->prog_fd, "sys_enter");
	if (t->tp_fd < 0)
		return err_sys(err, "bpf BPF_RAW_TRACEPOINT_OPEN sys_enter");
	return 0;
}

/* ---- while it runs ---- */

/* One event: one line. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct trace_event *e = data;
	char *name;
	const struct call_format *f;
	unsigned s = 0;

	if (size < sizeof(*e))
		return 0;
	t->events++;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)e->nr);
	f = name != NULL ? format_of(name) : NULL;
	printf("%11.6f %-6u %-16.*s ", (double)(int64_t)(e->ns - t->t0) / 1e9, e->pid, TRACE_COMM,
	       e->comm);
	if (name != NULL)
		fputs(name, stdout);
	else
		printf("syscall_%u", e->nr);
	fputc('(', stdout);
	for (int i = 0; i < (f != NULL ? (int)strlen(f->args) : TRACE_ARGS); i++) {
		if (f != NULL && f->args[i] == 'm' && !(e->args[i - 1] & O_CREAT) &&
		    (e->args[i - 1] & O_TMPFILE) != O_TMPFILE)
			break;
		if (i > 0)
			fputs(", ", stdout);
		put_arg(stdout, f != NULL ? f->args[i] : 'x', e, i, &s);
	}
	fputs(")\n", stdout);
	free(name);
	return 0;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * step: trace-wait
 * The events are read from the ring buffer's pages, mapped into this
 * process (libbcc's bpf_poll_ringbuf, an epoll on the map), until a
 * signal, the end of the container's init (its pidfd polls readable), or
 * the time asked for.
 */
static int follow(struct tracer *t, struct error *err)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: the wait ends */
	struct timespec start, now;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	t->ring = bpf_new_ringbuf(bpf_table_fd(t->bpf, "events"), on_event, t);
	if (t->ring == NULL)
		return err_sys(err, "map the ring buffer");
	for (;;) {
		struct pollfd p = { .fd = t->pidfd, .events = POLLIN };

		bpf_poll_ringbuf(t->ring, POLL_MS);
		fflush(stdout);
		if (stop_signal != 0 || poll(&p, 1, 0) > 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (t->o->duration > 0 &&
		    (double)(now.tv_sec - start.tv_sec) +
				    (double)(now.tv_nsec - start.tv_nsec) / 1e9 >=
			    t->o->duration)
			break;
	}
	return 0;
}

/* ---- the end ---- */

/* The CPUs the kernel may ever bring up ("0-N"): a per-CPU map has a
 * value for each. */
static int possible_cpus(void)
{
	char text[64] = "";
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	char *last;

	if (f == NULL)
		return -1;
	if (fgets(text, sizeof(text), f) == NULL)
		text[0] = '\0';
	fclose(f);
	last = strrchr(text, '-');
	last = last != NULL ? last + 1 : text;
	if (strrchr(last, ',') != NULL)
		last = strrchr(last, ',') + 1;
	return atoi(last) + 1;
}

struct count {
	int nr;
	unsigned long long n;
};

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->nr - y->nr;
}

/* Sums a per-CPU map's value at KEY over the CPUs. */
static int sum_per_cpu(int fd, uint32_t key, unsigned long long *values, int n_cpus,
		       unsigned long long *sum, struct error *err)
{
	*sum = 0;
	if (bpf_lookup_elem(fd, &key, values) < 0)
		return err_sys(err, "bpf BPF_MAP_LOOKUP_ELEM %u", key);
	for (int c = 0; c < n_cpus; c++)
		*sum += values[c];
	return 0;
}

/*
 * step: trace-counts
 * The attachment is closed first, so that the counts stop; the events
 * still in the ring are read; then "counts" is read once, slot by slot,
 * each slot summed over the CPUs.
 */
static int print_counts(struct tracer *t, struct error *err)
{
	int n_cpus = possible_cpus(), fd = bpf_table_fd(t->bpf, "counts"), n = 0;
	unsigned long long *values, total = 0, lost = 0;
	struct count counts[TRACE_SLOTS];
	struct timespec now;
	int ret = -1;

	close(t->tp_fd);
	t->tp_fd = -1;
	bpf_consume_ringbuf(t->ring);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n_cpus < 1)
		return err_sys(err, "read /sys/devices/system/cpu/possible");
	values = calloc((size_t)n_cpus, sizeof(*values));
	if (values == NULL)
		return err_sys(err, "calloc");
	for (uint32_t nr = 0; nr < TRACE_SLOTS; nr++) {
		unsigned long long sum;

		if (sum_per_cpu(fd, nr, values, n_cpus, &sum, err) < 0)
			goto out;
		if (sum > 0)
			counts[n++] = (struct count){ .nr = (int)nr, .n = sum };
		total += sum;
	}
	if (sum_per_cpu(bpf_table_fd(t->bpf, "lost"), 0, values, n_cpus, &lost, err) < 0)
		goto out;
	qsort(counts, (size_t)n, sizeof(counts[0]), by_count);
	printf("\n%-24s %12s\n", "CALL", "COUNT");
	for (int i = 0; i < n; i++) {
		char *name =
			counts[i].nr == TRACE_SLOTS - 1
				? NULL
				: seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, counts[i].nr);

		if (name != NULL)
			printf("%-24s %12llu\n", name, counts[i].n);
		else if (counts[i].nr == TRACE_SLOTS - 1)
			printf("%-24s %12llu\n", "(others)", counts[i].n);
		else
			printf("syscall_%-16d %12llu\n", counts[i].nr, counts[i].n);
		free(name);
	}
	printf("%llu calls in %.3f s, %llu of them shown", total,
	       (double)((uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec - t->t0) / 1e9,
	       t->events);
	if (lost > 0)
		printf("; %llu more not shown: the ring buffer was full", lost);
	putchar('\n');
	ret = fflush(stdout) == EOF ? err_sys(err, "write the counts") : 0;
out:
	free(values);
	return ret;
}

static void tell_ready(struct tracer *t, const char *text)
{
	if (t->o->ready_fd < 0)
		return;
	if (write(t->o->ready_fd, text, strlen(text)) < 0) {
		/* the monitor is gone: it learns nothing more */
	}
	close(t->o->ready_fd);
}

int main(int argc, char **argv)
{
	struct options o;
	struct tracer t = { .o = &o, .pidfd = -1, .prog_fd = -1, .tp_fd = -1 };
	struct error err = { 0 };
	char text[ERR_MSG_MAX + 128];

	/* a parent that ignored or blocked them (the monitor does) passes
	 * that on through exec */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &(sigset_t){ 0 }, NULL);
	if (parse_options(argc, argv, &o, &err) < 0 || parse_calls(&t, &err) < 0 ||
	    open_target(&t, &err) < 0 || load_program(&t, &err) < 0 || attach_program(&t, &err) < 0)
		goto fail;
	printf("%11s %-6s %-16s %s\n", "TIME(s)", "PID", "COMM", "CALL");
	fflush(stdout);
	tell_ready(&t, "ready");
	if (follow(&t, &err) < 0 || print_counts(&t, &err) < 0) {
		fprintf(stderr, "%s: %s\n", program_invocation_short_name,
			err_text(&err, text, sizeof(text)));
		return EXIT_FAIL;
	}
	bpf_free_ringbuf(t.ring);
	bpf_module_destroy(t.bpf);
	return 0;
fail:
	err_text(&err, text, sizeof(text));
	if (o.ready_fd >= 0)
		tell_ready(&t, text);
	else
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, text);
	return EXIT_FAIL;
}

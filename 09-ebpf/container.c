/*
 * 09-ebpf: watch the container's system calls from inside the kernel.
 *
 * Stage 08 plus tracing. With --trace FILE, the tool compiles a small
 * program in restricted C, container.bpf.c beside this file and built into
 * the tool, into eBPF instructions (libbcc, which embeds clang), has the kernel verify and load it (bpf(2)), and attaches it to
 * sys_enter, the tracepoint at the entry of every system call, in its raw
 * form. The kernel then runs the program at each call of every process;
 * the program keeps the calls of the container's PID namespace only and
 * counts each in a map, in the kernel: at exit the tool reads the counts
 * and writes a table. Only the calls --calls names (by default those a
 * container runtime is made of: clone, unshare, setns, mount, pivot_root,
 * execve...) go on to the tool, through a BPF ring buffer, and get a line
 * each in the log, their arguments decoded; --trace-all sends every call.
 * libbcc, which brings LLVM with it, is loaded only when --trace asks for
 * it, so that a container not traced does not pay for the tracer.
 *
 * Tracepoints, not kprobes: a kprobe hooks a kernel function by name, and
 * both the names and the very presence of kprobes (CONFIG_KPROBES) change
 * from one kernel to the next; the syscall tracepoints are a stable
 * interface. The target is set after clone() and before the child is
 * released from the pipe of stage 05: nothing the command does is missed.
 *
 * The file reads in the order the program runs, as main() at the end lists
 * it: the command line, the tool before the child exists, the child, the
 * tool after clone, waiting, undoing (a part a stage has no use for yet is
 * left out). Checking option values and the help text come after main().
 *
 * Read alongside: bpf(2), bpf-helpers(7), dlopen(3), namespaces(7),
 * pid_namespaces(7), the kernel's Documentation/trace/events.rst,
 * Documentation/bpf/ (ringbuf.rst among them), and bcc's
 * reference guide (docs/reference_guide.md in its sources).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <seccomp.h>
#include <sys/capability.h>

/* Exit statuses, as docker run gives them. */
#define EXIT_TOOL	 125 /* the tool itself failed: bad option, a setup step */
#define EXIT_CANNOT_EXEC 126 /* the command exists but cannot be executed */
#define EXIT_NOT_FOUND	 127 /* the command does not exist */
#define EXIT_SIGNAL	 128 /* plus N: signal N killed the command */

#define STACK_SIZE   (1024 * 1024)
#define HOSTNAME_MAX 64 /* HOST_NAME_MAX on Linux, see sethostname(2) */
#define LABEL_MAX    63 /* a hostname's label, between dots (RFC 1123) */

#ifndef CELL_ROOTFS /* the Makefile passes the tree `make rootfs` builds */
#define CELL_ROOTFS "../labs/rootfs"
#endif

/* Every container's directories on the host live below this one. */
#define STATE_ROOT "/run/cell"
#define ID_BYTES   4 /* random bytes that name a container: 8 hex digits */

/*
 * An ordinary user cannot write to /run/cell. Its containers' directories
 * go to cell/ in $XDG_RUNTIME_DIR (/run/user/UID: the user's own tmpfs,
 * made by the login manager), or, without one, to /tmp/cell-UID.
 */
#define ROOTLESS_FALLBACK "/tmp/cell-%u"

/*
 * The host ids that root -U maps the container's 0-65535 to, when
 * /etc/subuid and /etc/subgid have no cell line. useradd hands each new
 * user a range between SUB_UID_MIN and SUB_UID_MAX of login.defs (100000
 * and 600100000 by default); systemd-nspawn picks from 524288-1879048191
 * (systemd's UIDS-GIDS.md). 1879048192 (0x70000000) is above both, and
 * far below 2^31, where tools that take uid_t as signed go wrong.
 */
#define USERNS_BASE   1879048192u
#define USERNS_COUNT  65536u
#define SUBID_NAME    "cell" /* the line of /etc/subuid and /etc/subgid we use */
#define REMOVE_PASSES 8	     /* rm -rf passes, each making one more level readable */

/*
 * Without --ip, the container takes .2 of the first 10.200.N.0/24 that no
 * route of the host overlaps, and the host end .1: private addresses
 * (RFC 1918), from a corner that home and office networks rarely use.
 */
#define AUTO_NET     0x0ac80000u /* 10.200.0.0, in host byte order */
#define AUTO_PREFIX  24
#define AUTO_SUBNETS 256 /* 10.200.0.0/24 to 10.200.255.0/24 */

/* Held from choosing a subnet until the host end's route to it exists. */
#define NET_LOCK STATE_ROOT "/net.lock"

/* Each container's cgroup is cell/<id>, in every hierarchy it uses. */
#define CGROUP_PARENT	"cell"
#define MAX_HIERARCHIES 16 /* v1 has one per controller: about a dozen at most */
#define RMDIR_TRIES	8  /* a busy cgroup is removed again, 10 ms later, then 20, ... */

/*
 * --cpus is a CFS bandwidth quota: the container's threads together may run
 * for QUOTA microseconds in every period of CFS_PERIOD (100 ms, the
 * kernel's default, as docker uses). The kernel takes no quota below 1 ms.
 */
#define CFS_PERIOD    100000
#define CFS_QUOTA_MIN 1000

#define SHARES_MIN    2 /* cpu.shares bounds (v1), as docker checks them */
#define SHARES_MAX    262144
#define WEIGHT_MIN    1 /* cpu.weight bounds (v2) */
#define WEIGHT_MAX    10000
#define PIDS_MAX      4194304	  /* PID_MAX_LIMIT: the kernel takes no larger pids.max */
#define MEMORY_MIN    (6LL << 20) /* the smallest --memory docker accepts, too */
#define MAX_IO_LIMITS 8		  /* block devices with a --device-*-bps limit */
#define TRACE_LIST    256	  /* the list of files written, for the -v trace */

#ifndef CELL_HEADERS /* the Makefile passes the tree `make deps` unpacks */
#define CELL_HEADERS "../labs/cache/linux-headers"
#endif
#define NR_SLOTS      512  /* counters, one per system call number; the last: any larger */
#define STR_LEN	      128  /* bytes of a path argument kept, with its NUL */
#define RING_PAGES    4096 /* the ring buffer's size in pages (a power of 2): 16 MiB */
#define WAKE_EVENTS   4096 /* a CPU wakes the tool at every WAKE_EVENTS-th event it sends */
#define POLL_MS	      50   /* otherwise the tool looks this often */
/* the calls --trace logs when no --calls names others: those a runtime is built from */
#define DEFAULT_CALLS "clone,clone3,unshare,setns,mount,umount2,pivot_root,execve"

/* The v2 controllers this stage turns on for its cgroups, where offered. */
static const char *const v2_controllers[] = { "memory", "cpu", "io", "pids", "cpuset" };

/*
 * The devices a container gets: harmless ones only. Each is a new node on
 * the container's own /dev; binding the host's nodes would carry over their
 * owners and modes, and a mistake there would open a real disk.
 */
static const struct device {
	const char *name;
	unsigned int major, minor;
} devices[] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

#define CAP(c) (1ULL << (c)) /* a capability's bit in a set, as /proc shows the sets */

/*
 * The capabilities a container keeps: the fourteen docker keeps by default
 * (its oci/caps/defaults.go), 00000000a80425fb in /proc/PID/status. The
 * lab notes say why each stays. Root's others, such as CAP_SYS_ADMIN
 * (mount, most namespace and device knobs), CAP_NET_ADMIN, CAP_SYS_MODULE,
 * CAP_SYS_TIME, CAP_SYS_BOOT and CAP_SYS_PTRACE, go.
 */
#define DEFAULT_CAPS                                                                           \
	(CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) |          \
	 CAP(CAP_KILL) | CAP(CAP_SETGID) | CAP(CAP_SETUID) | CAP(CAP_SETPCAP) |                \
	 CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_NET_RAW) | CAP(CAP_SYS_CHROOT) | CAP(CAP_MKNOD) | \
	 CAP(CAP_AUDIT_WRITE) | CAP(CAP_SETFCAP))

#define MAX_SECCOMP_FILE 512 /* system calls a --seccomp FILE may list */
#define SYSCALL_NAME_MAX 32  /* bytes of a system call's name, with its NUL */

/*
 * The system calls the default filter makes fail with EPERM: those that
 * docker's default profile refuses, grouped by why. A call listed with
 * capabilities is let through when the container keeps one of them
 * (--cap-add), as docker's profile does: the kernel's own check of that
 * capability then decides. Names this machine's libseccomp does not know,
 * or that do not exist on an architecture, are skipped.
 */
static const struct denied_call {
	const char *name;
	unsigned long long lift; /* capabilities that let it through, or 0 */
} denied_calls[] = {
	/* The kernel keyring is not namespaced: keys of the host, and of
	 * other containers, are one keyctl() away. */
	{ "add_key", 0 },
	{ "keyctl", 0 },
	{ "request_key", 0 },
	/* Kernel modules run with every privilege, outside any namespace. */
	{ "init_module", CAP(CAP_SYS_MODULE) },
	{ "finit_module", CAP(CAP_SYS_MODULE) },
	{ "delete_module", CAP(CAP_SYS_MODULE) },
	{ "create_module", 0 },
	{ "get_kernel_syms", 0 },
	{ "query_module", 0 },
	/* A new kernel, or a reboot: the whole machine. */
	{ "kexec_load", CAP(CAP_SYS_BOOT) },
	{ "kexec_file_load", CAP(CAP_SYS_BOOT) },
	{ "reboot", CAP(CAP_SYS_BOOT) },
	/* File handles name a file by its inode on any mount of the file
	 * system, outside the container's root too: the 2014 "shocker"
	 * escape read the host's /etc/shadow with open_by_handle_at(). */
	{ "open_by_handle_at", CAP(CAP_DAC_READ_SEARCH) },
	{ "name_to_handle_at", CAP(CAP_SYS_ADMIN) },
	/* Programs run inside the kernel, and views of the whole machine's
	 * performance: a large attack surface, and a side channel. */
	{ "bpf", CAP(CAP_SYS_ADMIN) | CAP(CAP_BPF) },
	{ "perf_event_open", CAP(CAP_SYS_ADMIN) | CAP(CAP_PERFMON) },
	/* Both let a process stall the kernel at a page fault of its choice,
	 * the favourite tool of race-condition exploits; io_uring has had
	 * many flaws of its own. */
	{ "userfaultfd", 0 },
	{ "io_uring_setup", 0 },
	{ "io_uring_enter", 0 },
	{ "io_uring_register", 0 },
	/* Swap and quotas are the host's. */
	{ "swapon", CAP(CAP_SYS_ADMIN) },
	{ "swapoff", CAP(CAP_SYS_ADMIN) },
	{ "quotactl", CAP(CAP_SYS_ADMIN) },
	{ "quotactl_fd", CAP(CAP_SYS_ADMIN) },
	/* The clock is not namespaced (time namespaces shift only the
	 * monotonic and boot clocks): setting it sets the host's. */
	{ "settimeofday", CAP(CAP_SYS_TIME) },
	{ "stime", CAP(CAP_SYS_TIME) },
	{ "clock_settime", CAP(CAP_SYS_TIME) },
	{ "clock_adjtime", CAP(CAP_SYS_TIME) },
	/* Mounts, old API and new: the container's mounts are set up, and
	 * a mount could cover or reveal what the setup arranged. */
	{ "mount", CAP(CAP_SYS_ADMIN) },
	{ "umount", CAP(CAP_SYS_ADMIN) },
	{ "umount2", CAP(CAP_SYS_ADMIN) },
	{ "pivot_root", CAP(CAP_SYS_ADMIN) },
	{ "fsopen", CAP(CAP_SYS_ADMIN) },
	{ "fsconfig", CAP(CAP_SYS_ADMIN) },
	{ "fsmount", CAP(CAP_SYS_ADMIN) },
	{ "fspick", CAP(CAP_SYS_ADMIN) },
	{ "open_tree", CAP(CAP_SYS_ADMIN) },
	{ "move_mount", CAP(CAP_SYS_ADMIN) },
	{ "mount_setattr", CAP(CAP_SYS_ADMIN) },
	/* New namespaces, above all user namespaces, which any process may
	 * make (user_namespaces(7)): inside one it holds every capability
	 * again, and reaches kernel code written for root only. clone()
	 * with a CLONE_NEW* flag has rules of its own below. */
	{ "unshare", CAP(CAP_SYS_ADMIN) },
	{ "setns", CAP(CAP_SYS_ADMIN) },
	/* Another process's memory and files, whatever ptrace(2) would say. */
	{ "process_vm_readv", CAP(CAP_SYS_PTRACE) },
	{ "process_vm_writev", CAP(CAP_SYS_PTRACE) },
	{ "kcmp", CAP(CAP_SYS_PTRACE) },
	{ "pidfd_getfd", CAP(CAP_SYS_PTRACE) },
	{ "process_madvise", CAP(CAP_SYS_PTRACE) },
	/* The host's memory placement (NUMA), shared by all. */
	{ "get_mempolicy", CAP(CAP_SYS_NICE) },
	{ "set_mempolicy", CAP(CAP_SYS_NICE) },
	{ "mbind", CAP(CAP_SYS_NICE) },
	{ "move_pages", CAP(CAP_SYS_NICE) },
	/* The kernel's log, accounting, raw I/O ports, the terminal. */
	{ "syslog", CAP(CAP_SYSLOG) },
	{ "acct", CAP(CAP_SYS_PACCT) },
	{ "iopl", CAP(CAP_SYS_RAWIO) },
	{ "ioperm", CAP(CAP_SYS_RAWIO) },
	{ "vhangup", CAP(CAP_SYS_TTY_CONFIG) },
	{ "fanotify_init", CAP(CAP_SYS_ADMIN) },
	/* Obsolete calls nobody needs, each with a past of flaws. */
	{ "lookup_dcookie", CAP(CAP_SYS_ADMIN) },
	{ "nfsservctl", 0 },
	{ "_sysctl", 0 },
	{ "sysfs", 0 },
	{ "ustat", 0 },
	{ "uselib", 0 },
	{ "vm86", 0 },
	{ "vm86old", 0 },
};

/* The CLONE_NEW* flags of clone(2): each makes a namespace. */
static const unsigned long clone_ns_flags[] = {
	CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID,	CLONE_NEWNET,
};

/*
 * A cgroup hierarchy the container is put in: a v1 one, with the
 * controllers its mount carries ("memory", or "cpu,cpuacct" when mounted
 * together), or the v2 one, with those of ours it offers.
 */
struct hierarchy {
	char mount[PATH_MAX];  /* its mount point, e.g. /sys/fs/cgroup/memory */
	char controllers[256]; /* v1: "cpu,cpuacct" as in mountinfo; v2: "memory pids" */
	bool v2;
	bool cell;	    /* cell made or found: removed at exit if empty */
	char dir[PATH_MAX]; /* <mount>/cell/<id>, once made */
};

/* --device-read-bps and --device-write-bps, gathered per device. */
struct io_limit {
	unsigned int major, minor;
	long long rbps, wbps; /* bytes per second, or 0: no limit */
};

/*
 * What the tracer sends for each system call. One copy of the layout serves
 * both sides: the tool puts this macro, as text, in front of the program it
 * compiles (container.bpf.c), and its decoder uses it as C, so the two
 * cannot disagree on an offset. Every event has the fields up to args; the
 * calls whose arguments the tool decodes carry the rest too.
 */
#define TEXT_(...) #__VA_ARGS__
#define TEXT(...)  TEXT_(__VA_ARGS__)
#define EVENT_STRUCT                   \
	struct event {                 \
		uint64_t ts;           \
		uint64_t nr;           \
		uint32_t pid;          \
		uint32_t tid;          \
		char comm[16];         \
		uint64_t args[6];      \
		uint64_t clone3_flags; \
		char str[3][STR_LEN];  \
	}
EVENT_STRUCT;

/* The options, checked: what the command line asked for. */
struct config {
	const char *hostname;
	char rootfs[PATH_MAX]; /* absolute path of the root file system */
	const char *upper;     /* --upper DIR, or NULL */
	char **argv;	       /* the command and its arguments */
	bool verbose;
	bool init;     /* --init: a minimal init is PID 1, the command PID 2 */
	bool ipc_host; /* --ipc host: share the host's IPC namespace */

	/* The network: --net none, or --ip, or a subnet the tool picks. */
	bool net_none;	    /* --net none: loopback only, no veth pair */
	const char *ip;	    /* --ip CIDR as given, or NULL: pick a subnet */
	uint32_t addr;	    /* --ip's address, in host byte order */
	uint32_t host_addr; /* its subnet's first address, for the host end */
	int prefix;	    /* its prefix length */

	/* The user namespace: whose ids become the container's (userns-ids). */
	bool userns;	       /* -U, or not root: a new user namespace */
	bool rootless;	       /* not root: the user's own ids, no cgroups, no veth */
	uid_t uid_base;	       /* host uid of root inside */
	gid_t gid_base;	       /* host gid of root's group inside */
	unsigned int id_count; /* how many ids the maps hold from there */

	/* The limits asked for, which the cgroups enforce. */
	long long memory;		   /* -m: bytes, or 0: no limit */
	long long memory_swap;		   /* --memory-swap: bytes, -1: unlimited, 0: not given */
	const char *memory_arg, *swap_arg; /* the two as given, for messages */
	long cpu_quota;			   /* --cpus, in microseconds per CFS_PERIOD, or 0 */
	long cpu_shares;		   /* --cpu-shares, or 0 */
	long pids_limit;		   /* --pids-limit, or 0 */
	const char *cpuset_cpus;	   /* --cpuset-cpus LIST, or NULL */
	struct io_limit io[MAX_IO_LIMITS]; /* --device-*-bps, n_io of them */
	int n_io;

	/* What the container keeps of root's power. */
	unsigned long long caps;	      /* the capabilities kept: DEFAULT_CAPS, changed */
	unsigned long long cap_add, cap_drop; /* --cap-add and --cap-drop, as sets */
	bool cap_add_all, cap_drop_all;	      /* ALL given to either */
	bool seccomp_unconfined;	      /* --seccomp unconfined: no filter */
	const char *seccomp_file;	      /* --seccomp FILE, or NULL: the default list */
	char file_calls[MAX_SECCOMP_FILE][SYSCALL_NAME_MAX]; /* the system calls FILE lists */
	int n_file_calls;

	const char *trace_path; /* --trace or --trace-all FILE, "-" for stderr, or NULL */
	bool trace_all;		/* --trace-all: every call logged, not only those named */
	const char *calls;	/* --calls LIST, or the default list */
	bool named[NR_SLOTS];	/* the calls logged, by number: those of LIST */
};

/*
 * What the tool holds while the container runs: what it made, and the
 * handles to it. The options come along: clone() passes the child one
 * pointer, and every step after the command line takes this one.
 */
struct run {
	const struct config *cfg; /* the options */
	pid_t pid;		  /* the child, once cloned */
	sigset_t blocked;	  /* the signals the tool (and our init) wait for */
	sigset_t child_mask;	  /* the signal mask the command starts with */

	/* The container's directories on the host (state-dir). */
	char id[2 * ID_BYTES + 1]; /* hex digits naming this container */
	char state[PATH_MAX];	   /* /run/cell/<id> */
	char upperdir[PATH_MAX], workdir[PATH_MAX], merged[PATH_MAX];
	char state_root[PATH_MAX]; /* /run/cell, or the rootless user's directory */
	bool upper_made;	   /* --upper DIR was made by us (root -U gives it away) */
	int lower_fd;		   /* child: the rootfs, open for the mapped root, or -1 */

	/* The network: the subnet in use (net-addr), the veth, the pipe. */
	int lock;	      /* NET_LOCK, held from net-addr to host-end, or -1 */
	uint32_t addr;	      /* the container's address, in host byte order */
	uint32_t host_addr;   /* the host end's: the subnet's first address */
	int prefix;	      /* the subnet's prefix length */
	char veth[IFNAMSIZ];  /* cell<id>, the host end, once it exists */
	struct stat host_net; /* the host's network namespace, to tell ours apart */
	int sync[2];	      /* the pipe the child waits on: read end, write end, or -1 */

	/* The cgroups (cgroup-detect, cgroup-create). */
	struct hierarchy cg[MAX_HIERARCHIES];
	int n_cg;

	/* child: the capabilities it kept, cfg->caps less those the tool lacks */
	unsigned long long caps;

	/* --trace: the eBPF program and what it reports through. */
	void *bcc_lib;		  /* libbcc, opened with dlopen(3) */
	void *bpf;		  /* the module libbcc compiled */
	int prog_fd, tp_fd;	  /* the loaded program, the attached tracepoint, or -1 */
	struct ring_buffer *ring; /* the events, shared with the kernel */
	int n_cpus;		  /* the values of a per-CPU map: one per possible CPU */
	uint64_t *per_cpu;	  /* room for one such value per CPU, read back */
	FILE *trace_out;	  /* the log */
	bool trace_created;	  /* FILE did not exist before the tool made it */
	uint64_t trace_t0;	  /* CLOCK_MONOTONIC ns when the target was set: time 0 of
				   * the log; 0 while no container runs */
	uint64_t logged, lost;	  /* events written to the log, events the ring refused */
	char *names[NR_SLOTS];	  /* system call names, by number, once looked up */
};

/* The child's first function, which clone() starts. */
static int child_main(void *arg);
/* What the ring buffer calls for each event, while the tool waits. */
static int on_event(void *cookie, void *data, size_t size);

/* After main(): checking the options' values, and small helpers. */
static void usage(void) __attribute__((noreturn));
static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void parse_hostname(const char *arg, struct config *cfg);
static bool valid_hostname(const char *name);
static void parse_ipc(const char *arg, struct config *cfg);
static void parse_ip(const char *arg, struct config *cfg);
static bool parse_cidr(const char *arg, uint32_t *addr, int *prefix);
static void parse_net(const char *arg, struct config *cfg);
static void parse_memory(const char *arg, struct config *cfg);
static void parse_memory_swap(const char *arg, struct config *cfg);
static bool parse_size(const char *arg, long long *bytes);
static void parse_cpus(const char *arg, struct config *cfg);
static void parse_cpu_shares(const char *arg, struct config *cfg);
static void parse_pids_limit(const char *arg, struct config *cfg);
static bool parse_long(const char *arg, long min, long max, long *out);
static void parse_cpuset(const char *arg, struct config *cfg);
static bool parse_cpu_list(const char *text, cpu_set_t *set);
static void online_cpus(cpu_set_t *set, char *text, size_t size);
static void parse_device_rate(const char *opt, const char *arg, bool writes, struct config *cfg);
static void parse_cap(const char *opt, const char *arg, unsigned long long *set, bool *all);
static void parse_seccomp(const char *arg, struct config *cfg);
static void read_seccomp_file(const char *path, struct config *cfg);
static void check_memory_swap(const struct config *cfg);
static void check_rootfs(const char *rootfs, struct config *cfg);
static void check_trace(const char *trace, const char *trace_all, const char *calls,
			struct config *cfg);
static void trace(const struct config *cfg, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int make_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int make_dir(const char *path);
static const char *ip_text(uint32_t addr, char *buf);
static const char *size_text(long long bytes, char *buf, size_t size);
static bool in_list(const char *list, const char *word);
static void add_to_list(char *list, size_t size, const char *sep, const char *word);
static int read_file(const char *path, char *buf, size_t size);
static int write_file(const char *path, const char *text);
static int exit_status(int status);

/* ========================================================================
 * The command line: the options, and what this run may do
 * ======================================================================== */

/*
 * The options are named as docker run and unshare(1) name them. Each value
 * is checked as it is read (after main()), so that a mistake stops the
 * tool before anything is made.
 */
static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option options[] = {
		{ "hostname", required_argument, NULL, 'n' },
		{ "rootfs", required_argument, NULL, 'r' },
		{ "upper", required_argument, NULL, 'O' },
		{ "init", no_argument, NULL, 'I' },
		{ "ipc", required_argument, NULL, 'P' },
		{ "ip", required_argument, NULL, 'A' },
		{ "net", required_argument, NULL, 'N' },
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-swap", required_argument, NULL, 'S' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "cpu-shares", required_argument, NULL, 'H' },
		{ "pids-limit", required_argument, NULL, 'L' },
		{ "cpuset-cpus", required_argument, NULL, 'E' },
		{ "device-read-bps", required_argument, NULL, 'R' },
		{ "device-write-bps", required_argument, NULL, 'W' },
		{ "userns", no_argument, NULL, 'U' },
		{ "cap-add", required_argument, NULL, 'a' },
		{ "cap-drop", required_argument, NULL, 'd' },
		{ "seccomp", required_argument, NULL, 's' },
		{ "trace", required_argument, NULL, 'T' },
		{ "trace-all", required_argument, NULL, 'X' },
		{ "calls", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }, /* getopt_long stops at the all-zero entry */
	};
	static char *default_argv[] = { "/bin/sh", NULL };
	const char *rootfs = CELL_ROOTFS;
	const char *trace = NULL, *trace_all = NULL, *calls = NULL;
	int opt;

	/* The leading '+' stops at the first non-option: the command's own
	 * options are left for the command. The ':' after it lets us word the
	 * errors ourselves. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:n:r:m:Uvh", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			parse_hostname(optarg, cfg);
			break;
		case 'r':
			rootfs = optarg;
			break;
		case 'O':
			cfg->upper = optarg;
			break;
		case 'I':
			cfg->init = true;
			break;
		case 'P':
			parse_ipc(optarg, cfg);
			break;
		case 'A':
			parse_ip(optarg, cfg);
			break;
		case 'N':
			parse_net(optarg, cfg);
			break;
		case 'm':
			parse_memory(optarg, cfg);
			break;
		case 'S':
			parse_memory_swap(optarg, cfg);
			break;
		case 'C':
			parse_cpus(optarg, cfg);
			break;
		case 'H':
			parse_cpu_shares(optarg, cfg);
			break;
		case 'L':
			parse_pids_limit(optarg, cfg);
			break;
		case 'E':
			parse_cpuset(optarg, cfg);
			break;
		case 'R':
		case 'W':
			parse_device_rate(opt == 'R' ? "--device-read-bps" : "--device-write-bps",
					  optarg, opt == 'W', cfg);
			break;
		case 'U':
			cfg->userns = true;
			break;
		case 'a':
			parse_cap("--cap-add", optarg, &cfg->cap_add, &cfg->cap_add_all);
			break;
		case 'd':
			parse_cap("--cap-drop", optarg, &cfg->cap_drop, &cfg->cap_drop_all);
			break;
		case 's':
			parse_seccomp(optarg, cfg);
			break;
		case 'T':
			trace = optarg;
			break;
		case 'X':
			trace_all = optarg;
			break;
		case 'K':
			calls = optarg;
			break;
		case 'v':
			cfg->verbose = true;
			break;
		case 'h':
			usage();
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("invalid option -- '%c'", optopt);
			usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	cfg->argv = optind < argc ? &argv[optind] : default_argv;
	/* As docker: ALL added is every capability but those dropped; ALL
	 * dropped is none but those added; otherwise the default set changed. */
	if (cfg->cap_add_all)
		cfg->caps = ~0ULL & ~cfg->cap_drop;
	else if (cfg->cap_drop_all)
		cfg->caps = cfg->cap_add;
	else
		cfg->caps = (DEFAULT_CAPS | cfg->cap_add) & ~cfg->cap_drop;
	cfg->caps &= CAP(cap_max_bits()) - 1; /* those this kernel has */
	if (cfg->net_none && cfg->ip != NULL)
		usage_error("--ip and --net none exclude each other");
	check_trace(trace, trace_all, calls, cfg);
	check_memory_swap(cfg);
	check_rootfs(rootfs, cfg);
}

/*
 * The cell line of a subuid(5) file, "cell:FIRST:COUNT": 0 and the range
 * when found, 1 when the file or the line is missing, -1 (having said why)
 * when the line is malformed. The ids must stay clear of 0 (root to root
 * would defeat the purpose) and of 4294967295, (uid_t)-1, which is no id.
 */
static int read_subid(const char *path, unsigned int *first, unsigned int *count)
{
	char line[256], *p, *end;
	unsigned long long a, n;
	int result = 1;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 1;
		warn("open %s", path);
		return -1;
	}
	while (result == 1 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, SUBID_NAME ":", strlen(SUBID_NAME ":")) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		p = line + strlen(SUBID_NAME ":");
		result = -1;
		if (!isdigit((unsigned char)*p))
			break;
		errno = 0;
		a = strtoull(p, &end, 10);
		if (*end != ':' || !isdigit((unsigned char)end[1]))
			break;
		n = strtoull(end + 1, &end, 10);
		if (errno != 0 || *end != '\0' || a == 0 || n == 0 || a + n > UINT32_MAX)
			break;
		*first = (unsigned int)a;
		*count = (unsigned int)n;
		result = 0;
	}
	if (ferror(f)) {
		warn("read %s", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (result < 0)
		warnx("%s: \"%s\" is not " SUBID_NAME ":FIRST:COUNT with FIRST > 0 and "
		      "FIRST + COUNT <= 4294967295",
		      path, line);
	return result;
}

/*
 * step: userns-ids
 * Decide once, at the start, what this run can do. Creating a user
 * namespace needs no privilege at all (user_namespaces(7)), and its owner
 * has every capability inside it, enough for all the other namespaces and
 * mounts of this program. Root on the host is needed only for what lies
 * outside any namespace of ours: cgroups (directories in the host's cgroup
 * tree) and the host end of a veth pair. A rootless run leaves those out,
 * saying so once, rather than failing on an EPERM deep inside a step.
 */
static void check_privileges(struct config *cfg)
{
	unsigned int gid_first = 0, gid_count = 0;
	bool limits, veth;
	int u, g;

	if (geteuid() != 0) {
		cfg->rootless = cfg->userns = true;
		cfg->uid_base = geteuid();
		cfg->gid_base = getegid();
		cfg->id_count = 1;
		limits = cfg->memory_arg != NULL || cfg->cpu_quota != 0 || cfg->cpu_shares != 0 ||
			 cfg->pids_limit != 0 || cfg->cpuset_cpus != NULL || cfg->n_io > 0;
		veth = !cfg->net_none;
		cfg->net_none = true;
		cfg->ip = NULL;
		if (veth && limits)
			warnx("rootless: the veth and the cgroup limits skipped (loopback only, no "
			      "limits): they need root on the host");
		else if (veth)
			warnx("rootless: the veth skipped (loopback only): it needs root on the "
			      "host");
		else if (limits)
			warnx("rootless: the cgroup limits skipped: they need root on the host");
		trace(cfg, "userns-ids", "rootless: uid %u and gid %u will be 0 inside",
		      cfg->uid_base, cfg->gid_base);
		return;
	}
	if (!cfg->userns)
		return;
	u = read_subid("/etc/subuid", &cfg->uid_base, &cfg->id_count);
	if (u < 0)
		exit(EXIT_TOOL);
	g = read_subid("/etc/subgid", &gid_first, &gid_count);
	if (g < 0)
		exit(EXIT_TOOL);
	if (u != g)
		errx(EXIT_TOOL,
		     "/etc/subuid and /etc/subgid: only %s has a " SUBID_NAME " line "
		     "(add one to the other, or remove it)",
		     u == 0 ? "/etc/subuid" : "/etc/subgid");
	if (u == 1) {
		cfg->uid_base = cfg->gid_base = USERNS_BASE;
		cfg->id_count = USERNS_COUNT;
	} else {
		cfg->gid_base = gid_first;
		if (gid_count < cfg->id_count)
			cfg->id_count = gid_count;
	}
	trace(cfg, "userns-ids", "0-%u inside will be uids %u-%u, gids %u-%u on the host (%s)",
	      cfg->id_count - 1, cfg->uid_base, cfg->uid_base + cfg->id_count - 1, cfg->gid_base,
	      cfg->gid_base + cfg->id_count - 1,
	      u == 0 ? "the " SUBID_NAME " lines of /etc/subuid and /etc/subgid" : "the default");
}

/* ========================================================================
 * The tool, before the child exists
 * ======================================================================== */

/*
 * The parent handles signals synchronously: it blocks them here and later
 * collects them one at a time with sigwaitinfo(). No handler can then run
 * in the middle of a step. The child gets the original mask back just
 * before exec, so the command starts with the signals its parent had.
 */
static void block_signals(struct run *run)
{
	sigemptyset(&run->blocked);
	sigaddset(&run->blocked, SIGCHLD);
	sigaddset(&run->blocked, SIGINT);
	sigaddset(&run->blocked, SIGTERM);
	sigaddset(&run->blocked, SIGHUP);
	sigaddset(&run->blocked, SIGQUIT);
	sigaddset(&run->blocked, SIGUSR1);
	sigaddset(&run->blocked, SIGUSR2);
	/* A SIGCHLD ignored by whoever started us would make the kernel reap
	 * the child itself, and waitpid() would never see its status. */
	signal(SIGCHLD, SIG_DFL);
	/* A reader of the tool's output that goes away (a pipe into head)
	 * would end it with SIGPIPE before its cleanup; ignored, the write
	 * fails with EPIPE instead. The command gets SIGPIPE back at exec. */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &run->blocked, &run->child_mask) == -1)
		err(EXIT_TOOL, "sigprocmask");
}

/*
 * The tracer (--trace): an eBPF program, container.bpf.c, that the kernel
 * runs at every system call entry. libbcc compiles it at start, against
 * kernel headers; the tool loads and attaches it, and maps the ring buffer
 * the program sends the container's calls through.
 */

/*
 * The program's text, in two parts. container.bpf.c, beside this file, is
 * built into the tool by the assembler (.incbin reads the file when this
 * one is compiled, in the folder make runs the compiler in), so that the
 * tool runs from anywhere; a NUL ends it. In front of it goes struct event,
 * then a #line that makes the compiler's messages name container.bpf.c and
 * its own line numbers.
 */
extern const char bpf_source[];
__asm__(".pushsection .rodata\n"
	"bpf_source:\n"
	"	.incbin \"container.bpf.c\"\n"
	"	.byte 0\n"
	".popsection\n");

static const char bpf_prelude[] = TEXT(EVENT_STRUCT) ";\n#line 1 \"container.bpf.c\"\n";

/*
 * libbcc carries clang and LLVM: over 100 MiB of code, whose loading and
 * static constructors cost tens of milliseconds and tens of MiB before
 * main() even starts. Linked the usual way (-lbcc), the library would make
 * every run pay that, traced or not. So the tool does not link it: it opens
 * it with dlopen(3) only when --trace asks for it, and finds the few
 * functions it calls by name with dlsym(3). Their types still come from
 * libbcc's own headers, through typeof() on each declaration, so the
 * compiler checks each call as if the library were linked. The list below
 * is all the tool uses of libbcc; the calls read bcc.NAME(...).
 */
#define BCC_SONAME "libbcc.so.0" /* Debian's libbpfcc; the -dev package adds libbcc.so */
#define BCC_FUNCTIONS(X)                   \
	X(bpf_module_create_c_from_string) \
	X(bpf_function_start)              \
	X(bpf_function_size)               \
	X(bpf_module_license)              \
	X(bpf_module_kern_version)         \
	X(bcc_func_load)                   \
	X(bpf_table_fd)                    \
	X(bpf_attach_raw_tracepoint)       \
	X(bpf_new_ringbuf)                 \
	X(bpf_poll_ringbuf)                \
	X(bpf_consume_ringbuf)             \
	X(bpf_free_ringbuf)                \
	X(bpf_update_elem)                 \
	X(bpf_lookup_elem)                 \
	X(bpf_module_destroy)
#define BCC_POINTER(name) typeof(&name) name;
static struct {
	BCC_FUNCTIONS(BCC_POINTER)
} bcc;

/*
 * step: libbcc-load
 * Open libbcc and look its functions up. dlopen() maps the library and
 * those it needs (LLVM, clang) and runs their constructors; RTLD_NOW
 * resolves every symbol at once, so that a broken installation fails here
 * rather than halfway through the trace. dlerror() says what went wrong.
 */
static int load_libbcc(struct run *run)
{
	const struct config *cfg = run->cfg;
	int n = 0;

	run->bcc_lib = dlopen(BCC_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (run->bcc_lib == NULL) {
		warnx("--trace: %s (install libbpfcc: make deps)", dlerror());
		return -1;
	}
#define BCC_LOOKUP(name)                                                          \
	*(void **)&bcc.name = dlsym(run->bcc_lib, #name);                         \
	if (bcc.name == NULL) {                                                   \
		warnx("--trace: %s has no %s: %s", BCC_SONAME, #name, dlerror()); \
		return -1;                                                        \
	}                                                                         \
	n++;
	BCC_FUNCTIONS(BCC_LOOKUP)
#undef BCC_LOOKUP
	trace(cfg, "libbcc-load", "%s, %d functions", BCC_SONAME, n);
	return 0;
}

/*
 * libbcc compiles against the headers in /lib/modules/$(uname -r)/build,
 * or in $BCC_KERNEL_SOURCE. A kernel with no headers package, like those
 * of many clouds and VMs, has neither: then the tree `make deps` unpacked
 * (CELL_HEADERS) is used, through the same variable. TREE is the tree used,
 * for messages; -1 (having said why) when there is none.
 */
static int kernel_headers(const char **tree)
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
	if (stat(CELL_HEADERS "/include/generated/autoconf.h", &st) == -1) {
		if (errno == ENOENT)
			warnx("--trace: no kernel headers for libbcc: no "
			      "/lib/modules/$(uname -r)/build and no %s (run make deps)",
			      CELL_HEADERS);
		else
			warn("--trace: stat %s/include/generated/autoconf.h", CELL_HEADERS);
		return -1;
	}
	if (setenv("BCC_KERNEL_SOURCE", CELL_HEADERS, 1) == -1) {
		warn("--trace: setenv BCC_KERNEL_SOURCE");
		return -1;
	}
	return 0;
}

/* Whether the capability set CAPS holds CAP in its effective set
 * (capabilities(7)), as libcap, which the caps step uses already, reads it. */
static bool has_cap(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t held = CAP_CLEAR;

	return cap_get_flag(caps, cap, CAP_EFFECTIVE, &held) == 0 && held == CAP_SET;
}

/*
 * step: bpf-load
 * Compile the program with libbcc: clang turns container.bpf.c into BPF
 * instructions (the kernel headers give struct pt_regs and the helpers'
 * types), and its BPF_* declarations into maps the kernel creates (bpf(2),
 * BPF_MAP_CREATE). Then bpf(BPF_PROG_LOAD) hands the instructions to the
 * kernel's verifier, which proves that the program ends, reads only what
 * it may and calls only the helpers allowed for raw tracepoints; it
 * refuses it otherwise, with its log on stderr.
 */
static int load_bpf(struct run *run)
{
	static const struct {
		const char *name;
		long value;
	} defs[] = {
		{ "NR_OPENAT", SYS_openat },
		{ "NR_MOUNT", SYS_mount },
		{ "NR_UMOUNT2", SYS_umount2 },
		{ "NR_EXECVE", SYS_execve },
		{ "NR_PIVOT_ROOT", SYS_pivot_root },
		{ "NR_CLONE3", SYS_clone3 },
		{ "NR_CLONE", SYS_clone },
		{ "NR_UNSHARE", SYS_unshare },
		{ "NR_SETNS", SYS_setns },
		{ "NR_SLOTS", NR_SLOTS },
		{ "STR_LEN", STR_LEN },
		{ "RING_PAGES", RING_PAGES },
		{ "WAKE_EVENTS", WAKE_EVENTS },
	};
	enum { N_DEFS = sizeof(defs) / sizeof(defs[0]) };
	static const char fn[] = "raw_tracepoint__sys_enter";
	const struct config *cfg = run->cfg;
	char defines[N_DEFS][48], *text;
	const char *cflags[N_DEFS];
	const char *headers;

	/* The numbers come from this program's own <sys/syscall.h>, as -D
	 * options: the BPF side keeps no table of its own. */
	for (int i = 0; i < N_DEFS; i++) {
		snprintf(defines[i], sizeof(defines[i]), "-D%s=%ld", defs[i].name, defs[i].value);
		cflags[i] = defines[i];
	}
	if (kernel_headers(&headers) < 0)
		return -1;
	/* solution 09 begin: bpf-load, return -1, keep cfg fn cflags headers text bpf_prelude bpf_source */
	if (asprintf(&text, "%s%s", bpf_prelude, bpf_source) == -1) {
		warn("--trace: the program's text");
		return -1;
	}
	run->bpf = bcc.bpf_module_create_c_from_string(text, 0, cflags, N_DEFS, true, NULL);
	free(text);
	if (run->bpf == NULL) {
		warnx("--trace: libbcc could not compile the BPF program with the kernel headers "
		      "in %s (why: above)",
		      headers);
		return -1;
	}
	run->prog_fd = bcc.bcc_func_load(
		run->bpf, BPF_PROG_TYPE_RAW_TRACEPOINT, fn, bcc.bpf_function_start(run->bpf, fn),
		(int)bcc.bpf_function_size(run->bpf, fn), bcc.bpf_module_license(run->bpf),
		bcc.bpf_module_kern_version(run->bpf), 0, NULL, 0, NULL, 0);
	if (run->prog_fd < 0) {
		warn("--trace: bpf BPF_PROG_LOAD %s", fn);
		return -1;
	}
	trace(cfg, "bpf-load", "compiled with the headers in %s, verified: fd %d", headers,
	      run->prog_fd);
	/* solution 09 end */
	return 0;
}

/*
 * step: bpf-calls
 * Tell the program which calls to send as events: a 1 in the "named" map
 * at the number of each call that --calls names, or of every call with
 * --trace-all. The other calls are counted in the kernel and go no further:
 * no event is written, the tool is not woken, no line is formatted.
 */
static int name_calls(struct run *run)
{
	const struct config *cfg = run->cfg;
	int fd = bcc.bpf_table_fd(run->bpf, "named");
	uint8_t one = 1;

	for (uint32_t nr = 0; nr < NR_SLOTS; nr++) {
		if (!cfg->trace_all && !cfg->named[nr])
			continue;
		if (bcc.bpf_update_elem(fd, &nr, &one, 0) == -1) {
			warn("--trace: bpf BPF_MAP_UPDATE_ELEM named, key %u", nr);
			return -1;
		}
	}
	if (cfg->trace_all)
		trace(cfg, "bpf-calls", "every call counted and logged");
	else
		trace(cfg, "bpf-calls", "every call counted, %s logged", cfg->calls);
	return 0;
}

/*
 * step: bpf-attach
 * Attach the program to the tracepoint sys_enter by its name,
 * bpf(BPF_RAW_TRACEPOINT_OPEN): no tracefs is needed, so the host's mount
 * table stays as it is. From now on the kernel runs the program at every
 * system call of every process; "target" is still empty, so it returns at
 * once. Closing the returned file descriptor detaches it, and the kernel
 * does that too if the tool dies.
 */
static int attach_bpf(struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 09 begin: bpf-attach, return -1, keep cfg */
	run->tp_fd = bcc.bpf_attach_raw_tracepoint(run->prog_fd, "sys_enter");
	if (run->tp_fd < 0) {
		warn("--trace: attach to the raw tracepoint sys_enter");
		run->tp_fd = -1;
		return -1;
	}
	trace(cfg, "bpf-attach", "sys_enter, raw tracepoint fd %d", run->tp_fd);
	/* solution 09 end */
	return 0;
}

/* The CPUs the kernel may ever run on, "0-N": a per-CPU map has a value for each. */
static int possible_cpus(void)
{
	static const char path[] = "/sys/devices/system/cpu/possible";
	char text[64];
	int first, last;

	if (read_file(path, text, sizeof(text)) < 0)
		return -1;
	if (sscanf(text, "%d-%d", &first, &last) == 2)
		return last + 1;
	return 1;
}

/*
 * step: ring-buffer
 * The "events" map is one ring buffer that every CPU writes to (kernel
 * 5.8), in the order the events were reserved. The tool maps its pages
 * into its own memory (mmap(2) of the map's file descriptor) and reads the
 * events there, in place: no system call per event, and an epoll file
 * descriptor to sleep on until the program wakes it. libbcc does it
 * through libbpf's ring_buffer__new().
 */
static int open_ring(struct run *run)
{
	const struct config *cfg = run->cfg;

	run->n_cpus = possible_cpus();
	if (run->n_cpus < 0)
		return -1;
	run->per_cpu = calloc((size_t)run->n_cpus, sizeof(*run->per_cpu));
	if (run->per_cpu == NULL) {
		warn("--trace: per-CPU values");
		return -1;
	}
	run->ring = bcc.bpf_new_ringbuf(bcc.bpf_table_fd(run->bpf, "events"), on_event, run);
	if (run->ring == NULL) {
		warn("--trace: map the ring buffer");
		return -1;
	}
	trace(cfg, "ring-buffer",
	      "%d KiB for %d CPUs; the tool is woken every %d events of a CPU, "
	      "else looks every %d ms",
	      RING_PAGES / 1024 * getpagesize(), run->n_cpus, WAKE_EVENTS, POLL_MS);
	return 0;
}

/*
 * The log goes to FILE through a buffer of its own: to a copy of stderr
 * for "-", whose own unbuffered writes would make a system call per line.
 * It is opened last of the tracer's steps, so that their failures leave
 * FILE as it was, and emptied only once the container exists
 * (trace-target); a FILE the tool made is removed again if the container
 * never starts (stop_tracing).
 */
static int open_log(struct run *run)
{
	const struct config *cfg = run->cfg;
	int fd;

	if (strcmp(cfg->trace_path, "-") == 0) {
		fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	} else {
		fd = open(cfg->trace_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		run->trace_created = fd >= 0;
		if (fd == -1 && errno == EEXIST)
			fd = open(cfg->trace_path, O_WRONLY | O_CLOEXEC);
	}
	if (fd == -1) {
		warn("--trace %s", cfg->trace_path);
		return -1;
	}
	run->trace_out = fdopen(fd, "w");
	if (run->trace_out == NULL) {
		warn("--trace %s: fdopen", cfg->trace_path);
		close(fd);
		return -1;
	}
	return 0;
}

/*
 * --trace FILE: everything the tracer needs, set up before anything of the
 * container exists, so that a host without eBPF, or a user without the
 * privilege, fails here with nothing to undo.
 */
static int start_tracing(struct run *run)
{
	cap_t caps;
	bool allowed;

	caps = cap_get_proc();
	if (caps == NULL) {
		warn("--trace: cap_get_proc");
		return -1;
	}
	allowed = has_cap(caps, CAP_SYS_ADMIN) ||
		  (has_cap(caps, CAP_BPF) && has_cap(caps, CAP_PERFMON));
	cap_free(caps);
	if (!allowed) {
		warnx("--trace needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN, which this "
		      "process lacks");
		return -1;
	}
	/* An empty request: a kernel built without CONFIG_BPF_SYSCALL answers
	 * ENOSYS, any other kernel an error about the request itself. */
	if (syscall(SYS_bpf, BPF_MAP_CREATE, NULL, 0) == -1 && errno == ENOSYS) {
		warnx("--trace: this kernel has no bpf() system call (built without "
		      "CONFIG_BPF_SYSCALL)");
		return -1;
	}
	if (load_libbcc(run) < 0)
		return -1;
	if (load_bpf(run) < 0)
		return -1;
	if (name_calls(run) < 0)
		return -1;
	if (attach_bpf(run) < 0)
		return -1;
	if (open_ring(run) < 0)
		return -1;
	return open_log(run);
}

/*
 * The cgroups. A hierarchy is a cgroup file system, mounted: v1 mounts one
 * per controller (or per few, "cpu,cpuacct"), v2 one for all. The tool finds
 * where each controller lives (cgroup-detect), makes the container's cgroup
 * in each hierarchy (cgroup-create) and writes the limits there
 * (cgroup-limits); after clone it moves the child in (cgroup-join).
 */

/* mountinfo writes a space in a path as \040 (a tab, a newline and a
 * backslash likewise, in octal): undo that, in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++, out++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out = *s;
		}
	}
	*out = '\0';
}

/* One line of /proc/self/mountinfo: the mount point, the file system
 * type and the super options, or false for a line of another shape. */
static bool mount_fields(char *line, char **point, char **fstype, char **opts)
{
	char *sep = strstr(line, " - "), *field = line;

	if (sep == NULL)
		return false;
	*sep = '\0';
	for (int i = 0; i < 4 && field != NULL; i++) {
		field = strchr(field, ' ');
		field = field != NULL ? field + 1 : NULL;
	}
	if (field == NULL)
		return false;
	*point = field;
	field[strcspn(field, " ")] = '\0';
	unescape_octal(*point);
	*fstype = sep + 3;
	sep = strchr(*fstype, ' '); /* then the source, then the options */
	if (sep == NULL || (*opts = strchr(sep + 1, ' ')) == NULL)
		return false;
	*sep = '\0';
	*opts += 1;
	(*opts)[strcspn(*opts, " \n")] = '\0';
	return true;
}

/* /proc/self/mountinfo (proc(5)): the mounts this process sees. */
static FILE *open_mountinfo(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		warn("open /proc/self/mountinfo");
	return f;
}

/* Done with mountinfo: 0, or -1 when reading it failed. */
static int close_mountinfo(FILE *f, char *line)
{
	int failed = ferror(f);

	if (failed)
		warn("read /proc/self/mountinfo");
	free(line);
	fclose(f);
	return failed ? -1 : 0;
}

/* The next mount of a cgroup file system of TYPE, "cgroup" (v1) or
 * "cgroup2", in /proc/self/mountinfo, F; false at the end. */
static bool next_cgroup_mount(FILE *f, const char *type, char **line, size_t *cap, char **point,
			      char **opts)
{
	char *fstype;

	while (getline(line, cap, f) > 0)
		if (mount_fields(*line, point, &fstype, opts) && strcmp(fstype, type) == 0)
			return true;
	return false;
}

/*
 * cgroup v1: a hierarchy per mount of type cgroup, which names its
 * controllers among its super options ("rw,cpu,cpuacct"). One with a name=
 * only, such as systemd's, carries none and is left alone. LIST gets the
 * controllers found, for the trace.
 */
static int find_v1(struct run *run, char *list, size_t size)
{
	/* the v1 controllers, as cgroups(7) lists them */
	static const char v1_names[] = "cpuset cpu cpuacct blkio memory devices freezer net_cls "
				       "perf_event net_prio hugetlb pids rdma misc debug";
	char *line = NULL, *point, *opts, *opt;
	struct hierarchy *h;
	size_t cap = 0;
	bool seen;
	FILE *f;

	f = open_mountinfo();
	if (f == NULL)
		return -1;
	while (run->n_cg < MAX_HIERARCHIES &&
	       next_cgroup_mount(f, "cgroup", &line, &cap, &point, &opts)) {
		h = &run->cg[run->n_cg];
		h->controllers[0] = '\0';
		for (opt = strtok(opts, ","); opt != NULL; opt = strtok(NULL, ","))
			if (in_list(v1_names, opt))
				add_to_list(h->controllers, sizeof(h->controllers), ",", opt);
		/* the same hierarchy can be mounted twice: keep the first */
		seen = false;
		for (int i = 0; i < run->n_cg; i++)
			seen = seen || strcmp(run->cg[i].controllers, h->controllers) == 0;
		if (h->controllers[0] == '\0' || seen)
			continue;
		snprintf(h->mount, sizeof(h->mount), "%s", point);
		add_to_list(list, size, " ", h->controllers);
		run->n_cg++;
	}
	return close_mountinfo(f, line);
}

/*
 * cgroup v2: one tree, of type cgroup2 (at /sys/fs/cgroup when it is
 * mounted more than once), which lists what it carries in
 * cgroup.controllers. The kernel binds each controller to one hierarchy at
 * a time, so on a hybrid host the v2 tree holds none of those mounted as
 * v1, often nothing at all, and is then of no use here. USE says which,
 * for the trace.
 */
static int find_v2(struct run *run, char *use, size_t size)
{
	char v2[PATH_MAX] = "", path[PATH_MAX], offered[512], ours[256] = "";
	char *line = NULL, *point, *opts;
	struct hierarchy *h;
	size_t cap = 0;
	FILE *f;

	f = open_mountinfo();
	if (f == NULL)
		return -1;
	while (next_cgroup_mount(f, "cgroup2", &line, &cap, &point, &opts))
		if (v2[0] == '\0' || strcmp(point, "/sys/fs/cgroup") == 0)
			snprintf(v2, sizeof(v2), "%s", point);
	if (close_mountinfo(f, line) < 0)
		return -1;
	if (v2[0] == '\0')
		return 0;
	if (make_path(path, sizeof(path), "%s/cgroup.controllers", v2) < 0 ||
	    read_file(path, offered, sizeof(offered)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(v2_controllers) / sizeof(v2_controllers[0]); i++)
		if (in_list(offered, v2_controllers[i]))
			add_to_list(ours, sizeof(ours), " ", v2_controllers[i]);
	/* With no v1 hierarchy, the v2 tree is used even if it offers none of
	 * these: the freezer and CPU accounting are built in. */
	if ((ours[0] != '\0' || run->n_cg == 0) && run->n_cg < MAX_HIERARCHIES) {
		h = &run->cg[run->n_cg++];
		snprintf(h->mount, sizeof(h->mount), "%s", v2);
		snprintf(h->controllers, sizeof(h->controllers), "%s", ours);
		h->v2 = true;
		snprintf(use, size, "v2 at %s: %s", v2, ours[0] != '\0' ? ours : "no controller");
	} else {
		snprintf(use, size, "cgroup2 at %s unused: it holds none of ours", v2);
	}
	return 0;
}

/* The hierarchy that holds a controller, by its v1 name, or NULL. v2 calls
 * blkio "io". */
static struct hierarchy *hierarchy_of(struct run *run, const char *controller)
{
	for (int i = 0; i < run->n_cg; i++) {
		struct hierarchy *h = &run->cg[i];

		if (in_list(h->controllers,
			    h->v2 && strcmp(controller, "blkio") == 0 ? "io" : controller))
			return h;
	}
	return NULL;
}

/*
 * A limit was asked for whose controller no hierarchy holds: say why. The
 * kernel lists its controllers in /proc/cgroups, with a last column of 0
 * for one switched off at boot (cgroup_disable=, kernel-parameters.txt).
 */
static int need_controller(struct run *run, const char *controller, const char *option)
{
	const char *name = strcmp(controller, "blkio") == 0 ? "blkio (v2: io)" : controller;
	const char *why = "the kernel was built without it";
	char line[256], found[64];
	int enabled;
	FILE *f;

	if (hierarchy_of(run, controller) != NULL)
		return 0;
	f = fopen("/proc/cgroups", "re");
	if (f == NULL) {
		warn("%s: the host has no %s controller; open /proc/cgroups", option, name);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %*d %*d %d", found, &enabled) != 2 ||
		    strcmp(found, controller) != 0)
			continue;
		why = enabled ? "no cgroup file system mounted here carries it"
			      : "it is switched off on the kernel command line (cgroup_disable=)";
	}
	if (ferror(f)) {
		warn("%s: the host has no %s controller; read /proc/cgroups", option, name);
		fclose(f);
		return -1;
	}
	fclose(f);
	warnx("%s: the host has no %s controller: %s", option, name, why);
	return -1;
}

/*
 * step: cgroup-detect
 * Where does each controller live? /proc/self/mountinfo lists the cgroup
 * file systems (proc(5)): the v1 hierarchies first, then the v2 tree. This
 * runs before anything is made: a limit the host cannot enforce fails with
 * nothing to undo.
 */
static int find_cgroups(struct run *run)
{
	const struct config *cfg = run->cfg;
	char v1[512] = "", v2_use[PATH_MAX + 320] = "";

	if (find_v1(run, v1, sizeof(v1)) < 0)
		return -1;
	if (find_v2(run, v2_use, sizeof(v2_use)) < 0)
		return -1;
	if (run->n_cg == 0) {
		warnx("no cgroup file system is mounted (try mount -t cgroup2 none "
		      "/sys/fs/cgroup)");
		return -1;
	}
	if (cfg->memory_arg != NULL && need_controller(run, "memory", "--memory") < 0)
		return -1;
	if (cfg->cpu_quota != 0 && need_controller(run, "cpu", "--cpus") < 0)
		return -1;
	if (cfg->cpu_shares != 0 && need_controller(run, "cpu", "--cpu-shares") < 0)
		return -1;
	if (cfg->pids_limit != 0 && need_controller(run, "pids", "--pids-limit") < 0)
		return -1;
	if (cfg->cpuset_cpus != NULL && need_controller(run, "cpuset", "--cpuset-cpus") < 0)
		return -1;
	if (cfg->n_io > 0 &&
	    need_controller(run, "blkio",
			    cfg->io[0].rbps != 0 ? "--device-read-bps" : "--device-write-bps") < 0)
		return -1;
	trace(cfg, "cgroup-detect", "%s%s%s%s", v1[0] != '\0' ? "v1 " : "", v1,
	      v1[0] != '\0' && v2_use[0] != '\0' ? "; " : "", v2_use);
	return 0;
}

/*
 * step: state-root
 * Where the containers' directories go: /run/cell for root; for a rootless
 * user, cell in $XDG_RUNTIME_DIR when that is a directory of the user's,
 * else /tmp/cell-UID. Anyone may have made that name in /tmp first, as a
 * link to elsewhere or a directory open to all: lstat(2), which follows no
 * link, must find a directory of the user's, closed to others.
 */
static int choose_state_root(struct run *run)
{
	const struct config *cfg = run->cfg;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (!cfg->rootless) {
		snprintf(run->state_root, sizeof(run->state_root), "%s", STATE_ROOT);
	} else if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
		   st.st_uid == geteuid()) {
		if (make_path(run->state_root, sizeof(run->state_root), "%s/cell", xdg) < 0)
			return -1;
	} else {
		snprintf(run->state_root, sizeof(run->state_root), ROOTLESS_FALLBACK, geteuid());
	}
	if (mkdir(run->state_root, 0700) == -1 && errno != EEXIST) {
		warn("mkdir %s", run->state_root);
		return -1;
	}
	if (!cfg->rootless)
		return 0;
	if (lstat(run->state_root, &st) == -1) {
		warn("lstat %s", run->state_root);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		warnx("%s: not a directory of uid %u's closed to others (mode 700): not using it",
		      run->state_root, geteuid());
		run->state_root[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * step: state-dir
 * The container's directories on the host: /run/cell/<id> holds the
 * overlay's upper, work and merged directories. With --upper DIR the upper
 * layer is DIR, and the work directory must then sit on DIR's file system
 * (overlayfs renames between the two), so it is made beside DIR, as
 * .cell-work-<id>. /run is a tmpfs on most distributions, emptied at boot.
 */
static int make_state_dir(struct run *run)
{
	const struct config *cfg = run->cfg;
	unsigned char rnd[ID_BYTES];
	char parent[PATH_MAX];
	struct stat st;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		warn("getrandom");
		return -1;
	}
	snprintf(run->id, sizeof(run->id), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	if (choose_state_root(run) < 0)
		return -1;
	if (make_path(run->state, sizeof(run->state), "%s/%s", run->state_root, run->id) < 0 ||
	    make_dir(run->state) < 0)
		return -1;
	if (make_path(run->merged, sizeof(run->merged), "%s/merged", run->state) < 0 ||
	    make_dir(run->merged) < 0)
		return -1;
	if (cfg->upper == NULL) {
		if (make_path(run->upperdir, sizeof(run->upperdir), "%s/upper", run->state) < 0 ||
		    make_dir(run->upperdir) < 0)
			return -1;
		if (make_path(run->workdir, sizeof(run->workdir), "%s/work", run->state) < 0 ||
		    make_dir(run->workdir) < 0)
			return -1;
	} else {
		/* DIR may be new; it is the user's and stays after exit. */
		if (mkdir(cfg->upper, 0755) == 0) {
			run->upper_made = true;
		} else if (errno != EEXIST) {
			warn("--upper: mkdir %s", cfg->upper);
			return -1;
		}
		if (realpath(cfg->upper, run->upperdir) == NULL) {
			warn("--upper %s", cfg->upper);
			return -1;
		}
		if (stat(run->upperdir, &st) == -1) {
			warn("--upper: stat %s", run->upperdir);
			run->upperdir[0] = '\0';
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			warnx("--upper %s: not a directory", cfg->upper);
			run->upperdir[0] = '\0';
			return -1;
		}
		if (strpbrk(run->upperdir, ",:") != NULL) {
			warnx("--upper %s: overlayfs cannot take a path with ',' or ':'",
			      run->upperdir);
			return -1;
		}
		snprintf(parent, sizeof(parent), "%s", run->upperdir);
		*strrchr(parent, '/') = '\0';
		if (make_path(run->workdir, sizeof(run->workdir), "%s/.cell-work-%s", parent,
			      run->id) < 0)
			return -1;
		if (make_dir(run->workdir) < 0) {
			run->workdir[0] = '\0';
			return -1;
		}
	}
	trace(cfg, "state-dir", "%s", run->state);
	return 0;
}

/* chown(2) a directory to the container's root, or say which. */
static int give_dir(const struct config *cfg, const char *path)
{
	if (chown(path, cfg->uid_base, cfg->gid_base) == -1) {
		warn("chown %u:%u %s", cfg->uid_base, cfg->gid_base, path);
		return -1;
	}
	return 0;
}

/*
 * step: userns-own
 * Root inside is an ordinary uid on the host, with no capability over
 * files whose owner the map leaves out (capabilities(7), "Interaction
 * with user namespaces"): it must own the overlay's directories, and get
 * through the directories above them. So under root -U the state
 * directory and the upper and work layers are given to it, and the state
 * root becomes searchable (0711: passable, not listable). An --upper DIR
 * the tool made is given away too; an existing one must be the mapped
 * root's already: the tool does not take a user's directory from them.
 * A rootless user's directories are its own already.
 */
static int prepare_userns(struct run *run)
{
	const struct config *cfg = run->cfg;
	struct stat st;

	if (chmod(run->state_root, 0711) == -1) {
		warn("chmod 711 %s", run->state_root);
		return -1;
	}
	if (give_dir(cfg, run->state) < 0 || give_dir(cfg, run->merged) < 0 ||
	    give_dir(cfg, run->workdir) < 0)
		return -1;
	if ((cfg->upper == NULL || run->upper_made) && give_dir(cfg, run->upperdir) < 0)
		return -1;
	if (cfg->upper != NULL && !run->upper_made) {
		if (stat(run->upperdir, &st) == -1) {
			warn("--upper: stat %s", run->upperdir);
			return -1;
		}
		if (st.st_uid != cfg->uid_base) {
			warnx("--upper %s: not owned by uid %u, the container's root on the host "
			      "(chown -R %u:%u it, or give a new directory)",
			      run->upperdir, cfg->uid_base, cfg->uid_base, cfg->gid_base);
			return -1;
		}
	}
	trace(cfg, "userns-own", "%s owned by uid %u; %s searchable", run->state, cfg->uid_base,
	      run->state_root);
	return 0;
}

/*
 * v2: a controller works in a cgroup only when the parent lists it in
 * cgroup.subtree_control (cgroup-v2.rst, "Enabling and Disabling"). Turn
 * on those of ours that DIR offers and has not turned on yet, one write
 * each so that a refusal names the controller. At the root of the tree
 * this is a change to the host that stays: switching a controller off
 * again would take it from every other cgroup that uses it by then.
 */
static int enable_controllers(const char *dir)
{
	char path[PATH_MAX], offered[512], active[512], plus[32];

	if (make_path(path, sizeof(path), "%s/cgroup.controllers", dir) < 0 ||
	    read_file(path, offered, sizeof(offered)) < 0)
		return -1;
	if (make_path(path, sizeof(path), "%s/cgroup.subtree_control", dir) < 0 ||
	    read_file(path, active, sizeof(active)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(v2_controllers) / sizeof(v2_controllers[0]); i++) {
		if (!in_list(offered, v2_controllers[i]) || in_list(active, v2_controllers[i]))
			continue;
		snprintf(plus, sizeof(plus), "+%s", v2_controllers[i]);
		if (write_file(path, plus) < 0)
			return -1;
	}
	return 0;
}

/*
 * v1: a new cpuset has no CPUs and no memory nodes, and no task may join
 * it until it has both (cgroup-v1/cpusets.rst). Give DIR its parent's, as
 * cgroup.clone_children would have; a cell made by another container has
 * them already.
 */
static int inherit_cpuset(const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char path[PATH_MAX], parent[PATH_MAX], value[1024];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (make_path(path, sizeof(path), "%s/%s", dir, files[i]) < 0 ||
		    read_file(path, value, sizeof(value)) < 0)
			return -1;
		if (value[0] != '\0')
			continue;
		if (make_path(parent, sizeof(parent), "%s/../%s", dir, files[i]) < 0 ||
		    read_file(parent, value, sizeof(value)) < 0 || write_file(path, value) < 0)
			return -1;
	}
	return 0;
}

/*
 * step: cgroup-create
 * cell/<id> in each hierarchy found, with mkdir(2): the kernel fills the
 * new directory with the controllers' files. cell itself is shared by all
 * containers and removed by the last one out, so another container ending
 * at this moment may remove it between our two mkdirs; the second one then
 * fails with ENOENT, and one more try makes both. Once cell/<id> exists,
 * nobody can remove cell (a cgroup with children is busy), and only then
 * is cell prepared: v2's controllers, v1's cpuset.
 */
static int make_cgroups(struct run *run)
{
	const struct config *cfg = run->cfg;
	char cell[PATH_MAX], dir[PATH_MAX];

	for (int i = 0; i < run->n_cg; i++) {
		struct hierarchy *h = &run->cg[i];

		if (make_path(cell, sizeof(cell), "%s/" CGROUP_PARENT, h->mount) < 0 ||
		    make_path(dir, sizeof(dir), "%s/%s", cell, run->id) < 0)
			return -1;
		if (h->v2 && enable_controllers(h->mount) < 0)
			return -1;
		h->cell = true;
		for (int tries = 1;; tries++) {
			if (mkdir(cell, 0755) == -1 && errno != EEXIST) {
				warn("mkdir %s", cell);
				return -1;
			}
			if (mkdir(dir, 0755) == 0)
				break;
			if (errno != ENOENT || tries == 2) {
				warn("mkdir %s", dir);
				return -1;
			}
		}
		snprintf(h->dir, sizeof(h->dir), "%s", dir);
		if (h->v2 && enable_controllers(cell) < 0)
			return -1;
		if (!h->v2 && in_list(h->controllers, "cpuset") &&
		    (inherit_cpuset(cell) < 0 || inherit_cpuset(dir) < 0))
			return -1;
	}
	if (run->n_cg == 1)
		trace(cfg, "cgroup-create", "%s", run->cg[0].dir);
	else
		trace(cfg, "cgroup-create", CGROUP_PARENT "/%s in %d hierarchies", run->id,
		      run->n_cg);
	return 0;
}

/*
 * write_file() on FILE in the container's cgroup of hierarchy H: one
 * write(2) of the whole text, checked for a short write and at close(2).
 * On success, FILE is added to DONE (a list of TRACE_LIST bytes) if given.
 */
__attribute__((format(printf, 4, 5))) static int
cg_write(const struct hierarchy *h, const char *file, char *done, const char *fmt, ...)
{
	char path[PATH_MAX], text[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (make_path(path, sizeof(path), "%s/%s", h->dir, file) < 0 || write_file(path, text) < 0)
		return -1;
	if (done != NULL)
		add_to_list(done, TRACE_LIST, " ", file);
	return 0;
}

/* The hierarchy of cgroup v2 (V2 true) or v1 that holds CONTROLLER, or
 * NULL: on a hybrid host some controllers may be in each. */
static struct hierarchy *hierarchy_in(struct run *run, const char *controller, bool v2)
{
	struct hierarchy *h = hierarchy_of(run, controller);

	return h != NULL && h->v2 == v2 ? h : NULL;
}

/*
 * --memory-swap: its file exists only while the kernel accounts for swap
 * (memory.memsw.limit_in_bytes on v1, memory.swap.max on v2).
 */
static int check_swap_file(struct run *run)
{
	struct hierarchy *h = hierarchy_of(run, "memory");
	const char *file = h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
	char path[PATH_MAX];

	if (make_path(path, sizeof(path), "%s/%s", h->dir, file) < 0)
		return -1;
	if (access(path, F_OK) == 0)
		return 0;
	if (errno == ENOENT)
		warnx("--memory-swap: the memory controller has no %s: swap accounting is "
		      "off (boot with swapaccount=1)",
		      file);
	else
		warn("--memory-swap: access %s", path);
	return -1;
}

/*
 * cgroup v1: the files of the table in the lab notes, first column, each
 * in the hierarchy of its controller. memory.memsw.limit_in_bytes limits
 * memory and swap together, and the kernel keeps it at least the memory
 * limit: so it comes second. blkio has a file per direction, "MAJ:MIN RATE"
 * a line.
 */
static int limits_v1(const struct config *cfg, struct run *run, char *done)
{
	struct hierarchy *memory = hierarchy_in(run, "memory", false);
	struct hierarchy *cpu = hierarchy_in(run, "cpu", false);
	struct hierarchy *pids = hierarchy_in(run, "pids", false);
	struct hierarchy *cpuset = hierarchy_in(run, "cpuset", false);
	struct hierarchy *blkio = hierarchy_in(run, "blkio", false);

	/* solution 06 begin: cgroup-limits, return -1, keep cfg memory cpu pids cpuset blkio done */
	if (memory != NULL && cfg->memory_arg != NULL &&
	    cg_write(memory, "memory.limit_in_bytes", done, "%lld", cfg->memory) < 0)
		return -1;
	if (memory != NULL && cfg->swap_arg != NULL &&
	    cg_write(memory, "memory.memsw.limit_in_bytes", done, "%lld", cfg->memory_swap) < 0)
		return -1;
	if (cpu != NULL && cfg->cpu_quota != 0 &&
	    cg_write(cpu, "cpu.cfs_period_us", done, "%d", CFS_PERIOD) < 0)
		return -1;
	if (cpu != NULL && cfg->cpu_quota != 0 &&
	    cg_write(cpu, "cpu.cfs_quota_us", done, "%ld", cfg->cpu_quota) < 0)
		return -1;
	if (cpu != NULL && cfg->cpu_shares != 0 &&
	    cg_write(cpu, "cpu.shares", done, "%ld", cfg->cpu_shares) < 0)
		return -1;
	if (pids != NULL && cfg->pids_limit != 0 &&
	    cg_write(pids, "pids.max", done, "%ld", cfg->pids_limit) < 0)
		return -1;
	if (cpuset != NULL && cfg->cpuset_cpus != NULL &&
	    cg_write(cpuset, "cpuset.cpus", done, "%s", cfg->cpuset_cpus) < 0)
		return -1;
	for (int i = 0; blkio != NULL && i < cfg->n_io; i++) {
		const struct io_limit *io = &cfg->io[i];

		if (io->rbps != 0 && cg_write(blkio, "blkio.throttle.read_bps_device", done,
					      "%u:%u %lld", io->major, io->minor, io->rbps) < 0)
			return -1;
		if (io->wbps != 0 && cg_write(blkio, "blkio.throttle.write_bps_device", done,
					      "%u:%u %lld", io->major, io->minor, io->wbps) < 0)
			return -1;
	}
	return 0;
	/* solution 06 end */
}

/*
 * cgroup v2: the files of the table's second column. memory.swap.max
 * limits swap alone: the total given less the memory. cpu.weight runs from
 * 1 to 10000 (default 100), v1's cpu.shares from 2 to 262144 (default
 * 1024); the map from one to the other is a straight line through both
 * ends, as runc and crun draw it: the defaults do not meet (1024 becomes
 * 39). io.max takes one line per device, "MAJ:MIN rbps=RATE wbps=RATE",
 * either key left out keeping its value.
 */
static int limits_v2(const struct config *cfg, struct run *run, char *done)
{
	struct hierarchy *memory = hierarchy_in(run, "memory", true);
	struct hierarchy *cpu = hierarchy_in(run, "cpu", true);
	struct hierarchy *pids = hierarchy_in(run, "pids", true);
	struct hierarchy *cpuset = hierarchy_in(run, "cpuset", true);
	struct hierarchy *io = hierarchy_in(run, "blkio", true);
	char line[128];

	/* solution 06 begin: cgroup-limits, return -1, keep cfg memory cpu pids cpuset io line done */
	if (memory != NULL && cfg->memory_arg != NULL &&
	    cg_write(memory, "memory.max", done, "%lld", cfg->memory) < 0)
		return -1;
	if (memory != NULL && cfg->swap_arg != NULL && cfg->memory_swap == -1 &&
	    cg_write(memory, "memory.swap.max", done, "max") < 0)
		return -1;
	if (memory != NULL && cfg->swap_arg != NULL && cfg->memory_swap != -1 &&
	    cg_write(memory, "memory.swap.max", done, "%lld", cfg->memory_swap - cfg->memory) < 0)
		return -1;
	if (cpu != NULL && cfg->cpu_quota != 0 &&
	    cg_write(cpu, "cpu.max", done, "%ld %d", cfg->cpu_quota, CFS_PERIOD) < 0)
		return -1;
	if (cpu != NULL && cfg->cpu_shares != 0 &&
	    cg_write(cpu, "cpu.weight", done, "%ld",
		     WEIGHT_MIN + (cfg->cpu_shares - SHARES_MIN) * (WEIGHT_MAX - WEIGHT_MIN) /
					  (SHARES_MAX - SHARES_MIN)) < 0)
		return -1;
	if (pids != NULL && cfg->pids_limit != 0 &&
	    cg_write(pids, "pids.max", done, "%ld", cfg->pids_limit) < 0)
		return -1;
	if (cpuset != NULL && cfg->cpuset_cpus != NULL &&
	    cg_write(cpuset, "cpuset.cpus", done, "%s", cfg->cpuset_cpus) < 0)
		return -1;
	for (int i = 0; io != NULL && i < cfg->n_io; i++) {
		snprintf(line, sizeof(line), "%u:%u", cfg->io[i].major, cfg->io[i].minor);
		if (cfg->io[i].rbps != 0)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " rbps=%lld",
				 cfg->io[i].rbps);
		if (cfg->io[i].wbps != 0)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " wbps=%lld",
				 cfg->io[i].wbps);
		if (cg_write(io, "io.max", done, "%s", line) < 0)
			return -1;
	}
	return 0;
	/* solution 06 end */
}

/*
 * step: cgroup-limits
 * Write the limits asked for, while the cgroups are still empty: the v1
 * files where the controller is in a v1 hierarchy, the v2 files where it
 * is in the v2 tree. Each write is checked: the kernel refuses a value it
 * cannot apply, e.g. CPUs outside the parent's cpuset.
 */
static int set_limits(struct run *run)
{
	const struct config *cfg = run->cfg;
	char done[TRACE_LIST] = "";

	if (cfg->swap_arg != NULL && check_swap_file(run) < 0)
		return -1;
	if (limits_v1(cfg, run, done) < 0)
		return -1;
	if (limits_v2(cfg, run, done) < 0)
		return -1;
	trace(cfg, "cgroup-limits", "%s", done[0] != '\0' ? done : "none asked for");
	return 0;
}

/* The requests ip(8) makes, through libnl: for net-addr here, later for
 * host-end, and for the child's net-config. */

/*
 * rtnetlink answers a request it refuses with an NLMSG_ERROR message that
 * carries an errno (netlink(7)). libnl turns that into a code of its own,
 * a coarser one ("Object exists"); this handler, set on every socket, keeps
 * the errno itself, so that the messages read like all the others here
 * ("File exists"). Returning NL_STOP lets libnl fail the call as usual.
 */
static int kernel_errno;

static int keep_errno(struct sockaddr_nl *from, struct nlmsgerr *e, void *arg)
{
	(void)from, (void)arg;
	kernel_errno = -e->error;
	return NL_STOP;
}

/* Why a libnl call failed: the kernel's errno if it sent one, else libnl's reason. */
static const char *nl_reason(int ret)
{
	int e = kernel_errno;

	kernel_errno = 0;
	return e != 0 ? strerror(e) : nl_geterror(ret);
}

/*
 * A socket for rtnetlink requests. It belongs to the network namespace its
 * opener is in when opening it, for its whole life (network_namespaces(7)):
 * opened by the tool, it configures the host; by the child, the container.
 */
static struct nl_sock *nl_open(void)
{
	struct nl_sock *sock;
	int ret;

	sock = nl_socket_alloc();
	if (sock == NULL) {
		warnx("nl_socket_alloc: out of memory");
		return NULL;
	}
	nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, keep_errno, NULL);
	ret = nl_connect(sock, NETLINK_ROUTE);
	if (ret < 0) {
		warnx("connect to rtnetlink: %s", nl_reason(ret));
		nl_socket_free(sock);
		return NULL;
	}
	return sock;
}

/* An IPv4 address and prefix length as libnl takes them; NULL if out of memory. */
static struct nl_addr *nl_ipv4(uint32_t addr, int prefix)
{
	uint32_t be = htonl(addr);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

	if (a != NULL)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

/* The kernel's record of a link, found by name: what ip link show NAME prints. */
static struct rtnl_link *get_link(struct nl_sock *sock, const char *name)
{
	struct rtnl_link *link;
	int ret;

	ret = rtnl_link_get_kernel(sock, 0, name, &link);
	if (ret < 0) {
		warnx("get link %s: %s", name, nl_reason(ret));
		return NULL;
	}
	return link;
}

/* ip link set NAME up: a change that sets IFF_UP and leaves the other flags. */
static int link_up(struct nl_sock *sock, struct rtnl_link *link)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int ret = -NLE_NOMEM;

	if (change != NULL) {
		rtnl_link_set_flags(change, IFF_UP);
		ret = rtnl_link_change(sock, link, change, 0);
		rtnl_link_put(change);
	}
	if (ret < 0) {
		warnx("set link %s up: %s", rtnl_link_get_name(link), nl_reason(ret));
		return -1;
	}
	return 0;
}

/* ip address add ADDR/PREFIX dev NAME. */
static int add_address(struct nl_sock *sock, struct rtnl_link *link, uint32_t addr, int prefix)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_ipv4(addr, prefix);
	char text[INET_ADDRSTRLEN];
	int ret = -NLE_NOMEM;

	if (ra != NULL && local != NULL) {
		rtnl_addr_set_ifindex(ra, rtnl_link_get_ifindex(link));
		ret = rtnl_addr_set_local(ra, local);
		if (ret == 0)
			ret = rtnl_addr_add(sock, ra, NLM_F_EXCL);
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (ret < 0) {
		warnx("add address %s/%d to %s: %s", ip_text(addr, text), prefix,
		      rtnl_link_get_name(link), nl_reason(ret));
		return -1;
	}
	return 0;
}

/* ip route add default via GATEWAY dev NAME. */
static int add_default_route(struct nl_sock *sock, struct rtnl_link *link, uint32_t gateway)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *hop = rtnl_route_nh_alloc();
	struct nl_addr *any = nl_ipv4(0, 0), *via = nl_ipv4(gateway, 32);
	char text[INET_ADDRSTRLEN];
	int ret = -NLE_NOMEM;

	if (route != NULL && hop != NULL && any != NULL && via != NULL) {
		rtnl_route_nh_set_ifindex(hop, rtnl_link_get_ifindex(link));
		rtnl_route_nh_set_gateway(hop, via);
		rtnl_route_add_nexthop(route, hop);
		hop = NULL; /* the route owns it now */
		ret = rtnl_route_set_dst(route, any);
		if (ret == 0)
			ret = rtnl_route_add(sock, route, NLM_F_EXCL);
	}
	if (hop != NULL)
		rtnl_route_nh_free(hop);
	nl_addr_put(via);
	nl_addr_put(any);
	rtnl_route_put(route);
	if (ret < 0) {
		warnx("add default route via %s dev %s: %s", ip_text(gateway, text),
		      rtnl_link_get_name(link), nl_reason(ret));
		return -1;
	}
	return 0;
}

/*
 * Two containers started at the same moment must not choose the same
 * subnet, so each holds this lock from reading the host's routes until its
 * own route is there for the next one to see. A flock(2) lock belongs to
 * the open file and goes when that is closed, also when the tool is
 * killed. The file is removed on release, so nothing stays in /run/cell;
 * a tool that was waiting meanwhile then holds the lock on a file no
 * longer there, so after taking it, it checks that the path still names
 * that file, and starts again on the new one if not.
 */
static int lock_net(void)
{
	struct stat held, now;
	int fd;

	for (;;) {
		fd = open(NET_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			warn("open %s", NET_LOCK);
			return -1;
		}
		if (flock(fd, LOCK_EX) == -1) {
			warn("flock %s", NET_LOCK);
			close(fd);
			return -1;
		}
		if (fstat(fd, &held) == -1) {
			warn("fstat %s", NET_LOCK);
			close(fd);
			return -1;
		}
		if (stat(NET_LOCK, &now) == 0 && now.st_ino == held.st_ino)
			return fd;
		if (stat(NET_LOCK, &now) == -1 && errno != ENOENT) {
			warn("stat %s", NET_LOCK);
			close(fd);
			return -1;
		}
		close(fd);
	}
}

/* Two subnets share addresses when one contains the other, that is, when
 * they agree on the bits of the shorter prefix. */
static bool overlap(uint32_t a, int alen, uint32_t b, int blen)
{
	int len = alen < blen ? alen : blen;
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return ((a ^ b) & mask) == 0;
}

/* An IPv4 nl_addr as a number in host byte order. */
static uint32_t ipv4_of(struct nl_addr *a)
{
	uint32_t be;

	memcpy(&be, nl_addr_get_binary_addr(a), sizeof(be));
	return ntohl(be);
}

/*
 * Whether the host already uses the run's subnet, and if so, why, in why[].
 * A route of the main table that overlaps it would take part of the
 * traffic meant for the container, or the container's route part of the
 * host's (the longest prefix wins, see ip-route(8)). The default route, of
 * prefix 0, covers everything by definition and is the one exception. A
 * running container's host end has a route to its subnet, so this also
 * keeps two containers apart. Last, neither address may be in use already.
 */
static bool subnet_taken(const struct run *run, struct nl_cache *routes, struct nl_cache *addrs,
			 char *why, size_t size)
{
	char text[INET_ADDRSTRLEN], dev[IF_NAMESIZE];
	struct nl_object *obj;

	for (obj = nl_cache_get_first(routes); obj != NULL; obj = nl_cache_get_next(obj)) {
		struct rtnl_route *route = (struct rtnl_route *)obj;
		struct rtnl_nexthop *hop = rtnl_route_nexthop_n(route, 0);
		struct nl_addr *dst = rtnl_route_get_dst(route);

		if (rtnl_route_get_table(route) != RT_TABLE_MAIN || dst == NULL ||
		    nl_addr_get_prefixlen(dst) == 0 || nl_addr_get_len(dst) != 4)
			continue;
		if (!overlap(ipv4_of(dst), nl_addr_get_prefixlen(dst), run->addr, run->prefix))
			continue;
		if (hop == NULL || if_indextoname(rtnl_route_nh_get_ifindex(hop), dev) == NULL)
			dev[0] = '\0';
		snprintf(why, size, "the subnet overlaps the host's route %s/%d%s%s",
			 ip_text(ipv4_of(dst), text), nl_addr_get_prefixlen(dst),
			 dev[0] != '\0' ? " dev " : "", dev);
		return true;
	}
	for (obj = nl_cache_get_first(addrs); obj != NULL; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)obj;
		struct nl_addr *local = rtnl_addr_get_local(ra);

		if (rtnl_addr_get_family(ra) != AF_INET || local == NULL ||
		    nl_addr_get_len(local) != 4)
			continue;
		if (ipv4_of(local) != run->addr && ipv4_of(local) != run->host_addr)
			continue;
		if (if_indextoname(rtnl_addr_get_ifindex(ra), dev) == NULL)
			snprintf(dev, sizeof(dev), "?");
		snprintf(why, size, "%s is already an address of the host (dev %s)",
			 ip_text(ipv4_of(local), text), dev);
		return true;
	}
	return false;
}

/*
 * step: net-addr
 * Check the subnet --ip gave, or choose one, against the host's routes and
 * addresses, read from the kernel as ip route and ip address read them
 * (RTM_GETROUTE and RTM_GETADDR dumps, rtnetlink(7)). The lock taken here
 * is released once the host end's route exists.
 */
static int choose_addr(struct run *run)
{
	const struct config *cfg = run->cfg;
	struct nl_cache *routes = NULL, *addrs = NULL;
	char why[128], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct nl_sock *sock;
	int ret, result = -1;
	uint32_t n;

	run->lock = lock_net();
	if (run->lock < 0)
		return -1;
	sock = nl_open();
	if (sock == NULL)
		return -1;
	ret = rtnl_route_alloc_cache(sock, AF_INET, 0, &routes);
	if (ret < 0) {
		warnx("read the host's routes: %s", nl_reason(ret));
		goto out;
	}
	ret = rtnl_addr_alloc_cache(sock, &addrs);
	if (ret < 0) {
		warnx("read the host's addresses: %s", nl_reason(ret));
		goto out;
	}
	if (cfg->ip != NULL) {
		run->addr = cfg->addr;
		run->host_addr = cfg->host_addr;
		run->prefix = cfg->prefix;
		if (subnet_taken(run, routes, addrs, why, sizeof(why))) {
			warnx("--ip %s: %s", cfg->ip, why);
			goto out;
		}
	} else {
		for (n = 0; n < AUTO_SUBNETS; n++) {
			run->prefix = AUTO_PREFIX;
			run->host_addr = AUTO_NET | n << (32 - AUTO_PREFIX) | 1;
			run->addr = run->host_addr + 1;
			if (!subnet_taken(run, routes, addrs, why, sizeof(why)))
				break;
		}
		if (n == AUTO_SUBNETS) {
			warnx("no free subnet: every 10.200.N.0/24 is taken on the host "
			      "(give one with --ip)");
			goto out;
		}
	}
	trace(cfg, "net-addr", "%s/%d for eth0, %s for the host end; %s held",
	      ip_text(run->addr, a), run->prefix, ip_text(run->host_addr, b), NET_LOCK);
	result = 0;
out:
	nl_cache_free(addrs);
	nl_cache_free(routes);
	nl_socket_free(sock);
	return result;
}

/* ========================================================================
 * The child: what clone() starts, from its first step to exec
 * ======================================================================== */

/*
 * step: clone
 * clone(2) starts the child directly in the new namespaces. Without CLONE_VM
 * the child gets a copy of our memory, like fork(), so it may read the run
 * and its options; it only needs a stack of its own to start on. It
 * starts in child_main(), at the end of this part; the functions between
 * are its steps, in the order it takes them.
 */
static int spawn_child(struct run *run)
{
	const struct config *cfg = run->cfg;
	int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | SIGCHLD;
	void *stack;

	if (!cfg->ipc_host)
		flags |= CLONE_NEWIPC;
	/* step: userns
	 * With the others in one call, the kernel makes the user namespace
	 * first and the rest are owned by it (clone(2), namespaces(7)): root
	 * inside has the capabilities over them that mounting, sethostname
	 * and the network configuration need, and none over the host's. */
	if (cfg->userns)
		flags |= CLONE_NEWUSER;
	if (stat("/proc/self/ns/net", &run->host_net) == -1) {
		warn("stat /proc/self/ns/net");
		return -1;
	}

	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		warn("mmap child stack");
		return -1;
	}
	run->pid = clone(child_main, (char *)stack + STACK_SIZE, flags, run);
	if (run->pid == -1 && cfg->rootless && (errno == EPERM || errno == ENOSPC))
		warn("clone CLONE_NEWUSER (is this host refusing user namespaces to users? see "
		     "make doctor)");
	else if (run->pid == -1)
		warn("clone");
	munmap(stack, STACK_SIZE);
	return run->pid == -1 ? -1 : 0;
}

/*
 * step: userns-root
 * The maps are written by now. The child kept the ids it was cloned with:
 * a rootless user's, which the map makes 0 inside; or, under root -U, the
 * host's 0, which the map leaves out, so the child would act as an unmapped
 * id (files it creates would fail with EOVERFLOW). Setting every id to 0
 * of this namespace makes it the mapped root in either case. Root's
 * supplementary groups go too, where setgroups(2) is allowed; a rootless
 * user's stay, shown as nogroup inside (user_namespaces(7)).
 *
 * First, still with the ids it was cloned with, the child opens the
 * rootfs for the mount-overlay step. Root inside is an ordinary uid on the
 * host, which may not get through the directories above the rootfs (a
 * 0700 home); the ids it had, host root's or the user's, do. The open file
 * leads straight to the rootfs later, through /proc/self/fd/N. It is
 * opened here, not by the tool: overlayfs takes layers only from the
 * mounter's own mount namespace, and the tool's are the host's mounts.
 */
static void become_root(struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 07 begin: userns-root, keep cfg */
	run->lower_fd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (run->lower_fd == -1)
		err(EXIT_TOOL, "open %s", cfg->rootfs);
	if (setresgid(0, 0, 0) == -1)
		err(EXIT_TOOL, "setresgid 0");
	if (!cfg->rootless && setgroups(0, NULL) == -1)
		err(EXIT_TOOL, "setgroups none");
	if (setresuid(0, 0, 0) == -1)
		err(EXIT_TOOL, "setresuid 0");
	trace(cfg, "userns-root", "uid 0 inside is uid %u on the host", cfg->uid_base);
	/* solution 07 end */
}

/*
 * step: net-config
 * In the child, in its new network namespace. A new namespace has its own
 * loopback device, down (network_namespaces(7)): until it is up, not even
 * 127.0.0.1 answers. eth0 gets the container's address, and once eth0 is
 * up the kernel adds the route to the subnet by itself; the default route
 * sends everything else to the host end. The child exits on any failure:
 * the tool then cleans up what it made.
 */
static void configure_net(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 05 begin: net-config, keep cfg add_default_route */
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct rtnl_link *lo, *eth0;
	struct nl_sock *sock;
	struct stat net;

	/* A build without CLONE_NEWNET (one of the "Break it" exercises) gets
	 * here in the host's namespace, and would take over the host's own
	 * lo and eth0. Two namespaces are the same one when their files in
	 * /proc/PID/ns have the same device and inode (namespaces(7)). */
	if (stat("/proc/self/ns/net", &net) == -1)
		err(EXIT_TOOL, "stat /proc/self/ns/net");
	if (net.st_dev == run->host_net.st_dev && net.st_ino == run->host_net.st_ino)
		errx(EXIT_TOOL, "the child is in the host's network namespace: not configuring it");

	sock = nl_open();
	if (sock == NULL)
		exit(EXIT_TOOL);
	lo = get_link(sock, "lo");
	if (lo == NULL)
		exit(EXIT_TOOL);
	if (link_up(sock, lo) < 0)
		exit(EXIT_TOOL);
	rtnl_link_put(lo);
	if (cfg->net_none) {
		nl_socket_free(sock);
		trace(cfg, "net-config", "lo up; no other link");
		return;
	}
	eth0 = get_link(sock, "eth0");
	if (eth0 == NULL)
		exit(EXIT_TOOL);
	if (add_address(sock, eth0, run->addr, run->prefix) < 0)
		exit(EXIT_TOOL);
	if (link_up(sock, eth0) < 0)
		exit(EXIT_TOOL);
	if (add_default_route(sock, eth0, run->host_addr) < 0)
		exit(EXIT_TOOL);
	rtnl_link_put(eth0);
	nl_socket_free(sock);
	trace(cfg, "net-config", "lo up; eth0 %s/%d up; default via %s", ip_text(run->addr, a),
	      run->prefix, ip_text(run->host_addr, b));
	/* solution 05 end */
}

/* A path inside the container's root (the overlay), for the steps that run
 * before pivot_root. */
static void in_rootfs(const struct run *run, const char *path, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s%s", run->merged, path) >= size)
		errx(EXIT_TOOL, "%s%s: path too long", run->merged, path);
}

/* mount(2) onto a path inside the root file system, or fail with a message
 * that names both. */
static void mount_in(const struct run *run, const char *source, const char *target,
		     const char *fstype, unsigned long flags, const char *data)
{
	char path[PATH_MAX];

	in_rootfs(run, target, path, sizeof(path));
	if (mount(source, path, fstype, flags, data) == -1)
		err(EXIT_TOOL, "mount %s on %s", fstype, path);
}

/*
 * step: mount-dev
 * /dev is a small tmpfs of the container's own, holding the harmless
 * devices of the table above, a private devpts instance for terminals
 * (newinstance: the container's ptys are not the host's) and a tmpfs for
 * POSIX shared memory. Without MS_NODEV here, as the device nodes must work.
 *
 * In a user namespace, mknod(2) of a device fails with EPERM: it needs
 * CAP_MKNOD in the initial namespace (capabilities(7)), and a file system
 * mounted from a user namespace ignores device nodes anyway (the kernel
 * sets SB_I_NODEV on it). So each device is the host's own node, bound
 * onto an empty file here, as rootless runtimes do: its owner and mode are
 * the host's (root, an unmapped id, shows as nobody inside).
 */
static void setup_dev(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 03 begin: mount-dev, keep cfg devices */
	static const char *const links[][2] = {
		{ "/dev/ptmx", "pts/ptmx" },	      { "/dev/fd", "/proc/self/fd" },
		{ "/dev/stdin", "/proc/self/fd/0" },  { "/dev/stdout", "/proc/self/fd/1" },
		{ "/dev/stderr", "/proc/self/fd/2" },
	};
	char path[PATH_MAX];

	mount_in(run, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "/dev/%s", devices[i].name);
		in_rootfs(run, name, path, sizeof(path));
		if (cfg->userns) {
			int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

			if (fd == -1)
				err(EXIT_TOOL, "create %s", path);
			close(fd);
			if (mount(name, path, NULL, MS_BIND, NULL) == -1)
				err(EXIT_TOOL, "mount --bind %s on %s", name, path);
			continue;
		}
		if (mknod(path, S_IFCHR, makedev(devices[i].major, devices[i].minor)) == -1)
			err(EXIT_TOOL, "mknod %s", path);
		/* chmod, not mknod's mode: the umask would trim that. */
		if (chmod(path, 0666) == -1)
			err(EXIT_TOOL, "chmod %s", path);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		in_rootfs(run, links[i][0], path, sizeof(path));
		if (symlink(links[i][1], path) == -1)
			err(EXIT_TOOL, "symlink %s", path);
	}
	in_rootfs(run, "/dev/pts", path, sizeof(path));
	if (mkdir(path, 0755) == -1)
		err(EXIT_TOOL, "mkdir %s", path);
	mount_in(run, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "newinstance,ptmxmode=0666,mode=0620");
	in_rootfs(run, "/dev/shm", path, sizeof(path));
	if (mkdir(path, 01777) == -1)
		err(EXIT_TOOL, "mkdir %s", path);
	mount_in(run, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
	trace(cfg, "mount-dev", "%s/dev%s", run->merged,
	      cfg->userns ? ", the host's device nodes bound" : "");
	/* solution 03 end */
}

/*
 * step: close-fds
 * Only stdin, stdout and stderr may reach the command. Anything else the
 * caller had open came through clone() and would survive exec: a
 * descriptor of a host directory (a shell's exec 7</etc, a careless
 * parent) reads the host's files through /proc/self/fd/7/..., however
 * well the root is shut. runc's CVE-2024-21626 was that door, a leaked
 * descriptor of the host's /sys/fs/cgroup. The tool's own descriptors are
 * close-on-exec already, but nobody set that flag on what the caller
 * left. So every descriptor from 3 up is closed here, and not merely
 * marked CLOSE_RANGE_CLOEXEC for exec to close: with --init, PID 1 never
 * execs, and the command could take them from /proc/1/fd. close_range(2)
 * came in Linux 5.9; before, the container's own /proc/self/fd lists them.
 */
static void close_fds(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 04 begin: close-fds, keep cfg */
	struct dirent *entry;
	DIR *dir;

	if (close_range(STDERR_FILENO + 1, ~0U, 0) == -1) {
		if (errno != ENOSYS)
			err(EXIT_TOOL, "close_range 3 and up");
		dir = opendir("/proc/self/fd");
		if (dir == NULL)
			err(EXIT_TOOL, "opendir /proc/self/fd");
		while ((entry = readdir(dir)) != NULL) {
			int fd = atoi(entry->d_name);

			/* "." and ".." read as 0; the listing's own stays */
			if (fd > STDERR_FILENO && fd != dirfd(dir) && close(fd) == -1)
				err(EXIT_TOOL, "close %d", fd);
		}
		closedir(dir);
	}
	trace(cfg, "close-fds", "only stdin, stdout and stderr are open");
	/* solution 04 end */
}

/*
 * step: caps
 * Keep cfg->caps, drop the rest. A capability the tool itself lacks (some
 * sandboxes and CI machines take CAP_SYS_RESOURCE from root's bounding set)
 * cannot be given back, cap_set_proc() would fail with EPERM: those are
 * left out, even with --cap-add ALL. The bounding set goes first: it
 * limits what any later exec can give (capabilities(7), "Transformation
 * of capabilities during execve()"), and for root, who execs with every
 * file capability, the command's permitted set is the bounding set.
 * Removing from it takes CAP_SETPCAP, still held here. Then the ambient
 * set (Linux 4.3) is cleared, and the process's own sets become the kept
 * ones, effective and permitted, with nothing inheritable.
 */
static void drop_caps(struct run *run)
{
	const struct config *cfg = run->cfg;
	cap_value_t last = (cap_value_t)cap_max_bits();
	cap_flag_value_t held;
	cap_t caps;
	char *name;

	/* solution 08 begin: caps, keep cfg last held caps name */
	run->caps = cfg->caps;
	caps = cap_get_proc();
	if (caps == NULL)
		err(EXIT_TOOL, "cap_get_proc");
	for (cap_value_t c = 0; c < last; c++)
		if (cap_get_flag(caps, c, CAP_PERMITTED, &held) == 0 && held == CAP_CLEAR)
			run->caps &= ~CAP(c);
	cap_free(caps);

	for (cap_value_t c = 0; c < last; c++) {
		if ((run->caps & CAP(c)) || cap_drop_bound(c) == 0)
			continue;
		name = cap_to_name(c);
		err(EXIT_TOOL, "cap_drop_bound %s", name != NULL ? name : "?");
	}
	if (cap_reset_ambient() == -1)
		err(EXIT_TOOL, "cap_reset_ambient");
	caps = cap_init();
	if (caps == NULL)
		err(EXIT_TOOL, "cap_init");
	for (cap_value_t c = 0; c < last; c++) {
		if (!(run->caps & CAP(c)))
			continue;
		if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET) == -1 ||
		    cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_SET) == -1)
			err(EXIT_TOOL, "cap_set_flag %d", c);
	}
	if (cap_set_proc(caps) == -1)
		err(EXIT_TOOL, "cap_set_proc");
	cap_free(caps);
	trace(cfg, "caps", "%016llx kept, bounding set too; inheritable and ambient empty",
	      run->caps);
	/* solution 08 end */
}

/*
 * step: no-new-privs
 * From here on, no execve(2) can raise privileges: set-user-ID and
 * set-group-ID bits and file capabilities are ignored (prctl(2),
 * PR_SET_NO_NEW_PRIVS; the kernel's no_new_privs.rst). The flag is
 * inherited and cannot be cleared. It is also what lets a process
 * without CAP_SYS_ADMIN install a seccomp filter, as the next step does.
 */
static void set_no_new_privs(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 08 begin: no-new-privs, keep cfg */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(EXIT_TOOL, "prctl PR_SET_NO_NEW_PRIVS");
	trace(cfg, "no-new-privs", "set");
	/* solution 08 end */
}

/* One rule: system call NAME, when the comparisons hold, fails with ERRNO.
 * Returns 1 if it was added, 0 if libseccomp does not know NAME. */
static int deny(scmp_filter_ctx ctx, const char *name, int errnum, unsigned int n,
		const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name), rc;

	if (nr == __NR_SCMP_ERROR)
		return 0;
	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(errnum), nr, n, cmp);
	if (rc < 0)
		errx(EXIT_TOOL, "seccomp_rule_add %s: %s", name, strerror(-rc));
	return 1;
}

/*
 * step: seccomp
 * A filter that lets everything through (SCMP_ACT_ALLOW) except the calls
 * listed, which fail with EPERM (SCMP_ACT_ERRNO): the command sees an
 * ordinary error, which programs handle, rather than a kill. libseccomp
 * compiles the rules into a classic BPF program that the kernel runs at
 * every system call of this process and all its descendants, for good.
 *
 * Three cases need more than a name:
 * - clone(2) is how fork() and threads are made, so only a clone with a
 *   CLONE_NEW* flag fails: one rule per flag, each matching that bit of
 *   the first argument.
 * - clone3(2) passes its flags in a structure in memory, which a seccomp
 *   filter cannot read (it sees the argument registers only). So clone3
 *   fails with ENOSYS, "not implemented", on which glibc falls back to
 *   clone(), whose flags can be checked. EPERM would be taken as a real
 *   refusal, and thread creation would fail.
 * - ioctl(2) TIOCSTI pushes bytes into a terminal's input: given the
 *   terminal of a shell outside, the container could type commands
 *   there. Only that request fails (the second argument, an int).
 *
 * The filter also covers i386 and x32 system calls on x86-64: a 64-bit
 * process can make them too, and a filter that knew x86-64's numbers only
 * would let them pass. The filter is the last step: what follows it, exec
 * and --init's fork, waitpid and kill, is allowed.
 */
static void load_seccomp(const struct run *run)
{
	const struct config *cfg = run->cfg;
	scmp_filter_ctx ctx;
	int rc, n = 0;

	/* solution 08 begin: seccomp, keep cfg ctx rc n deny denied_calls clone_ns_flags */
	if (cfg->seccomp_unconfined) {
		trace(cfg, "seccomp", "unconfined: no filter");
		return;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		errx(EXIT_TOOL, "seccomp_init: out of memory");
	/* The no-new-privs step has set the flag; libseccomp need not. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		errx(EXIT_TOOL, "seccomp_attr_set SCMP_FLTATR_CTL_NNP: %s", strerror(-rc));
#ifdef __x86_64__
	rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (rc < 0)
		errx(EXIT_TOOL, "seccomp_arch_add x86: %s", strerror(-rc));
	rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (rc < 0)
		errx(EXIT_TOOL, "seccomp_arch_add x32: %s", strerror(-rc));
#endif
	if (cfg->seccomp_file != NULL) {
		for (int i = 0; i < cfg->n_file_calls; i++)
			n += deny(ctx, cfg->file_calls[i], EPERM, 0, NULL);
	} else {
		for (size_t i = 0; i < sizeof(denied_calls) / sizeof(denied_calls[0]); i++)
			if (!(run->caps & denied_calls[i].lift))
				n += deny(ctx, denied_calls[i].name, EPERM, 0, NULL);
		if (!(run->caps & CAP(CAP_SYS_ADMIN))) {
			for (size_t i = 0; i < sizeof(clone_ns_flags) / sizeof(clone_ns_flags[0]);
			     i++) {
				struct scmp_arg_cmp flag = SCMP_A0(
					SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]);

				deny(ctx, "clone", EPERM, 1, &flag);
			}
			n++;
			n += deny(ctx, "clone3", ENOSYS, 0, NULL);
		}
		struct scmp_arg_cmp tiocsti = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);

		n += deny(ctx, "ioctl", EPERM, 1, &tiocsti);
	}
	rc = seccomp_load(ctx);
	if (rc < 0)
		errx(EXIT_TOOL, "seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
	trace(cfg, "seccomp", "%d system calls refused%s%s", n,
	      cfg->seccomp_file != NULL ? ", as listed in " : "",
	      cfg->seccomp_file != NULL ? cfg->seccomp_file : "");
	/* solution 08 end */
}

/* step: exec
 * execvp() returns only on failure; the status tells the parent why, with
 * the numbers docker run uses. */
static void exec_command(const struct run *run)
{
	const struct config *cfg = run->cfg;
	int saved;

	if (cfg->verbose)
		fprintf(stderr, "=> exec %s\n", cfg->argv[0]);
	/* The command starts with every signal at its default action. Run by
	 * nohup, or in the background of a script, the tool inherits SIGINT
	 * and SIGQUIT ignored, and an ignored signal stays ignored across
	 * execve(2) (signal(7)): a Ctrl-C passed on would be lost. signal()
	 * refuses only SIGKILL, SIGSTOP and the C library's own, no matter. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (sigprocmask(SIG_SETMASK, &run->child_mask, NULL) == -1)
		err(EXIT_TOOL, "sigprocmask");
	execvp(cfg->argv[0], cfg->argv);
	saved = errno; /* warn() may change errno when stderr is unusable */
	warn("exec %s", cfg->argv[0]);
	_exit(saved == ENOENT || saved == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/*
 * step: init
 * With --init, PID 1 is this loop and the command is its child. Signals
 * stay blocked, and the kernel never drops a blocked signal as unwanted,
 * not even for PID 1 (see sig_ignored() in kernel/signal.c), so every
 * signal the tool passes on arrives here and goes on to the command.
 * Every orphan of the namespace is re-parented to PID 1; each SIGCHLD
 * reaps all children that have ended, so none lingers as a zombie. When
 * the command ends, init ends with its status, and the kernel kills
 * whatever is left in the namespace.
 */
static int run_init(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 02 begin: init, keep cfg */
	siginfo_t info;
	pid_t cmd, pid;
	int status;

	cmd = fork();
	if (cmd == -1)
		err(EXIT_TOOL, "fork command");
	if (cmd == 0)
		exec_command(run);
	trace(cfg, "init", "init is PID 1, the command PID %d", cmd);
	for (;;) {
		if (sigwaitinfo(&run->blocked, &info) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_TOOL, "init: sigwaitinfo");
		}
		if (info.si_signo != SIGCHLD) {
			if (kill(cmd, info.si_signo) == -1 && errno != ESRCH)
				warn("init: kill %d %s", cmd, strsignal(info.si_signo));
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				return exit_status(status);
	}
	/* solution 02 end */
}

/* Runs in the child, inside the new namespaces, until exec. */
static int child_main(void *arg)
{
	struct run *run = arg;
	const struct config *cfg = run->cfg;
	char opts[3 * PATH_MAX + 64], oldroot[PATH_MAX], lower[PATH_MAX];
	ssize_t n;
	char go;

	/*
	 * If the tool dies (even by SIGKILL), the kernel sends this child
	 * SIGKILL, and the whole PID namespace goes with it. Nothing inside
	 * can outlive the tool that is meant to clean up after it.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_TOOL, "prctl PR_SET_PDEATHSIG");

	/* The child reports the clone step itself, so that the trace lines
	 * come out in the order the steps happen. */
	trace(cfg, "clone", "pid %d in the new PID namespace", getpid());

	/* step: sync
	 * Wait until the tool has made the veth pair and configured its end.
	 * Our copy of the write end goes first: a pipe shows end of file only
	 * once every write end is closed (pipe(7)), and this one would keep
	 * the child waiting on itself. End of file without a byte means that
	 * the tool's part failed; it has said why, and cleans up. */
	if (close(run->sync[1]) == -1)
		err(EXIT_TOOL, "close the sync pipe's write end");
	n = read(run->sync[0], &go, 1);
	if (n == -1)
		err(EXIT_TOOL, "read from the sync pipe");
	if (n == 0)
		exit(EXIT_TOOL);
	close(run->sync[0]);
	trace(cfg, "sync", "the host side is ready");

	if (cfg->userns)
		become_root(run);

	/* step: cgroupns
	 * The tool moved this process into its cgroups before writing to the
	 * pipe. A new cgroup namespace takes the cgroups of the process that
	 * makes it as its root (cgroup_namespaces(7)), so it is made only now,
	 * once those are the container's own: inside, /proc/self/cgroup then
	 * shows "/" in each hierarchy, and nothing of the host's tree. */
	/* solution 06 begin: cgroupns */
	if (unshare(CLONE_NEWCGROUP) == -1)
		err(EXIT_TOOL, "unshare CLONE_NEWCGROUP");
	trace(cfg, "cgroupns", "its cgroups are / inside");
	/* solution 06 end */

	configure_net(run);

	/* step: hostname
	 * This child is the only process in the new UTS namespace, so the
	 * change is seen by it and its descendants only. */
	/* solution 01 begin: hostname */
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) == -1)
		err(EXIT_TOOL, "sethostname %s", cfg->hostname);
	trace(cfg, "hostname", "%s", cfg->hostname);
	/* solution 01 end */

	/* step: mount-private
	 * The new mount namespace starts as a copy of the host's, and where
	 * the host's mounts are shared (systemd makes / shared) a mount made
	 * here would propagate back to the host. Making every mount private
	 * first cuts that link (mount_namespaces(7), "Shared subtrees"). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(EXIT_TOOL, "mount --make-rprivate /");
	trace(cfg, "mount-private", "/ and everything below it");

	/* step: mount-overlay
	 * The rootfs is the lower layer, which overlayfs only reads; a file
	 * the container changes is first copied up into the upper directory,
	 * and a deleted one is hidden there by a whiteout. The work directory
	 * is overlayfs's scratch space on the upper layer's file system. The
	 * mount lives in this namespace only: the host sees three directories.
	 * In a user namespace (overlayfs allows that since Linux 5.11) the
	 * layers are looked up, and later read, as root inside, an ordinary
	 * uid on the host: the rootfs is reached through the file opened in
	 * the userns-root step, /proc/self/fd/N, without a lookup of the
	 * directories above it. Root inside may not set the trusted.*
	 * attributes where overlayfs keeps its records (whiteouts, opaque
	 * directories): userxattr moves them to user.overlay.* (overlayfs.rst,
	 * "User xattr"). */
	/* solution 04 begin: mount-overlay, keep opts lower */
	if (run->lower_fd >= 0)
		snprintf(lower, sizeof(lower), "/proc/self/fd/%d", run->lower_fd);
	else
		snprintf(lower, sizeof(lower), "%s", cfg->rootfs);
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s%s", lower,
			     run->upperdir, run->workdir,
			     cfg->userns ? ",userxattr" : "") >= sizeof(opts))
		errx(EXIT_TOOL, "overlay options too long");
	if (mount("overlay", run->merged, "overlay", 0, opts) == -1)
		err(EXIT_TOOL, "mount overlay on %s (%s)", run->merged, opts);
	trace(cfg, "mount-overlay", "%s", run->merged);
	/* solution 04 end */

	/* step: mount-proc
	 * A proc file system shows the PID namespace of the process that
	 * mounted it: mounted here, it lists the container's processes only.
	 * From a user namespace, the kernel allows it only if that namespace
	 * owns the PID namespace (it does: both came from one clone()) and a
	 * proc with nothing mounted over its files is visible already, with
	 * nosuid, nodev and noexec kept (mount_too_revealing() in
	 * fs/namespace.c; user_namespaces(7), "Mounting"). */
	/* solution 02 begin: mount-proc */
	mount_in(run, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	trace(cfg, "mount-proc", "%s/proc", run->merged);
	/* solution 02 end */

	/* step: mount-sys
	 * Read-only: /sys holds knobs for the whole machine, and root inside
	 * is still root. From a user namespace, sysfs mounts only when that
	 * namespace owns the network namespace, and on the same terms as proc
	 * above. */
	mount_in(run, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	trace(cfg, "mount-sys", "%s/sys, read-only", run->merged);

	/* step: mount-tmp
	 * In a user namespace the rootfs's directories belong to an unmapped
	 * owner, which overlayfs cannot copy up (EOVERFLOW): the rootfs's /tmp
	 * takes no new file. A tmpfs mounted here belongs to root inside, so
	 * programs still have the scratch space they expect. */
	if (cfg->userns) {
		mount_in(run, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
		trace(cfg, "mount-tmp", "%s/tmp, a tmpfs", run->merged);
	}

	setup_dev(run);

	/* step: pivot-root
	 * pivot_root(2) makes the overlay the root of this mount namespace
	 * and moves the old root (the host's tree) to /.oldroot inside it.
	 * Unmounting that, with MNT_DETACH because the host's mounts below it
	 * are busy, leaves no mount in this namespace that reaches the host:
	 * unlike after chroot, there is no "outside" left to walk to. */
	/* solution 04 begin: pivot-root, keep oldroot */
	in_rootfs(run, "/.oldroot", oldroot, sizeof(oldroot));
	if (mkdir(oldroot, 0700) == -1)
		err(EXIT_TOOL, "mkdir %s", oldroot);
	if (syscall(SYS_pivot_root, run->merged, oldroot) == -1)
		err(EXIT_TOOL, "pivot_root %s %s", run->merged, oldroot);
	if (chdir("/") == -1)
		err(EXIT_TOOL, "chdir / after pivot_root");
	if (umount2("/.oldroot", MNT_DETACH) == -1)
		err(EXIT_TOOL, "umount /.oldroot");
	if (rmdir("/.oldroot") == -1)
		err(EXIT_TOOL, "rmdir /.oldroot");
	trace(cfg, "pivot-root", "%s is /, the old root unmounted", run->merged);
	/* solution 04 end */

	close_fds(run);

	/* Every step that needed root's power is done: give it up, before
	 * --init forks, so that init and the command are both confined. */
	drop_caps(run);
	set_no_new_privs(run);
	load_seccomp(run);

	if (cfg->init)
		return run_init(run);
	exec_command(run);
	return EXIT_TOOL;
}

/* ========================================================================
 * The tool, after clone: the host's side, while the child waits on the pipe
 * ======================================================================== */

/*
 * Write one line to /proc/PID/FILE of the child: its uid_map, gid_map or
 * setgroups. Each map may be written once, in one write(2) (a short write
 * would leave a map cut short for good), and the kernel may report an
 * error at close() too: write_file() checks all three.
 */
static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return write_file(path, text);
}

/*
 * step: userns-map
 * The child waits on the pipe, in its user namespace, as the overflow uid
 * (65534, "nobody") until its maps exist. Each line of a map reads
 * "FIRST-INSIDE FIRST-OUTSIDE COUNT" (user_namespaces(7)). A rootless user
 * may map only its own ids, one line of one id, and first has to deny
 * setgroups(2) in the namespace: otherwise root inside could drop the
 * user's supplementary groups, and with them a "no access" that a group
 * gives on some file (the fix for CVE-2014-8989, Linux 3.19). Root, who
 * has CAP_SETUID and CAP_SETGID over the namespace, may map any range and
 * needs no such denial. newuidmap(1), set-uid root, lets ordinary users
 * map their /etc/subuid ranges too; one id needs no helper.
 */
static int write_maps(const struct run *run)
{
	const struct config *cfg = run->cfg;
	char uid_map[64], gid_map[64];

	/* solution 07 begin: userns-map, return -1, keep cfg uid_map gid_map write_proc */
	snprintf(uid_map, sizeof(uid_map), "0 %u %u", cfg->uid_base, cfg->id_count);
	snprintf(gid_map, sizeof(gid_map), "0 %u %u", cfg->gid_base, cfg->id_count);
	if (write_proc(run->pid, "uid_map", uid_map) < 0)
		return -1;
	if (cfg->rootless && write_proc(run->pid, "setgroups", "deny") < 0)
		return -1;
	if (write_proc(run->pid, "gid_map", gid_map) < 0)
		return -1;
	trace(cfg, "userns-map", "uid_map %s; %sgid_map %s", uid_map,
	      cfg->rootless ? "setgroups deny; " : "", gid_map);
	/* solution 07 end */
	return 0;
}

/*
 * step: cgroup-join
 * Move the child into its cgroups: its pid, written to cgroup.procs of
 * each. It still waits on the pipe and has neither run nor forked anything
 * of the command's, and a new process starts in its parent's cgroups
 * (cgroups(7)): so the command and everything it starts are inside from
 * their first instruction. Moving it after the release instead would race
 * with the command, and a process forked before the move would stay out,
 * free of every limit.
 */
static int join_cgroups(struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 06 begin: cgroup-join, return -1, keep cfg cg_write hierarchy_in */
	for (int i = 0; i < run->n_cg; i++)
		if (cg_write(&run->cg[i], "cgroup.procs", NULL, "%d", run->pid) < 0)
			return -1;
	trace(cfg, "cgroup-join", "pid %d in " CGROUP_PARENT "/%s", run->pid, run->id);
	return 0;
	/* solution 06 end */
}

/* Now on CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(), in ns. */
static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;
}

/*
 * step: trace-target
 * Tell the program which PID namespace to follow: the child's, named by
 * the device and inode of /proc/PID/ns/pid (namespaces(7)). The child
 * still waits on the pipe, so nothing of the container's own has run yet.
 * stat(2) gives the device in the C library's encoding, the helper expects
 * the kernel's (major << 20 | minor), as MKDEV() makes it.
 */
static int set_trace_target(struct run *run)
{
	const struct config *cfg = run->cfg;
	struct {
		uint64_t dev, ino;
	} target;
	char path[64];
	struct stat st;
	int zero = 0;

	/* The container exists: now a FILE that was there is emptied, if it is
	 * a regular file. A FIFO or a device (/dev/null, /dev/stdout on a pipe
	 * or a terminal) holds nothing to empty, and ftruncate(2) fails on it
	 * with EINVAL. */
	if (strcmp(cfg->trace_path, "-") != 0) {
		if (fstat(fileno(run->trace_out), &st) == -1) {
			warn("--trace %s: fstat", cfg->trace_path);
			return -1;
		}
		if (S_ISREG(st.st_mode) && ftruncate(fileno(run->trace_out), 0) == -1) {
			warn("--trace %s: truncate", cfg->trace_path);
			return -1;
		}
	}
	/* solution 09 begin: trace-target, return -1, keep cfg target path st zero monotonic_ns */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", run->pid);
	if (stat(path, &st) == -1) {
		warn("--trace: stat %s", path);
		return -1;
	}
	target.dev = (uint64_t)major(st.st_dev) << 20 | minor(st.st_dev);
	target.ino = st.st_ino;
	run->trace_t0 = monotonic_ns();
	if (bcc.bpf_update_elem(bcc.bpf_table_fd(run->bpf, "target"), &zero, &target, 0) == -1) {
		warn("--trace: bpf BPF_MAP_UPDATE_ELEM target");
		return -1;
	}
	trace(cfg, "trace-target", "PID namespace %lu on device %u:%u", (unsigned long)st.st_ino,
	      major(st.st_dev), minor(st.st_dev));
	/* solution 09 end */
	return 0;
}

/*
 * step: veth
 * One RTM_NEWLINK request makes both ends of the pair (veth(4)): the host
 * end, cell<id>, here in the tool's namespace, and its peer, eth0, in the
 * network namespace of the child's pid (IFLA_NET_NS_PID in the peer's
 * part of the request, rtnetlink(7)). Made there directly, the peer never
 * exists on the host, so its name cannot clash with the host's own eth0.
 * NLM_F_EXCL turns an existing cell<id> into an error (EEXIST) instead of
 * a change to it.
 */
static int make_veth(struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 05 begin: veth, return -1, keep cfg */
	struct rtnl_link *veth, *peer;
	struct nl_sock *sock;
	int ret = -NLE_NOMEM;

	sock = nl_open();
	if (sock == NULL)
		return -1;
	snprintf(run->veth, sizeof(run->veth), "cell%s", run->id);
	veth = rtnl_link_veth_alloc();
	if (veth != NULL) {
		rtnl_link_set_name(veth, run->veth);
		peer = rtnl_link_veth_get_peer(veth);
		rtnl_link_set_name(peer, "eth0");
		rtnl_link_set_ns_pid(peer, run->pid);
		rtnl_link_put(peer);
		ret = rtnl_link_add(sock, veth, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(veth);
	}
	nl_socket_free(sock);
	if (ret < 0) {
		warnx("add veth %s: %s", run->veth, nl_reason(ret));
		run->veth[0] = '\0'; /* none of ours to delete */
		return -1;
	}
	trace(cfg, "veth", "%s on the host, its peer eth0 in the namespace of pid %d", run->veth,
	      run->pid);
	return 0;
	/* solution 05 end */
}

/*
 * step: host-end
 * The host end's address, then the link up: from then on the kernel routes
 * the subnet through cell<id> (the "proto kernel scope link" line of ip
 * route), which is what the next container's net-addr step sees.
 */
static int configure_host_end(const struct run *run)
{
	const struct config *cfg = run->cfg;
	char text[INET_ADDRSTRLEN];
	struct rtnl_link *link;
	struct nl_sock *sock;
	int result = -1;

	sock = nl_open();
	if (sock == NULL)
		return -1;
	link = get_link(sock, run->veth);
	if (link == NULL)
		goto out;
	if (add_address(sock, link, run->host_addr, run->prefix) < 0)
		goto out;
	if (link_up(sock, link) < 0)
		goto out;
	trace(cfg, "host-end", "%s %s/%d, up", run->veth, ip_text(run->host_addr, text),
	      run->prefix);
	result = 0;
out:
	rtnl_link_put(link);
	nl_socket_free(sock);
	return result;
}

/* Release the lock, if held: remove the file while it is still ours. */
static void unlock_net(struct run *run)
{
	if (run->lock < 0)
		return;
	if (unlink(NET_LOCK) == -1)
		warn("unlink %s", NET_LOCK);
	/* LOCK_UN, not just close(): the child holds a copy of the file
	 * descriptor until it execs, and the lock lasts while any is open. */
	if (flock(run->lock, LOCK_UN) == -1)
		warn("flock -u %s", NET_LOCK);
	close(run->lock);
	run->lock = -1;
}

/*
 * step: sync
 * The tool's side: one byte down the pipe tells the child that the host
 * side is ready. The tool has kept its copy of the read end open until
 * now, so the pipe still has a reader even if the child has died: the
 * write cannot raise SIGPIPE, whose default action would end the tool
 * before it cleans up (pipe(7)).
 */
static void release_child(struct run *run)
{
	if (write(run->sync[1], "1", 1) != 1)
		warn("write to the sync pipe");
	close(run->sync[1]);
	close(run->sync[0]);
	run->sync[0] = run->sync[1] = -1;
}

/* ========================================================================
 * Waiting: signals passed on, and the command's end as an exit status
 * ======================================================================== */

/* A system call's name, from libseccomp's table for this architecture,
 * looked up once per number. */
static const char *syscall_name(struct run *run, uint64_t nr)
{
	static char unknown[32];

	if (nr < NR_SLOTS - 1 && run->names[nr] == NULL)
		run->names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
	if (nr < NR_SLOTS - 1 && run->names[nr] != NULL)
		return run->names[nr];
	snprintf(unknown, sizeof(unknown), "syscall_%llu", (unsigned long long)nr);
	return unknown;
}

struct flag {
	unsigned long long value;
	const char *name;
};
#define FLAG(f)       \
	{             \
		f, #f \
	}

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

/* After the access mode (O_RDONLY 0, O_WRONLY, O_RDWR), which is no bit. */
static const struct flag open_flags[] = {
	FLAG(O_CREAT),	   FLAG(O_EXCL),    FLAG(O_NOCTTY),    FLAG(O_TRUNC),	 FLAG(O_APPEND),
	FLAG(O_NONBLOCK),  FLAG(O_SYNC),    FLAG(O_DSYNC),     FLAG(O_ASYNC),	 FLAG(O_DIRECT),
	FLAG(O_LARGEFILE), FLAG(O_TMPFILE), FLAG(O_DIRECTORY), FLAG(O_NOFOLLOW), FLAG(O_NOATIME),
	FLAG(O_CLOEXEC),   FLAG(O_PATH),    { 0, NULL },
};

/* Flags as names joined by '|', what no name covers in hexadecimal; "0". */
static void put_flags(FILE *out, unsigned long long v, const struct flag *table, bool first)
{
	for (; table->name != NULL; table++) {
		if ((v & table->value) != table->value || table->value == 0)
			continue;
		fprintf(out, "%s%s", first ? "" : "|", table->name);
		v &= ~table->value;
		first = false;
	}
	if (v != 0 || first)
		fprintf(out, "%s%#llx", first ? "" : "|", v);
}

/* A path argument as read in the kernel; "..." when cut at STR_LEN. */
static void put_str(FILE *out, uint64_t ptr, const char *s)
{
	if (ptr == 0)
		fputs("NULL", out);
	else
		fprintf(out, "\"%.*s\"%s", STR_LEN, s,
			strnlen(s, STR_LEN) == STR_LEN - 1 ? "..." : "");
}

/* clone(2)'s flags: CSIGNAL, the low byte, is the signal sent at exit. */
static void put_clone_flags(FILE *out, uint64_t flags)
{
	const char *sig = sigabbrev_np((int)(flags & CSIGNAL));

	put_flags(out, flags & ~(uint64_t)CSIGNAL, clone_flags, true);
	if (sig != NULL)
		fprintf(out, "|SIG%s", sig);
}

/* The arguments of the calls the lab is about, decoded as strace would. */
static void put_args(FILE *out, const struct event *e)
{
	const uint64_t *a = e->args;

	switch (e->nr) {
	case SYS_openat:
		if ((int)a[0] == AT_FDCWD)
			fputs("(AT_FDCWD, ", out);
		else
			fprintf(out, "(%d, ", (int)a[0]);
		put_str(out, a[1], e->str[0]);
		fputs(", ", out);
		fputs((a[2] & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
		      : (a[2] & O_ACCMODE) == O_RDWR ? "O_RDWR"
						     : "O_RDONLY",
		      out);
		if ((a[2] & ~(uint64_t)O_ACCMODE) != 0)
			put_flags(out, a[2] & ~(uint64_t)O_ACCMODE, open_flags, false);
		if ((a[2] & O_CREAT) || (a[2] & O_TMPFILE) == O_TMPFILE)
			fprintf(out, ", %#llo", (unsigned long long)a[3]);
		fputc(')', out);
		break;
	case SYS_mount:
		fputc('(', out);
		put_str(out, a[0], e->str[0]);
		fputs(", ", out);
		put_str(out, a[1], e->str[1]);
		fputs(", ", out);
		put_str(out, a[2], e->str[2]);
		fputs(", ", out);
		put_flags(out, a[3], mount_flags, true);
		fputc(')', out);
		break;
	case SYS_umount2:
		fputc('(', out);
		put_str(out, a[0], e->str[0]);
		fputs(", ", out);
		put_flags(out, a[1], umount_flags, true);
		fputc(')', out);
		break;
	case SYS_pivot_root:
		fputc('(', out);
		put_str(out, a[0], e->str[0]);
		fputs(", ", out);
		put_str(out, a[1], e->str[1]);
		fputc(')', out);
		break;
	case SYS_execve:
		fputc('(', out);
		put_str(out, a[0], e->str[0]);
		fputs(", ...)", out);
		break;
	case SYS_clone:
		fputc('(', out);
		put_clone_flags(out, a[0]);
		fputs(", ...)", out);
		break;
	case SYS_clone3:
		fputs("({flags=", out);
		put_clone_flags(out, e->clone3_flags);
		fprintf(out, ", ...}, %llu)", (unsigned long long)a[1]);
		break;
	case SYS_unshare:
		fputc('(', out);
		put_flags(out, a[0], clone_flags, true);
		fputc(')', out);
		break;
	case SYS_setns:
		fprintf(out, "(%d, ", (int)a[0]);
		put_flags(out, a[1], clone_flags, true);
		fputc(')', out);
		break;
	default:
		break;
	}
}

/*
 * One line per call: seconds since the container was made, the PID in the
 * container's namespace, the command name, the call, and for the calls
 * above their arguments.
 */
static int on_event(void *cookie, void *data, size_t size)
{
	struct run *run = cookie;
	const struct event *e = data; /* in the ring itself, 8-byte aligned */

	fprintf(run->trace_out, "%11.6f %5u %-16.16s %s",
		(double)(int64_t)(e->ts - run->trace_t0) / 1e9, e->pid, e->comm,
		syscall_name(run, e->nr));
	if (size == sizeof(*e)) /* the fields after comm came too */
		put_args(run->trace_out, e);
	fputc('\n', run->trace_out);
	run->logged++;
	return 0;
}

/* Read what the ring holds, waiting up to TIMEOUT ms for the program to
 * wake the tool: bpf_poll_ringbuf() calls on_event() for each event. */
static void poll_trace(struct run *run, int timeout)
{
	if (run->ring == NULL)
		return;
	if (bcc.bpf_poll_ringbuf(run->ring, timeout) < 0 && errno != EINTR)
		warn("--trace: epoll_wait on the ring buffer");
	fflush(run->trace_out);
}

/*
 * step: wait
 * Wait for the child, passing on every signal the tool receives, and turn
 * its end into an exit status: its own status, or 128+N for signal N.
 */
static int wait_child(struct run *run)
{
	const struct timespec now = { 0 };
	siginfo_t info;
	int status;

	for (;;) {
		/* With --trace, the log is read between looks for a signal. */
		poll_trace(run, POLL_MS);
		if ((run->ring != NULL ? sigtimedwait(&run->blocked, &info, &now)
				       : sigwaitinfo(&run->blocked, &info)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* Cannot wait properly: end the container, so that
			 * main() can still clean up after it. */
			warn("sigwaitinfo");
			kill(run->pid, SIGKILL);
			waitpid(run->pid, NULL, 0);
			return EXIT_TOOL;
		}
		if (info.si_signo != SIGCHLD) {
			if (kill(run->pid, info.si_signo) == -1 && errno != ESRCH)
				warn("kill %d %s", run->pid, strsignal(info.si_signo));
			continue;
		}
		if (waitpid(run->pid, &status, WNOHANG) == run->pid)
			return exit_status(status);
	}
}

/*
 * step: cgroup-oom
 * A command ended by SIGKILL (status 137) may have been killed by the
 * kernel's OOM killer, for going past --memory. The memory controller
 * counts those kills: the line "oom_kill N" of memory.events (v2) or of
 * memory.oom_control (v1, from kernel 4.13). Saying so turns a bare 137
 * into a reason.
 */
static void report_oom(struct run *run)
{
	const struct config *cfg = run->cfg;
	struct hierarchy *h = hierarchy_of(run, "memory");
	char path[PATH_MAX], events[1024], limit[32];
	const char *line;

	if (h == NULL || h->dir[0] == '\0' ||
	    make_path(path, sizeof(path), "%s/%s", h->dir,
		      h->v2 ? "memory.events" : "memory.oom_control") < 0 ||
	    read_file(path, events, sizeof(events)) < 0)
		return;
	/* never the first line of either file */
	line = strstr(events, "\noom_kill ");
	if (line == NULL || atoll(line + strlen("\noom_kill ")) == 0)
		return;
	if (cfg->memory_arg != NULL)
		warnx("killed by the kernel: out of memory (limit %s)",
		      size_text(cfg->memory, limit, sizeof(limit)));
	else
		warnx("killed by the kernel: out of memory");
}

/* ========================================================================
 * Undoing: in the reverse order of making, on every way out
 * ======================================================================== */

/*
 * A step of the tool's after clone failed, and the child still waits on
 * the pipe: closing the write end gives it end of file, on which it exits
 * with 125 (step sync). Waiting for it means that nothing of it is left
 * when the rest is undone.
 */
static void stop_child(struct run *run)
{
	if (run->sync[1] < 0) /* no pipe, or the child was released */
		return;
	close(run->sync[1]);
	close(run->sync[0]);
	run->sync[0] = run->sync[1] = -1;
	if (run->pid > 0)
		waitpid(run->pid, NULL, 0);
}

/*
 * step: veth-delete
 * Undo the veth step. Deleting either end of a pair deletes both (veth(4)).
 * The container's network namespace goes with its last process, and the
 * kernel then deletes eth0, and so the pair, by itself: the link may be
 * gone already (ENODEV), which is no error here.
 */
static void delete_veth(const struct run *run)
{
	const struct config *cfg = run->cfg;
	struct rtnl_link *link;
	struct nl_sock *sock;
	int ret = -NLE_NOMEM;

	if (run->veth[0] == '\0')
		return;
	sock = nl_open();
	if (sock == NULL)
		return;
	link = rtnl_link_alloc();
	if (link != NULL) {
		rtnl_link_set_name(link, run->veth);
		ret = rtnl_link_delete(sock, link);
		rtnl_link_put(link);
	}
	nl_socket_free(sock);
	if (ret == 0)
		trace(cfg, "veth-delete", "%s and its peer", run->veth);
	else if (kernel_errno == ENODEV)
		trace(cfg, "veth-delete", "%s was gone already", run->veth);
	else
		warnx("delete veth %s: %s", run->veth, nl_reason(ret));
	kernel_errno = 0;
}

/*
 * rmdir(2) of a cgroup, which fails with EBUSY while a task is in it. The
 * container's processes have all been waited for by now, yet a cgroup can
 * stay busy for a moment after that: a task still finishing its exit
 * holds it, and some kernels hid such tasks from cgroup.procs meanwhile
 * (Linux commits c03cd7738a83 and 9c974c772464 are about them). So a few
 * more tries, 10 ms apart and doubling: 1.27 s in all, at most.
 */
static int remove_cgroup(const char *dir)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };

	for (int tries = 1;; tries++) {
		if (rmdir(dir) == 0)
			return 0;
		if (errno != EBUSY || tries == RMDIR_TRIES) {
			warn("rmdir %s", dir);
			return -1;
		}
		nanosleep(&pause, NULL);
		pause.tv_nsec *= 2;
	}
}

/*
 * step: cgroup-remove
 * Undo cgroup-create: the container's cgroup in each hierarchy, then cell
 * where it is empty. Another container's cgroup keeps cell busy (EBUSY),
 * or that container removed it first (ENOENT): either way it is not ours
 * to worry about.
 */
static void remove_cgroups(struct run *run)
{
	const struct config *cfg = run->cfg;
	char cell[PATH_MAX];
	int made = 0, removed = 0;

	for (int i = 0; i < run->n_cg; i++) {
		struct hierarchy *h = &run->cg[i];

		if (h->dir[0] != '\0') {
			made++;
			if (remove_cgroup(h->dir) == 0)
				removed++;
			h->dir[0] = '\0';
		}
		if (!h->cell || make_path(cell, sizeof(cell), "%s/" CGROUP_PARENT, h->mount) < 0)
			continue;
		if (rmdir(cell) == -1 && errno != EBUSY && errno != ENOTEMPTY && errno != ENOENT)
			warn("rmdir %s", cell);
		h->cell = false;
	}
	if (made > 0)
		trace(cfg, "cgroup-remove", CGROUP_PARENT "/%s removed from %d of %d hierarchies",
		      run->id, removed, made);
}

/* Set when remove_tree() met a directory it could not read. */
static bool unreadable;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	/* A rootless container's root can leave a directory of the user's that
	 * the user may not read (chmod 0 inside; overlayfs's own work/work is
	 * mode 0): root would read it anyway, the user first gives itself the
	 * right to, and the next pass goes in. Until then its parents cannot
	 * go either: no word of that. */
	if (type == FTW_DNR && chmod(path, 0700) == 0) {
		unreadable = true;
		return 0;
	}
	if (remove(path) == -1 && !unreadable)
		warn("remove %s", path);
	return 0;
}

/* rm -rf, without following symbolic links or crossing into mounts. */
static void remove_tree(const char *path)
{
	if (path[0] == '\0')
		return;
	if (access(path, F_OK) == -1) {
		if (errno != ENOENT)
			warn("access %s", path);
		return;
	}
	/* again while a pass made more of the tree readable: a few levels */
	for (int pass = 0; pass < REMOVE_PASSES; pass++) {
		unreadable = false;
		if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == -1)
			warn("remove %s", path);
		if (!unreadable)
			break;
	}
}

/*
 * step: cleanup
 * Undo the state-dir step. The overlay was mounted in the container's
 * mount namespace only, which the kernel tore down with its last process,
 * so these are plain directories by now. An --upper DIR is the user's and
 * stays; its work directory does not.
 */
static void remove_state(const struct run *run)
{
	const struct config *cfg = run->cfg;

	if (cfg->upper != NULL)
		remove_tree(run->workdir);
	remove_tree(run->state);
	trace(cfg, "cleanup", "%s removed", run->state[0] ? run->state : "nothing");
	/* A rootless user's state root goes with its last container; another
	 * one's directory keeps it (ENOTEMPTY), and so does a mistake of ours. */
	if (cfg->rootless && run->state_root[0] != '\0' && rmdir(run->state_root) == -1 &&
	    errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
		warn("rmdir %s", run->state_root);
}

/* The sum over all CPUs of a per-CPU map's value at KEY: the kernel hands
 * back one value per possible CPU. Returns -1 when the lookup fails. */
static int sum_per_cpu(const struct run *run, int map, uint32_t key, uint64_t *sum)
{
	*sum = 0;
	if (bcc.bpf_lookup_elem(map, &key, run->per_cpu) == -1) {
		warn("--trace: bpf BPF_MAP_LOOKUP_ELEM, key %u", key);
		return -1;
	}
	for (int cpu = 0; cpu < run->n_cpus; cpu++)
		*sum += run->per_cpu[cpu];
	return 0;
}

/*
 * step: trace-table
 * The container has ended. Detach the program first, then read what is
 * still in the ring, which also holds the last calls of a container killed
 * with SIGKILL: each event was written when its call began. Last, the
 * table, from the kernel's own counters, summed over the CPUs.
 */
static void finish_tracing(struct run *run)
{
	const struct config *cfg = run->cfg;
	struct row {
		uint64_t nr, calls;
	} rows[NR_SLOTS];
	int n_rows = 0, counts;
	uint64_t sum, total = 0;

	if (run->tp_fd >= 0) {
		close(run->tp_fd);
		run->tp_fd = -1;
	}
	if (run->ring == NULL || run->trace_out == NULL || run->trace_t0 == 0)
		return;
	bcc.bpf_consume_ringbuf(run->ring);
	counts = bcc.bpf_table_fd(run->bpf, "counts");
	for (uint32_t nr = 0; nr < NR_SLOTS; nr++) {
		if (sum_per_cpu(run, counts, nr, &sum) < 0)
			break;
		if (sum == 0)
			continue;
		/* most calls first: insertion into the sorted rows */
		int i = n_rows++;
		for (; i > 0 && rows[i - 1].calls < sum; i--)
			rows[i] = rows[i - 1];
		rows[i] = (struct row){ nr, sum };
		total += sum;
	}
	sum_per_cpu(run, bcc.bpf_table_fd(run->bpf, "lost"), 0, &run->lost);
	fprintf(run->trace_out, "\n%-20s %10s\n", "SYSCALL", "CALLS");
	for (int i = 0; i < n_rows; i++)
		fprintf(run->trace_out, "%-20s %10llu\n",
			rows[i].nr == NR_SLOTS - 1 ? "(others)" : syscall_name(run, rows[i].nr),
			(unsigned long long)rows[i].calls);
	fprintf(run->trace_out, "%llu calls counted, %llu logged, %llu lost\n",
		(unsigned long long)total, (unsigned long long)run->logged,
		(unsigned long long)run->lost);
	fflush(run->trace_out);
	if (run->lost > 0)
		warnx("--trace: %llu events lost: the ring buffer was full",
		      (unsigned long long)run->lost);
	trace(cfg, "trace-table", "%llu calls, %llu logged, %llu lost", (unsigned long long)total,
	      (unsigned long long)run->logged, (unsigned long long)run->lost);
}

/* Undo start_tracing, whatever part of it was done. */
static void stop_tracing(struct run *run)
{
	const struct config *cfg = run->cfg;

	if (cfg->trace_path == NULL)
		return;
	finish_tracing(run);
	if (run->ring != NULL)
		bcc.bpf_free_ringbuf(run->ring);
	run->ring = NULL;
	free(run->per_cpu);
	if (run->prog_fd >= 0)
		close(run->prog_fd);
	if (run->bpf != NULL)
		bcc.bpf_module_destroy(run->bpf);
	if (run->bcc_lib != NULL)
		dlclose(run->bcc_lib);
	for (int i = 0; i < NR_SLOTS; i++)
		free(run->names[i]);
	if (run->trace_out != NULL && fclose(run->trace_out) == EOF)
		warn("--trace %s", cfg->trace_path);
	/* no container, no log: a file the tool made goes */
	if (run->trace_created && run->trace_t0 == 0 && unlink(cfg->trace_path) == -1)
		warn("--trace: unlink %s", cfg->trace_path);
}

int main(int argc, char **argv)
{
	struct config cfg = { .hostname = "cell" };
	struct run run = {
		.cfg = &cfg,
		.lock = -1,
		.sync = { -1, -1 },
		.lower_fd = -1,
		.prog_fd = -1,
		.tp_fd = -1,
	};
	int status = EXIT_TOOL;

	/* The command line */
	parse_args(argc, argv, &cfg);
	check_privileges(&cfg);

	/* The tool, before the child exists */
	block_signals(&run);
	if (cfg.trace_path != NULL && start_tracing(&run) < 0)
		goto out;
	if (!cfg.rootless && find_cgroups(&run) < 0)
		goto out;
	if (make_state_dir(&run) < 0)
		goto out;
	if (cfg.userns && !cfg.rootless && prepare_userns(&run) < 0)
		goto out;
	if (!cfg.rootless && make_cgroups(&run) < 0)
		goto out;
	if (!cfg.rootless && set_limits(&run) < 0)
		goto out;
	if (!cfg.net_none && choose_addr(&run) < 0)
		goto out;
	if (pipe2(run.sync, O_CLOEXEC) == -1) {
		warn("pipe");
		goto out;
	}

	/* The child */
	if (spawn_child(&run) < 0)
		goto out;

	/* The tool, after clone */
	if (cfg.userns && write_maps(&run) < 0)
		goto out;
	if (!cfg.rootless && join_cgroups(&run) < 0)
		goto out;
	if (cfg.trace_path != NULL && set_trace_target(&run) < 0)
		goto out;
	if (!cfg.net_none && make_veth(&run) < 0)
		goto out;
	if (!cfg.net_none && configure_host_end(&run) < 0)
		goto out;
	unlock_net(&run);
	release_child(&run);

	/* Waiting */
	status = wait_child(&run);
	if (status == EXIT_SIGNAL + SIGKILL)
		report_oom(&run);

	/* Undoing, on every way out */
out:
	stop_child(&run);
	delete_veth(&run);
	unlock_net(&run);
	remove_cgroups(&run);
	remove_state(&run);
	stop_tracing(&run);
	return status;
}

/* ========================================================================
 * After main(): checking the options' values, and the help text
 * ======================================================================== */

/* --help: the usage, on stdout. */
static const char usage_text[] =
	"Usage: container [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"\n"
	"Run COMMAND (default /bin/sh) as PID 1 of a new PID namespace, with a\n"
	"hostname, a mount table, IPC objects and a network stack of its own, in a\n"
	"root file system entered with pivot_root. The root file system is the\n"
	"read-only lower layer of an overlay; the container's writes go to\n"
	"/run/cell/<id>/upper, removed at exit, or to --upper DIR.\n"
	"\n"
	"A veth pair joins the container to the host: eth0 inside, cell<id> on the\n"
	"host. The container's address is --ip, or .2 of the first 10.200.N.0/24\n"
	"that no host route overlaps; the host end takes the subnet's first address\n"
	"(.1) and is the container's default route. No NAT, no forwarding: the\n"
	"container reaches the host, and nothing beyond it.\n"
	"\n"
	"The container runs in cgroups of its own, cell/<id> in every cgroup v1\n"
	"hierarchy or in the v2 tree, whichever holds each controller, removed at\n"
	"exit; the limits below are written there. In a cgroup namespace of its own,\n"
	"the container sees its cgroup as the root, \"/\".\n"
	"\n"
	"With -U, or when not run as root, the container is also in a user namespace:\n"
	"uid and gid 0 inside are unprivileged ids on the host. Run by an ordinary\n"
	"user (rootless), root inside is that user outside, and nothing more: the\n"
	"cgroups and the veth need root on the host, so there are no limits and\n"
	"only loopback (a one-line notice says so), and the container's directories\n"
	"are in $XDG_RUNTIME_DIR/cell/<id>, else /tmp/cell-UID/<id>. Run by root\n"
	"with -U, ids 0 to COUNT-1 inside are FIRST to FIRST+COUNT-1 of the " SUBID_NAME " line\n"
	"of /etc/subuid and /etc/subgid (\"" SUBID_NAME ":FIRST:COUNT\", see subuid(5)); with\n"
	"no such line, 0-65535 are 1879048192-1879113727: above the ranges useradd\n"
	"gives new users (SUB_UID_MIN to SUB_UID_MAX of login.defs, 100000-600100000\n"
	"by default) and systemd-nspawn's (up to 1879048191), so that no user's files\n"
	"are the container's.\n"
	"Last, before the command runs, the container loses most of root's power: it\n"
	"keeps the 14 capabilities docker keeps (CHOWN, DAC_OVERRIDE, FOWNER, FSETID,\n"
	"KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD,\n"
	"AUDIT_WRITE, SETFCAP), in the bounding set too; no_new_privs is set, so a\n"
	"set-user-ID program gains nothing; and a seccomp filter makes the system\n"
	"calls docker's default profile refuses fail with EPERM (mount, reboot,\n"
	"keyctl, bpf, unshare and clone of namespaces, ioctl TIOCSTI, ...; clone3\n"
	"fails with ENOSYS, so that libc falls back to clone). Nothing is killed.\n"
	"\n"
	"Options:\n"
	"  -n, --hostname NAME   hostname inside (default: cell); 1-64 characters,\n"
	"                        dot-separated labels of letters, digits and '-'\n"
	"  -r, --rootfs DIR      root file system (default: the one `make rootfs`\n"
	"                        builds, " CELL_ROOTFS ")\n"
	"      --upper DIR       keep the container's writes (the overlay's upper\n"
	"                        layer) in DIR; a deleted file shows there as a\n"
	"                        whiteout (a 0:0 character device)\n"
	"      --init            run a minimal init as PID 1: it reaps orphans and\n"
	"                        passes signals on to the command\n"
	"      --ipc host        share the host's IPC namespace (default: private,\n"
	"                        a new one)\n"
	"      --ip CIDR         the container's address and subnet, e.g. 10.200.7.2/24\n"
	"                        (prefix 8-30); the host end gets the subnet's first\n"
	"                        address; the subnet must not overlap a host route\n"
	"      --net none        loopback only: a network namespace with no veth\n"
	"  -m, --memory SIZE     at most SIZE of memory; beyond it the kernel's OOM\n"
	"                        killer ends a process of the container. SIZE is\n"
	"                        bytes, or KiB, MiB, GiB with k, m, g (any case,\n"
	"                        optionally followed by b): 64m, 1g; at least 6m\n"
	"      --memory-swap SIZE  memory and swap together, at least --memory, which\n"
	"                        it needs; -1: swap without limit. Without it, the\n"
	"                        container's use of swap is not limited\n"
	"      --cpus DECIMAL    at most this many CPUs' worth of time, e.g. 0.5 (from\n"
	"                        0.01 to the number of CPUs online): a quota of\n"
	"                        DECIMAL x 100 ms in every period of 100 ms\n"
	"      --cpu-shares N    relative CPU weight against other cgroups when the\n"
	"                        CPUs are busy, 2-262144 (the default is 1024); on\n"
	"                        cgroup v2, cpu.weight 1 + (N - 2) * 9999 / 262142\n"
	"      --pids-limit N    at most N processes and threads at once (N > 0)\n"
	"      --cpuset-cpus LIST  run on these CPUs only, e.g. 0, 0-1 or 0,1: CPUs\n"
	"                        that are online\n"
	"      --device-read-bps DEV:RATE  read from block device DEV, a whole disk\n"
	"                        (e.g. /dev/vda), at most RATE bytes per second,\n"
	"                        written like SIZE: 1mb, 512kb. May be repeated\n"
	"      --device-write-bps DEV:RATE  the same for writes (on cgroup v1 only\n"
	"                        direct I/O: the page cache writes back later, as\n"
	"                        the kernel's, not the container's)\n"
	"  -U, --userns          a new user namespace, root inside mapped to the\n"
	"                        range above (the default when not run as root)\n"
	"      --cap-add CAP     keep CAP too, e.g. NET_ADMIN or CAP_NET_ADMIN (any\n"
	"                        case; capabilities(7) lists them); ALL: every one.\n"
	"                        A call the filter refuses for want of CAP (mount\n"
	"                        for SYS_ADMIN, say) is then let through. Repeatable.\n"
	"                        A capability the tool itself lacks is not kept\n"
	"      --cap-drop CAP    drop CAP (a CAP both added and dropped is dropped);\n"
	"                        ALL: drop every one but those of --cap-add. Repeatable\n"
	"      --seccomp default|unconfined|FILE  default: the filter above;\n"
	"                        unconfined: no filter at all; FILE: a text file of\n"
	"                        system call names, one per line ('#' starts a\n"
	"                        comment), which fail with EPERM instead of the\n"
	"                        default list (no argument rules: docker's JSON\n"
	"                        profiles are not read)\n"
	"      --trace FILE      trace the container's system calls into FILE (- for\n"
	"                        stderr): every call is counted in the kernel, and at\n"
	"                        exit FILE gets a table of calls per system call;\n"
	"                        those --calls names are logged too, a line each as\n"
	"                        they begin: seconds since the start, PID inside,\n"
	"                        command, call, and for clone, clone3, unshare, setns,\n"
	"                        mount, umount2, pivot_root, execve and openat the\n"
	"                        arguments. An eBPF program on the sys_enter tracepoint\n"
	"                        (raw_syscalls:sys_enter in tracefs) does it, compiled\n"
	"                        at start by libbcc, which is loaded only then; it\n"
	"                        needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) and\n"
	"                        kernel headers (make deps). A regular FILE is emptied\n"
	"                        first; /dev/null, /dev/stdout or a FIFO are written\n"
	"                        to as they are\n"
	"      --calls LIST      with --trace, the calls logged, by name, separated\n"
	"                        by commas; by default those a runtime is built from:\n"
	"                        clone,clone3,unshare,setns,mount,umount2,pivot_root,\n"
	"                        execve\n"
	"      --trace-all FILE  as --trace FILE, with every call logged: a line per\n"
	"                        call, which costs several times what counting does\n"
	"  -v, --verbose         print one line per setup step on stderr\n"
	"  -h, --help            show this help and exit\n"
	"\n"
	"Exit status: the command's own; 128+N if signal N killed it; 125 if the tool\n"
	"failed; 126 if the command cannot be executed; 127 if it is not found.\n"
	"\n"
	"Examples: sudo ./container --rootfs ../labs/rootfs ls /\n"
	"          sudo ./container -U cat /proc/self/uid_map\n"
	"          ./container --net none id    (rootless)\n";

static void usage(void)
{
	fputs(usage_text, stdout);
	exit(0);
}

/* A usage error: one line, then where to look, on stderr; exit 125. */
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'container --help' for more information.\n");
	exit(EXIT_TOOL);
}

/* --hostname NAME */
static void parse_hostname(const char *arg, struct config *cfg)
{
	if (!valid_hostname(arg))
		usage_error("--hostname: \"%s\" is not a valid hostname "
			    "(1-64 characters: letters, digits, '-' and '.')",
			    arg);
	cfg->hostname = arg;
}

/*
 * A hostname is what RFC 1123 allows: labels of letters, digits and hyphens,
 * 1-63 characters each, not starting or ending with a hyphen, joined by dots.
 * The kernel itself accepts any bytes up to 64; checking here turns a typo
 * into a clear message instead of a surprising prompt.
 */
static bool valid_hostname(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > LABEL_MAX)
			return false;
	}
	return label > 0 && name[len - 1] != '-';
}

/* --ipc host|private */
static void parse_ipc(const char *arg, struct config *cfg)
{
	if (strcmp(arg, "host") != 0 && strcmp(arg, "private") != 0)
		usage_error("--ipc: \"%s\" is not host or private", arg);
	cfg->ipc_host = strcmp(arg, "host") == 0;
}

/*
 * --ip CIDR: the container's address and its subnet. The host end takes the
 * subnet's first address, so the container's must be another host address:
 * not that one, not the network address (host bits all 0) and not the
 * broadcast address (all 1). The prefix stays within 8-30: a /31 or /32
 * leaves no room for two hosts beside those two, and a subnet wider than a
 * /8 would cover a good part of all addresses.
 */
static void parse_ip(const char *arg, struct config *cfg)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t mask, net;

	if (!parse_cidr(arg, &cfg->addr, &cfg->prefix))
		usage_error("--ip: \"%s\" is not an IPv4 address with a prefix (try 10.200.7.2/24)",
			    arg);
	if (cfg->prefix < 8 || cfg->prefix > 30)
		usage_error("--ip %s: the prefix length must be 8 to 30 (try /24)", arg);
	mask = ~0u << (32 - cfg->prefix);
	net = cfg->addr & mask;
	cfg->host_addr = net + 1;
	if (cfg->addr == net)
		usage_error("--ip %s: %s is the subnet's network address, not a host's (try %s/%d)",
			    arg, ip_text(net, a), ip_text(net + 2, b), cfg->prefix);
	if (cfg->addr == (net | ~mask))
		usage_error("--ip %s: %s is the subnet's broadcast address (try %s/%d)", arg,
			    ip_text(cfg->addr, a), ip_text(net + 2, b), cfg->prefix);
	if (cfg->addr == cfg->host_addr)
		usage_error(
			"--ip %s: %s, the subnet's first address, is the host end's (try %s/%d)",
			arg, ip_text(cfg->addr, a), ip_text(net + 2, b), cfg->prefix);
	cfg->ip = arg;
}

/*
 * "10.200.7.2/24" as an address (in host byte order) and a prefix length;
 * false for anything else. inet_pton(3) takes exactly four decimal numbers,
 * where inet_aton(3) would also take "10.1" or hexadecimal.
 */
static bool parse_cidr(const char *arg, uint32_t *addr, int *prefix)
{
	const char *slash = strchr(arg, '/');
	char text[INET_ADDRSTRLEN];
	struct in_addr in;
	char *end;
	long len;

	if (slash == NULL || (size_t)(slash - arg) >= sizeof(text) ||
	    !isdigit((unsigned char)slash[1]))
		return false;
	memcpy(text, arg, (size_t)(slash - arg));
	text[slash - arg] = '\0';
	if (inet_pton(AF_INET, text, &in) != 1)
		return false;
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len > 32)
		return false;
	*addr = ntohl(in.s_addr);
	*prefix = (int)len;
	return true;
}

/* --net none */
static void parse_net(const char *arg, struct config *cfg)
{
	if (strcmp(arg, "none") != 0)
		usage_error("--net: \"%s\": this stage knows only none", arg);
	cfg->net_none = true;
}

/* -m, --memory SIZE */
static void parse_memory(const char *arg, struct config *cfg)
{
	if (!parse_size(arg, &cfg->memory))
		usage_error("--memory: \"%s\" is not a size (try 64m or 1g)", arg);
	if (cfg->memory < MEMORY_MIN)
		usage_error("--memory %s: less than 6m, the smallest limit taken (as by docker)",
			    arg);
	cfg->memory_arg = arg;
}

/* --memory-swap SIZE, or -1 */
static void parse_memory_swap(const char *arg, struct config *cfg)
{
	if (strcmp(arg, "-1") == 0)
		cfg->memory_swap = -1;
	else if (!parse_size(arg, &cfg->memory_swap))
		usage_error("--memory-swap: \"%s\" is not a size (try 128m, or -1 for no limit)",
			    arg);
	cfg->swap_arg = arg;
}

/*
 * A size as docker writes one: a whole number of bytes, or of KiB, MiB or
 * GiB with the suffix k, m or g, in either case and optionally followed by
 * b ("512kb", "1MB"). Like docker and the kernel's own suffixes, k is 1024.
 */
static bool parse_size(const char *arg, long long *bytes)
{
	static const char units[] = "bkmg";
	unsigned long long n;
	const char *unit;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)arg[0]))
		return false;
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno != 0)
		return false;
	if (*end != '\0') {
		unit = strchr(units, tolower((unsigned char)*end));
		if (unit == NULL)
			return false;
		shift = 10 * (int)(unit - units);
		end++;
		if (shift > 0 && tolower((unsigned char)*end) == 'b')
			end++;
	}
	if (*end != '\0' || n > (unsigned long long)LLONG_MAX >> shift)
		return false;
	*bytes = (long long)(n << shift);
	return true;
}

/*
 * --cpus DECIMAL: a number such as 0.5 or 2, turned into a quota of
 * microseconds per CFS_PERIOD. At most the CPUs online: a bigger quota is
 * allowed by the kernel, but no more CPUs than exist can run the threads.
 */
static void parse_cpus(const char *arg, struct config *cfg)
{
	const char *p = arg;
	char online_text[256];
	cpu_set_t online;
	double cpus;

	/* digits, then maybe a point and digits: strtod() alone would also
	 * take "1e3", "inf" and hexadecimal */
	while (isdigit((unsigned char)*p))
		p++;
	if (p != arg && *p == '.' && isdigit((unsigned char)p[1])) {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (p == arg || *p != '\0')
		usage_error("--cpus: \"%s\" is not a number of CPUs (try 0.5 or 1.5)", arg);
	cpus = strtod(arg, NULL);
	online_cpus(&online, online_text, sizeof(online_text));
	if (cpus > CPU_COUNT(&online))
		usage_error("--cpus %s: this host has %d CPUs online (try 0.01 to %d)", arg,
			    CPU_COUNT(&online), CPU_COUNT(&online));
	cfg->cpu_quota = (long)(cpus * CFS_PERIOD + 0.5);
	if (cfg->cpu_quota < CFS_QUOTA_MIN)
		usage_error("--cpus %s: less than 0.01, the kernel's smallest quota (1 ms in "
			    "every 100 ms)",
			    arg);
}

/* --cpu-shares N */
static void parse_cpu_shares(const char *arg, struct config *cfg)
{
	if (!parse_long(arg, SHARES_MIN, SHARES_MAX, &cfg->cpu_shares))
		usage_error("--cpu-shares: \"%s\" is not a whole number from %d to %d", arg,
			    SHARES_MIN, SHARES_MAX);
}

/* --pids-limit N */
static void parse_pids_limit(const char *arg, struct config *cfg)
{
	if (!parse_long(arg, 1, PIDS_MAX, &cfg->pids_limit))
		usage_error("--pids-limit: \"%s\" is not a whole number from 1 to %d", arg,
			    PIDS_MAX);
}

/* A whole number from min to max, or false. */
static bool parse_long(const char *arg, long min, long max, long *out)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)arg[0]))
		return false;
	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* --cpuset-cpus LIST: a valid list of CPUs that are all online. */
static void parse_cpuset(const char *arg, struct config *cfg)
{
	char online_text[256];
	cpu_set_t want, online;

	if (!parse_cpu_list(arg, &want))
		usage_error("--cpuset-cpus: \"%s\" is not a list of CPUs (try 0, 0-1 or 0,1)", arg);
	online_cpus(&online, online_text, sizeof(online_text));
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &want) && !CPU_ISSET(cpu, &online))
			usage_error("--cpuset-cpus %s: CPU %d is not online (online: %s)", arg, cpu,
				    online_text);
	cfg->cpuset_cpus = arg;
}

/*
 * A CPU list in the kernel's own format (cpuset(7), "FORMATS"): numbers and
 * ranges separated by commas, e.g. "0-3,8". False for anything else.
 */
static bool parse_cpu_list(const char *text, cpu_set_t *set)
{
	const char *p = text;
	unsigned long first, last;
	char *end;

	CPU_ZERO(set);
	do {
		if (!isdigit((unsigned char)*p))
			return false;
		first = last = strtoul(p, &end, 10);
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return false;
			last = strtoul(end + 1, &end, 10);
		}
		if (first > last || last >= CPU_SETSIZE)
			return false;
		for (; first <= last; first++)
			CPU_SET(first, set);
		p = end;
	} while (*p++ == ',');
	return p[-1] == '\0';
}

/* The CPUs online now, as a set and as the kernel lists them ("0-1"). */
static void online_cpus(cpu_set_t *set, char *text, size_t size)
{
	static const char path[] = "/sys/devices/system/cpu/online";
	FILE *f = fopen(path, "re");

	if (f == NULL)
		err(EXIT_TOOL, "open %s", path);
	if (fgets(text, (int)size, f) == NULL) {
		if (ferror(f))
			err(EXIT_TOOL, "read %s", path);
		errx(EXIT_TOOL, "read %s: empty", path);
	}
	fclose(f);
	text[strcspn(text, "\n")] = '\0';
	if (!parse_cpu_list(text, set))
		errx(EXIT_TOOL, "%s: \"%s\" is not a CPU list", path, text);
}

/*
 * --device-read-bps / --device-write-bps DEV:RATE. The kernel takes the
 * device as its major:minor numbers, which stat(2) of DEV gives. It limits
 * whole disks only (a partition's I/O is counted as its disk's), so a
 * partition is refused here, naming its disk: /sys/dev/block/MAJ:MIN is a
 * link into sysfs, where a partition's directory sits inside its disk's.
 */
static void parse_device_rate(const char *opt, const char *arg, bool writes, struct config *cfg)
{
	const char *colon = strrchr(arg, ':');
	char path[PATH_MAX], sys[64], disk[PATH_MAX];
	struct io_limit *limit = NULL;
	struct stat st;
	long long rate;
	int i;

	if (colon == NULL || colon == arg || (size_t)(colon - arg) >= sizeof(path))
		usage_error("%s: \"%s\" is not DEVICE:RATE (try /dev/vda:1mb)", opt, arg);
	memcpy(path, arg, (size_t)(colon - arg));
	path[colon - arg] = '\0';
	if (!parse_size(colon + 1, &rate) || rate == 0)
		usage_error("%s %s: \"%s\" is not a rate in bytes per second (try 1mb or 512kb)",
			    opt, arg, colon + 1);
	if (stat(path, &st) == -1)
		err(EXIT_TOOL, "%s %s", opt, path);
	if (!S_ISBLK(st.st_mode))
		errx(EXIT_TOOL, "%s %s: not a block device", opt, path);
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition", major(st.st_rdev),
		 minor(st.st_rdev));
	if (access(sys, F_OK) == -1 && errno != ENOENT)
		err(EXIT_TOOL, "%s %s: access %s", opt, path, sys);
	if (access(sys, F_OK) == 0) {
		*strrchr(sys, '/') = '\0';
		strcat(sys, "/..");
		if (realpath(sys, disk) == NULL)
			err(EXIT_TOOL, "%s %s: a partition, of a disk that realpath %s fails on",
			    opt, path, sys);
		errx(EXIT_TOOL,
		     "%s %s: a partition; the kernel limits whole disks only (try /dev/%s)", opt,
		     path, strrchr(disk, '/') + 1);
	}
	for (i = 0; i < cfg->n_io; i++)
		if (cfg->io[i].major == major(st.st_rdev) && cfg->io[i].minor == minor(st.st_rdev))
			limit = &cfg->io[i];
	if (limit == NULL) {
		if (cfg->n_io == MAX_IO_LIMITS)
			usage_error("%s %s: more than %d devices", opt, arg, MAX_IO_LIMITS);
		limit = &cfg->io[cfg->n_io++];
		limit->major = major(st.st_rdev);
		limit->minor = minor(st.st_rdev);
	}
	if (writes)
		limit->wbps = rate;
	else
		limit->rbps = rate;
}

/*
 * --cap-add / --cap-drop CAP: a capability's name as capabilities(7)
 * writes it, with or without "CAP_", in any case; or ALL. libcap knows
 * the names; the running kernel may know fewer (cap_max_bits(3) reads
 * /proc/sys/kernel/cap_last_cap).
 */
static void parse_cap(const char *opt, const char *arg, unsigned long long *set, bool *all)
{
	char name[64];
	cap_value_t cap;
	size_t i;

	if (strcasecmp(arg, "ALL") == 0) {
		*all = true;
		return;
	}
	snprintf(name, sizeof(name), "%s%s", strncasecmp(arg, "CAP_", 4) == 0 ? "" : "cap_", arg);
	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (strlen(arg) >= sizeof(name) - 4 || cap_from_name(name, &cap) == -1)
		usage_error("%s: \"%s\" is not a capability (try NET_ADMIN; capabilities(7) "
			    "lists them)",
			    opt, arg);
	if (cap >= (cap_value_t)cap_max_bits())
		usage_error("%s %s: this kernel has no such capability", opt, arg);
	*set |= CAP(cap);
}

/* --seccomp default|unconfined|FILE */
static void parse_seccomp(const char *arg, struct config *cfg)
{
	cfg->seccomp_unconfined = strcmp(arg, "unconfined") == 0;
	cfg->seccomp_file = NULL;
	if (strcmp(arg, "default") != 0 && !cfg->seccomp_unconfined)
		read_seccomp_file(arg, cfg);
}

/*
 * --seccomp FILE: the names of the system calls to refuse, one a line;
 * blank lines and '#' comments are skipped. Each name is checked now,
 * against libseccomp's table for this machine, so that a typo stops the
 * tool before anything is made.
 */
static void read_seccomp_file(const char *path, struct config *cfg)
{
	char *line = NULL, *name, *end;
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL)
		err(EXIT_TOOL, "--seccomp %s", path);
	cfg->n_file_calls = 0;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		name = line + strspn(line, " \t");
		end = name + strcspn(name, " \t");
		if (*name == '\0')
			continue;
		if (end[strspn(end, " \t")] != '\0')
			errx(EXIT_TOOL, "--seccomp %s:%d: one system call name a line, not \"%s\"",
			     path, lineno, name);
		*end = '\0';
		if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
			errx(EXIT_TOOL, "--seccomp %s:%d: \"%s\" is no system call known here",
			     path, lineno, name);
		if (cfg->n_file_calls == MAX_SECCOMP_FILE)
			errx(EXIT_TOOL, "--seccomp %s: more than %d names", path, MAX_SECCOMP_FILE);
		if (strlen(name) >= sizeof(cfg->file_calls[0]))
			errx(EXIT_TOOL, "--seccomp %s:%d: \"%s\" is too long a name", path, lineno,
			     name);
		strcpy(cfg->file_calls[cfg->n_file_calls++], name);
	}
	if (ferror(f))
		err(EXIT_TOOL, "read %s", path);
	free(line);
	fclose(f);
	cfg->seccomp_file = path;
}

/* --memory-swap with --memory, as docker: the total means nothing without
 * the memory part, and cannot be less. */
static void check_memory_swap(const struct config *cfg)
{
	if (cfg->swap_arg != NULL && cfg->memory_arg == NULL)
		usage_error("--memory-swap needs --memory: it is the total of memory and swap");
	if (cfg->swap_arg != NULL && cfg->memory_swap != -1 && cfg->memory_swap < cfg->memory)
		usage_error("--memory-swap %s is less than --memory %s: it is the total of memory "
			    "and swap",
			    cfg->swap_arg, cfg->memory_arg);
}

/* --rootfs DIR: mount targets are built from this path, so make it
 * absolute, and check it now rather than from deep inside the child. */
static void check_rootfs(const char *rootfs, struct config *cfg)
{
	struct stat st;

	if (realpath(rootfs, cfg->rootfs) == NULL) {
		if (errno == ENOENT && strcmp(rootfs, CELL_ROOTFS) == 0)
			errx(EXIT_TOOL,
			     "the default root file system %s is missing: "
			     "build it with make rootfs, or give --rootfs DIR",
			     rootfs);
		err(EXIT_TOOL, "--rootfs %s", rootfs);
	}
	if (stat(cfg->rootfs, &st) == -1)
		err(EXIT_TOOL, "stat %s", cfg->rootfs);
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_TOOL, "--rootfs %s: not a directory", rootfs);
	if (strcmp(cfg->rootfs, "/") == 0)
		errx(EXIT_TOOL, "--rootfs /: the host's own root is not a container's");
	/* overlayfs separates its options with ',' and its layers with ':'. */
	if (strpbrk(cfg->rootfs, ",:") != NULL)
		errx(EXIT_TOOL, "--rootfs %s: overlayfs cannot take a path with ',' or ':'",
		     cfg->rootfs);
}

/*
 * --trace FILE [--calls LIST], or --trace-all FILE. Every call is counted
 * either way; LIST names the calls also logged, one line each, by their
 * names as libseccomp knows them for this machine (checked now, so that a
 * typo stops the tool before anything is made).
 */
static void check_trace(const char *trace, const char *trace_all, const char *calls,
			struct config *cfg)
{
	char list[256], *name, *rest;
	int nr;

	if (trace != NULL && trace_all != NULL)
		usage_error("--trace and --trace-all exclude each other: one log is written");
	if (calls != NULL && trace_all != NULL)
		usage_error(
			"--calls and --trace-all exclude each other: --trace-all logs every call");
	if (calls != NULL && trace == NULL)
		usage_error("--calls needs --trace FILE: it names the calls that are logged");
	cfg->trace_path = trace != NULL ? trace : trace_all;
	cfg->trace_all = trace_all != NULL;
	cfg->calls = calls != NULL ? calls : DEFAULT_CALLS;
	if (cfg->trace_path == NULL || cfg->trace_all)
		return;
	if (strlen(cfg->calls) >= sizeof(list))
		usage_error("--calls: a list of more than %zu characters", sizeof(list) - 1);
	strcpy(list, cfg->calls);
	rest = list;
	do {
		name = strsep(&rest, ",");
		nr = seccomp_syscall_resolve_name(name);
		if (*name == '\0')
			usage_error(
				"--calls: \"%s\" is not a list of system call names separated by "
				"commas (try mount,umount2)",
				cfg->calls);
		if (nr < 0)
			usage_error("--calls: \"%s\" is no system call known here (try execve)",
				    name);
		if (nr >= NR_SLOTS - 1)
			usage_error("--calls: %s is number %d, past the %d the tracer tells apart",
				    name, nr, NR_SLOTS - 1);
		cfg->named[nr] = true;
	} while (rest != NULL);
}

/* ========================================================================
 * Helpers
 * ======================================================================== */

/* With -v, one line per completed step: "=> STEP ... done (DETAIL)". */
static void trace(const struct config *cfg, const char *step, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (!cfg->verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fprintf(stderr, "=> %s ... done (%s)\n", step, detail);
}

/* A wait status as an exit status: the command's own, or 128+N for signal N. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return EXIT_SIGNAL + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* snprintf() a path, or say that it is too long. */
static int make_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		warnx("path too long: %s...", buf);
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* mkdir(2), or say which directory could not be made. */
static int make_dir(const char *path)
{
	if (mkdir(path, 0700) == -1) {
		warn("mkdir %s", path);
		return -1;
	}
	return 0;
}

/* An IPv4 address as text, in buf (INET_ADDRSTRLEN bytes), for messages. */
static const char *ip_text(uint32_t addr, char *buf)
{
	struct in_addr in = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* A size for messages: "64 MiB", "1 GiB", or bytes when no unit divides it. */
static const char *size_text(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB" };
	int u = 0;

	while (u < 3 && bytes != 0 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, "%lld %s", bytes, units[u]);
	return buf;
}

/* Whether a list separated by commas or spaces holds WORD. */
static bool in_list(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; *p != '\0'; p += strcspn(p, ", "), p += strspn(p, ", "))
		if (strncmp(p, word, len) == 0 &&
		    (p[len] == '\0' || p[len] == ',' || p[len] == ' '))
			return true;
	return false;
}

/* Add WORD to a list, after SEP. */
static void add_to_list(char *list, size_t size, const char *sep, const char *word)
{
	size_t len = strlen(list);

	snprintf(list + len, size - len, "%s%s", len > 0 ? sep : "", word);
}

/* A small file, such as a cgroup's, without its final newline. */
static int read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		warn("open %s", path);
		return -1;
	}
	n = read(fd, buf, size - 1);
	if (n == -1)
		warn("read %s", path);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/*
 * Write TEXT to a cgroup file. The kernel parses each write(2) on its own,
 * so the whole text goes in one call; it may take only part of it (a short
 * write), and may report a failure at close(2) as well: all three are
 * checked, and a message names the file and what was written.
 */
static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1) {
		warn("open %s", path);
		return -1;
	}
	n = write(fd, text, len);
	if (n == -1) {
		warn("write %s to %s", text, path);
		close(fd);
		return -1;
	}
	if ((size_t)n != len) {
		warnx("write %s to %s: the kernel took %zd of %zu bytes", text, path, n, len);
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		warn("write %s to %s: close", text, path);
		return -1;
	}
	return 0;
}

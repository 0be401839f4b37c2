/*
 * 04-pivot-overlay: a root the command cannot walk out of, and an image
 * that stays read-only.
 *
 * Stage 03 plus two changes to the root file system. First, the rootfs is
 * the read-only lower layer of an overlay: the container's writes go to an
 * upper directory under /run/cell/<id> (or --upper DIR), and the rootfs
 * itself is never written, so many containers can share one image. Second,
 * pivot_root(2) replaces chroot: the overlay becomes the root of the
 * container's mount namespace and the host's tree, now the "old root", is
 * unmounted. No path inside leads back out, which ends the chroot escape.
 * One door stays that no root change shuts: a descriptor the caller left
 * open, of a host directory say, still reaches the host's files. So only
 * stdin, stdout and stderr go on to the command.
 *
 * The overlay's directories are the first thing this program leaves on the
 * host, so from here on main() removes them on every way out.
 *
 * The file reads in the order the program runs, as main() at the end lists
 * it: the command line, the tool before the child exists, the child, the
 * tool after clone, waiting, undoing (a part a stage has no use for yet is
 * left out). Checking option values and the help text come after main().
 *
 * Read alongside: pivot_root(2), umount(2), the kernel's
 * Documentation/filesystems/overlayfs.rst, close_range(2), nftw(3), and
 * stage 03's pages.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The options, checked: what the command line asked for. */
struct config {
	const char *hostname;
	char rootfs[PATH_MAX]; /* absolute path of the root file system */
	const char *upper;     /* --upper DIR, or NULL */
	char **argv;	       /* the command and its arguments */
	bool verbose;
	bool init;     /* --init: a minimal init is PID 1, the command PID 2 */
	bool ipc_host; /* --ipc host: share the host's IPC namespace */
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
};

/* The child's first function, which clone() starts. */
static int child_main(void *arg);

/* After main(): checking the options' values, and small helpers. */
static void usage(void) __attribute__((noreturn));
static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void parse_hostname(const char *arg, struct config *cfg);
static bool valid_hostname(const char *name);
static void parse_ipc(const char *arg, struct config *cfg);
static void check_rootfs(const char *rootfs, struct config *cfg);
static void trace(const struct config *cfg, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int make_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int make_dir(const char *path);
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }, /* getopt_long stops at the all-zero entry */
	};
	static char *default_argv[] = { "/bin/sh", NULL };
	const char *rootfs = CELL_ROOTFS;
	int opt;

	/* The leading '+' stops at the first non-option: the command's own
	 * options are left for the command. The ':' after it lets us word the
	 * errors ourselves. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:n:r:vh", options, NULL)) != -1) {
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
	check_rootfs(rootfs, cfg);
}

/*
 * Creating namespaces other than user namespaces needs CAP_SYS_ADMIN.
 * Saying so once, up front, is kinder than an EPERM from clone().
 */
static void require_root(void)
{
	if (geteuid() != 0)
		errx(EXIT_TOOL, "this stage needs root: run it with sudo");
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
	if (mkdir(STATE_ROOT, 0700) == -1 && errno != EEXIST) {
		warn("mkdir %s", STATE_ROOT);
		return -1;
	}
	if (make_path(run->state, sizeof(run->state), STATE_ROOT "/%s", run->id) < 0 ||
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
		if (mkdir(cfg->upper, 0755) == -1 && errno != EEXIST) {
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
	int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
	void *stack;

	if (!cfg->ipc_host)
		flags |= CLONE_NEWIPC;

	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		warn("mmap child stack");
		return -1;
	}
	run->pid = clone(child_main, (char *)stack + STACK_SIZE, flags, run);
	if (run->pid == -1)
		warn("clone");
	munmap(stack, STACK_SIZE);
	return run->pid == -1 ? -1 : 0;
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
	trace(cfg, "mount-dev", "%s/dev", run->merged);
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
	char opts[3 * PATH_MAX + 64], oldroot[PATH_MAX];

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
	 * mount lives in this namespace only: the host sees three directories. */
	/* solution 04 begin: mount-overlay, keep opts */
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", cfg->rootfs,
			     run->upperdir, run->workdir) >= sizeof(opts))
		errx(EXIT_TOOL, "overlay options too long");
	if (mount("overlay", run->merged, "overlay", 0, opts) == -1)
		err(EXIT_TOOL, "mount overlay on %s (%s)", run->merged, opts);
	trace(cfg, "mount-overlay", "%s", run->merged);
	/* solution 04 end */

	/* step: mount-proc
	 * A proc file system shows the PID namespace of the process that
	 * mounted it: mounted here, it lists the container's processes only. */
	/* solution 02 begin: mount-proc */
	mount_in(run, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	trace(cfg, "mount-proc", "%s/proc", run->merged);
	/* solution 02 end */

	/* step: mount-sys
	 * Read-only: /sys holds knobs for the whole machine, and root inside
	 * is still root. */
	mount_in(run, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	trace(cfg, "mount-sys", "%s/sys, read-only", run->merged);

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

	if (cfg->init)
		return run_init(run);
	exec_command(run);
	return EXIT_TOOL;
}

/* ========================================================================
 * Waiting: signals passed on, and the command's end as an exit status
 * ======================================================================== */

/*
 * step: wait
 * Wait for the child, passing on every signal the tool receives, and turn
 * its end into an exit status: its own status, or 128+N for signal N.
 */
static int wait_child(struct run *run)
{
	siginfo_t info;
	int status;

	for (;;) {
		if (sigwaitinfo(&run->blocked, &info) == -1) {
			if (errno == EINTR)
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

/* ========================================================================
 * Undoing: in the reverse order of making, on every way out
 * ======================================================================== */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	if (remove(path) == -1)
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
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == -1)
		warn("remove %s", path);
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
}

int main(int argc, char **argv)
{
	struct config cfg = { .hostname = "cell" };
	struct run run = {
		.cfg = &cfg,
	};
	int status = EXIT_TOOL;

	/* The command line */
	parse_args(argc, argv, &cfg);
	require_root();

	/* The tool, before the child exists */
	block_signals(&run);
	if (make_state_dir(&run) < 0)
		goto out;

	/* The child */
	if (spawn_child(&run) < 0)
		goto out;

	/* Waiting */
	status = wait_child(&run);

	/* Undoing, on every way out */
out:
	remove_state(&run);
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
	"hostname, a mount table and IPC objects of its own, in a root file system\n"
	"entered with pivot_root. The root file system is the read-only lower layer\n"
	"of an overlay; the container's writes go to /run/cell/<id>/upper, removed\n"
	"at exit, or to --upper DIR.\n"
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
	"  -v, --verbose         print one line per setup step on stderr\n"
	"  -h, --help            show this help and exit\n"
	"\n"
	"Exit status: the command's own; 128+N if signal N killed it; 125 if the tool\n"
	"failed; 126 if the command cannot be executed; 127 if it is not found.\n"
	"\n"
	"Example: sudo ./container --rootfs ../labs/rootfs ls /\n";

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

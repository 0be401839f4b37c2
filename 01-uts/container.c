/*
 * 01-uts: run a command with a hostname of its own.
 *
 * The program clones a child into a new UTS namespace, sets the hostname
 * there and runs the command. The kernel keeps one nodename per UTS
 * namespace, so `hostname` inside shows the new name while the host keeps
 * its own. Everything else (processes, files, network) is still shared with
 * the host: the next stages take those away one by one.
 *
 * The parent stays behind to wait for the command and to pass on the
 * signals it receives, then exits with the command's status, as
 * `docker run` does.
 *
 * The file reads in the order the program runs, as main() at the end lists
 * it: the command line, the tool before the child exists, the child, the
 * tool after clone, waiting, undoing (a part a stage has no use for yet is
 * left out). Checking option values and the help text come after main().
 *
 * Read alongside: clone(2), uts_namespaces(7), namespaces(7),
 * sethostname(2), sigwaitinfo(2), wait(2).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* The options, checked: what the command line asked for. */
struct config {
	const char *hostname;
	char **argv; /* the command and its arguments */
	bool verbose;
};

/*
 * What the tool holds while the container runs: what it made, and the
 * handles to it. The options come along: clone() passes the child one
 * pointer, and every step after the command line takes this one.
 */
struct run {
	const struct config *cfg; /* the options */
	pid_t pid;		  /* the child, once cloned */
	sigset_t blocked;	  /* the signals the tool waits for */
	sigset_t child_mask;	  /* the signal mask the command starts with */
};

/* The child's first function, which clone() starts. */
static int child_main(void *arg);

/* After main(): checking the options' values, and small helpers. */
static void usage(void) __attribute__((noreturn));
static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void parse_hostname(const char *arg, struct config *cfg);
static bool valid_hostname(const char *name);
static void trace(const struct config *cfg, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }, /* getopt_long stops at the all-zero entry */
	};
	static char *default_argv[] = { "/bin/sh", NULL };
	int opt;

	/* The leading '+' stops at the first non-option: the command's own
	 * options are left for the command. The ':' after it lets us word the
	 * errors ourselves. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:n:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			parse_hostname(optarg, cfg);
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

/* ========================================================================
 * The child: what clone() starts, from its first step to exec
 * ======================================================================== */

/*
 * step: clone
 * clone(2) starts the child directly in the new namespace. Without CLONE_VM
 * the child gets a copy of our memory, like fork(), so it may read the run
 * and its options; it only needs a stack of its own to start on. It
 * starts in child_main(), at the end of this part; the functions between
 * are its steps, in the order it takes them.
 */
static int spawn_child(struct run *run)
{
	void *stack;

	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		warn("mmap child stack");
		return -1;
	}
	run->pid = clone(child_main, (char *)stack + STACK_SIZE, CLONE_NEWUTS | SIGCHLD, run);
	if (run->pid == -1)
		warn("clone CLONE_NEWUTS");
	munmap(stack, STACK_SIZE);
	return run->pid == -1 ? -1 : 0;
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

/* Runs in the child, inside the new namespace, until exec. */
static int child_main(void *arg)
{
	struct run *run = arg;
	const struct config *cfg = run->cfg;

	/* The child reports the clone step itself, so that the trace lines
	 * come out in the order the steps happen. */
	trace(cfg, "clone", "child pid %d, in a new UTS namespace", getpid());

	/* step: hostname
	 * This child is the only process in the new UTS namespace, so the
	 * change is seen by it and its descendants only. */
	/* solution 01 begin: hostname */
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) == -1)
		err(EXIT_TOOL, "sethostname %s", cfg->hostname);
	trace(cfg, "hostname", "%s", cfg->hostname);
	/* solution 01 end */

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
			err(EXIT_TOOL, "sigwaitinfo");
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

int main(int argc, char **argv)
{
	struct config cfg = { .hostname = "cell" };
	struct run run = {
		.cfg = &cfg,
	};

	/* The command line */
	parse_args(argc, argv, &cfg);
	require_root();

	/* The tool, before the child exists */
	block_signals(&run);

	/* The child */
	if (spawn_child(&run) < 0)
		return EXIT_TOOL;

	/* Waiting */
	return wait_child(&run);
}

/* ========================================================================
 * After main(): checking the options' values, and the help text
 * ======================================================================== */

/* --help: the usage, on stdout. */
static const char usage_text[] =
	"Usage: container [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"\n"
	"Run COMMAND (default /bin/sh) in a new UTS namespace: it gets a hostname\n"
	"of its own, and the host's hostname does not change.\n"
	"\n"
	"Options:\n"
	"  -n, --hostname NAME   hostname inside (default: cell); 1-64 characters,\n"
	"                        dot-separated labels of letters, digits and '-'\n"
	"  -v, --verbose         print one line per setup step on stderr\n"
	"  -h, --help            show this help and exit\n"
	"\n"
	"Exit status: the command's own; 128+N if signal N killed it; 125 if the tool\n"
	"failed; 126 if the command cannot be executed; 127 if it is not found.\n"
	"\n"
	"Example: sudo ./container --hostname lab1 hostname\n";

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

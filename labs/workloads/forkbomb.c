/*
 * forkbomb - a fork bomb with a safety catch.
 *
 * Used in stage 06 (cgroups, the pids controller): with "--pids-limit 20" in place,
 * "forkbomb -n 1000" stops at fewer than 20 children with "Resource temporarily
 * unavailable" (fork() fails with EAGAIN once the cgroup's pids.max is reached), while the
 * host keeps working. Without a limit it reaches its own bound and says "limit reached".
 *
 * Usage: forkbomb [-n MAX]
 *
 * Unlike a real fork bomb, children do not fork again: each one just waits in pause().
 * The parent counts how many it could create, prints "forked N children, then: REASON",
 * kills them all with SIGKILL and reaps them, and exits 0 either way (the message is the
 * result). If the parent itself is killed first, PR_SET_PDEATHSIG makes the kernel kill
 * the children too, so no sleeping processes are left behind.
 *
 * Further reading: fork(2) (EAGAIN), prctl(2) (PR_SET_PDEATHSIG), the kernel's
 * Documentation/admin-guide/cgroup-v1/pids.rst.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

#define DEFAULT_MAX 1000
#define LIMIT_MAX   1000000

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: forkbomb [-n MAX]\n"
	       "\n"
	       "Fork idle children until fork() fails or MAX exist, report how many, then\n"
	       "kill them all.\n"
	       "\n"
	       "  -n, --max MAX  stop after MAX children (default %d)\n"
	       "  -h, --help     show this help\n",
	       DEFAULT_MAX);
	exit(0);
}

static void __attribute__((noreturn)) child(pid_t parent)
{
	/*
	 * Ask for SIGKILL when the parent dies. The parent may already have died between
	 * fork() and this call, in which case no signal will ever come: check by hand.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long max = DEFAULT_MAX, n;
	pid_t parent = getpid();
	int opt, fork_errno = 0;
	pid_t *pids;

	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			max = number_arg("--max", optarg, 1, LIMIT_MAX);
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	no_operands(argc, argv);

	/* Allocate before forking: a failed malloc later would leave children unkilled. */
	pids = calloc((size_t)max, sizeof(*pids));
	if (!pids)
		err(1, "calloc");

	for (n = 0; n < max; n++) {
		pid_t pid = fork();

		if (pid < 0) {
			fork_errno = errno;
			break;
		}
		if (pid == 0)
			child(parent);
		pids[n] = pid;
	}

	printf("forked %ld children, then: %s\n", n,
	       n == max ? "limit reached" : strerror(fork_errno));
	if (fflush(stdout) == EOF)
		warn("stdout");

	/* Kill everyone first, then reap: waiting one by one would be as slow as forking. */
	for (long i = 0; i < n; i++) {
		if (kill(pids[i], SIGKILL) < 0)
			warn("kill %d", (int)pids[i]);
	}
	for (long i = 0; i < n; i++) {
		while (waitpid(pids[i], NULL, 0) < 0) {
			if (errno != EINTR) {
				warn("waitpid %d", (int)pids[i]);
				break;
			}
		}
	}
	free(pids);
	return 0;
}

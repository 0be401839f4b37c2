/*
 * init.c: cell-init, the minimal init of `cell run --init` (stage 02's
 * --init, as a program of its own).
 *
 * A container's PID 1 has two duties a program written for a shell does
 * not expect: every orphan of the namespace becomes its child, to be
 * reaped, and the kernel delivers to it only the signals it has a handler
 * for. cell-init runs the command as its child, passes on every signal it
 * gets, reaps every child that ends, and ends with the command's status.
 * It is linked statically (libc only), so that it runs in any root file
 * system; `cell run --init` binds a copy of it, read-only, at
 * /run/cell-init and runs `/run/cell-init -- COMMAND...`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_INIT	125 /* cell-init itself failed */
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND	127

int main(int argc, char **argv)
{
	sigset_t all, none;
	siginfo_t info;
	pid_t cmd, pid;
	int status;

	if (argc < 3 || strcmp(argv[1], "--") != 0) {
		fprintf(stderr, "Usage: cell-init -- COMMAND [ARG...]\n"
				"The init of `cell run --init`: PID 1, the command its child.\n");
		return EXIT_INIT;
	}
	/* blocked signals are queued, never dropped, even for PID 1: each is
	 * taken by sigwaitinfo below and passed on */
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	cmd = fork();
	if (cmd < 0) {
		perror("cell-init: fork");
		return EXIT_INIT;
	}
	if (cmd == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "cell-init: %s: %s\n", argv[2], strerror(errno));
		_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
	}
	for (;;) {
		if (sigwaitinfo(&all, &info) < 0)
			continue;
		if (info.si_signo != SIGCHLD) {
			kill(cmd, info.si_signo);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				return WIFSIGNALED(status) ? 128 + WTERMSIG(status)
							   : WEXITSTATUS(status);
	}
}

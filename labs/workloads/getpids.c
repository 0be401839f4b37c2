/*
 * getpids - call getpid(2) in a tight loop and say how long each call took.
 *
 * Used by stage 09's benchmark (make -C 09-ebpf bench): the cheapest system call there
 * is, many times, so that what a tracer adds to every call is most of what gets
 * measured. The same loop runs bare, under the eBPF tracer and under strace -f.
 *
 * Usage: getpids [-n CALLS] [-r ROUNDS] [-t]
 *
 * It prints one line a round, "CALLS getpid calls in S s: N ns each", timed with
 * CLOCK_MONOTONIC around the loop only (not the program's start or exit), or with -t
 * by the thread's own CPU time, which leaves out what other programs took of the
 * CPU meanwhile: on a busy host, many short rounds timed that way and the fastest
 * of them kept (the bench keeps a tenth) show what a call costs when nothing else
 * interferes. The call goes
 * through syscall(2): a C library may cache getpid's answer and never enter the kernel.
 *
 * Further reading: getpid(2), syscall(2), clock_gettime(2).
 */
#define _GNU_SOURCE
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: getpids [-n CALLS] [-r ROUNDS] [-t]\n"
	       "\n"
	       "Call getpid CALLS times and print the time each call took on average;\n"
	       "ROUNDS times over, a line each.\n"
	       "\n"
	       "  -n, --calls CALLS    how many calls (default 1000000)\n"
	       "  -r, --rounds ROUNDS  how many times (default 1)\n"
	       "  -t, --cpu-time       time by this thread's own CPU time\n"
	       "                       (CLOCK_THREAD_CPUTIME_ID: what other programs\n"
	       "                       took of the CPU meanwhile is left out), not by\n"
	       "                       the clock\n"
	       "  -h, --help           show this help\n");
	exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "cpu-time", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	clockid_t clock = CLOCK_MONOTONIC;
	struct timespec start, end;
	long calls = 1000000, rounds = 1;
	double seconds;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:r:th", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			calls = number_arg("--calls", optarg, 1, 1000000000L);
			break;
		case 'r':
			rounds = number_arg("--rounds", optarg, 1, 1000000L);
			break;
		case 't':
			clock = CLOCK_THREAD_CPUTIME_ID;
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	no_operands(argc, argv);

	for (long r = 0; r < rounds; r++) {
		if (clock_gettime(clock, &start) == -1)
			err(1, "clock_gettime");
		for (long i = 0; i < calls; i++)
			syscall(SYS_getpid);
		if (clock_gettime(clock, &end) == -1)
			err(1, "clock_gettime");
		seconds = (double)(end.tv_sec - start.tv_sec) +
			  (double)(end.tv_nsec - start.tv_nsec) / 1e9;
		printf("%ld getpid calls in %.3f s: %.0f ns each\n", calls, seconds,
		       seconds * 1e9 / (double)calls);
	}
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}

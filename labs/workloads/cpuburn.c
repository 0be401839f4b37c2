/*
 * cpuburn - keep THREADS threads busy on the CPU and report how much CPU they got.
 *
 * Used in stage 06 (cgroups) and the graded assignment: run "cpuburn -t 2 -s 5" in a
 * container without a limit and it reports about 2 CPUs; with --cpus 1 about 1.00, with
 * --cpus 0.8 about 0.80. The CPU controller does not slow a thread down; it lets the group
 * run for "quota" microseconds out of every "period" and then stops all its threads until
 * the next period starts, so the ratio below converges to quota/period.
 *
 * Usage: cpuburn [-t THREADS] [-s SECONDS]
 *
 * At the end it prints, e.g., "cpu 1.98 s in 2.00 s wall = 0.99 CPUs": the CPU time of the
 * whole process (CLOCK_PROCESS_CPUTIME_ID, all threads summed), the elapsed wall-clock
 * time (CLOCK_MONOTONIC, which a clock change cannot disturb) and their ratio. Without -s
 * it runs until SIGINT or SIGTERM and then prints the same line.
 *
 * Further reading: clock_gettime(2), pthread_create(3), sigwaitinfo(2), and the kernel's
 * Documentation/scheduler/sched-bwc.rst (CFS bandwidth control).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workload.h"

#define MAX_THREADS 1024

static atomic_bool stop;

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: cpuburn [-t THREADS] [-s SECONDS]\n"
	       "\n"
	       "Spin THREADS threads on the CPU, then print the CPU time used, the wall\n"
	       "time and their ratio (how many CPUs the process got on average).\n"
	       "\n"
	       "  -t, --threads THREADS  number of spinning threads (default 1, at most %d)\n"
	       "  -s, --seconds SECONDS  run time, may be fractional (default: until SIGINT\n"
	       "                         or SIGTERM)\n"
	       "  -h, --help             show this help\n",
	       MAX_THREADS);
	exit(0);
}

/* The pthread functions return an error number instead of setting errno. */
static void __attribute__((noreturn)) fail(int error, const char *what)
{
	errno = error;
	err(1, "%s", what);
}

static double now(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		err(1, "clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole workload: test a flag as fast as possible until the main thread sets it. */
static void *spin(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return NULL;
}

/*
 * Sleep until the run time is over or SIGINT/SIGTERM arrives. The signals are blocked and
 * taken synchronously with sigtimedwait(), so no handler runs in the middle of anything.
 * seconds <= 0 means no time limit.
 */
static void wait_for_end(const sigset_t *set, double seconds)
{
	double deadline = now(CLOCK_MONOTONIC) + seconds;

	for (;;) {
		struct timespec ts;
		double left = deadline - now(CLOCK_MONOTONIC);
		int r;

		if (seconds > 0) {
			if (left <= 0)
				return;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
			r = sigtimedwait(set, NULL, &ts);
		} else {
			r = sigwaitinfo(set, NULL);
		}
		if (r > 0)
			return;
		/* EAGAIN is the timeout; EINTR comes after a stop/continue. */
		if (errno != EAGAIN && errno != EINTR)
			err(1, "sigtimedwait");
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	pthread_t tids[MAX_THREADS];
	double seconds = 0, cpu0, wall0, cpu, wall;
	long nthreads = 1;
	sigset_t set;
	char *end;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "t:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			nthreads = number_arg("--threads", optarg, 1, MAX_THREADS);
			break;
		case 's':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(seconds) || seconds <= 0 ||
			    seconds > 1e9) {
				warnx("--seconds: \"%s\" is not a positive number of seconds",
				      optarg);
				try_help();
			}
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	no_operands(argc, argv);

	/* Block the signals before creating threads: the threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r)
		fail(r, "pthread_sigmask");

	wall0 = now(CLOCK_MONOTONIC);
	cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < nthreads; i++) {
		r = pthread_create(&tids[i], NULL, spin, NULL);
		if (r)
			fail(r, "pthread_create");
	}

	wait_for_end(&set, seconds);

	atomic_store(&stop, true);
	for (long i = 0; i < nthreads; i++) {
		r = pthread_join(tids[i], NULL);
		if (r)
			fail(r, "pthread_join");
	}
	cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	wall = now(CLOCK_MONOTONIC) - wall0;

	printf("cpu %.2f s in %.2f s wall = %.2f CPUs\n", cpu, wall, wall > 0 ? cpu / wall : 0);
	return 0;
}

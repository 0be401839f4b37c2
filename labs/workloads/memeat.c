/*
 * memeat - allocate MIB mebibytes and really use them.
 *
 * Used in stage 06 (cgroups): with "--memory 64m", "memeat 50" prints "touched 50 MiB"
 * while "memeat 100" is killed by the kernel's OOM killer (exit status 137 = 128 + SIGKILL)
 * before it can print anything; with swap allowed (--memory-swap) the extra pages go to
 * swap instead.
 *
 * Usage: memeat [-s SECONDS] MIB
 *
 * Why touch every page: mmap() only reserves address space. The kernel gives the process
 * a physical page, and charges it to the memory cgroup, at the first write to that page.
 * So the program writes one byte in each page; a bare malloc() of 1 GiB would "succeed"
 * under a 64 MiB limit and prove nothing. -s keeps the memory for a while afterwards so
 * memory.current (v2) or memory.usage_in_bytes (v1) can be read while it is held.
 *
 * It prints exactly one line, "touched N MiB", after the last page was written.
 *
 * Further reading: mmap(2), proc(5) (overcommit_memory), the kernel's
 * Documentation/admin-guide/cgroup-v2.rst ("Memory").
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* 1 TiB: far beyond any lab, and small enough that MIB << 20 cannot overflow. */
#define MAX_MIB (1024L * 1024)

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: memeat [-s SECONDS] MIB\n"
	       "\n"
	       "Allocate MIB MiB, write to every page, print \"touched MIB MiB\", then sleep.\n"
	       "\n"
	       "  -s, --sleep SECONDS  keep the memory this long before exiting (default 0)\n"
	       "  -h, --help           show this help\n");
	exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sleep", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long mib, seconds = 0, page;
	struct timespec ts;
	volatile char *mem;
	size_t size;
	int opt;

	while ((opt = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seconds = number_arg("--sleep", optarg, 0, 1000000000L);
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	mib = number_arg("MIB", one_operand(argc, argv, "MIB"), 1, MAX_MIB);

	size = (size_t)mib << 20;
	page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		page = 4096;

	/* Anonymous memory straight from the kernel, so no allocator caches hide pages. */
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		err(1, "mmap %ld MiB", mib);

	/*
	 * One write per page is enough to make the kernel back it (and charge it). Through
	 * a volatile pointer, so the compiler cannot drop stores that are never read.
	 */
	for (size_t off = 0; off < size; off += (size_t)page)
		mem[off] = 1;

	printf("touched %ld MiB\n", mib);
	if (fflush(stdout) == EOF)
		err(1, "stdout");

	ts.tv_sec = seconds;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &ts) < 0) {
		if (errno != EINTR)
			err(1, "nanosleep");
	}
	return 0;
}

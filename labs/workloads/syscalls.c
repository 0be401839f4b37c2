/*
 * syscalls - make a known set of system calls a known number of times.
 *
 * Used in stage 09 (eBPF tracing) and by its tests: "syscalls -n 7 /nowhere/x" makes,
 * 7 times over, exactly these calls, in this order, and prints one line, "made 7 rounds":
 *
 *   openat(AT_FDCWD, PATH, O_RDONLY|O_CLOEXEC)   closed again when it succeeds
 *   unshare(CLONE_NEWUTS|CLONE_NEWIPC)           a new UTS and IPC namespace, this process's only
 *   setns(-1, CLONE_NEWNET)                      no such descriptor: fails with EBADF
 *   mount("cell", PATH, "tmpfs", MS_NOSUID|MS_NODEV, NULL)
 *   umount2(PATH, MNT_DETACH)
 *
 * With a PATH that does not exist, openat, mount and umount2 fail with ENOENT and
 * change nothing, as setns does with EBADF, so the program is safe on the host too: the
 * tests run it there at the same time as in a container, and the container's log must
 * show only the container's calls. The answers do not matter here; the tracer sees a
 * call when it is made.
 *
 * The calls are made through syscall(2), so that the C library cannot turn one call into
 * another (open into openat is the usual one) or skip it.
 *
 * Usage: syscalls [-n ROUNDS] PATH
 *
 * Further reading: syscall(2), openat(2), unshare(2), setns(2), mount(2), umount(2).
 */
#define _GNU_SOURCE
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: syscalls [-n ROUNDS] PATH\n"
	       "\n"
	       "ROUNDS times: openat PATH, unshare(CLONE_NEWUTS|CLONE_NEWIPC),\n"
	       "setns(-1, CLONE_NEWNET), mount a tmpfs on PATH, umount2 PATH; then print\n"
	       "\"made ROUNDS rounds\".\n"
	       "\n"
	       "  -n, --rounds ROUNDS  how many rounds (default 1, at most 1000000)\n"
	       "  -h, --help           show this help\n");
	exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long rounds = 1, fd;
	const char *path;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			rounds = number_arg("--rounds", optarg, 0, 1000000);
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	path = one_operand(argc, argv, "PATH");

	for (long i = 0; i < rounds; i++) {
		fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close((int)fd);
		syscall(SYS_unshare, CLONE_NEWUTS | CLONE_NEWIPC);
		syscall(SYS_setns, -1, CLONE_NEWNET);
		syscall(SYS_mount, "cell", path, "tmpfs", MS_NOSUID | MS_NODEV, NULL);
		syscall(SYS_umount2, path, MNT_DETACH);
	}
	printf("made %ld rounds\n", rounds);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}

/*
 * cell.c: main(). Which command line, then dispatch.
 *
 * One binary, two command lines, chosen by the name it is run as: as
 * cell-runc (a link to cell) it speaks runc's, for podman and containerd;
 * `cell runc ...` is the same for a person who has only `cell` on PATH.
 * Otherwise it speaks the people's, podman's commands (cli.c).
 *
 * Before anything that enters a container, cell makes sure it runs from a
 * sealed copy of itself in memory (CVE-2019-5736): a process of the
 * container can reach the runtime's executable through /proc/PID/exe of
 * the init or of an exec'd process, and if that were the cell binary on
 * the host's disk, root in the container could open it for writing once
 * it stopped running and replace it with its own program, which the host
 * would then run as root. A memfd sealed against writes (memfd_create(2),
 * "File sealing" in fcntl(2)) cannot be changed by anyone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "rootless.h"
#include "runc.h"

extern char **environ;

#if defined(__SANITIZE_ADDRESS__)
/*
 * The sanitizer build (make check) writes its reports to files, as the
 * stages' builds are told to: a container's stderr is its client's, and a
 * client such as podman does not pass ASAN_OPTIONS on. The environment
 * still overrides this.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void)
{
	return "log_path=/tmp/cell-sanitizer";
}
const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:log_path=/tmp/cell-sanitizer";
}
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Whether /proc/self/exe is already the sealed copy. */
static int running_sealed(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), seals;

	if (fd < 0)
		return -1;
	seals = fcntl(fd, F_GET_SEALS);
	close(fd);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

/*
 * step: sealed-copy
 * Copies the executable into a memfd, seals it, and executes that with
 * the same arguments and environment. Returns only on failure.
 */
static int exec_sealed_copy(char **argv)
{
	struct stat st;
	off_t done = 0;
	int src, mem;

	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0)
		return -1;
	mem = memfd_create("cell", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mem < 0) {
		close(src);
		return -1;
	}
	while (done < st.st_size) {
		ssize_t n = sendfile(mem, src, NULL, (size_t)(st.st_size - done));

		if (n <= 0) {
			close(src);
			close(mem);
			return -1;
		}
		done += n;
	}
	close(src);
	if (fcntl(mem, F_ADD_SEALS, SEALS) < 0) {
		close(mem);
		return -1;
	}
	fexecve(mem, argv, environ);
	close(mem);
	return -1;
}

/* Whether the command line names one of the commands that put a process
 * into a container. Any argument counts (an option's value could look like
 * a command): a false yes costs only the copy. */
static int enters_container(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "create") == 0 || strcmp(argv[i], "run") == 0 ||
		    strcmp(argv[i], "exec") == 0 || strcmp(argv[i], "start") == 0 ||
		    strcmp(argv[i], "restart") == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = basename(argv[0]);

	if (enters_container(argc, argv) && running_sealed() != 1) {
		exec_sealed_copy(argv);
		fprintf(stderr, "cell: run from a sealed copy of itself: %s\n", strerror(errno));
		return 1;
	}
	/* the holder of an ordinary user's namespace (rootless.c) */
	if (strcmp(name, "cell-pause") == 0)
		return rl_pause(argc > 1 ? argv[1] : NULL);
	/* cell-runc, or cell-runc-san (the sanitizer build's link) */
	if (strncmp(name, "cell-runc", strlen("cell-runc")) == 0)
		return runc_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "runc") == 0)
		return runc_main(argc - 1, argv + 1);
	return cli_main(argc, argv);
}

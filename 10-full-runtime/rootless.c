/*
 * rootless.c: cell for an ordinary user (stage 07 went this far: one id
 * mapped, loopback only).
 *
 * An ordinary user may make a user namespace and is then root in it
 * (user_namespaces(7)): every capability, over the namespaces made inside
 * it and the files whose owners it maps. podman's rootless mode builds on
 * that, and so does cell: the first cell command of a user makes one user
 * namespace, held open by a small process that only waits (cell-pause,
 * podman's pause process, which unlike podman's ends once it is alone in
 * the namespace), and every cell command of that user joins it
 * with setns(2) before it does anything else. From there on cell runs the
 * code it runs as root; what the kernel still refuses to a namespace's
 * root (device nodes, the host's cgroups and network devices) the
 * mechanisms meet where they meet it.
 *
 * One id alone would make every file of an image that another user owns
 * nobody's. The namespace maps 0 to the user and 1... to the user's
 * subordinate range in /etc/subuid and /etc/subgid (subuid(5); useradd
 * gives each new user 65536 ids). Only root may write such a map, so
 * Debian's uidmap package has two set-uid helpers, newuidmap(1) and
 * newgidmap(1), which write it after checking the ranges against those
 * files. Without a range, the map is stage 07's: the user's id alone.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns.h"
#include "rootless.h"

#define PAUSE_NAME    "cell-pause"
#define PAUSE_CHECK_S 1 /* seconds between its looks for company */

/* ---- places ---- */

/* DIR made if missing, then checked: a directory of the caller's that
 * nobody else may enter (a shared /tmp could hold one made by another). */
static int own_private_dir(const char *dir, struct error *err)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", dir);
	if (lstat(dir, &st) < 0)
		return err_sys(err, "stat %s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0)
		return err_set(err,
			       "%s is not a directory of yours that only you may enter (mode "
			       "0700): remove it, or set XDG_RUNTIME_DIR",
			       dir);
	return 0;
}

/* BASE then TAIL in OUT; WHAT names it when it does not fit. */
static int place(char *out, size_t size, const char *what, const char *base, const char *tail,
		 struct error *err)
{
	int n = snprintf(out, size, "%s%s", base, tail);

	if (n < 0 || (size_t)n >= size)
		return err_errno(err, ENAMETOOLONG, "%s", what);
	return 0;
}

/* Each missing directory of PATH made (0700 the last, as podman's). */
static int make_parents(char *path, struct error *err)
{
	for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		if (mkdir(path, slash != NULL ? 0755 : 0700) < 0 && errno != EEXIST) {
			err_sys(err, "mkdir %s", path);
			if (slash != NULL)
				*slash = '/';
			return -1;
		}
		if (slash == NULL)
			return 0;
		*slash = '/';
	}
}

int rl_places(char *lib, char *run, size_t size, struct error *err)
{
	const char *data = getenv("XDG_DATA_HOME"), *xdg = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	char tmp[64];

	if (data != NULL && data[0] == '/') {
		if (place(lib, size, "$XDG_DATA_HOME/cell", data, "/cell", err) < 0)
			return -1;
	} else {
		struct passwd *pw = getpwuid(getuid());

		if (home == NULL || home[0] != '/')
			home = pw != NULL ? pw->pw_dir : NULL;
		if (home == NULL || home[0] != '/')
			return err_set(err, "no home directory: set HOME or give --root DIR");
		if (place(lib, size, "~/.local/share/cell", home, "/.local/share/cell", err) < 0)
			return -1;
	}
	if (make_parents(lib, err) < 0)
		return -1;
	if (xdg != NULL && xdg[0] == '/')
		return place(run, size, "$XDG_RUNTIME_DIR/cell", xdg, "/cell", err);
	/* made and checked by rl_enter() */
	snprintf(tmp, sizeof(tmp), "/tmp/cell-run-%u", (unsigned int)getuid());
	return place(run, size, "--runroot", tmp, "", err);
}

/* ---- the subordinate ranges ---- */

/* The subordinate range of the calling user in FILE (/etc/subuid or
 * /etc/subgid), its first entry by name or by number ID: in RANGE, as the
 * map line that gives it ids 1 and up. */
static int subids(const char *file, unsigned int id, struct id_map *range, struct error *err)
{
	struct passwd *pw = getpwuid(getuid());
	char *line = NULL, number[16];
	size_t cap = 0;
	bool found = false;
	FILE *f;

	*range = (struct id_map){ .container_id = 1 };
	snprintf(number, sizeof(number), "%u", id);
	f = fopen(file, "re");
	if (f == NULL)
		return err_sys(err, "open %s", file);
	while (!found && getline(&line, &cap, f) > 0) {
		char *first = strchr(line, ':'), *count;

		if (first == NULL)
			continue;
		*first++ = '\0';
		count = strchr(first, ':');
		if (count == NULL)
			continue;
		*count++ = '\0';
		if (strcmp(line, number) != 0 && (pw == NULL || strcmp(line, pw->pw_name) != 0))
			continue;
		range->host_id = (uint32_t)strtoul(first, NULL, 10);
		range->size = (uint32_t)strtoul(count, NULL, 10);
		found = range->size > 0;
	}
	free(line);
	fclose(f);
	if (!found)
		return err_set(err, "%s: no range for %s", file, pw != NULL ? pw->pw_name : number);
	return 0;
}

/* ---- the user's namespace ---- */

bool rl_in_user_ns(void)
{
	unsigned int inside, outside, count;
	bool whole = false;
	FILE *f = fopen("/proc/self/uid_map", "re");

	if (f == NULL)
		return false; /* a kernel without user namespaces: the host's root */
	whole = fscanf(f, "%u %u %u", &inside, &outside, &count) == 3 && inside == 0 &&
		outside == 0 && count == UINT_MAX;
	fclose(f);
	return !whole;
}

bool rl_setgroups_denied(void)
{
	char text[8] = "";
	FILE *f = fopen("/proc/self/setgroups", "re");

	if (f == NULL)
		return false;
	if (fgets(text, sizeof(text), f) == NULL)
		text[0] = '\0';
	fclose(f);
	return strncmp(text, "deny", 4) == 0;
}

/* Whether any process but this one is in this process's user namespace
 * (its root may read every /proc/PID/ns/user there; another user's
 * processes it cannot read are not in it). */
static bool others_in_namespace(void)
{
	struct error err = { 0 };
	pid_t *pids;
	size_t n;

	if (ns_members(getpid(), "user", &pids, &n, &err) < 0)
		return true; /* unknown: stay */
	free(pids);
	return n > 1;
}

int rl_pause(const char *run)
{
	char lockfile[PATH_MAX], pidfile[PATH_MAX];
	int lock;

	prctl(PR_SET_NAME, PAUSE_NAME, 0, 0, 0);
	if (run == NULL)
		for (;;)
			pause();
	snprintf(lockfile, sizeof(lockfile), "%s/pause.lock", run);
	snprintf(pidfile, sizeof(pidfile), "%s/pause.pid", run);
	/* Alone in the namespace (every container and cell command of the
	 * user gone), it ends, so that nothing of the user's stays: under the
	 * lock that a joining command holds until it is in, so that none
	 * joins a namespace about to lose its holder. */
	for (;;) {
		sleep(PAUSE_CHECK_S);
		lock = open(lockfile, O_RDWR | O_CLOEXEC);
		if (lock < 0 || flock(lock, LOCK_EX) < 0)
			_exit(1); /* its directory gone (a reboot's tmpfs, an rm -rf) */
		if (!others_in_namespace()) {
			unlink(pidfile);
			_exit(0);
		}
		close(lock);
	}
}

/* The process that holds the namespace, in a session of its own (a Ctrl-C
 * at the terminal is not for it), with none of the caller's descriptors:
 * cell again as cell-pause RUN, so that ps names it. */
static void __attribute__((noreturn)) pause_main(const char *run)
{
	char *argv[] = { PAUSE_NAME, (char *)run, NULL };
	int null = open("/dev/null", O_RDWR);

	if (chdir("/") < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0)
		_exit(1);
	syscall(SYS_close_range, 3, ~0U, 0);
	execv("/proc/self/exe", argv);
	rl_pause(run);
}

/* The pid in PIDFILE when it is a live cell-pause of the caller's: the
 * name and state of /proc/PID/stat ("PID (NAME) STATE ...", proc(5)) say
 * so, not a zombie's, nor another program's that took the pid since. */
static pid_t live_pause(const char *pidfile)
{
	char path[64], stat_line[128] = "", *name;
	struct stat st;
	FILE *f;
	int pid = 0;

	f = fopen(pidfile, "re");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(stat_line, sizeof(stat_line), f) == NULL)
		stat_line[0] = '\0';
	fclose(f);
	name = strchr(stat_line, '(');
	if (name == NULL || strncmp(name, "(" PAUSE_NAME ") ", strlen(PAUSE_NAME) + 3) != 0 ||
	    strchr("ZXx", name[strlen(PAUSE_NAME) + 3]) != NULL)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) < 0 || st.st_uid != getuid())
		return 0;
	return pid;
}

/* The maps of PID's new namespace: the subordinate ranges through the
 * helpers, or the caller's own ids alone (then setgroups(2) is denied
 * first, as the kernel requires of an unprivileged gid_map). */
static int write_maps(pid_t pid, const char *run, FILE *notice, struct error *err)
{
	struct id_map um[] = { { 0, getuid(), 1 }, { 0 } }, gm[] = { { 0, getgid(), 1 }, { 0 } };
	struct error why = { 0 };
	char text[64], said[PATH_MAX];
	int fd;

	if (subids("/etc/subuid", getuid(), &um[1], &why) == 0 &&
	    subids("/etc/subgid", getgid(), &gm[1], &why) == 0) {
		if (ns_map_helper("newuidmap", pid, um, 2, err) < 0)
			return -1;
		return ns_map_helper("newgidmap", pid, gm, 2, err);
	}
	/* said once (until a reboot empties RUN), not at each new namespace */
	snprintf(said, sizeof(said), "%s/one-id-noticed", run);
	fd = open(said, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (notice != NULL && fd >= 0)
		fprintf(notice,
			"cell: %s: one id is mapped, yours (files of other owners in an image "
			"become nobody's)\n",
			why.msg);
	snprintf(text, sizeof(text), "0 %u 1\n", (unsigned int)getuid());
	if (ns_write_proc(pid, "uid_map", text, err) < 0 ||
	    ns_write_proc(pid, "setgroups", "deny", err) < 0)
		return -1;
	snprintf(text, sizeof(text), "0 %u 1\n", (unsigned int)getgid());
	return ns_write_proc(pid, "gid_map", text, err);
}

/*
 * A new cell-pause in a user namespace of its own, its maps written; its
 * pid. It is forked twice, so that it is nobody's child here (a command
 * that waits for its children must not meet it).
 */
static pid_t make_pause(const char *run, FILE *notice, struct error *err)
{
	int sv[2], status;
	pid_t middle, pid = 0;
	char go = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return err_sys(err, "socketpair");
	middle = fork();
	if (middle < 0) {
		close(sv[0]);
		close(sv[1]);
		return err_sys(err, "fork");
	}
	if (middle == 0) {
		close(sv[0]);
		if (setsid() < 0)
			_exit(1);
		pid = fork();
		if (pid != 0)
			_exit(pid < 0);
		pid = getpid();
		if (unshare(CLONE_NEWUSER) < 0)
			pid = -errno;
		if (write(sv[1], &pid, sizeof(pid)) != sizeof(pid) || pid < 0 ||
		    read(sv[1], &go, 1) != 1 || go != 'g')
			_exit(1);
		pause_main(run);
	}
	close(sv[1]);
	waitpid(middle, &status, 0);
	if (read(sv[0], &pid, sizeof(pid)) != sizeof(pid)) {
		close(sv[0]);
		return err_set(err, "the namespace's holder (" PAUSE_NAME ") ended at once");
	}
	if (pid < 0) {
		close(sv[0]);
		return err_errno(err, -pid,
				 "unshare a user namespace (does this kernel give them to "
				 "ordinary users? see user.max_user_namespaces)");
	}
	if (write_maps(pid, run, notice, err) < 0 || write(sv[0], "g", 1) != 1) {
		kill(pid, SIGKILL);
		close(sv[0]);
		return -1;
	}
	close(sv[0]);
	return pid;
}

/* setns into PID's user namespace: the caller is root there now, and has
 * every capability over what that namespace owns. */
static int join(pid_t pid, struct error *err)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (setns(fd, CLONE_NEWUSER) < 0) {
		err_sys(err, "setns into the user namespace of " PAUSE_NAME " %d", (int)pid);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int rl_enter(const char *run, FILE *notice, struct error *err)
{
	char pidfile[PATH_MAX], lockfile[PATH_MAX], text[16];
	int lock, ret = -1, len, fd;
	pid_t pid;

	if (own_private_dir(run, err) < 0)
		return -1;
	snprintf(pidfile, sizeof(pidfile), "%s/pause.pid", run);
	snprintf(lockfile, sizeof(lockfile), "%s/pause.lock", run);
	/* two first commands at once make one namespace */
	lock = open(lockfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return err_sys(err, "open %s", lockfile);
	if (flock(lock, LOCK_EX) < 0) {
		err_sys(err, "lock %s", lockfile);
		goto out;
	}
	pid = live_pause(pidfile);
	if (pid == 0) {
		pid = make_pause(run, notice, err);
		if (pid < 0)
			goto out;
		/* read under the lock only: a plain write is whole to readers */
		len = snprintf(text, sizeof(text), "%d\n", (int)pid);
		fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, text, (size_t)len) != len) {
			err_sys(err, "write %s", pidfile);
			if (fd >= 0)
				close(fd);
			kill(pid, SIGKILL);
			goto out;
		}
		close(fd);
	}
	ret = join(pid, err);
out:
	close(lock);
	return ret;
}

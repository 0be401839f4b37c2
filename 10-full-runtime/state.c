/*
 * state.c: runc's command line keeps what runc and crun keep, one
 * state.json per container under the runtime's root (RUNTIME.md, "Where
 * things live"). Each record is written whole to a temporary file, made
 * durable with fsync, and renamed over the old one; rename(2) is atomic,
 * and an fsync of the directory makes the rename itself durable. So a
 * crash or a kill -9 at any moment leaves the old record or the new one,
 * never a torn one.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "rootless.h"
#include "state.h"

int st_root(const char *given, char *out, size_t size, struct error *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (given != NULL)
		n = snprintf(out, size, "%s", given);
	else if (geteuid() == 0 && !rl_in_user_ns())
		n = snprintf(out, size, "/run/cell/runc");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, size, "%s/cell/runc", xdg);
	else
		return err_set(err, "XDG_RUNTIME_DIR is not set: give --root DIR");
	if (n < 0 || (size_t)n >= size)
		return err_errno(err, ENAMETOOLONG, "--root");
	return 0;
}

int st_check_id(const char *id, struct error *err)
{
	size_t len = strlen(id);

	if (len == 0 || len >= ST_ID_MAX)
		return err_set(err, "invalid container id \"%s\": 1 to %d characters", id,
			       ST_ID_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)id[i]) && strchr("._-", id[i]) == NULL)
			return err_set(err,
				       "invalid container id \"%s\": letters, digits, '.', "
				       "'_' and '-' only",
				       id);
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return err_set(err, "invalid container id \"%s\"", id);
	return 0;
}

/* mkdir -p, each level 0711: a container's root user, mapped to another
 * host uid in a user namespace, must be able to reach its exec fifo. */
static int make_root(const char *root, struct error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", root);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0711) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s", path);
		*p = c;
		if (c == '\0')
			return 0;
	}
}

int st_make_dir(const char *root, const char *id, struct state *st, struct error *err)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if (st_check_id(id, err) < 0 || make_root(root, err) < 0)
		return -1;
	snprintf(st->id, sizeof(st->id), "%s", id);
	if (snprintf(st->dir, sizeof(st->dir), "%s/%s", root, id) >= (int)sizeof(st->dir))
		return err_errno(err, ENAMETOOLONG, "%s/%s", root, id);
	/* mkdir is the test and the claim at once: two creates of one id
	 * cannot both succeed. The root may go between the two mkdirs (the
	 * delete of the last container removes it): then once more. */
	rc = mkdir(st->dir, 0711);
	if (rc < 0 && errno == ENOENT && make_root(root, err) == 0)
		rc = mkdir(st->dir, 0711);
	if (rc < 0 && errno == EEXIST)
		return err_set(err, "container with id %s already exists", id);
	if (rc < 0)
		return err_sys(err, "mkdir %s", st->dir);
	return 0;
}

int st_write_atomic(const char *path, const char *text, size_t len, mode_t mode, struct error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, dfd;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_sys(err, "open %s", tmp);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		err_sys(err, "write %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		unlink(tmp);
		return err_sys(err, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return err_sys(err, "rename %s to %s", tmp, path);
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int st_write_json(const struct state *st, const char *name, json_t *doc, struct error *err)
{
	char path[PATH_MAX], *text;
	int ret;

	text = json_dumps(doc, JSON_COMPACT);
	if (text == NULL)
		return err_set(err, "%s of %s: cannot encode it", name, st->id);
	snprintf(path, sizeof(path), "%s/%s", st->dir, name);
	ret = st_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return ret;
}

int st_save(const struct state *st, struct error *err)
{
	json_t *doc;
	int ret;

	doc = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:i, s:i}", "id", st->id, "bundle",
			st->bundle, "rootfs", st->rootfs, "pid", (int)st->pid, "start_time",
			(json_int_t)st->start_time, "created", st->created, "cgroup_path",
			st->cgroup_path, "cgroup_parents", st->cgroup_parents, "owner",
			(int)st->owner);
	if (doc == NULL)
		return err_set(err, "state of %s: cannot encode it", st->id);
	ret = st_write_json(st, "state.json", doc, err);
	json_decref(doc);
	return ret;
}

int st_load(const char *root, const char *id, struct state *st, struct error *err)
{
	char path[PATH_MAX];
	json_error_t jerr;
	const char *bundle = "", *rootfs = "", *created = "", *cgroup = "";
	json_int_t start = 0;
	int pid = 0, parents = 0, owner = 0;
	json_t *doc;

	memset(st, 0, sizeof(*st));
	if (st_check_id(id, err) < 0)
		return -1;
	snprintf(st->id, sizeof(st->id), "%s", id);
	snprintf(st->dir, sizeof(st->dir), "%s/%s", root, id);
	snprintf(path, sizeof(path), "%s/state.json", st->dir);
	doc = json_load_file(path, 0, &jerr);
	if (doc == NULL) {
		if (access(st->dir, F_OK) < 0 || access(path, F_OK) < 0)
			return err_set(err, "container does not exist");
		return err_set(err, "%s: %s", path, jerr.text);
	}
	if (json_unpack_ex(doc, &jerr, 0, "{s:s, s:s, s:i, s:I, s:s, s:s, s:i, s:i}", "bundle",
			   &bundle, "rootfs", &rootfs, "pid", &pid, "start_time", &start, "created",
			   &created, "cgroup_path", &cgroup, "cgroup_parents", &parents, "owner",
			   &owner) < 0) {
		json_decref(doc);
		return err_set(err, "%s: %s", path, jerr.text);
	}
	snprintf(st->bundle, sizeof(st->bundle), "%s", bundle);
	snprintf(st->rootfs, sizeof(st->rootfs), "%s", rootfs);
	snprintf(st->created, sizeof(st->created), "%s", created);
	snprintf(st->cgroup_path, sizeof(st->cgroup_path), "%s", cgroup);
	st->pid = pid;
	st->start_time = (unsigned long long)start;
	st->cgroup_parents = parents;
	st->owner = (uid_t)owner;
	json_decref(doc);
	return 0;
}

int st_lock(const struct state *st, struct error *err)
{
	int fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? err_set(err, "container does not exist")
				       : err_sys(err, "open %s", st->dir);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return err_sys(err, "lock %s", st->dir);
	}
	return fd;
}

unsigned long long st_start_time(pid_t pid)
{
	char path[64], buf[1024], *p, state;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after the command name, which may hold spaces and parentheses:
	 * field 3 is the state, field 22 the start time (proc(5)) */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%c", &state) != 1)
		return 0;
	if (state == 'Z' || state == 'X')
		return 0;
	for (int field = 3; field <= 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

static uint64_t tree_mount; /* the mount st_remove_tree's DIR is on */

/* The mount PATH is on. Not st_dev, which nftw's FTW_MOUNT compares: on
 * overlayfs a file that is not a directory shows the device of the layer
 * it comes from (overlayfs.rst, "Non-standard behavior"), and a store on
 * an overlay would keep them all. A kernel before 5.8 has no mount ids:
 * its device then. */
static int mount_of(const char *path, uint64_t *id)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
		return -1;
	*id = sx.stx_mask & STATX_MNT_ID ? sx.stx_mnt_id
					 : makedev(sx.stx_dev_major, sx.stx_dev_minor);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	uint64_t id;

	(void)st;
	(void)ftw;
	/* never what another file system mounted below holds */
	if (mount_of(path, &id) < 0 || id != tree_mount)
		return 0;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

int st_remove_tree(const char *dir, struct error *err)
{
	if (mount_of(dir, &tree_mount) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "statx %s", dir);
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return err_sys(err, "remove %s", dir);
	return 0;
}

void st_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

int st_remove(const struct state *st, struct error *err)
{
	char root[ST_DIR_MAX], fallback[PATH_MAX], *slash;

	if (st_remove_tree(st->dir, err) < 0)
		return -1;
	/* The default root goes with its last container, so that nothing of
	 * cell's stays in /run once no container is left. A root a client
	 * chose (--root) is the client's. */
	snprintf(root, sizeof(root), "%s", st->dir);
	slash = strrchr(root, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (st_root(NULL, fallback, sizeof(fallback), &(struct error){ 0 }) == 0 &&
		    strcmp(root, fallback) == 0)
			rmdir(root);
	}
	return 0;
}

/* ---- unix sockets ---- */

/* PATH as a unix address; *DIR_FD holds its directory open while the
 * address goes through it (-1: PATH fits as it is). */
static int unix_addr(const char *path, struct sockaddr_un *addr, int *dir_fd, struct error *err)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	*dir_fd = -1;
	if (strlen(path) < sizeof(addr->sun_path)) {
		strcpy(addr->sun_path, path);
		return 0;
	}
	if (slash == NULL || slash == path || (size_t)(slash - path) >= sizeof(dir) ||
	    strlen(slash) > sizeof(addr->sun_path) - sizeof("/proc/self/fd/2147483647"))
		return err_errno(err, ENAMETOOLONG, "%s", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dir_fd < 0)
		return err_sys(err, "open %s", dir);
	snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d%s", *dir_fd, slash);
	return 0;
}

static int unix_socket(const char *path, int type, int backlog, bool listening, struct error *err)
{
	struct sockaddr_un addr;
	int fd, dir_fd, ok = 0;

	if (unix_addr(path, &addr, &dir_fd, err) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_sys(err, "socket");
	} else if (listening) {
		unlink(addr.sun_path);
		ok = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
		     listen(fd, backlog) == 0;
		if (!ok)
			err_sys(err, "listen on %s", path);
	} else {
		ok = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
		if (!ok)
			err_sys(err, "connect to %s", path);
	}
	if (fd >= 0 && !ok) {
		close(fd);
		fd = -1;
	}
	if (dir_fd >= 0)
		close(dir_fd);
	return fd;
}

int st_unix_connect(const char *path, int type, struct error *err)
{
	return unix_socket(path, type, 0, false, err);
}

int st_unix_listen(const char *path, int type, int backlog, struct error *err)
{
	return unix_socket(path, type, backlog, true, err);
}

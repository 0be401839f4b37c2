/*
 * cgroup.c: the container's control groups (stage 06), on cgroup v1, v2
 * and hybrid hosts alike.
 *
 * Stage 06 made cell/<id> in each hierarchy, wrote a few limits into it
 * and moved the child in. The runtime does the same for every field of
 * linux.resources (the runtime spec's config-linux.md, "Control groups"),
 * for paths its clients choose, and adds what clients ask of a runtime:
 * the freezer (pause, resume), the list of processes (ps, kill --all),
 * the devices rules (on v2 an eBPF program: v2 has no devices file), and
 * the container's own view of /sys/fs/cgroup. Every step walks the list
 * of hierarchies cg_detect() found, so v1 and v2 differ only in the files
 * written (stage 06's lab notes have the table), never in the steps.
 *
 * Further reading: cgroups(7), cgroup_namespaces(7), bpf(2), the kernel's
 * Documentation/admin-guide/cgroup-v2.rst and its cgroup-v1/ directory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "cgroup.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* How long the freezer may take to stop every task, and rmdir(2) to wait
 * for tasks that are still exiting. */
#define FREEZE_WAIT_MS 5000
#define RMDIR_WAIT_MS  1000
/* Walks down a cgroup path another runtime may be removing (cg_create) */
#define CREATE_TRIES   5
/* why a rootless container has no cgroup (keep_writable) */
#define ROOTLESS_NO_LIMITS                                                                \
	"a rootless container has a cgroup only in a cgroup v2 subtree delegated to its " \
	"user, and this host delegates none (limits, pause and stats need one)"

/* The v1 controllers, as cgroups(7) lists them: a v1 mount's other super
 * options (rw, name=systemd, clone_children...) are not controllers. */
static const char *const v1_names[] = { "cpuset",  "cpu",     "cpuacct", "blkio",      "memory",
					"devices", "freezer", "net_cls", "perf_event", "net_prio",
					"hugetlb", "pids",    "rdma",	 "misc",       "debug" };

/* The v2 controllers whose files cg_apply() writes (stage 06's list); the
 * v2 freezer and the devices program are built into every v2 cgroup. */
static const char *const v2_used[] = { "cpuset", "cpu", "io", "memory", "pids" };

/*
 * The devices every container may use whatever its rules say, appended
 * after linux.resources.devices as runc does (its AllowedDevices): mknod
 * of any node (the nodes are useless without read or write), the null,
 * zero, full, tty, random, urandom, console and ptmx nodes, the ptys of
 * /dev/pts and /dev/net/tun. Clients rely on them: podman sends only
 * "deny all" and expects /dev/null to work.
 */
static const struct device_rule default_devices[] = {
	{ true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },	   { true, 'c', 1, 3, "rwm" },
	{ true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 7, "rwm" },	   { true, 'c', 5, 0, "rwm" },
	{ true, 'c', 1, 8, "rwm" }, { true, 'c', 1, 9, "rwm" },	   { true, 'c', 5, 1, "rwm" },
	{ true, 'c', 5, 2, "rwm" }, { true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

/* ---- small helpers: paths, files, lists, time ---- */

__attribute__((format(printf, 4, 5))) static int make_path(char *out, size_t size,
							   struct error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return err_errno(err, ENAMETOOLONG, "path %.200s...", out);
	return 0;
}

/* A small file, such as a cgroup's, without its final newline. */
static int read_file(const char *path, char *buf, size_t size, struct error *err)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(err, "read %s", path);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return 0;
}

/*
 * Writes TEXT to a cgroup file. The kernel parses each write(2) on its
 * own, so the whole text goes in one call; it may take only part of it,
 * and a failure may show only at close(2): all three are checked, and
 * the message names the value and the file.
 */
static int write_file(const char *path, const char *text, struct error *err)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	n = write(fd, text, len);
	if (n < 0) {
		err_sys(err, "write %s to %s", text, path);
		close(fd);
		return -1;
	}
	if ((size_t)n != len) {
		close(fd);
		return err_set(err, "write %s to %s: the kernel took %zd of %zu bytes", text, path,
			       n, len);
	}
	if (close(fd) < 0)
		return err_sys(err, "write %s to %s: close", text, path);
	return 0;
}

/* write_file() on FILE in directory DIR. */
__attribute__((format(printf, 4, 5))) static int
cg_write_path(const char *dir, const char *file, struct error *err, const char *fmt, ...)
{
	char path[PATH_MAX], text[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (make_path(path, sizeof(path), err, "%s/%s", dir, file) < 0)
		return -1;
	return write_file(path, text, err);
}

/* write_file() on FILE in the container's directory of hierarchy H. */
__attribute__((format(printf, 4, 5))) static int
cg_write(const struct cg_hierarchy *h, const char *file, struct error *err, const char *fmt, ...)
{
	char path[PATH_MAX], text[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return err_set(err, "%s/%s: a value of %d bytes is too long", h->dir, file, n);
	if (make_path(path, sizeof(path), err, "%s/%s", h->dir, file) < 0)
		return -1;
	return write_file(path, text, err);
}

/* Calls FN on each cgroup directly below DIR (none when DIR is gone),
 * until one fails. */
static int each_child(const char *dir, int (*fn)(const char *, void *, struct error *), void *arg,
		      struct error *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	int ret = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", dir);
	while (ret == 0 && (e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		ret = make_path(path, sizeof(path), err, "%s/%s", dir, e->d_name);
		if (ret == 0)
			ret = fn(path, arg, err);
	}
	closedir(d);
	return ret;
}

/* Whether a list separated by commas or white space holds WORD. */
static bool in_list(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; *p != '\0';) {
		p += strspn(p, ", \n");
		if (strncmp(p, word, len) == 0 && strchr(", \n", p[len]) != NULL)
			return true;
		p += strcspn(p, ", \n");
	}
	return false;
}

static void add_to_list(char *list, size_t size, const char *sep, const char *word)
{
	size_t len = strlen(list);

	snprintf(list + len, size - len, "%s%s", len > 0 ? sep : "", word);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps *PAUSE ms, then doubles it up to 100 ms: quick for the common
 * case (the kernel is done almost at once), cheap for the slow one. */
static void back_off(long *pause)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = *pause * 1000000 };

	nanosleep(&ts, NULL);
	*pause = *pause * 2 > 100 ? 100 : *pause * 2;
}

/* ---- finding the hierarchies ---- */

/* mountinfo writes a space in a path as \040 (a tab, a newline and a
 * backslash likewise, in octal): undo that, in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++, out++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out = *s;
		}
	}
	*out = '\0';
}

/* One line of /proc/self/mountinfo (proc(5)): the mount point, the file
 * system type and the super options, or false for a line of another shape. */
static bool mount_fields(char *line, char **point, char **fstype, char **opts)
{
	char *sep = strstr(line, " - "), *field = line;

	if (sep == NULL)
		return false;
	*sep = '\0';
	for (int i = 0; i < 4 && field != NULL; i++) {
		field = strchr(field, ' ');
		field = field != NULL ? field + 1 : NULL;
	}
	if (field == NULL)
		return false;
	*point = field;
	field[strcspn(field, " ")] = '\0';
	unescape_octal(*point);
	*fstype = sep + 3;
	sep = strchr(*fstype, ' '); /* then the source, then the super options */
	if (sep == NULL || (*opts = strchr(sep + 1, ' ')) == NULL)
		return false;
	*sep = '\0';
	*opts += 1;
	(*opts)[strcspn(*opts, " \n")] = '\0';
	return true;
}

/* A v1 mount: its controllers among the super options. systemd's
 * name=systemd hierarchy has none and is left alone; the same hierarchy
 * mounted twice is kept once, preferably where /sys/fs/cgroup shows it. */
static void add_v1(struct cgroup *cg, const char *point, char *opts)
{
	char controllers[sizeof(cg->h[0].controllers)] = "", *save;
	bool usual = strncmp(point, "/sys/fs/cgroup/", strlen("/sys/fs/cgroup/")) == 0;

	for (char *opt = strtok_r(opts, ",", &save); opt != NULL; opt = strtok_r(NULL, ",", &save))
		for (size_t i = 0; i < ARRAY_LEN(v1_names); i++)
			if (strcmp(opt, v1_names[i]) == 0)
				add_to_list(controllers, sizeof(controllers), ",", opt);
	if (controllers[0] == '\0')
		return;
	for (int i = 0; i < cg->n; i++) {
		if (strcmp(cg->h[i].controllers, controllers) != 0)
			continue;
		if (usual && strncmp(cg->h[i].mount, "/sys/fs/cgroup/", 15) != 0)
			snprintf(cg->h[i].mount, sizeof(cg->h[i].mount), "%s", point);
		return;
	}
	if (cg->n == CG_MAX_HIERARCHIES)
		return;
	snprintf(cg->h[cg->n].mount, sizeof(cg->h[cg->n].mount), "%s", point);
	snprintf(cg->h[cg->n].controllers, sizeof(cg->h[cg->n].controllers), "%s", controllers);
	cg->n++;
}

/* The cgroup of PID in the v2 tree, from /proc/PID/cgroup. */
static int v2_cgroup_of(pid_t pid, char *out, size_t size, struct error *err);

/* The highest directory of the v2 tree at MOUNT above this process's own
 * cgroup whose owner is this process's user and whose cgroup.procs it may
 * write, in OUT ("" when none is). */
static void find_delegated(const char *mount, char *out, size_t size)
{
	char own[PATH_MAX], dir[PATH_MAX * 2], *slash;
	struct stat st;

	out[0] = '\0';
	if (v2_cgroup_of(getpid(), own, sizeof(own), &(struct error){ 0 }) < 0)
		return;
	while (own[0] == '/' && own[1] != '\0') {
		snprintf(dir, sizeof(dir), "%s%s", mount, own);
		if (stat(dir, &st) < 0 || st.st_uid != geteuid())
			break;
		snprintf(dir, sizeof(dir), "%s%s/cgroup.procs", mount, own);
		if (access(dir, W_OK) < 0)
			break;
		snprintf(out, size, "%s", own);
		slash = strrchr(own, '/');
		*slash = '\0';
	}
}

/*
 * step: cgroup-delegated
 * Root of a user namespace only (rootless), the runtime may write where
 * the host lets its user: in no v1 hierarchy (each directory there is the
 * host root's), and in the v2 tree only below a subtree delegated to the
 * user: systemd's user@UID.service, or a directory an administrator gave
 * the user with its cgroup.procs, cgroup.subtree_control and
 * cgroup.threads (cgroup-v2.rst, "Delegation"). That subtree is the
 * highest directory above the caller's own cgroup that the user owns. The
 * v1 hierarchies are dropped; the v2 tree is kept, so that a container's
 * cgroup made from inside the subtree is found from anywhere. Where none
 * can be made, a container has no cgroup, and a limit asked of it is
 * refused by name (cg_create(), need()).
 */
static void keep_writable(struct cgroup *cg)
{
	char procs[PATH_MAX];
	int kept = 0;

	for (int i = 0; i < cg->n; i++) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->h[i].mount);
		cg->rootless = cg->rootless || access(procs, W_OK) < 0;
	}
	if (!cg->rootless)
		return;
	for (int i = 0; i < cg->n; i++) {
		if (!cg->h[i].v2)
			continue;
		find_delegated(cg->h[i].mount, cg->delegated, sizeof(cg->delegated));
		cg->h[kept++] = cg->h[i];
		break;
	}
	cg->n = kept;
}

/*
 * step: cgroup-detect
 * /proc/self/mountinfo lists the cgroup file systems. A v1 hierarchy
 * (type cgroup) names its controllers among its super options; the v2
 * tree (type cgroup2) lists what it offers in its root's
 * cgroup.controllers. The kernel binds each controller to one hierarchy
 * at a time, so on a hybrid host the v2 tree holds only what no v1
 * hierarchy took, often nothing: it is used when it offers a controller
 * the runtime writes (one offering only, say, hugetlb is of no use to
 * it), or when there is no v1 hierarchy at all (a pure v2 host, whose
 * freezer and devices program need no controller).
 */
int cg_detect(struct cgroup *cg, struct error *err)
{
	char v2[PATH_MAX] = "", path[PATH_MAX], offered[sizeof(cg->h[0].controllers)];
	char *line = NULL, *point, *fstype, *opts;
	size_t cap = 0;
	bool useful = false;
	FILE *f;

	memset(cg, 0, sizeof(*cg));
	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return err_sys(err, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		if (!mount_fields(line, &point, &fstype, &opts))
			continue;
		if (strcmp(fstype, "cgroup") == 0)
			add_v1(cg, point, opts);
		else if (strcmp(fstype, "cgroup2") == 0 &&
			 (v2[0] == '\0' || strcmp(point, "/sys/fs/cgroup") == 0))
			snprintf(v2, sizeof(v2), "%s", point);
	}
	free(line);
	fclose(f);

	if (v2[0] != '\0') {
		if (make_path(path, sizeof(path), err, "%s/cgroup.controllers", v2) < 0 ||
		    read_file(path, offered, sizeof(offered), err) < 0)
			return -1;
		for (size_t i = 0; i < ARRAY_LEN(v2_used); i++)
			useful = useful || in_list(offered, v2_used[i]);
		if ((useful || cg->n == 0) && cg->n < CG_MAX_HIERARCHIES) {
			struct cg_hierarchy *h = &cg->h[cg->n++];

			snprintf(h->mount, sizeof(h->mount), "%s", v2);
			snprintf(h->controllers, sizeof(h->controllers), "%s", offered);
			h->v2 = true;
		}
	}
	if (cg->n == 0)
		return err_set(err, "no cgroup file system is mounted (/proc/self/mountinfo lists "
				    "none; try mount -t cgroup2 none /sys/fs/cgroup)");
	keep_writable(cg);
	return 0;
}

/* ---- linux.cgroupsPath ---- */

/* "a//b/./c/" becomes "/a/b/c". ".." is refused, the cgroup must stay
 * below the roots; so is the root itself, which is every process's. */
static int clean_path(const char *in, const char *given, char *out, size_t size, struct error *err)
{
	size_t len = 0, n;

	for (const char *p = in; *p != '\0'; p += n) {
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return err_set(err, "linux.cgroupsPath: \"%s\": \"..\" is not allowed",
				       given);
		if (len + 1 + n >= size)
			return err_errno(err, ENAMETOOLONG, "linux.cgroupsPath: \"%s\"", given);
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
	}
	out[len] = '\0';
	if (len == 0)
		return err_set(err,
			       "linux.cgroupsPath: \"%s\" names the root cgroup, which is the "
			       "host's, not the container's",
			       given);
	return 0;
}

/*
 * systemd names a slice by its path: test-a-b.slice lives in
 * test.slice/test-a.slice/test-a-b.slice, and -.slice is the root
 * (systemd.slice(5)). runc's systemd driver (ExpandSlice) expands them
 * so, refusing empty parts ("a--b.slice", "-a.slice").
 */
static int expand_slice(const char *slice, const char *given, char *out, size_t size,
			struct error *err)
{
	size_t len = strlen(slice), name_len, used = 0;
	const size_t suffix = strlen(".slice");

	if (len <= suffix || strcmp(slice + len - suffix, ".slice") != 0 ||
	    strchr(slice, '/') != NULL)
		return err_set(err,
			       "linux.cgroupsPath: \"%s\": \"%s\" is not a slice name "
			       "(NAME.slice)",
			       given, slice);
	name_len = len - suffix;
	out[0] = '\0';
	if (name_len == 1 && slice[0] == '-')
		return 0;
	for (size_t start = 0, end; start <= name_len; start = end + 1) {
		end = start + strcspn(slice + start, "-");
		if (end > name_len)
			end = name_len;
		if (end == start)
			return err_set(err, "linux.cgroupsPath: \"%s\": \"%s\" has an empty part",
				       given, slice);
		/* each level is named by the whole prefix up to it */
		if (used + 1 + end + suffix >= size)
			return err_errno(err, ENAMETOOLONG, "linux.cgroupsPath: \"%s\"", given);
		used += (size_t)snprintf(out + used, size - used, "/%.*s.slice", (int)end, slice);
	}
	return 0;
}

/*
 * Three forms: "/a/b", below each hierarchy's root; "a/b", read the same
 * way, as runc's cgroupfs driver does; and systemd's "SLICE:PREFIX:NAME"
 * (as podman, CRI-O and containerd write it with a systemd cgroup
 * manager), which runc's systemd driver makes the unit PREFIX-NAME.scope
 * in SLICE, system.slice when SLICE is empty. The runtime makes these
 * directories itself, the way the cgroupfs driver would: it does not ask
 * systemd over D-Bus.
 */
int cg_resolve_path(const char *cgroups_path, const char *default_path, char *out, size_t size,
		    struct error *err)
{
	const char *given = cgroups_path, *c1, *c2;
	char slice[PATH_MAX], expanded[PATH_MAX], joined[PATH_MAX], unit[NAME_MAX + 1];
	const char *prefix, *name;
	int n;

	/* an empty string is "not given", as runc reads it */
	if (given == NULL || given[0] == '\0')
		given = default_path;
	c1 = strchr(given, ':');
	c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
	if (given[0] == '/' || c2 == NULL || strchr(c2 + 1, ':') != NULL)
		return clean_path(given, given, out, size, err);

	n = snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - given), given);
	if (n < 0 || (size_t)n >= sizeof(slice))
		return err_errno(err, ENAMETOOLONG, "linux.cgroupsPath: the slice");
	if (n == 0)
		snprintf(slice, sizeof(slice), "system.slice");
	prefix = c1 + 1;
	name = c2 + 1;
	if (name[0] == '\0')
		return err_set(err,
			       "linux.cgroupsPath: \"%s\": the name after the second colon is "
			       "empty",
			       given);
	if (memchr(prefix, '/', (size_t)(c2 - prefix)) != NULL || strchr(name, '/') != NULL)
		return err_set(err, "linux.cgroupsPath: \"%s\": a unit name has no slash", given);
	/* a NAME that is a slice is the unit itself, as in runc */
	if (strlen(name) > strlen(".slice") &&
	    strcmp(name + strlen(name) - strlen(".slice"), ".slice") == 0)
		n = snprintf(unit, sizeof(unit), "%s", name);
	else if (c2 == prefix)
		n = snprintf(unit, sizeof(unit), "%s.scope", name);
	else
		n = snprintf(unit, sizeof(unit), "%.*s-%s.scope", (int)(c2 - prefix), prefix, name);
	if (n < 0 || (size_t)n >= sizeof(unit))
		return err_errno(err, ENAMETOOLONG, "linux.cgroupsPath: \"%s\"", given);
	if (expand_slice(slice, given, expanded, sizeof(expanded), err) < 0)
		return -1;
	if (make_path(joined, sizeof(joined), err, "%s/%s", expanded, unit) < 0)
		return err_prefix(err, "linux.cgroupsPath");
	return clean_path(joined, given, out, size, err);
}

/* ---- making the directories ---- */

/*
 * v2: a controller works in a cgroup only when its parent lists it in
 * cgroup.subtree_control (cgroup-v2.rst, "Enabling and Disabling"). Turn
 * on those of ours that DIR offers and has not turned on yet, one write
 * each. A refusal is not fatal here, as in runc: a parent that has
 * processes of its own cannot hand controllers down ("no internal
 * processes"), and a container that asks for no limit does not need
 * them; cg_apply() names the controller when a limit does. A directory
 * gone meanwhile (ENOENT, ENODEV) is reported, for cg_create() to try
 * again. At the root of the tree this is a change to the host that
 * stays: turning a controller off again would take it from every cgroup
 * using it by then.
 */
static int enable_controllers(const char *dir, struct error *err)
{
	char path[PATH_MAX], offered[512], active[512], plus[32];

	if (make_path(path, sizeof(path), err, "%s/cgroup.controllers", dir) < 0 ||
	    read_file(path, offered, sizeof(offered), err) < 0)
		return -1;
	if (make_path(path, sizeof(path), err, "%s/cgroup.subtree_control", dir) < 0 ||
	    read_file(path, active, sizeof(active), err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(v2_used); i++) {
		if (!in_list(offered, v2_used[i]) || in_list(active, v2_used[i]))
			continue;
		snprintf(plus, sizeof(plus), "+%s", v2_used[i]);
		if (write_file(path, plus, err) < 0 &&
		    (err->errnum == ENOENT || err->errnum == ENODEV))
			return -1;
	}
	return 0;
}

/*
 * v1: a new cpuset has no CPUs and no memory nodes, and no task may join
 * it until it has both (cgroup-v1/cpusets.rst). Give DIR its parent's, as
 * cgroup.clone_children would have; a directory made earlier, by us or by
 * another runtime, has them already.
 */
static int inherit_cpuset(const char *dir, struct error *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char path[PATH_MAX], parent[PATH_MAX], value[4096];

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		if (make_path(path, sizeof(path), err, "%s/%s", dir, files[i]) < 0 ||
		    read_file(path, value, sizeof(value), err) < 0)
			return -1;
		if (value[0] != '\0')
			continue;
		if (make_path(parent, sizeof(parent), err, "%.*s/%s",
			      (int)(strrchr(dir, '/') - dir), dir, files[i]) < 0 ||
		    read_file(parent, value, sizeof(value), err) < 0 ||
		    write_file(path, value, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * mkdir -p of PATH (clean, from cg_resolve_path()) in hierarchy H, each
 * level prepared before the next is made in it: v2's controllers handed
 * down, v1's cpuset filled. *FIRST_MADE becomes the depth of the first
 * directory this call made (-1: none), for undoing. Every level may
 * exist: /cell/runc is shared by all containers, and a client may reuse
 * a leaf (podman does).
 */
static int make_tree(const struct cg_hierarchy *h, const char *path, size_t from, int *first_made,
		     struct error *err)
{
	bool cpuset = !h->v2 && in_list(h->controllers, "cpuset");
	char dir[PATH_MAX];
	size_t len, n;
	int depth = 0;

	/* the levels above FROM exist, and are not ours to change */
	if (make_path(dir, sizeof(dir), err, "%s%.*s", h->mount, (int)from, path) < 0)
		return -1;
	len = strlen(dir);
	for (size_t i = 0; i < from; i++)
		depth += path[i] == '/';
	for (const char *p = path + from; *p == '/'; p += n, depth++) {
		n = strcspn(p + 1, "/") + 1;
		if (h->v2 && enable_controllers(dir, err) < 0)
			return -1;
		if (len + n >= sizeof(dir))
			return err_errno(err, ENAMETOOLONG, "%s%s", h->mount, path);
		memcpy(dir + len, p, n);
		len += n;
		dir[len] = '\0';
		if (mkdir(dir, 0755) == 0) {
			if (*first_made < 0 || depth < *first_made)
				*first_made = depth;
		} else if (errno != EEXIST) {
			return err_sys(err, "mkdir %s", dir);
		}
		if (cpuset && inherit_cpuset(dir, err) < 0)
			return -1;
	}
	return 0;
}

/* Undoes make_tree(): the levels it made, deepest first. A failure here
 * is one already being reported, so errors are not. */
static void unmake_tree(const struct cg_hierarchy *h, const char *path, int first_made)
{
	char dir[PATH_MAX];
	int depth = -1;

	for (const char *p = path; *p != '\0'; p++)
		depth += *p == '/';
	if (first_made < 0 || snprintf(dir, sizeof(dir), "%s%s", h->mount, path) >= PATH_MAX)
		return;
	for (; depth >= first_made; depth--) {
		rmdir(dir);
		*strrchr(dir, '/') = '\0';
	}
}

/*
 * step: cgroup-create
 * PATH in every hierarchy, with mkdir(2): the kernel fills each new
 * directory with its controllers' files. Another runtime removing an
 * empty shared parent (cg_destroy) while we walk down makes our next step
 * fail: a mkdir or an open in it with ENOENT, a read of a file opened
 * just before with ENODEV (kernfs, once the cgroup is gone). Another walk
 * makes the levels again, and once the leaf exists nobody can remove its
 * parents (a cgroup with children is busy). Each retry means someone
 * else removed a level in between, so a few are enough even when many
 * containers start and stop at once: four processes making and removing
 * 300 siblings each at the same time needed at most two more walks. On
 * failure, what this call made is removed again.
 */
int cg_create(struct cgroup *cg, const char *path, struct error *err)
{
	size_t from = strlen(cg->delegated);
	bool below = from > 0 && strncmp(path, cg->delegated, from) == 0 && path[from] == '/';
	int first_made[CG_MAX_HIERARCHIES];

	if (path[0] != '/' || path[1] == '\0')
		return err_set(err, "cgroup path \"%s\": not below the root", path);
	if (make_path(cg->path, sizeof(cg->path), err, "%s", path) < 0)
		return -1;
	/* rootless outside a delegated subtree: no cgroup (runc's choice too) */
	if (cg->rootless && !below)
		return 0;
	/* the levels down to the subtree are the host's, made already */
	if (!below)
		from = 0;
	for (int i = 0; i < cg->n; i++) {
		struct cg_hierarchy *h = &cg->h[i];
		int ret;

		first_made[i] = -1;
		for (int tries = 1;; tries++) {
			ret = make_tree(h, path, from, &first_made[i], err);
			if (ret == 0 || (err->errnum != ENOENT && err->errnum != ENODEV) ||
			    tries == CREATE_TRIES)
				break;
		}
		if (ret == 0)
			ret = make_path(h->dir, sizeof(h->dir), err, "%s%s", h->mount, path);
		if (ret < 0) {
			for (int j = i; j >= 0; j--) {
				unmake_tree(&cg->h[j], path, first_made[j]);
				cg->h[j].dir[0] = '\0';
			}
			return -1;
		}
	}
	return 0;
}

/* A container's directories, made earlier: where one is gone (the
 * container is being removed), its dir stays empty and the operations
 * below pass that hierarchy by. The root is refused, as in cg_create():
 * a state record naming it must not lead to freezing the host. */
int cg_open(struct cgroup *cg, const char *path, struct error *err)
{
	struct stat st;

	if (path[0] != '/' || path[1] == '\0')
		return err_set(err, "cgroup path \"%s\": not below the root", path);
	if (make_path(cg->path, sizeof(cg->path), err, "%s", path) < 0)
		return -1;
	for (int i = 0; i < cg->n; i++) {
		struct cg_hierarchy *h = &cg->h[i];

		if (make_path(h->dir, sizeof(h->dir), err, "%s%s", h->mount, path) < 0)
			return -1;
		if (stat(h->dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				h->dir[0] = '\0';
			continue;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return err_sys(err, "stat %s", h->dir);
		h->dir[0] = '\0';
	}
	return 0;
}

/* ---- linux.resources ---- */

/* One pass of cg_apply(): the first only checks (DRY), the second writes. */
struct apply {
	const struct cgroup *cg;
	const struct resources_spec *res;
	bool dry;
	struct error *err;
};

/* The hierarchy that holds CONTROLLER (by its v1 name), or NULL. v2 calls
 * blkio "io", and has a freezer and a devices hook in every cgroup. */
static const struct cg_hierarchy *hierarchy_of(const struct cgroup *cg, const char *controller)
{
	const char *v2_name = strcmp(controller, "blkio") == 0 ? "io" : controller;
	bool built_in = strcmp(controller, "freezer") == 0 || strcmp(controller, "devices") == 0;

	for (int i = 0; i < cg->n; i++)
		if (!cg->h[i].v2 && in_list(cg->h[i].controllers, controller))
			return &cg->h[i];
	for (int i = 0; i < cg->n; i++)
		if (cg->h[i].v2 && (built_in || in_list(cg->h[i].controllers, v2_name)))
			return &cg->h[i];
	return NULL;
}

/*
 * The hierarchy a field of linux.resources needs, or NULL with the
 * reason. /proc/cgroups (proc(5)) lists the kernel's controllers, with 0
 * in its last column for one switched off at boot (cgroup_disable=,
 * kernel-parameters.txt). On v2 the controller must also be on in the
 * container's cgroup, which its parent's cgroup.subtree_control decides.
 */
static const struct cg_hierarchy *need(const struct apply *a, const char *controller,
				       const char *field)
{
	const struct cg_hierarchy *h = hierarchy_of(a->cg, controller);
	const char *why = "";
	char path[PATH_MAX], line[256], name[64], enabled[512];
	int on;
	FILE *f;

	if ((h == NULL || h->dir[0] == '\0') && a->cg->rootless) {
		err_set(a->err, "%s: %s", field, ROOTLESS_NO_LIMITS);
		return NULL;
	}
	if (h == NULL) {
		f = fopen("/proc/cgroups", "re");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "%63s %*d %*d %d", name, &on) == 2 &&
			    strcmp(name, controller) == 0 && on == 0)
				why = " (it is switched off on the kernel command line: "
				      "cgroup_disable=)";
		if (f != NULL)
			fclose(f);
		err_set(a->err, "%s: the %s controller is not mounted%s", field,
			strcmp(controller, "blkio") == 0 ? "blkio (v2: io)" : controller, why);
		return NULL;
	}
	if (h->dir[0] == '\0') {
		err_set(a->err, "%s: the container has no cgroup in %s (removed?)", field,
			h->mount);
		return NULL;
	}
	if (!h->v2 || strcmp(controller, "freezer") == 0 || strcmp(controller, "devices") == 0)
		return h;
	if (make_path(path, sizeof(path), a->err, "%s/cgroup.controllers", h->dir) < 0 ||
	    read_file(path, enabled, sizeof(enabled), a->err) < 0)
		return NULL;
	if (!in_list(enabled, strcmp(controller, "blkio") == 0 ? "io" : controller)) {
		err_set(a->err,
			"%s: the %s controller is not enabled for %s (its parent's "
			"cgroup.subtree_control lacks it)",
			field, strcmp(controller, "blkio") == 0 ? "io" : controller, h->dir);
		return NULL;
	}
	return h;
}

/* A write of cg_apply(): nothing in the checking pass; an error names the
 * field of linux.resources before the file. */
__attribute__((format(printf, 5, 6))) static int set(const struct apply *a,
						     const struct cg_hierarchy *h,
						     const char *field, const char *file,
						     const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	int n;

	if (a->dry)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return err_set(a->err, "%s: a value of %d bytes is too long for %s", field, n,
			       file);
	if (cg_write(h, file, a->err, "%s", text) < 0)
		return err_prefix(a->err, "%s", field);
	return 0;
}

/* Whether FILE exists in the container's directory of H. */
static bool has_file(const struct cg_hierarchy *h, const char *file)
{
	char path[PATH_MAX];

	return snprintf(path, sizeof(path), "%s/%s", h->dir, file) < (int)sizeof(path) &&
	       access(path, F_OK) == 0;
}

/* v2 writes "max" where v1 took -1 for "no limit". */
static const char *v2_number(int64_t value, char *buf, size_t size)
{
	if (value < 0)
		return "max";
	snprintf(buf, size, "%" PRId64, value);
	return buf;
}

/*
 * v1 limits memory and memory+swap in two files, and keeps
 * memsw >= limit at every moment: raising both, swap goes first;
 * lowering, the limit (runc's order). The memsw file exists only while
 * the kernel accounts swap (swapaccount=1).
 */
static int memory_v1(const struct apply *a, const struct cg_hierarchy *h, int64_t limit,
		     int64_t swap)
{
	const struct resources_spec *r = a->res;
	const char *w = "linux.resources.memory", *memsw = "memory.memsw.limit_in_bytes";
	char path[PATH_MAX], current[64];
	bool has_memsw = has_file(h, memsw), swap_first = false;

	/* no memory limit means no swap limit either, as in runc */
	if (limit == -1 && swap == 0 && has_memsw)
		swap = -1;
	if (swap == -1 && !has_memsw)
		swap = 0;
	if (swap != 0 && !has_memsw)
		return err_set(a->err,
			       "%s.swap: the kernel does not account swap (no %s: boot with "
			       "swapaccount=1)",
			       w, memsw);
	if (limit != 0 && swap > 0) {
		if (make_path(path, sizeof(path), a->err, "%s/%s", h->dir, memsw) < 0 ||
		    read_file(path, current, sizeof(current), a->err) < 0)
			return -1;
		swap_first = strtoull(current, NULL, 10) < (uint64_t)swap;
	}
	if (limit != 0 && swap == -1)
		swap_first = true;
	if (swap_first && set(a, h, w, memsw, "%" PRId64, swap) < 0)
		return -1;
	if (limit != 0 && set(a, h, w, "memory.limit_in_bytes", "%" PRId64, limit) < 0)
		return -1;
	if (!swap_first && swap != 0 && set(a, h, w, memsw, "%" PRId64, swap) < 0)
		return -1;
	if (r->has_memory_reservation && r->memory_reservation != 0 &&
	    set(a, h, w, "memory.soft_limit_in_bytes", "%" PRId64, r->memory_reservation) < 0)
		return -1;
	if (r->has_memory_swappiness &&
	    set(a, h, w, "memory.swappiness", "%" PRIu64, r->memory_swappiness) < 0)
		return -1;
	if (r->disable_oom_killer && set(a, h, w, "memory.oom_control", "1") < 0)
		return -1;
	return 0;
}

/*
 * v2 limits swap alone (memory.swap.max) where the spec, written for v1,
 * gives memory+swap: the difference is written, as runc and crun do.
 * memory.low is the reservation's counterpart (cgroup-v2.rst, "Memory
 * Interface Files").
 */
static int memory_v2(const struct apply *a, const struct cg_hierarchy *h, int64_t limit,
		     int64_t swap)
{
	const struct resources_spec *r = a->res;
	const char *w = "linux.resources.memory";
	int64_t swap_only = 0, low = r->has_memory_reservation ? r->memory_reservation : 0;
	char buf[32];

	if (r->disable_oom_killer)
		return err_set(a->err,
			       "%s.disableOOMKiller: cgroup v2 cannot turn the OOM killer off "
			       "(it has no memory.oom_control)",
			       w);
	if (r->has_memory_swappiness)
		return err_set(a->err, "%s.swappiness: cgroup v2 has no swappiness per cgroup", w);
	if (swap == -1 || (limit == -1 && swap == 0))
		swap_only = -1;
	else if (swap != 0 && limit == -1)
		swap_only = swap;
	else if (swap != 0 && limit == 0)
		return err_set(a->err,
			       "%s.swap: needs %s.limit on cgroup v2, which limits swap "
			       "alone (swap minus limit)",
			       w, w);
	else if (swap != 0 && swap < limit)
		return err_set(a->err,
			       "%s.swap: %" PRId64 " is below the limit %" PRId64
			       " (it counts memory plus swap)",
			       w, swap, limit);
	else if (swap != 0)
		swap_only = swap - limit;
	/* without swap accounting there is nothing to lift or to keep at 0 */
	if ((swap != 0 || swap_only == -1) && has_file(h, "memory.swap.max")) {
		if (set(a, h, w, "memory.swap.max", "%s", v2_number(swap_only, buf, sizeof(buf))) <
		    0)
			return -1;
	} else if (swap_only > 0) {
		return err_set(a->err,
			       "%s.swap: the kernel does not account swap (no memory.swap.max)", w);
	}
	if (limit != 0 && set(a, h, w, "memory.max", "%s", v2_number(limit, buf, sizeof(buf))) < 0)
		return -1;
	if (low != 0 && set(a, h, w, "memory.low", "%s", v2_number(low, buf, sizeof(buf))) < 0)
		return -1;
	return 0;
}

/* linux.resources.memory. 0 means "not set" for the sizes, as in runc:
 * clients written in Go send it for fields they leave alone. */
static int apply_memory(const struct apply *a)
{
	const struct resources_spec *r = a->res;
	int64_t limit = r->has_memory_limit ? r->memory_limit : 0;
	int64_t swap = r->has_memory_swap ? r->memory_swap : 0;
	const struct cg_hierarchy *h;

	if (r->has_kernel_memory)
		return err_set(a->err,
			       "linux.resources.memory.kernel: kernel memory limits are not "
			       "supported (the kernel deprecated them, cgroup-v1/memory.rst, and "
			       "cgroup v2 has none)");
	if (limit == 0 && swap == 0 && !(r->has_memory_reservation && r->memory_reservation != 0) &&
	    !r->has_memory_swappiness && !r->disable_oom_killer)
		return 0;
	h = need(a, "memory", "linux.resources.memory");
	if (h == NULL)
		return -1;
	return h->v2 ? memory_v2(a, h, limit, swap) : memory_v1(a, h, limit, swap);
}

/*
 * CFS bandwidth: QUOTA µs of CPU time per PERIOD µs (sched-bwc.rst). v1
 * has a file for each; the kernel checks them together against the
 * parents' limits, so a smaller period may be refused (EINVAL) until the
 * quota is written, then goes through (runc's order). v2 has one file,
 * "QUOTA PERIOD", where a part not given keeps its value.
 */
static int cpu_bandwidth(const struct apply *a, const struct cg_hierarchy *h)
{
	const struct resources_spec *r = a->res;
	const char *w = "linux.resources.cpu";
	bool quota = r->has_cpu_quota && r->cpu_quota != 0;
	bool period = r->has_cpu_period && r->cpu_period != 0;
	char path[PATH_MAX], current[64], buf[32];
	const char *quota_text;
	bool period_later = false;
	unsigned long long keep_period;

	if (!quota && !period)
		return 0;
	if (!h->v2) {
		if (period && !a->dry &&
		    cg_write(h, "cpu.cfs_period_us", a->err, "%" PRIu64, r->cpu_period) < 0) {
			if (a->err->errnum != EINVAL || !quota)
				return err_prefix(a->err, "%s", w);
			period_later = true;
		}
		if (quota && set(a, h, w, "cpu.cfs_quota_us", "%" PRId64, r->cpu_quota) < 0)
			return -1;
		if (period_later &&
		    set(a, h, w, "cpu.cfs_period_us", "%" PRIu64, r->cpu_period) < 0)
			return -1;
		return 0;
	}
	if (make_path(path, sizeof(path), a->err, "%s/cpu.max", h->dir) < 0 ||
	    read_file(path, current, sizeof(current), a->err) < 0)
		return err_prefix(a->err, "%s", w);
	if (quota) {
		quota_text = v2_number(r->cpu_quota, buf, sizeof(buf));
	} else {
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(current, " "), current);
		quota_text = buf;
	}
	keep_period = strtoull(current + strcspn(current, " "), NULL, 10);
	return set(a, h, w, "cpu.max", "%s %llu", quota_text,
		   period ? (unsigned long long)r->cpu_period : keep_period);
}

/*
 * Real-time time (sched-rt-group.rst). On a kernel built with
 * CONFIG_RT_GROUP_SCHED, a SCHED_FIFO or SCHED_RR process runs only in a
 * cgroup that has real-time time: cpu.rt_runtime_us in each
 * cpu.rt_period_us. A new cgroup has none, and the kernel keeps the share
 * of each cgroup's children (runtime / period, summed) within its own.
 * cell's own levels (/cell, /cell/ctr, /cell/runc) hold just what their
 * children hold: given the container's share before its write, top down,
 * and fitted again when a container goes (cg_destroy). Levels of others
 * (podman's cgroup parent) keep what their owners set. v2 has no such
 * files (real-time processes are not grouped there; the controller
 * refuses them in a cgroup with cpu enabled, unless the kernel lacks
 * CONFIG_RT_GROUP_SCHED, as Debian's does).
 */
#define RT_OWN		  "/cell/" /* the levels cell makes and may give real-time time */
#define RT_PERIOD_DEFAULT 1000000

/* cpu.rt_runtime_us or cpu.rt_period_us of DIR; -1 when unreadable. */
static long long rt_value(const char *dir, const char *file)
{
	char path[PATH_MAX], text[32];
	struct error ignored;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    read_file(path, text, sizeof(text), &ignored) < 0)
		return -1;
	return atoll(text);
}

/* The runtime in DIR's period that matches RUNTIME per PERIOD, rounded up. */
static long long rt_scaled(const char *dir, long long runtime, long long period)
{
	long long own = rt_value(dir, "cpu.rt_period_us");

	if (own <= 0 || period <= 0)
		return runtime;
	return (runtime * own + period - 1) / period;
}

struct rt_sum {
	const char *parent;
	long long total;
};

static int add_child_runtime(const char *dir, void *arg, struct error *err)
{
	struct rt_sum *sum = arg;
	long long runtime = rt_value(dir, "cpu.rt_runtime_us");

	(void)err;
	if (runtime > 0)
		sum->total += rt_scaled(sum->parent, runtime, rt_value(dir, "cpu.rt_period_us"));
	return 0;
}

/* What DIR's children hold, in DIR's period. */
static int rt_children(const char *dir, long long *total, struct error *err)
{
	struct rt_sum sum = { .parent = dir };

	if (each_child(dir, add_child_runtime, &sum, err) < 0)
		return -1;
	*total = sum.total;
	return 0;
}

/* RUNTIME into LEVEL's cpu.rt_runtime_us. A child removed a moment ago
 * may still count in the kernel's sum (its task group goes once the
 * cgroup is offline, after an RCU grace period), which refuses a value
 * below that sum meanwhile (EINVAL, or EBUSY): it is tried again for a
 * while. */
static int rt_write(const char *level, long long runtime, struct error *err)
{
	long long deadline = now_ms() + RMDIR_WAIT_MS;
	long pause = 1;

	for (;;) {
		if (cg_write_path(level, "cpu.rt_runtime_us", err, "%lld", runtime) == 0)
			return 0;
		if ((err->errnum != EINVAL && err->errnum != EBUSY) || now_ms() >= deadline)
			return -1;
		back_off(&pause);
	}
}

/* Each level of cell's own above the container's directory DIR (hierarchy
 * mounted at MOUNT) gets what its children hold, plus RUNTIME per PERIOD
 * when GROW: top down, then DIR its RUNTIME; else (a container has gone)
 * bottom up, so that no level ever holds less than its children. */
static int rt_fit(const char *mount, const char *dir, long long runtime, long long period,
		  bool grow, struct error *err)
{
	char levels[8][PATH_MAX], *slash;
	size_t root = strlen(mount);
	int n = 0, top, ret = 0;

	snprintf(levels[0], sizeof(levels[0]), "%s", dir);
	/* the own levels above DIR, nearest first */
	while (n < 7 && (slash = strrchr(levels[n], '/')) != NULL &&
	       (size_t)(slash - levels[n]) > root) {
		snprintf(levels[n + 1], sizeof(levels[n + 1]), "%.*s", (int)(slash - levels[n]),
			 levels[n]);
		if (strncmp(levels[n + 1] + root, RT_OWN, strlen(RT_OWN)) != 0 &&
		    strcmp(levels[n + 1] + root, "/cell") != 0)
			break;
		n++;
	}
	if (n == 0)
		return grow ? cg_write_path(dir, "cpu.rt_runtime_us", err, "%lld", runtime) : 0;
	/* one fit at a time: two containers going at once would each sum
	 * the children the other is removing */
	top = open(levels[n], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", levels[n]);
	while (flock(top, LOCK_EX) < 0 && errno == EINTR)
		;
	for (int k = 0; k < n && ret == 0; k++) {
		const char *level = levels[grow ? n - k : k + 1];
		long long children, now = rt_value(level, "cpu.rt_runtime_us");

		if (now < 0 || (!grow && now == 0)) /* removed, or nothing to give back */
			continue;
		ret = rt_children(level, &children, err);
		children += runtime > 0 ? rt_scaled(level, runtime, period) : 0;
		if (ret == 0 && children != now)
			ret = rt_write(level, children, err);
	}
	if (grow && ret == 0)
		ret = cg_write_path(dir, "cpu.rt_runtime_us", err, "%lld", runtime);
	close(top); /* the lock goes with it */
	return ret;
}

static int apply_realtime(const struct apply *a)
{
	const struct resources_spec *r = a->res;
	const char *w = "linux.resources.cpu.realtimeRuntime";
	bool runtime = r->has_cpu_rt_runtime && r->cpu_rt_runtime > 0;
	bool period = r->has_cpu_rt_period && r->cpu_rt_period > 0;
	const struct cg_hierarchy *h;
	long long p;

	if (!runtime && !period)
		return 0;
	h = need(a, "cpu", w);
	if (h == NULL)
		return -1;
	if (h->v2 || !has_file(h, "cpu.rt_runtime_us"))
		return err_set(a->err,
			       "%s: this kernel has no real-time group scheduling "
			       "(CONFIG_RT_GROUP_SCHED, cgroup v1): a real-time policy needs no "
			       "cgroup time here, leave it out",
			       w);
	if (a->dry)
		return 0;
	if (period && set(a, h, "linux.resources.cpu.realtimePeriod", "cpu.rt_period_us",
			  "%" PRIu64, r->cpu_rt_period) < 0)
		return -1;
	if (!runtime)
		return 0;
	p = period ? (long long)r->cpu_rt_period : rt_value(h->dir, "cpu.rt_period_us");
	if (rt_fit(h->mount, h->dir, r->cpu_rt_runtime, p > 0 ? p : RT_PERIOD_DEFAULT, true,
		   a->err) < 0)
		return err_prefix(a->err,
				  "%s (a parent cgroup must hold at least what its "
				  "children hold: cpu.rt_runtime_us)",
				  w);
	return 0;
}

/*
 * linux.resources.cpu. v2's cpu.weight runs from 1 to 10000 (default
 * 100), v1's cpu.shares from 2 to 262144 (default 1024): runc and crun
 * map one onto the other by the straight line through both ends.
 */
static int apply_cpu(const struct apply *a)
{
	const struct resources_spec *r = a->res;
	const char *w = "linux.resources.cpu";
	const struct cg_hierarchy *h;

	if (apply_realtime(a) < 0)
		return -1;
	if ((r->has_cpu_shares && r->cpu_shares != 0) || (r->has_cpu_quota && r->cpu_quota != 0) ||
	    (r->has_cpu_period && r->cpu_period != 0)) {
		h = need(a, "cpu", w);
		if (h == NULL)
			return -1;
		if (r->has_cpu_shares && r->cpu_shares != 0) {
			uint64_t shares = r->cpu_shares < 2 ? 2 : r->cpu_shares;

			if (shares > 262144)
				shares = 262144;
			if (!h->v2 && set(a, h, w, "cpu.shares", "%" PRIu64, r->cpu_shares) < 0)
				return -1;
			if (h->v2 && set(a, h, w, "cpu.weight", "%" PRIu64,
					 1 + ((shares - 2) * 9999) / 262142) < 0)
				return -1;
		}
		if (cpu_bandwidth(a, h) < 0)
			return -1;
	}
	if (r->cpu_cpus != NULL || r->cpu_mems != NULL) {
		h = need(a, "cpuset",
			 r->cpu_cpus != NULL ? "linux.resources.cpu.cpus"
					     : "linux.resources.cpu.mems");
		if (h == NULL)
			return -1;
		if (r->cpu_cpus != NULL &&
		    set(a, h, "linux.resources.cpu.cpus", "cpuset.cpus", "%s", r->cpu_cpus) < 0)
			return -1;
		if (r->cpu_mems != NULL &&
		    set(a, h, "linux.resources.cpu.mems", "cpuset.mems", "%s", r->cpu_mems) < 0)
			return -1;
	}
	return 0;
}

/* linux.resources.pids: the same file on both versions; -1 or 0 is no
 * limit ("max"; pids.rst). */
static int apply_pids(const struct apply *a)
{
	const struct cg_hierarchy *h;
	const char *w = "linux.resources.pids";

	if (!a->res->has_pids_limit)
		return 0;
	h = need(a, "pids", w);
	if (h == NULL)
		return -1;
	if (a->res->pids_limit <= 0)
		return set(a, h, w, "pids.max", "max");
	return set(a, h, w, "pids.max", "%" PRId64, a->res->pids_limit);
}

/*
 * linux.resources.blockIO. The weight goes to the BFQ scheduler's file
 * when BFQ is in use, which takes the spec's 10-1000 as it is, else to
 * v1's CFQ blkio.weight or v2's io.weight (1-10000, mapped by runc's
 * line). A throttle is "MAJ:MIN RATE" in one v1 file per direction and
 * unit, or "MAJ:MIN KEY=RATE" in v2's io.max, where a key not written
 * keeps its value; 0 lifts a limit on v1, and "max" does on v2.
 */
static int apply_blkio(const struct apply *a)
{
	const struct resources_spec *r = a->res;
	const char *w = "linux.resources.blockIO";
	const struct {
		const struct blkio_device *list;
		size_t n;
		const char *field, *v1_file, *v2_key;
	} throttles[] = {
		{ r->throttle_read_bps, r->n_throttle_read_bps, "throttleReadBpsDevice",
		  "blkio.throttle.read_bps_device", "rbps" },
		{ r->throttle_write_bps, r->n_throttle_write_bps, "throttleWriteBpsDevice",
		  "blkio.throttle.write_bps_device", "wbps" },
		{ r->throttle_read_iops, r->n_throttle_read_iops, "throttleReadIOPSDevice",
		  "blkio.throttle.read_iops_device", "riops" },
		{ r->throttle_write_iops, r->n_throttle_write_iops, "throttleWriteIOPSDevice",
		  "blkio.throttle.write_iops_device", "wiops" },
	};
	const struct cg_hierarchy *h;
	char field[128];
	size_t n = 0;

	for (size_t t = 0; t < ARRAY_LEN(throttles); t++)
		n += throttles[t].n;
	if (!(r->has_blkio_weight && r->blkio_weight != 0) && n == 0)
		return 0;
	h = need(a, "blkio", w);
	if (h == NULL)
		return -1;
	if (r->has_blkio_weight && r->blkio_weight != 0) {
		const char *bfq = h->v2 ? "io.bfq.weight" : "blkio.bfq.weight";
		const char *plain = h->v2 ? "io.weight" : "blkio.weight";
		uint64_t weight = r->blkio_weight < 10 ? 10 : r->blkio_weight;

		if (has_file(h, bfq)) {
			if (set(a, h, w, bfq, "%u", (unsigned int)r->blkio_weight) < 0)
				return -1;
		} else if (!has_file(h, plain)) {
			return err_set(a->err,
				       "%s.weight: neither %s nor %s exists (no I/O scheduler "
				       "with weights on the disks)",
				       w, bfq, plain);
		} else if (set(a, h, w, plain, "%" PRIu64,
			       h->v2 ? 1 + (weight - 10) * 9999 / 990 : weight) < 0) {
			return -1;
		}
	}
	for (size_t t = 0; t < ARRAY_LEN(throttles); t++) {
		snprintf(field, sizeof(field), "%s.%s", w, throttles[t].field);
		for (size_t i = 0; i < throttles[t].n; i++) {
			const struct blkio_device *d = &throttles[t].list[i];
			int ret;

			if (!h->v2)
				ret = set(a, h, field, throttles[t].v1_file,
					  "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
					  d->rate);
			else if (d->rate == 0)
				ret = set(a, h, field, "io.max", "%" PRId64 ":%" PRId64 " %s=max",
					  d->major, d->minor, throttles[t].v2_key);
			else
				ret = set(a, h, field, "io.max",
					  "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major, d->minor,
					  throttles[t].v2_key, d->rate);
			if (ret < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- linux.resources.devices ---- */

/* The rules in force: the client's, then the runtime's defaults. */
static const struct device_rule *rule_at(const struct resources_spec *r, size_t i)
{
	return i < r->n_devices ? &r->devices[i] : &default_devices[i - r->n_devices];
}

/* "rwm" as BPF_DEVCG_ACC_* bits (the same as v1's ACC_MKNOD/READ/WRITE). */
#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

static int access_bits(const char *access)
{
	return (strchr(access, 'm') != NULL ? BPF_DEVCG_ACC_MKNOD : 0) |
	       (strchr(access, 'r') != NULL ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') != NULL ? BPF_DEVCG_ACC_WRITE : 0);
}

/* A rule about every device and every access: v1's "a", which resets the
 * list (cgroup-v1/devices.rst) and decides everything before it. */
static bool is_wildcard(const struct device_rule *d)
{
	return d->type == 'a' && d->major < 0 && d->minor < 0 && access_bits(d->access) == ACC_ALL;
}

/*
 * v1: each rule to devices.allow or devices.deny, in order ("c 1:3 rwm",
 * "*" for any number). A wildcard is written as "a", which the kernel
 * takes as "everything allowed" or "everything denied, exceptions
 * cleared": podman's first rule, "deny all", writes devices.deny "a". A
 * rule of type a that is not a wildcard is written for c and for b,
 * since the kernel would read any "a..." as the wildcard.
 */
static int device_rule_v1(const struct apply *a, const struct cg_hierarchy *h, size_t i)
{
	const struct device_rule *d = rule_at(a->res, i);
	const char *file = d->allow ? "devices.allow" : "devices.deny";
	char field[64], major[24] = "*", minor[24] = "*";

	if (i < a->res->n_devices)
		snprintf(field, sizeof(field), "linux.resources.devices[%zu]", i);
	else
		snprintf(field, sizeof(field), "the runtime's default devices");
	if (is_wildcard(d))
		return set(a, h, field, file, "a");
	if (d->major >= 0)
		snprintf(major, sizeof(major), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
	if (d->type != 'a')
		return set(a, h, field, file, "%c %s:%s %s", d->type, major, minor, d->access);
	if (set(a, h, field, file, "c %s:%s %s", major, minor, d->access) < 0)
		return -1;
	return set(a, h, field, file, "b %s:%s %s", major, minor, d->access);
}

/* eBPF instructions, as <linux/bpf.h> defines them (the kernel's
 * Documentation/bpf/standardization/instruction-set.rst). */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){
		.code = code, .dst_reg = dst & 0xf, .src_reg = src & 0xf, .off = off, .imm = imm
	};
}

#define LOAD_WORD(dst, off)    insn(BPF_LDX | BPF_W | BPF_MEM, dst, BPF_REG_1, off, 0)
#define AND_IMM(dst, imm)      insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm)      insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV_REG(dst, src)      insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define RETURN_IMM(imm)	       insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, imm)
#define EXIT()		       insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* 32-bit compares (Linux 5.1): a major or minor above 2^31 stays unsigned */
#define JUMP_IMM(op, dst, imm) insn(BPF_JMP32 | (op) | BPF_K, dst, 0, 0, imm)

/*
 * step: cgroup-devices
 * v2 has no devices file: the kernel runs a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the cgroup for each mknod(2) and open(2) of a
 * device node, with a struct bpf_cgroup_dev_ctx: access_type (the type,
 * BPF_DEVCG_DEV_BLOCK or _CHAR, in the low 16 bits, the access,
 * BPF_DEVCG_ACC_*, in the high 16), major and minor; it returns 1 to
 * allow, 0 to deny (EPERM). The program written here decides as the list
 * of rules reads: for each bit of the access asked, the last rule that
 * matches the device and names that bit wins. So it walks the rules from
 * the last: an allow rule takes its bits off those still undecided (R3)
 * and allows once none is left; a deny rule that names an undecided bit
 * denies. A wildcard decides whatever is left and ends the walk; with
 * none, what is left is allowed, as in a v1 cgroup, which starts out
 * allowing everything. (v1's kernel keeps its list differently: a deny
 * removes only a rule of exactly its type and numbers; the rules clients
 * send, deny-all then allows, come out the same.) runc (devicefilter.go)
 * and crun (ebpf.c) generate programs of this shape.
 */
static struct bpf_insn *device_program(const struct resources_spec *r, size_t *count)
{
	size_t total = r->n_devices + ARRAY_LEN(default_devices), n = 0;
	struct bpf_insn *p = calloc(6 + 9 * total + 2, sizeof(*p));
	bool decided = false;

	if (p == NULL)
		return NULL;
	p[n++] = LOAD_WORD(BPF_REG_2, 0); /* R2: the type */
	p[n++] = AND_IMM(BPF_REG_2, 0xffff);
	p[n++] = LOAD_WORD(BPF_REG_3, 0); /* R3: the access bits not decided yet */
	p[n++] = RSH_IMM(BPF_REG_3, 16);
	p[n++] = LOAD_WORD(BPF_REG_4, 4); /* R4: major, R5: minor */
	p[n++] = LOAD_WORD(BPF_REG_5, 8);
	for (size_t k = total; k-- > 0 && !decided;) {
		const struct device_rule *d = rule_at(r, k);
		int bits = access_bits(d->access);
		size_t next[4], n_next = 0;

		if (is_wildcard(d)) {
			p[n++] = RETURN_IMM(d->allow);
			p[n++] = EXIT();
			decided = true;
			break;
		}
		/* the device: any mismatch goes on to the rule before */
		if (d->type != 'a') {
			next[n_next++] = n;
			p[n++] =
				JUMP_IMM(BPF_JNE, BPF_REG_2,
					 d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
		}
		if (d->major >= 0) {
			next[n_next++] = n;
			p[n++] = JUMP_IMM(BPF_JNE, BPF_REG_4, (int32_t)(uint32_t)d->major);
		}
		if (d->minor >= 0) {
			next[n_next++] = n;
			p[n++] = JUMP_IMM(BPF_JNE, BPF_REG_5, (int32_t)(uint32_t)d->minor);
		}
		if (d->allow) {
			p[n++] = AND_IMM(BPF_REG_3, ~bits);
			next[n_next++] = n;
			p[n++] = JUMP_IMM(BPF_JNE, BPF_REG_3, 0);
			p[n++] = RETURN_IMM(1);
		} else {
			p[n++] = MOV_REG(BPF_REG_1, BPF_REG_3);
			p[n++] = AND_IMM(BPF_REG_1, bits);
			next[n_next++] = n;
			p[n++] = JUMP_IMM(BPF_JEQ, BPF_REG_1, 0);
			p[n++] = RETURN_IMM(0);
		}
		p[n++] = EXIT();
		for (size_t j = 0; j < n_next; j++)
			p[next[j]].off = (int16_t)(n - next[j] - 1);
	}
	if (!decided) {
		p[n++] = RETURN_IMM(1);
		p[n++] = EXIT();
	}
	*count = n;
	return p;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The verifier's last words on a program it refused (bpf(2): log_buf). */
static void verifier_log(union bpf_attr *attr, char *log, size_t size)
{
	char *end;

	attr->log_level = 1;
	attr->log_buf = (uintptr_t)log;
	attr->log_size = (uint32_t)size;
	log[0] = '\0';
	sys_bpf(BPF_PROG_LOAD, attr);
	log[size - 1] = '\0';
	end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		*--end = '\0';
	while (end > log && end[-1] != '\n')
		end--;
	memmove(log, end, strlen(end) + 1);
}

/*
 * Loads the program and attaches it to the container's cgroup
 * (BPF_CGROUP_DEVICE). The attachment holds the program, so our
 * descriptor can go: it lives as long as the cgroup, after the runtime
 * has exited. BPF_F_ALLOW_MULTI lets a cgroup below get a program of its
 * own (a nested runtime); all programs on the way up must allow. The
 * programs attached here before (an earlier update) are detached only
 * after the new one is in, so there is no moment without rules.
 */
static int attach_device_program(const struct cg_hierarchy *h, const struct bpf_insn *prog,
				 size_t count, struct error *err)
{
	static const char field[] = "linux.resources.devices";
	union bpf_attr attr;
	uint32_t old[64];
	uint32_t n_old;
	int dir_fd, prog_fd, ret = -1;
	char log[16384];

	dir_fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return err_sys(err, "%s: open %s", field, h->dir);
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dir_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uintptr_t)old;
	attr.query.prog_cnt = ARRAY_LEN(old);
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) {
		err_sys(err, "%s: bpf BPF_PROG_QUERY %s", field, h->dir);
		goto out_dir;
	}
	n_old = attr.query.prog_cnt;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = (uint32_t)count;
	/* only GPL-only helpers care; this program calls none */
	attr.license = (uintptr_t) "GPL";
	prog_fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog_fd < 0) {
		int saved = errno;

		verifier_log(&attr, log, sizeof(log));
		err_errno(err, saved, "%s: bpf BPF_PROG_LOAD of %zu instructions for %s%s%s", field,
			  count, h->dir, log[0] != '\0' ? ": " : "", log);
		goto out_dir;
	}
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dir_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
		err_sys(err, "%s: bpf BPF_PROG_ATTACH to %s", field, h->dir);
		goto out_prog;
	}
	for (uint32_t i = 0; i < n_old && i < ARRAY_LEN(old); i++) {
		int old_fd;

		memset(&attr, 0, sizeof(attr));
		attr.prog_id = old[i];
		old_fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (old_fd < 0 && errno == ENOENT)
			continue;
		if (old_fd < 0) {
			err_sys(err, "%s: bpf BPF_PROG_GET_FD_BY_ID %u", field, old[i]);
			goto out_prog;
		}
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)dir_fd;
		attr.attach_bpf_fd = (uint32_t)old_fd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT) {
			err_sys(err, "%s: bpf BPF_PROG_DETACH program %u from %s", field, old[i],
				h->dir);
			close(old_fd);
			goto out_prog;
		}
		close(old_fd);
	}
	ret = 0;
out_prog:
	close(prog_fd);
out_dir:
	close(dir_fd);
	return ret;
}

/* linux.resources.devices, when given: nothing is written for a spec
 * without it (nor for an update that leaves it out). */
static int apply_devices(const struct apply *a)
{
	const struct cg_hierarchy *h;
	struct bpf_insn *prog;
	size_t count;
	int ret;

	/* A user namespace's root may make no device node at all, and may not
	 * load the program v2 needs: runc and crun leave the rules out there,
	 * and so does cell (the nodes a rootless container has are bound
	 * from the host, with the host's owners and modes). */
	if (!a->res->has_devices || a->cg->rootless)
		return 0;
	h = need(a, "devices", "linux.resources.devices");
	if (h == NULL)
		return -1;
	if (!h->v2) {
		for (size_t i = 0; i < a->res->n_devices + ARRAY_LEN(default_devices); i++)
			if (device_rule_v1(a, h, i) < 0)
				return -1;
		return 0;
	}
	prog = device_program(a->res, &count);
	if (prog == NULL)
		return err_sys(a->err, "linux.resources.devices: the program's instructions");
	ret = a->dry ? 0 : attach_device_program(h, prog, count, a->err);
	free(prog);
	return ret;
}

/* linux.resources.unified: v2 files written as given, after everything
 * else (so they can override it, as in runc). */
static int apply_unified(const struct apply *a)
{
	const struct resources_spec *r = a->res;
	const struct cg_hierarchy *h = NULL;
	char field[320];

	if (r->n_unified == 0)
		return 0;
	for (int i = 0; i < a->cg->n; i++)
		if (a->cg->h[i].v2)
			h = &a->cg->h[i];
	if (h == NULL)
		return err_set(a->err, "linux.resources.unified: the container has no cgroup v2 "
				       "directory (the host's controllers are all v1)");
	if (h->dir[0] == '\0')
		return err_set(a->err,
			       "linux.resources.unified: the container has no cgroup in %s "
			       "(removed?)",
			       h->mount);
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *key = r->unified_keys[i];

		snprintf(field, sizeof(field), "linux.resources.unified.%.256s", key);
		if (strchr(key, '/') != NULL || key[0] == '.' || key[0] == '\0')
			return err_set(a->err, "%s: not a file name", field);
		if (set(a, h, field, key, "%s", r->unified_values[i]) < 0)
			return -1;
	}
	return 0;
}

/*
 * step: cgroup-limits
 * Two passes over the same code: the first writes nothing and stops at a
 * field the host cannot honour (a controller not mounted, a v1 knob that
 * v2 lacks), so that a refused spec leaves nothing half-applied; the
 * second writes. The kernel can still refuse a value in the second (CPUs
 * outside the parent's cpuset, a limit below the memory in use): each
 * write is checked and named.
 */
int cg_apply(const struct cgroup *cg, const struct resources_spec *res, struct error *err)
{
	struct apply a = { .cg = cg, .res = res, .dry = true, .err = err };

	for (int pass = 0; pass < 2; pass++, a.dry = false)
		if (apply_memory(&a) < 0 || apply_cpu(&a) < 0 || apply_pids(&a) < 0 ||
		    apply_blkio(&a) < 0 || apply_devices(&a) < 0 || apply_unified(&a) < 0)
			return -1;
	return 0;
}

/* ---- joining, freezing, listing ---- */

bool cg_exists(const struct cgroup *cg)
{
	for (int i = 0; i < cg->n; i++)
		if (cg->h[i].dir[0] != '\0')
			return true;
	return false;
}

/*
 * step: cgroup-join
 * The pid into cgroup.procs of each hierarchy: the kernel moves the whole
 * process, all its threads (cgroups(7)). The runtime does it while the
 * process waits, before it runs anything of the container's, so that
 * whatever it forks starts inside.
 */
int cg_enter(const struct cgroup *cg, pid_t pid, struct error *err)
{
	return cg_enter_exec(cg, pid, 0, err);
}

/* The init's cgroup in the v2 tree, from the "0::PATH" line of
 * /proc/PID/cgroup (cgroups(7)), as this process's cgroup namespace
 * names it: the path below the tree's root. */
static int v2_cgroup_of(pid_t pid, char *out, size_t size, struct error *err)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return err_sys(err, "open %s", path);
	while (!found && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		found = strncmp(line, "0::", 3) == 0;
		if (found)
			snprintf(out, size, "%s", line + 3);
	}
	found = found && strlen(line + 3) < size;
	free(line);
	fclose(f);
	if (!found)
		return err_set(err, "%s: no cgroup v2 line (0::PATH) that fits", path);
	return 0;
}

/*
 * step: cgroup-join-exec
 * An exec'd process joins the container's cgroup as the init did, with
 * one exception on v2. There a cgroup that hands controllers down to
 * cgroups below it (its cgroup.subtree_control is not empty) may hold no
 * process itself, and the kernel refuses the write with EBUSY
 * (cgroup-v2.rst, "No Internal Process Constraint"). A container makes
 * that so as soon as it delegates its own tree, as a systemd inside does:
 * it moves itself into init.scope and turns controllers on for its
 * services. The process then joins the cgroup its init is in, which
 * /proc/INIT/cgroup names (runc does the same), once the runtime has
 * checked that it is below the container's: the container wrote it.
 */
int cg_enter_exec(const struct cgroup *cg, pid_t pid, pid_t init, struct error *err)
{
	size_t len = strlen(cg->path);
	char below[PATH_MAX], path[PATH_MAX];
	int joined = 0;

	for (int i = 0; i < cg->n; i++) {
		const struct cg_hierarchy *h = &cg->h[i];

		if (h->dir[0] == '\0')
			continue;
		joined++;
		if (cg_write(h, "cgroup.procs", err, "%d", (int)pid) == 0)
			continue;
		if (!h->v2 || init <= 0 || err->errnum != EBUSY)
			return -1;
		*err = (struct error){ 0 };
		if (v2_cgroup_of(init, below, sizeof(below), err) < 0)
			return -1;
		if (strncmp(below, cg->path, len) != 0 || below[len] != '/')
			return err_errno(err, EBUSY,
					 "%s/cgroup.procs: the cgroup holds no process, and the "
					 "init's, %s, is not below it",
					 h->dir, below);
		if (make_path(path, sizeof(path), err, "%s%s/cgroup.procs", h->mount, below) < 0)
			return -1;
		snprintf(below, sizeof(below), "%d", (int)pid);
		if (write_file(path, below, err) < 0)
			return -1;
	}
	if (joined == 0 && !cg->rootless)
		return err_set(err, "cgroup %s: gone from every hierarchy", cg->path);
	return 0;
}

/* The freezer's hierarchy with the container's directory, or NULL. */
static const struct cg_hierarchy *freezer(const struct cgroup *cg, struct error *err)
{
	const struct cg_hierarchy *h = hierarchy_of(cg, "freezer");

	if ((h == NULL || h->dir[0] == '\0') && cg->rootless) {
		err_set(err, "the freezer: %s", ROOTLESS_NO_LIMITS);
		return NULL;
	}
	if (h == NULL) {
		err_set(err, "the freezer controller is not mounted");
		return NULL;
	}
	if (h->dir[0] == '\0') {
		err_set(err, "the container has no cgroup in %s (removed?)", h->mount);
		return NULL;
	}
	return h;
}

/* Whether the freezer has done what was asked: v1's freezer.state reads
 * FREEZING until the last task has stopped; v2's cgroup.events says
 * "frozen 1" then. */
static int freezer_done(const struct cg_hierarchy *h, bool frozen, struct error *err)
{
	char path[PATH_MAX], text[256];
	const char *line;

	if (make_path(path, sizeof(path), err, "%s/%s", h->dir,
		      h->v2 ? "cgroup.events" : "freezer.state") < 0 ||
	    read_file(path, text, sizeof(text), err) < 0)
		return -1;
	if (!h->v2)
		return strcmp(text, frozen ? "FROZEN" : "THAWED") == 0;
	for (line = text; line != NULL; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, "frozen ", 7) == 0)
			return (line[7] == '1') == frozen;
	return 0;
}

/*
 * step: cgroup-freeze
 * v1 writes FROZEN or THAWED to freezer.state
 * (cgroup-v1/freezer-subsystem.rst), v2 1 or 0 to cgroup.freeze
 * (cgroup-v2.rst, "Core Interface Files", Linux 5.2). Freezing is not
 * instant: each task stops when it next leaves the kernel, and a task the
 * kernel holds (in D state, or in vfork) can delay that. So this waits,
 * up to 5 s; v1 is asked again meanwhile, which re-sends the request to
 * tasks forked while it spread. A freeze that does not complete is
 * undone, so a container is never left half-frozen, and is an error.
 */
int cg_freeze(const struct cgroup *cg, bool frozen, struct error *err)
{
	const struct cg_hierarchy *h = freezer(cg, err);
	const char *file, *value;
	long long deadline = now_ms() + FREEZE_WAIT_MS;
	long pause = 1;
	int done;

	if (h == NULL)
		return -1;
	file = h->v2 ? "cgroup.freeze" : "freezer.state";
	value = h->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	if (cg_write(h, file, err, "%s", value) < 0)
		return -1;
	while ((done = freezer_done(h, frozen, err)) == 0 && now_ms() < deadline) {
		back_off(&pause);
		if (!h->v2 && frozen && cg_write(h, file, err, "%s", value) < 0)
			return -1;
	}
	if (done < 0)
		return -1;
	if (done > 0)
		return 0;
	if (frozen)
		cg_write(h, file, &(struct error){ 0 }, "%s", h->v2 ? "0" : "THAWED");
	return err_set(err, "%s/%s: not %s after %d s (a task the kernel holds?)%s", h->dir, file,
		       frozen ? "frozen" : "thawed", FREEZE_WAIT_MS / 1000,
		       frozen ? "; thawed again" : "");
}

/* Frozen, or being frozen: a freeze was asked and not undone. */
bool cg_is_frozen(const struct cgroup *cg)
{
	const struct cg_hierarchy *h = freezer(cg, &(struct error){ 0 });
	char path[PATH_MAX], text[64];

	if (h == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", h->dir,
		     h->v2 ? "cgroup.freeze" : "freezer.state") >= (int)sizeof(path) ||
	    read_file(path, text, sizeof(text), &(struct error){ 0 }) < 0)
		return false;
	return h->v2 ? strcmp(text, "1") == 0
		     : strcmp(text, "FROZEN") == 0 || strcmp(text, "FREEZING") == 0;
}

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* A list of pids that grows as it is read. */
struct pid_list {
	pid_t *pids;
	size_t n, cap;
};

/*
 * The pids in DIR's cgroup.procs, then in those of every cgroup below it,
 * depth first: a container may make cgroups of its own, in its cgroup
 * namespace, and move processes there (a systemd inside does, and on v2
 * must: "no internal processes"). A cgroup removed meanwhile (ENOENT, or
 * ENODEV from a file opened just before) holds no process any more.
 */
static int collect_pids(const char *dir, void *arg, struct error *err)
{
	struct pid_list *l = arg;
	char path[PATH_MAX];
	pid_t *bigger;
	int pid;
	FILE *f;

	if (make_path(path, sizeof(path), err, "%s/cgroup.procs", dir) < 0)
		return -1;
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT || errno == ENODEV ? 0 : err_sys(err, "open %s", path);
	while (fscanf(f, "%d", &pid) == 1) {
		if (l->n == l->cap) {
			bigger = realloc(l->pids, 2 * l->cap * sizeof(*l->pids));
			if (bigger == NULL) {
				err_sys(err, "read %s: realloc", path);
				fclose(f);
				return -1;
			}
			l->pids = bigger;
			l->cap *= 2;
		}
		l->pids[l->n++] = pid;
	}
	if (ferror(f) && errno != ENODEV) {
		err_sys(err, "read %s", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return each_child(dir, collect_pids, l, err);
}

/*
 * The container's processes: cgroup.procs of one hierarchy and of the
 * cgroups below the container's there, since every process joined them
 * all. v2's, if the container has one, else the pids or freezer one,
 * else any. v1 lists a process once per thread group but promises
 * neither order nor uniqueness (cgroups(7)): sorted, without repeats.
 * A cgroup gone already holds no process: an empty list.
 */
int cg_pids(const struct cgroup *cg, pid_t **pids, size_t *n, struct error *err)
{
	const struct cg_hierarchy *h = NULL;
	const char *order[] = { "", "pids", "freezer", NULL };
	struct pid_list l = { .cap = 16 };
	size_t kept = 0;

	*pids = NULL;
	*n = 0;
	for (size_t k = 0; k < ARRAY_LEN(order) && h == NULL; k++)
		for (int i = 0; i < cg->n && h == NULL; i++)
			if (cg->h[i].dir[0] != '\0' &&
			    (order[k] == NULL || (order[k][0] == '\0' && cg->h[i].v2) ||
			     (order[k][0] != '\0' && !cg->h[i].v2 &&
			      in_list(cg->h[i].controllers, order[k]))))
				h = &cg->h[i];
	l.pids = malloc(l.cap * sizeof(*l.pids));
	if (l.pids == NULL)
		return err_sys(err, "cgroup.procs: malloc");
	if (h != NULL && collect_pids(h->dir, &l, err) < 0) {
		free(l.pids);
		return -1;
	}
	qsort(l.pids, l.n, sizeof(*l.pids), compare_pids);
	for (size_t i = 0; i < l.n; i++)
		if (kept == 0 || l.pids[kept - 1] != l.pids[i])
			l.pids[kept++] = l.pids[i];
	*pids = l.pids;
	*n = kept;
	return 0;
}

/* ---- removing ---- */

/*
 * rmdir(2) of a cgroup, refused with EBUSY while a task is in it. The
 * processes are dead by now, yet a cgroup stays busy for a moment after
 * that: a task finishing its exit still holds it (stage 06's notes cite
 * the kernel commits), so tries go on for up to a second. Gone already
 * (ENOENT) is as good as removed.
 */
static int remove_dir(const char *dir, struct error *err)
{
	long long deadline = now_ms() + RMDIR_WAIT_MS;
	long pause = 1;

	for (;;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() >= deadline)
			return err_sys(err, "rmdir %s", dir);
		back_off(&pause);
	}
}

/* DIR and the cgroups the container made below it (collect_pids), the
 * deepest first: a cgroup with children is busy too. */
static int remove_tree(const char *dir, void *unused, struct error *err)
{
	return each_child(dir, remove_tree, unused, err) < 0 ? -1 : remove_dir(dir, err);
}

/*
 * step: cgroup-remove
 * The container's directory in every hierarchy, with the cgroups the
 * container made below it, then up to PARENTS empty levels above it (the
 * runtime's own /cell/runc for its default paths). Another container's
 * cgroup keeps a parent busy (EBUSY, ENOTEMPTY), and then the levels
 * above it too; another runtime may have removed it first (ENOENT):
 * neither is an error. The root of a hierarchy is never touched. Each
 * hierarchy is tried even after one failed; the first failure is
 * reported.
 */
int cg_destroy(const struct cgroup *cg, int parents, struct error *err)
{
	struct error later;
	char dir[PATH_MAX];
	int ret = 0;

	if (cg->path[0] != '/' || cg->path[1] == '\0')
		return 0;
	for (int i = 0; i < cg->n; i++) {
		const struct cg_hierarchy *h = &cg->h[i];
		struct error *e = ret < 0 ? &later : err;
		size_t root = strlen(h->mount);

		if (make_path(dir, sizeof(dir), e, "%s%s", h->mount, cg->path) < 0 ||
		    remove_tree(dir, NULL, e) < 0) {
			ret = -1;
			continue;
		}
		/* the real-time time it held, taken back from cell's levels */
		if (!h->v2 && in_list(h->controllers, "cpu"))
			rt_fit(h->mount, dir, 0, 0, false, &(struct error){ 0 });
		for (int level = 0; level < parents; level++) {
			char *slash = strrchr(dir, '/');

			if (slash == NULL || (size_t)(slash - dir) <= root)
				break;
			*slash = '\0';
			if (rmdir(dir) == 0 || errno == ENOENT)
				continue;
			if (errno != EBUSY && errno != ENOTEMPTY) {
				err_sys(e, "rmdir %s", dir);
				ret = -1;
			}
			break;
		}
	}
	return ret;
}

/* ---- /sys/fs/cgroup inside ---- */

/* The kernel explains a refused fsconfig(2) in the file system context's
 * log: read(2) on its descriptor gives "e MESSAGE" (mount_api.rst). */
static void fs_log(int fs_fd, char *buf, size_t size)
{
	ssize_t n = read(fs_fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* ATTR on a mount made by open_tree(2): an atime mode replaces the one it
 * has, which mount_setattr(2) wants cleared in the same call. */
static int set_attr(int mnt_fd, unsigned int attr, const char *what, struct error *err)
{
	struct mount_attr ma = { .attr_set = attr };

	if (attr == 0)
		return 0;
	if (attr & MOUNT_ATTR__ATIME)
		ma.attr_clr = MOUNT_ATTR__ATIME;
	if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
		return err_sys(err, "mount_setattr %s", what);
	return 0;
}

/*
 * One hierarchy, as a mount not attached anywhere yet. In a cgroup
 * namespace, a new mount of the hierarchy: the kernel roots it at the
 * namespace's root (cgroup_namespaces(7)), the container's own cgroup,
 * and the host's tree above stays out of sight. A v1 hierarchy is named
 * by its controllers, each a flag of fsconfig(2); the kernel finds the
 * existing one. Without a namespace, a bind of the container's
 * directory, which shows the same (only /proc/self/cgroup tells).
 */
static int open_hierarchy(const struct cg_hierarchy *h, bool cgroupns, unsigned int attr,
			  struct error *err)
{
	const char *type = h->v2 ? "cgroup2" : "cgroup";
	char controllers[sizeof(h->controllers)], log[256], *save;
	int fs_fd, mnt_fd, saved;

	if (!cgroupns) {
		if (h->dir[0] == '\0')
			return err_set(err, "the container has no cgroup in %s (removed?)",
				       h->mount);
		mnt_fd = open_tree(AT_FDCWD, h->dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mnt_fd < 0)
			return err_sys(err, "open_tree %s", h->dir);
		if (set_attr(mnt_fd, attr, h->dir, err) < 0) {
			close(mnt_fd);
			return -1;
		}
		return mnt_fd;
	}
	fs_fd = fsopen(type, FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return err_sys(err, "fsopen %s", type);
	snprintf(controllers, sizeof(controllers), "%s", h->v2 ? "" : h->controllers);
	for (char *c = strtok_r(controllers, ",", &save); c != NULL;
	     c = strtok_r(NULL, ",", &save)) {
		if (fsconfig(fs_fd, FSCONFIG_SET_FLAG, c, NULL, 0) == 0)
			continue;
		saved = errno;
		fs_log(fs_fd, log, sizeof(log));
		close(fs_fd);
		return err_errno(err, saved, "fsconfig %s %s%s%s", type, c, log[0] ? ": " : "",
				 log);
	}
	if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		saved = errno;
		fs_log(fs_fd, log, sizeof(log));
		close(fs_fd);
		return err_errno(err, saved, "fsconfig %s (%s) create%s%s", type, h->controllers,
				 log[0] ? ": " : "", log);
	}
	mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, attr);
	saved = errno;
	close(fs_fd);
	if (mnt_fd < 0)
		return err_errno(err, saved, "fsmount %s (%s)", type, h->controllers);
	return mnt_fd;
}

/* The directory name of hierarchy H in the container: the host's, e.g.
 * "memory", "cpu,cpuacct", "unified". */
static const char *dir_name(const struct cg_hierarchy *h)
{
	const char *slash = strrchr(h->mount, '/');

	return slash != NULL && slash[1] != '\0' ? slash + 1 : h->mount;
}

/*
 * step: cgroup-mount
 * The container's /sys/fs/cgroup, as the host lays it out. A pure v2
 * host: one cgroup2 mount. Otherwise a tmpfs with a directory per
 * hierarchy, each holding its mount, and the links a host has for
 * combined hierarchies (cpu -> cpu,cpuacct). The tmpfs is attached to
 * TARGET_FD first and filled after: the kernel long refused (EINVAL) to
 * attach a mount below one not yet in a mount namespace, and this order
 * works on every kernel with the new mount API (5.2). It is made
 * read-only last, once its directories and links are in. Whatever this
 * leaves behind on failure is in the container's mount namespace, which
 * dies with the failed container.
 */
int cg_mount(const struct cgroup *cg, int target_fd, bool cgroupns, unsigned int attr,
	     struct error *err)
{
	const unsigned int both = MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH;
	char names[sizeof(cg->h[0].controllers)], *save;
	int fs_fd, tmp_fd = -1, sub_fd, ret = -1;

	/* rootless with no cgroup: the tmpfs alone, empty, says so inside */
	if (cg->n == 0 && !cg->rootless)
		return err_set(err, "no cgroup hierarchy to mount");
	if (cg->n == 1 && cg->h[0].v2 && (!cg->rootless || cg_exists(cg))) {
		sub_fd = open_hierarchy(&cg->h[0], cgroupns, attr, err);
		if (sub_fd < 0)
			return -1;
		if (move_mount(sub_fd, "", target_fd, "", both) < 0)
			ret = err_sys(err, "move_mount cgroup2 (%s) onto its destination",
				      cg->h[0].mount);
		else
			ret = 0;
		close(sub_fd);
		return ret;
	}

	fs_fd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return err_sys(err, "fsopen tmpfs");
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "mode", "755", 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		err_sys(err, "fsconfig tmpfs for the cgroup hierarchies");
		close(fs_fd);
		return -1;
	}
	tmp_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, attr & ~(unsigned int)MOUNT_ATTR_RDONLY);
	if (tmp_fd < 0)
		err_sys(err, "fsmount tmpfs for the cgroup hierarchies");
	close(fs_fd);
	if (tmp_fd < 0)
		return -1;
	if (move_mount(tmp_fd, "", target_fd, "", both) < 0) {
		err_sys(err, "move_mount the cgroup tmpfs onto its destination");
		goto out;
	}
	for (int i = 0; i < cg->n; i++) {
		const struct cg_hierarchy *h = &cg->h[i];

		if (cg->rootless && h->dir[0] == '\0')
			continue;
		if (mkdirat(tmp_fd, dir_name(h), 0755) < 0) {
			err_sys(err, "mkdir %s in the cgroup tmpfs", dir_name(h));
			goto out;
		}
		sub_fd = open_hierarchy(h, cgroupns, attr, err);
		if (sub_fd < 0)
			goto out;
		if (move_mount(sub_fd, "", tmp_fd, dir_name(h), MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			err_sys(err, "move_mount %s onto %s in the cgroup tmpfs", h->mount,
				dir_name(h));
			close(sub_fd);
			goto out;
		}
		close(sub_fd);
	}
	/* after every directory: a real one wins over a link of its name */
	for (int i = 0; i < cg->n; i++) {
		if (cg->h[i].v2 || strchr(cg->h[i].controllers, ',') == NULL)
			continue;
		snprintf(names, sizeof(names), "%s", cg->h[i].controllers);
		for (char *c = strtok_r(names, ",", &save); c != NULL;
		     c = strtok_r(NULL, ",", &save))
			if (strcmp(c, dir_name(&cg->h[i])) != 0 &&
			    symlinkat(dir_name(&cg->h[i]), tmp_fd, c) < 0 && errno != EEXIST) {
				err_sys(err, "symlink %s -> %s in the cgroup tmpfs", c,
					dir_name(&cg->h[i]));
				goto out;
			}
	}
	if ((attr & MOUNT_ATTR_RDONLY) &&
	    set_attr(tmp_fd, MOUNT_ATTR_RDONLY, "the cgroup tmpfs", err) < 0)
		goto out;
	ret = 0;
out:
	close(tmp_fd);
	return ret;
}

/* ---- what the container uses: cell stats, and the OOM killer's count ---- */

/* The number after KEY in a file of "KEY VALUE" lines (memory.events,
 * memory.oom_control, cpu.stat), or -1. */
static long long keyed_value(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX], text[4096];
	size_t len = strlen(key);

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    read_file(path, text, sizeof(text), &(struct error){ 0 }) < 0)
		return -1;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
		if (strncmp(line, key, len) == 0 && line[len] == ' ')
			return strtoll(line + len + 1, NULL, 10);
	return -1;
}

/* A file holding one number, or "max" (-1); -2 when it cannot be read. */
static long long number_file(const char *dir, const char *file)
{
	char path[PATH_MAX], text[64];

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    read_file(path, text, sizeof(text), &(struct error){ 0 }) < 0)
		return -2;
	return strcmp(text, "max") == 0 ? -1 : strtoll(text, NULL, 10);
}

/* The hierarchy holding CONTROLLER with a directory of the container. */
static const struct cg_hierarchy *used(const struct cgroup *cg, const char *controller)
{
	const struct cg_hierarchy *h = hierarchy_of(cg, controller);

	return h != NULL && h->dir[0] != '\0' ? h : NULL;
}

long long cg_oom_kills(const struct cgroup *cg)
{
	const struct cg_hierarchy *h = used(cg, "memory");

	if (h == NULL)
		return 0;
	/* v1's oom_kill line is there from Linux 4.13 */
	return keyed_value(h->dir, h->v2 ? "memory.events" : "memory.oom_control", "oom_kill");
}

/* v1's blkio.throttle.io_service_bytes ("MAJ:MIN Read N" lines) or v2's
 * io.stat ("MAJ:MIN rbytes=N wbytes=N ..."), summed over the devices. */
static void io_bytes(const struct cg_hierarchy *h, struct cg_usage *u)
{
	char path[PATH_MAX], text[16384];
	unsigned long long n;

	if (snprintf(path, sizeof(path), "%s/%s", h->dir,
		     h->v2 ? "io.stat" : "blkio.throttle.io_service_bytes") >= (int)sizeof(path) ||
	    read_file(path, text, sizeof(text), &(struct error){ 0 }) < 0)
		return;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *r = strstr(line, "rbytes="), *w = strstr(line, "wbytes=");

		if (h->v2) {
			u->io_read += r != NULL ? strtoull(r + 7, NULL, 10) : 0;
			u->io_write += w != NULL ? strtoull(w + 7, NULL, 10) : 0;
		} else if (sscanf(line, "%*u:%*u Read %llu", &n) == 1) {
			u->io_read += n;
		} else if (sscanf(line, "%*u:%*u Write %llu", &n) == 1) {
			u->io_write += n;
		}
	}
}

/* The CPU bandwidth limit: v1's cpu.cfs_quota_us (-1: none) and
 * cpu.cfs_period_us, or v2's cpu.max, "QUOTA PERIOD" or "max PERIOD". */
static void cpu_limit(const struct cgroup *cg, struct cg_usage *u)
{
	const struct cg_hierarchy *h = used(cg, "cpu");
	char path[PATH_MAX], text[64];
	long long quota, period;

	if (h == NULL)
		return;
	if (!h->v2) {
		quota = number_file(h->dir, "cpu.cfs_quota_us");
		period = number_file(h->dir, "cpu.cfs_period_us");
	} else if (snprintf(path, sizeof(path), "%s/cpu.max", h->dir) >= (int)sizeof(path) ||
		   read_file(path, text, sizeof(text), &(struct error){ 0 }) < 0 ||
		   strncmp(text, "max", 3) == 0 ||
		   sscanf(text, "%lld %lld", &quota, &period) != 2) {
		return;
	}
	if (quota > 0 && period > 0) {
		u->cpu_quota_us = quota;
		u->cpu_period_us = period;
	}
}

int cg_usage(const struct cgroup *cg, struct cg_usage *u, struct error *err)
{
	const struct cg_hierarchy *h;
	long long v;

	*u = (struct cg_usage){ .memory_limit = -1, .pids_limit = -1, .cpu_quota_us = -1 };
	/* CPU time: v1's cpuacct.usage (ns), or v2's cpu.stat, in every cgroup */
	h = used(cg, "cpuacct");
	if (h == NULL)
		for (int i = 0; i < cg->n && h == NULL; i++)
			if (cg->h[i].v2 && cg->h[i].dir[0] != '\0')
				h = &cg->h[i];
	if (h == NULL)
		return err_set(err, "the container has no cgroup left (stopped?)");
	v = h->v2 ? keyed_value(h->dir, "cpu.stat", "usage_usec")
		  : number_file(h->dir, "cpuacct.usage");
	u->cpu_ns = v < 0 ? 0 : (unsigned long long)v * (h->v2 ? 1000 : 1);
	h = used(cg, "memory");
	if (h != NULL) {
		v = number_file(h->dir, h->v2 ? "memory.current" : "memory.usage_in_bytes");
		u->memory = v < 0 ? 0 : v;
		v = number_file(h->dir, h->v2 ? "memory.max" : "memory.limit_in_bytes");
		/* v1 says "no limit" with the largest page-aligned long */
		u->memory_limit = v < 0 || v >= (1LL << 62) ? -1 : v;
	}
	cpu_limit(cg, u);
	h = used(cg, "pids");
	if (h != NULL) {
		v = number_file(h->dir, "pids.current");
		u->pids = v < 0 ? 0 : v;
		u->pids_limit = number_file(h->dir, "pids.max");
		if (u->pids_limit < -1)
			u->pids_limit = -1;
	}
	h = used(cg, "blkio");
	if (h != NULL)
		io_bytes(h, u);
	return 0;
}

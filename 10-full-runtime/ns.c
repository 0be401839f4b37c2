/*
 * ns.c: namespaces (stages 01, 02, 05, 07).
 *
 * New namespaces come from the clone() that makes the init, as in every
 * stage. Namespaces given by path (a pod's network namespace that podman
 * made, another container's IPC) are joined with setns(2), in an order
 * that works: the user namespace first, since it decides which
 * capabilities the caller has in the others, and the mount namespace last,
 * since joining it changes what the other paths resolve to.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns.h"

/* The order of setns: user first, mount last. */
static const enum ns_kind join_order[] = { NS_USER, NS_IPC,    NS_UTS,	NS_NET,
					   NS_PID,  NS_CGROUP, NS_MOUNT };

static void close_all(int fds[NS_COUNT])
{
	for (int k = 0; k < NS_COUNT; k++)
		if (fds[k] >= 0)
			close(fds[k]);
}

/* setns into each namespace opened in FDS (-1: none), in join_order; the
 * descriptors are closed, whatever happens. NAMES says what each is, for
 * the error: the spec's paths, or NULL for "the container's". */
static int join_in_order(int fds[NS_COUNT], const struct spec *names, struct error *err)
{
	int ret = 0;

	for (size_t i = 0; i < sizeof(join_order) / sizeof(join_order[0]) && ret == 0; i++) {
		enum ns_kind k = join_order[i];

		if (fds[k] < 0 || setns(fds[k], ns_clone_flag(k)) == 0)
			continue;
		if (names != NULL)
			ret = err_sys(err, "linux.namespaces: setns %s (%s)", names->ns[k].path,
				      ns_name(k));
		else
			ret = err_sys(err, "setns into the container's %s namespace", ns_name(k));
	}
	close_all(fds);
	return ret;
}

int ns_clone_flags(const struct spec *spec)
{
	int flags = 0;

	for (int k = 0; k < NS_COUNT; k++)
		if (k != NS_CGROUP && spec->ns[k].wanted && spec->ns[k].path == NULL)
			flags |= ns_clone_flag(k);
	return flags;
}

int ns_join_pid_for_children(const struct spec *spec, struct error *err)
{
	int fd;

	if (!spec->ns[NS_PID].wanted || spec->ns[NS_PID].path == NULL)
		return 0;
	fd = open(spec->ns[NS_PID].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "linux.namespaces: open %s", spec->ns[NS_PID].path);
	if (setns(fd, CLONE_NEWPID) < 0) {
		close(fd);
		return err_sys(err, "linux.namespaces: setns %s", spec->ns[NS_PID].path);
	}
	close(fd);
	return 0;
}

/*
 * step: namespaces
 * All the paths are opened before the first setns: once in another mount
 * namespace, /run/netns/... may name nothing. A new cgroup namespace is
 * made last, once the parent has moved the init into its cgroup: the
 * namespace's root is the cgroup the process is in when it is made
 * (cgroup_namespaces(7)), so made at clone() it would show the runtime's.
 */
int ns_join_paths(const struct spec *spec, struct error *err)
{
	int fds[NS_COUNT];

	for (int k = 0; k < NS_COUNT; k++)
		fds[k] = -1;
	for (int k = 0; k < NS_COUNT; k++) {
		if (k == NS_PID || !spec->ns[k].wanted || spec->ns[k].path == NULL)
			continue;
		fds[k] = open(spec->ns[k].path, O_RDONLY | O_CLOEXEC);
		if (fds[k] < 0) {
			err_sys(err, "linux.namespaces: open %s", spec->ns[k].path);
			goto out;
		}
	}
	if (join_in_order(fds, spec, err) < 0)
		return -1;
	if (spec->ns[NS_CGROUP].wanted && spec->ns[NS_CGROUP].path == NULL &&
	    unshare(CLONE_NEWCGROUP) < 0)
		return err_sys(err, "unshare CLONE_NEWCGROUP");
	return 0;
out:
	close_all(fds);
	return -1;
}

int ns_enter(pid_t pid, struct error *err)
{
	struct stat mine, theirs;
	char path[64], self[64];
	int fds[NS_COUNT];

	for (int k = 0; k < NS_COUNT; k++)
		fds[k] = -1;
	for (int k = 0; k < NS_COUNT; k++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns_proc_name(k));
		snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_proc_name(k));
		if (stat(path, &theirs) < 0) {
			if (errno == ENOENT && k == NS_TIME)
				continue;
			err_sys(err, "stat %s", path);
			goto out;
		}
		/* joining the namespace one is in already is refused for a
		 * user namespace (EINVAL) and pointless for the others */
		if (stat(self, &mine) == 0 && mine.st_ino == theirs.st_ino &&
		    mine.st_dev == theirs.st_dev)
			continue;
		fds[k] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[k] < 0) {
			err_sys(err, "open %s", path);
			goto out;
		}
	}
	return join_in_order(fds, NULL, err);
out:
	close_all(fds);
	return -1;
}

int ns_write_proc(pid_t pid, const char *file, const char *text, struct error *err)
{
	char path[64];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (write(fd, text, len) != (ssize_t)len) {
		err_sys(err, "write %s", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return err_sys(err, "write %s", path);
	return 0;
}

static int format_map(const struct id_map *map, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, size - len, "%u %u %u\n", map[i].container_id,
				 map[i].host_id, map[i].size);

		if (w < 0 || (size_t)w >= size - len)
			return -1;
		len += (size_t)w;
	}
	return 0;
}

int ns_map_helper(const char *helper, pid_t pid, const struct id_map *map, size_t n,
		  struct error *err)
{
	char **argv = calloc(3 * n + 3, sizeof(*argv)), *text = malloc(16 * (3 * n + 1));
	int status, ret = -1;
	pid_t child = -1;

	if (argv == NULL || text == NULL) {
		err_sys(err, "%s", helper);
		goto out;
	}
	/* HELPER PID, then CONTAINER-ID HOST-ID SIZE for each line */
	argv[0] = (char *)helper;
	argv[1] = text;
	snprintf(text, 16, "%d", (int)pid);
	for (size_t i = 0; i < n; i++) {
		const uint32_t v[3] = { map[i].container_id, map[i].host_id, map[i].size };

		for (size_t j = 0; j < 3; j++) {
			argv[2 + 3 * i + j] = text + 16 * (1 + 3 * i + j);
			snprintf(argv[2 + 3 * i + j], 16, "%u", v[j]);
		}
	}
	child = fork();
	if (child < 0) {
		err_sys(err, "fork %s", helper);
		goto out;
	}
	if (child == 0) {
		execvp(helper, argv);
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0)
		err_sys(err, "wait for %s", helper);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		err_set(err, "%s: not found (install Debian's uidmap)", helper);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		err_set(err, "%s %d: refused (are the ranges in %s the user's?)", helper, (int)pid,
			strcmp(helper, "newuidmap") == 0 ? "/etc/subuid" : "/etc/subgid");
	else
		ret = 0;
out:
	free(argv);
	free(text);
	return ret;
}

/* Whether MAP is one line that maps an id of the caller's own, ID, alone:
 * what an ordinary user may write itself (user_namespaces(7)). */
static bool own_id_alone(const struct id_map *map, size_t n, uid_t id)
{
	return n == 1 && map[0].host_id == id && map[0].size == 1;
}

/*
 * step: userns-map
 * Stage 07's maps, now as the bundle gives them. An ordinary user may
 * write a one-line map of its own id, and a gid map only after denying
 * setgroups(2) to the namespace (else dropping a group could grant access
 * a negative ACL on it denied). Anything more, a subordinate range, goes
 * through the set-uid helpers newuidmap and newgidmap, which check it
 * against /etc/subuid and /etc/subgid (rootless.c uses them too).
 */
int ns_write_id_maps(pid_t pid, const struct spec *spec, struct error *err)
{
	bool root = geteuid() == 0;
	char text[4096];

	if (!spec->ns[NS_USER].wanted || spec->ns[NS_USER].path != NULL)
		return 0;
	if (!root && !own_id_alone(spec->uid_mappings, spec->n_uid_mappings, geteuid())) {
		if (ns_map_helper("newuidmap", pid, spec->uid_mappings, spec->n_uid_mappings, err) <
		    0)
			return err_prefix(err, "linux.uidMappings");
	} else {
		if (format_map(spec->uid_mappings, spec->n_uid_mappings, text, sizeof(text)) < 0)
			return err_set(err, "linux.uidMappings: too many entries");
		if (ns_write_proc(pid, "uid_map", text, err) < 0)
			return err_prefix(err, "linux.uidMappings");
	}
	if (!root && !own_id_alone(spec->gid_mappings, spec->n_gid_mappings, getegid())) {
		if (ns_map_helper("newgidmap", pid, spec->gid_mappings, spec->n_gid_mappings, err) <
		    0)
			return err_prefix(err, "linux.gidMappings");
		return 0;
	}
	if (!root && ns_write_proc(pid, "setgroups", "deny", err) < 0)
		return -1;
	if (format_map(spec->gid_mappings, spec->n_gid_mappings, text, sizeof(text)) < 0)
		return err_set(err, "linux.gidMappings: too many entries");
	if (ns_write_proc(pid, "gid_map", text, err) < 0)
		return err_prefix(err, "linux.gidMappings");
	return 0;
}

void ns_link(pid_t pid, const char *type, char *out, size_t size)
{
	char path[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	len = readlink(path, out, size - 1);
	out[len < 0 ? 0 : len] = '\0';
}

int ns_members(pid_t pid, const char *type, pid_t **pids, size_t *n, struct error *err)
{
	char want[64], ns[64];
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	*pids = NULL;
	*n = 0;
	ns_link(pid, type, want, sizeof(want));
	if (want[0] == '\0')
		return err_sys(err, "readlink /proc/%d/ns/%s", (int)pid, type);
	d = opendir("/proc");
	if (d == NULL)
		return err_sys(err, "opendir /proc");
	while ((e = readdir(d)) != NULL) {
		pid_t member = (pid_t)strtol(e->d_name, NULL, 10);

		if (member <= 0)
			continue;
		ns_link(member, type, ns, sizeof(ns));
		if (strcmp(ns, want) != 0)
			continue;
		if (*n == cap) {
			pid_t *more = realloc(*pids, (cap = cap ? cap * 2 : 16) * sizeof(**pids));

			if (more == NULL) {
				closedir(d);
				free(*pids);
				*pids = NULL;
				return err_sys(err, "the processes of a %s namespace", type);
			}
			*pids = more;
		}
		(*pids)[(*n)++] = member;
	}
	closedir(d);
	return 0;
}

/*
 * step: loopback
 * A new network namespace has its own lo, down (network_namespaces(7)):
 * until it is up, not even 127.0.0.1 answers, and a container "with no
 * network" could not talk to itself. runc and crun bring it up; so does
 * cell, with the two ioctls of netdevice(7) that `ip link set lo up` is.
 */
int ns_loopback_up(const struct spec *spec, struct error *err)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	if (!spec->ns[NS_NET].wanted || spec->ns[NS_NET].path != NULL)
		return 0; /* the host's, or one joined: not ours to change */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "socket to bring lo up");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		close(fd);
		return err_sys(err, "SIOCGIFFLAGS lo");
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		close(fd);
		return err_sys(err, "bring lo up");
	}
	close(fd);
	return 0;
}

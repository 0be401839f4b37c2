/*
 * cgroup.h: a container's control groups on cgroup v1, v2 and hybrid hosts
 * (stage 06), with one code path for all three.
 *
 * A host mounts either one v2 tree (unified), or one v1 hierarchy per
 * controller group, or both (hybrid: v1 hierarchies plus a v2 tree that
 * holds the controllers no v1 hierarchy took, often none). struct cgroup
 * lists the hierarchies that matter and the container's directory in each;
 * every operation goes over that list, so v1 and v2 differ only in the
 * files written, never in the steps.
 */
#ifndef CELL_CGROUP_H
#define CELL_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

#define CG_MAX_HIERARCHIES 16

struct cg_hierarchy {
	char mount[PATH_MAX];  /* where it is mounted, e.g. /sys/fs/cgroup/memory */
	char controllers[256]; /* "memory", "cpu,cpuacct", or v2's "cpu io memory pids" */
	bool v2;
	char dir[PATH_MAX]; /* the container's directory in it ("" before cg_create) */
};

struct cgroup {
	struct cg_hierarchy h[CG_MAX_HIERARCHIES];
	int n;
	char path[PATH_MAX]; /* the path below each hierarchy's root, e.g. /cell/runc/ID */
	/* Rootless (root of a user namespace only): true, and the v2 subtree
	 * delegated to the user ("" when the host delegates none); h then
	 * holds the v2 tree alone, or nothing. */
	bool rootless;
	char delegated[PATH_MAX];
};

/* Finds the hierarchies from /proc/self/mountinfo: those this process
 * may write (every one for the host's root; see cg->rootless). */
int cg_detect(struct cgroup *cg, struct error *err);
/* Turns linux.cgroupsPath (absolute, relative, or systemd's slice:prefix:name)
 * into a path below the roots; DEFAULT_PATH when it is NULL. */
int cg_resolve_path(const char *cgroups_path, const char *default_path, char *out, size_t size,
		    struct error *err);
/* Makes PATH in every hierarchy (and its missing parents); cg->path is set. */
int cg_create(struct cgroup *cg, const char *path, struct error *err);
/* Fills the dir of each hierarchy for a cgroup made earlier (no mkdir). */
int cg_open(struct cgroup *cg, const char *path, struct error *err);
/* Writes linux.resources; a field the host cannot enforce is an error naming it. */
int cg_apply(const struct cgroup *cg, const struct resources_spec *res, struct error *err);
/* Whether the container has a directory in some hierarchy (a rootless
 * container may have none). */
bool cg_exists(const struct cgroup *cg);
/* Moves PID into the container's cgroup in every hierarchy. */
int cg_enter(const struct cgroup *cg, pid_t pid, struct error *err);
/* The same for a process exec'd into a running container whose init is
 * INIT: where v2 refuses a process in the container's cgroup (it hands
 * controllers down to cgroups the container made), the init's cgroup. */
int cg_enter_exec(const struct cgroup *cg, pid_t pid, pid_t init, struct error *err);
/* The freezer: v1 freezer.state, v2 cgroup.freeze; waits until it holds. */
int cg_freeze(const struct cgroup *cg, bool frozen, struct error *err);
/* Whether the container's cgroup is frozen (false where there is no freezer). */
bool cg_is_frozen(const struct cgroup *cg);
/* How many times the kernel's OOM killer struck in the container. */
long long cg_oom_kills(const struct cgroup *cg);

/* What the container uses now, from its cgroup files (cell stats). */
struct cg_usage {
	unsigned long long cpu_ns;	       /* CPU time, all its processes */
	long long cpu_quota_us, cpu_period_us; /* its CPU bandwidth; quota -1: no limit */
	long long memory, memory_limit;	       /* bytes; -1: no limit */
	long long pids, pids_limit;	       /* -1: no limit */
	unsigned long long io_read, io_write;  /* bytes through the block layer */
};
int cg_usage(const struct cgroup *cg, struct cg_usage *u, struct error *err);
/* The PIDs in the container's cgroup and the cgroups below it (malloc'd array). */
int cg_pids(const struct cgroup *cg, pid_t **pids, size_t *n, struct error *err);
/* Removes the container's directories and the cgroups it made below them
 * (waiting briefly for tasks that are dying), then up to PARENTS levels of
 * parents that are left empty (the runtime's own /cell/runc above its
 * default paths; 0 for a path a client chose, whose parents are the
 * client's). */
int cg_destroy(const struct cgroup *cg, int parents, struct error *err);
/* Mounts the container's view of the hierarchies on TARGET_FD (an O_PATH
 * descriptor of the destination, resolved inside the new root), with the
 * new mount API: cgroup2, or a tmpfs with one directory per v1 hierarchy.
 * With CGROUPNS the kernel's own view is mounted (the caller is in the
 * container's cgroup namespace), else the container's directories are
 * bound. ATTR: MOUNT_ATTR_* (RDONLY, NOSUID...) for every mount made. */
int cg_mount(const struct cgroup *cg, int target_fd, bool cgroupns, unsigned int attr,
	     struct error *err);

#endif

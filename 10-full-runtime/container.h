/*
 * container.h: the lifecycle of an OCI container: create, start, state,
 * kill, pause, exec, delete. Both front ends drive it.
 */
#ifndef CELL_CONTAINER_H
#define CELL_CONTAINER_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"
#include "state.h"

enum ctr_status { CTR_CREATING, CTR_CREATED, CTR_RUNNING, CTR_PAUSED, CTR_STOPPED };

struct ctr_create_opts {
	const char *root; /* the runtime's state root */
	const char *id;
	const char *bundle;	    /* absolute */
	const char *pid_file;	    /* NULL: none */
	const char *console_socket; /* NULL: fds 0-2 pass through */
	int console_fd;		    /* instead of it: a socket the caller connected (above 2) */
	int preserve_fds;	    /* fds 3 .. 3+N-1 pass through too */
	bool no_pivot, no_new_keyring;
	FILE *trace; /* a line per step ("=> mounts (03, 04) ... done"), or NULL */
	const char
		*cgroup_base; /* the cgroup is BASE/ID unless cgroupsPath says; NULL: /cell/runc */
};

struct ctr_exec_opts {
	const char *root, *id;
	struct process_spec *process;
	const char *pid_file, *console_socket;
	int console_fd; /* instead of console_socket: a socket the caller connected (above 2) */
	int preserve_fds;
	bool detach;
};

/* Builds the container; returns once its init waits before the user's
 * program, its host PID in *PID (and in the pid file). */
int ctr_create(const struct ctr_create_opts *o, pid_t *pid, struct error *err);
/* Releases the init to exec the user's program. */
int ctr_start(const char *root, const char *id, struct error *err);
/* The status the kernel shows now. */
enum ctr_status ctr_status(const struct state *st);
const char *ctr_status_name(enum ctr_status status);
/* The OCI state (state.md) as JSON text, malloc'd. */
int ctr_state_json(const char *root, const char *id, char **json, struct error *err);
int ctr_kill(const char *root, const char *id, int sig, bool all, struct error *err);
int ctr_pause(const char *root, const char *id, bool pause, struct error *err);
int ctr_delete(const char *root, const char *id, bool force, struct error *err);
int ctr_pids(const char *root, const char *id, pid_t **pids, size_t *n, struct error *err);
int ctr_update(const char *root, const char *id, const struct resources_spec *res,
	       struct error *err);
/* Runs a process in the container; with detach returns once it runs
 * (*STATUS 0), else waits and gives its exit status as a shell would. */
int ctr_exec(const struct ctr_exec_opts *o, int *status, struct error *err);
/* ctr_exec of a process with a terminal, this process's terminal copied to
 * and from it (o->console_socket unused). */
int ctr_exec_attached(struct ctr_exec_opts *o, int *status, struct error *err);
/* For `run` in the foreground: waits for the init (a child of the
 * caller), passing on the signals the caller gets; its exit status. */
int ctr_wait(pid_t pid);
/* A process for exec from a command line: the container's own process
 * (its env, capabilities, rlimits) with ARGS and the given changes. */
int ctr_process_from_args(const char *root, const char *id, char **args, char **env, size_t n_env,
			  const char *cwd, const char *user, bool tty, struct process_spec *out,
			  struct error *err);
/* The container's cgroup, opened without making anything. */
int ctr_cgroup(const char *root, const char *id, struct cgroup *cg, struct error *err);
/* What a container killed in the middle of create can leave without a
 * state.json: ROOT/ID, and the cgroup BASE/ID with the processes in it. */
int ctr_remove_leftovers(const char *root, const char *id, const char *cgroup_base,
			 struct error *err);
/* Closes every descriptor from FIRST up, except the N in KEEP (at most
 * 8; the ones below FIRST, -1 among them, are passed by). */
void ctr_close_fds_except(int first, const int *keep, size_t n);
/* Calls FN for each container under ROOT (ids in directory order). */
int ctr_list(const char *root, int (*fn)(const struct state *st, void *arg), void *arg,
	     struct error *err);

#endif

/*
 * state.h: what runc's command line keeps of a container between two
 * commands: one state.json per container under the runtime's root.
 */
#ifndef CELL_STATE_H
#define CELL_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

#define ST_ID_MAX  256
/* room left in a path for the names under the directory */
#define ST_DIR_MAX (PATH_MAX - 64)

struct state {
	char id[ST_ID_MAX];
	char dir[ST_DIR_MAX]; /* ROOT/ID */
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	pid_t pid;
	unsigned long long start_time; /* of PID, from /proc/PID/stat: tells reuse */
	char created[64];	       /* RFC 3339, UTC */
	char cgroup_path[PATH_MAX];
	int cgroup_parents; /* levels of the runtime's own parents to remove */
	uid_t owner;
};

/* The runtime's root: --root, else /run/cell/runc (the host's root) or
 * $XDG_RUNTIME_DIR/cell/runc (an ordinary user, or root of a user
 * namespace only: rootless podman's runtime). */
int st_root(const char *given, char *out, size_t size, struct error *err);
/* Checks an id: letters, digits and ._- only, as runc asks. */
int st_check_id(const char *id, struct error *err);
/* Makes ROOT/ID, which must not exist; fills st->dir. */
int st_make_dir(const char *root, const char *id, struct state *st, struct error *err);
/* Reads ROOT/ID/state.json; "container does not exist" when absent. */
int st_load(const char *root, const char *id, struct state *st, struct error *err);
/* Writes state.json atomically: a crash leaves the old one or the new one. */
int st_save(const struct state *st, struct error *err);
/* Writes TEXT to PATH atomically (temporary file, fsync, rename, fsync of
 * the directory); used for the pid file and the saved config.json too. */
int st_write_atomic(const char *path, const char *text, size_t len, mode_t mode, struct error *err);
/* Writes DOC as compact JSON to the container's directory under NAME,
 * atomically (st_write_atomic). */
int st_write_json(const struct state *st, const char *name, json_t *doc, struct error *err);
/* Holds an exclusive lock on the container's directory until closed. */
int st_lock(const struct state *st, struct error *err);
/* /proc/PID/stat's start time, or 0 when PID is gone or a zombie. */
unsigned long long st_start_time(pid_t pid);
/* Removes DIR and what it holds, never crossing into another mount. */
int st_remove_tree(const char *dir, struct error *err);
/* The time now, RFC 3339 with nanoseconds, UTC. */
void st_now(char *buf, size_t size);
/* A unix socket of TYPE (SOCK_STREAM, SOCK_SEQPACKET), close-on-exec,
 * connected to PATH, or bound to it and listening with BACKLOG (an old
 * socket file removed first). A path longer than an address holds (108
 * bytes, unix(7)), as a long $XDG_RUNTIME_DIR and a 64-character id make,
 * is reached through a descriptor of its directory: /proc/self/fd/N/NAME. */
int st_unix_connect(const char *path, int type, struct error *err);
int st_unix_listen(const char *path, int type, int backlog, struct error *err);
/* Removes ROOT/ID and what it holds. */
int st_remove(const struct state *st, struct error *err);

#endif

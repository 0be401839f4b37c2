/*
 * store.h: the people's store (RUNTIME.md, "Where things live"): what
 * `cell` knows of its containers between two commands, in one SQLite
 * database, LIB/cell.db.
 *
 * Each change is one statement, so one transaction: a container's name is
 * unique because the database says so at the moment of the insert, not
 * because a lock file was taken first, and a kill -9 at any moment leaves
 * the record as it was before the change or after it.
 */
#ifndef CELL_STORE_H
#define CELL_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "error.h"

#define STORE_ID_LEN 64 /* hex digits of a container's id */
#define STORE_SHORT  12 /* the id as ps shows it */

/* One container, as a row of the containers table. */
struct record {
	char id[STORE_ID_LEN + 1];
	char name[128];
	char state[16];	       /* creating, created, running, paused, stopped */
	char rootfs[PATH_MAX]; /* the overlay's lower directory */
	char command[256];     /* for ps: the arguments joined by spaces */
	bool rm, tty, interactive;
	char restart[16]; /* no, on-failure, always */
	int restart_max;  /* on-failure:N (0: no limit) */
	int restarts;	  /* how many times the monitor restarted it */
	bool stopping;	  /* stop or rm asked: the monitor does not restart it */
	pid_t pid;	  /* the container's init on the host, 0 when none */
	unsigned long long pid_start;
	pid_t monitor; /* its monitor (while creating: the cell that creates it) */
	unsigned long long monitor_start;
	bool has_exit;
	int exit_code; /* -1: unknown (its monitor was killed) */
	bool oom;      /* the kernel's OOM killer killed a process of it */
	char created[40], started[40], finished[40]; /* RFC 3339 */
};

/* Opens (and on first use makes) LIB/cell.db: WAL, a busy timeout. */
int store_open(const char *lib, sqlite3 **db, struct error *err);
void store_close(sqlite3 *db);
/* Adds a container with its saved configuration (config.json's text);
 * "the name NAME is already in use" when it is. */
int store_insert(sqlite3 *db, const struct record *r, const char *config, struct error *err);
/* A container by its id, a unique prefix of the id, or its name;
 * "no such container: REF" otherwise. */
int store_find(sqlite3 *db, const char *ref, struct record *r, struct error *err);
/* Re-reads R (by its id); 1 when the row is gone. */
int store_reload(sqlite3 *db, struct record *r, struct error *err);
/* One change of state, a statement of its own so that two writers never
 * undo each other's fields: SQL with ?1.. bound from the arguments,
 * TYPES giving each one's type ('s' a string, 'i' a long long). The
 * number of rows it changed (a WHERE on the state makes a transition
 * happen once). */
int store_change(sqlite3 *db, struct error *err, const char *sql, const char *types, ...);
/* Removes the container and the subnet it held. */
int store_delete(sqlite3 *db, const char *id, struct error *err);
/* Gives SUBNET ("10.200.7.0/24") to container ID, unless another has it. */
int store_claim_subnet(sqlite3 *db, const char *id, const char *subnet, struct error *err);
/* The saved configuration, malloc'd. */
int store_config(sqlite3 *db, const char *id, char **config, struct error *err);
/* Every container, oldest first; FN returning < 0 stops the walk. */
int store_each(sqlite3 *db, int (*fn)(struct record *r, void *arg), void *arg, struct error *err);

/* ---- networks, leases, published ports, volumes ---- */

#define STORE_DEFAULT_NET    "cell"	    /* --network bridge */
#define STORE_DEFAULT_SUBNET "10.88.0.0/16" /* its subnet, as podman's */

/* A transaction of several statements (BEGIN IMMEDIATE: the write lock
 * from its start). */
int store_begin(sqlite3 *db, struct error *err);
int store_commit(sqlite3 *db, struct error *err);
void store_rollback(sqlite3 *db);

struct store_network {
	char name[64];
	char bridge[16]; /* cell0, cell1... */
	char subnet[32]; /* 10.88.0.0/16 */
	char created[40];
	uint32_t net; /* the subnet's address, host byte order */
	int prefix;
	int leases; /* containers running on it */
	bool nat;   /* --nat: its subnet is masqueraded on its way out */
};
/* "no such network: NAME" when it is not there. */
int store_network_get(sqlite3 *db, const char *name, struct store_network *n, struct error *err);
/* A new network: the next bridge cell<N>, SUBNET or the first free
 * 10.89.N.0/24; refused when it overlaps another network's. */
int store_network_add(sqlite3 *db, const char *name, const char *subnet, bool nat,
		      const char *created, struct store_network *n, struct error *err);
/* Networks made with --nat. */
int store_nat_networks(sqlite3 *db);
/* A host setting's value from before cell changed it: 1 and VALUE if
 * recorded, 0 if not. */
int store_host_get(sqlite3 *db, const char *key, int *value, struct error *err);
int store_host_set(sqlite3 *db, const char *key, int value, struct error *err);
int store_host_forget(sqlite3 *db, const char *key, struct error *err);
/* Refused while a container runs on it. */
int store_network_rm(sqlite3 *db, const char *name, struct error *err);
int store_network_each(sqlite3 *db, int (*fn)(const struct store_network *n, void *arg), void *arg,
		       struct error *err);
/* In a transaction: the lowest free address of NETWORK for container ID,
 * known there as NAME; the network in N. */
int store_lease(sqlite3 *db, const char *network, const char *id, const char *name,
		struct store_network *n, uint32_t *addr, struct error *err);
/* In a transaction: frees ID's address; 1 and its network in N (with
 * the leases left) if it had one, 0 if not. */
int store_release(sqlite3 *db, const char *id, struct store_network *n, struct error *err);
/* Container ID's address and its network: 1 if it holds one, 0 if not. */
int store_lease_of(sqlite3 *db, const char *id, struct store_network *n, uint32_t *addr,
		   struct error *err);
/* NETWORK's /etc/hosts: localhost, then each lease's address, name and
 * short id. */
int store_hosts(sqlite3 *db, const char *network, char *buf, size_t size, struct error *err);
/* PORT/PROTO of the host for container ID, unless another has it; freed
 * by store_delete. */
int store_claim_port(sqlite3 *db, const char *id, const char *proto, int port, struct error *err);
/* 1 if added, 0 if it existed. */
int store_volume_add(sqlite3 *db, const char *name, const char *created, struct error *err);
int store_volume_rm(sqlite3 *db, const char *name, struct error *err);
int store_volume_each(sqlite3 *db, int (*fn)(const char *name, const char *created, void *arg),
		      void *arg, struct error *err);

/* 1 and a container's name if one's configuration names PATH. */
int store_used_path(sqlite3 *db, const char *path, char *name, size_t size, struct error *err);
/* -v SRC:DST:rshared: container ID shares the host's mount of PATH,
 * which cell made a mount point (MADE) or found one. */
int store_share_add(sqlite3 *db, const char *path, const char *id, bool made, struct error *err);
/* Drops ID's shares; FN gets each path that cell made a mount point and
 * that no container shares any more (it unmounts it). */
int store_share_release(sqlite3 *db, const char *id, int (*fn)(const char *path, void *arg),
			void *arg, struct error *err);

/*
 * Images (image.c). An image's id is "sha256:" and the hex sha256 of its
 * config's text; a layer is the hex sha256 of its uncompressed tar, the
 * name of its directory LIB/layers/HEX. Names are REPO:TAG or REPO@DIGEST.
 */
#define STORE_LAYER_LEN	 64
#define STORE_IMAGE_LEN	 71	   /* sha256:HEX */
#define STORE_CONFIG_MAX (1 << 20) /* bytes of an image's config */

/* Adds image ID (a new one with its N LAYERS, bottom first) and gives it
 * NAMES (NULL-terminated, or NULL), taken from any image that had them:
 * one transaction. */
int store_image_add(sqlite3 *db, const char *id, const char *config, const char *created,
		    char (*layers)[STORE_LAYER_LEN + 1], int n, const char *const *names,
		    struct error *err);
/* An image by its name (NAME meaning NAME:latest too), its id or a unique
 * prefix of its hex digits; "no such image: REF" otherwise. */
int store_image_find(sqlite3 *db, const char *ref, char *id, size_t size, struct error *err);
/* Its config's text, malloc'd. */
int store_image_config(sqlite3 *db, const char *id, char **config, struct error *err);
/* Its layers, bottom first: how many (at most MAX). */
int store_image_layers(sqlite3 *db, const char *id, char (*layers)[STORE_LAYER_LEN + 1], int max,
		       struct error *err);
/* Every image, newest first, once per name (NAME NULL: it has none). */
int store_image_each(sqlite3 *db,
		     int (*fn)(const char *name, const char *id, const char *created, void *arg),
		     void *arg, struct error *err);
/* The names of image ID. */
int store_image_names(sqlite3 *db, const char *id, int (*fn)(const char *name, void *arg),
		      void *arg, struct error *err);
/* Container CONTAINER is made from IMAGE, which must still be there. */
int store_image_use(sqlite3 *db, const char *container, const char *image, struct error *err);
/* The image CONTAINER was made from: 1 and its id, or 0 (--rootfs). */
int store_container_image(sqlite3 *db, const char *container, char *image, size_t size,
			  struct error *err);
/* Removes NAME (if given) and, if that was its last name or no NAME was
 * given, image ID itself: 0 when only the name went, 1 when the image went,
 * 2 when a container uses it (USER: its name) and nothing changed. */
int store_image_remove(sqlite3 *db, const char *name, const char *id, char *user, size_t size,
		       struct error *err);
/* Whether an image lists LAYER, or a container's overlay stacks it. */
int store_layer_used(sqlite3 *db, const char *layer, struct error *err);

#endif

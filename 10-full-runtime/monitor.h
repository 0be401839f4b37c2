/*
 * monitor.h: the per-container monitor (RUNTIME.md, "The monitor"): what
 * conmon is for podman. One small process per container started by
 * `cell`: the container's parent and subreaper, holder of its stdio (into
 * the log file and to whoever attaches), recorder of its end.
 */
#ifndef CELL_MONITOR_H
#define CELL_MONITOR_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "error.h"
#include "store.h"

/* Where the people's cell keeps things (RUNTIME.md, "Where things live"). */
#define PLACE_MAX 1024 /* room for the names below them in a PATH_MAX */
struct places {
	char lib[PLACE_MAX]; /* /var/lib/cell: the store, each container's bundle */
	char run[PLACE_MAX]; /* /run/cell: what a reboot must forget */
};

/* config.json's annotation that asks the monitor for a veth (--ip). */
#define MON_IP_ANNOTATION "run.cell.ip"

/* ... and the one that names its network (--network NAME, bridge), and
 * its published ports (-p, separated by commas). */
#define MON_NET_ANNOTATION    "run.cell.network"
#define MON_PORTS_ANNOTATION  "run.cell.ports"
/* ... and the one that asks for slirp4netns, with its options */
#define MON_SLIRP_ANNOTATION  "run.cell.slirp4netns"
/* --network-rate, as given (10mbit) */
#define MON_RATE_ANNOTATION   "run.cell.rate"
/* -v SRC:DST:rshared, as a JSON array of [SRC, DST] */
#define MON_SHARED_ANNOTATION "run.cell.shared"

/* The cgroups of the people's containers are CG_BASE/ID. */
#define MON_CG_BASE "/cell/ctr"

/* LIB/containers/ID: config.json, upper/, work/, rootfs/, ctr.log */
void mon_bundle(const struct places *p, const char *id, char *out, size_t size);
/* RUN/core: the core's root (state.json, exec.fifo of each container) */
void mon_core_root(const struct places *p, char *out, size_t size);
/* RUN/containers/ID: the attach socket, the console socket */
void mon_run_dir(const struct places *p, const char *id, char *out, size_t size);

/* LIB/networks/NAME/hosts: bound on every container's /etc/hosts there */
void mon_hosts_path(const struct places *p, const char *network, char *out, size_t size);
/* Writes it again, in place, from the network's leases. */
int mon_write_hosts(sqlite3 *db, const struct places *p, const char *network, struct error *err);
/* --nat: ip_forward set (ON), or restored once no --nat network is left. */
int mon_nat_forward(sqlite3 *db, bool on, struct error *err);
/* Gives container ID's address back, removes its ports and host end, and
 * the network's bridge (and cell's nftables table) LINGER_MS after the
 * last container, unless another joined meanwhile. Safe to repeat. */
int mon_leave_network(sqlite3 *db, const struct places *p, const char *id, int linger_ms,
		      struct error *err);

/* Drops container ID's shared volumes, unmounting on the host the
 * mount points cell made that no container shares any more. In the
 * host's mount namespace. */
int mon_release_shares(sqlite3 *db, const char *id, struct error *err);

/* cell run --trace: the monitor starts cell-trace (PATH) on the container
 * each time it creates it, before the start, with its output to FD. */
struct mon_tracer {
	char path[PATH_MAX];
	int fd;
};

/* Starts the monitor of R (a record in state creating, its bundle
 * written) and returns once the container is created: its init waits
 * before the user's program. TRACE: the steps, or NULL. TRACER: a
 * tracer to start with the container, or NULL. The caller has no store
 * open: a connection must not cross the fork. */
int mon_start(const struct places *p, const struct record *r, FILE *trace,
	      const struct mon_tracer *tracer, struct error *err);

/* Whether R's monitor (or, while creating, the cell creating it) lives. */
bool mon_alive(const struct record *r);
/* For a record whose monitor is gone: claims it (stopped, exit status
 * unknown) and frees what the container held. 1 when it did, 0 when
 * there was nothing to settle. */
int mon_settle(sqlite3 *db, const struct places *p, struct record *r, struct error *err);
/* Brings R up to date: settled if its monitor is gone, its state the
 * kernel's (the core's status) where a command was killed between a
 * change and its record; 1 when the record is gone (settled with --rm). */
int mon_refresh(sqlite3 *db, const struct places *p, struct record *r, struct error *err);
/* Frees everything of container ID on the host (its processes, cgroup,
 * the core's state, the runtime directory); with BUNDLE too, its bundle
 * and log. Safe to repeat. */
int mon_free(const struct places *p, const char *id, bool bundle, struct error *err);

/* The attach protocol (SOCK_SEQPACKET on RUN/containers/ID/attach): one
 * type byte, then the payload. */
enum {
	ATTACH_STDOUT = 'o', /* monitor -> client: output */
	ATTACH_STDERR = 'e',
	ATTACH_EXIT = 'x',   /* monitor -> client: the exit status, in decimal */
	ATTACH_STDIN = 'i',  /* client -> monitor: input */
	ATTACH_CLOSE = 'c',  /* client -> monitor: end of input */
	ATTACH_RESIZE = 'w', /* client -> monitor: "ROWS COLS" of its terminal */
};
#define ATTACH_MAX 8192 /* payload bytes in one message */

/* Connects to the attach socket of container ID. */
int mon_attach(const struct places *p, const char *id, struct error *err);

#endif

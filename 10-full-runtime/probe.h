/*
 * probe.h: what the kernel shows of one of the people's containers, read
 * for the front ends that show it (cell inspect, top and stats, and the
 * page of cell web): its processes with their PIDs on the host and inside,
 * its namespaces beside the host's, its mounts, cgroup use against its
 * limits, addresses, the tail of its log, and a picture of all that in
 * Graphviz's DOT language.
 */
#ifndef CELL_PROBE_H
#define CELL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <sqlite3.h>

#include "error.h"
#include "monitor.h"
#include "store.h"

/* One process of a container. */
struct probe_proc {
	pid_t host_pid; /* as the host sees it */
	pid_t pid;	/* as the container sees it (NSpid's last field) */
	pid_t ppid;	/* its parent, on the host */
	uid_t uid;	/* real uid, on the host */
	char command[512];
};

/* Whether R's init is the process it was (its PID not reused). */
bool probe_init_lives(const struct record *r);
/* The processes in R's cgroup (and the cgroups below it); malloc'd. */
int probe_procs(const struct places *p, const struct record *r, struct probe_proc **procs,
		size_t *n, struct error *err);
/* Bytes received and sent on the interfaces but lo of PID's network
 * namespace, from /proc/PID/net/dev. */
void probe_net_bytes(pid_t pid, unsigned long long *rx, unsigned long long *tx);
/* Everything known of R, as `cell inspect` prints it (podman's names),
 * and, while it runs, what the kernel shows: Namespaces beside
 * HostNamespaces (those cell runs in), CgroupPaths, Usage, Processes,
 * Mounts. */
json_t *probe_inspect(sqlite3 *db, const struct places *p, const struct record *r);
/* The last LINES lines of R's log: [{"Time", "Stream", "Text"}]. */
json_t *probe_log_tail(const struct places *p, const char *id, int lines);
/* The picture of an inspect object in DOT: processes, namespaces,
 * cgroup, mounts, the veth to the host. malloc'd. */
char *probe_dot(const json_t *inspect);
/* DOT rendered by Graphviz's dot as FORMAT ("svg", "png"): malloc'd
 * bytes in *OUT, *LEN of them. */
int probe_render(const char *dot, const char *format, char **out, size_t *len, struct error *err);

#endif

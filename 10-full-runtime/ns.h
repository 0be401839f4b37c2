/*
 * ns.h: namespaces (stages 01, 02, 05, 07): new ones at clone, existing ones
 * joined with setns.
 */
#ifndef CELL_NS_H
#define CELL_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* The CLONE_NEW* flags for the namespaces the spec wants new, except the
 * cgroup namespace, which the init makes once it is in its cgroup. */
int ns_clone_flags(const struct spec *spec);
/* Joins the PID namespace given by path, for the children of the caller
 * (setns on a PID namespace changes only where children are born). */
int ns_join_pid_for_children(const struct spec *spec, struct error *err);
/* In the init: joins the namespaces given by path, user first and mount
 * last, then makes the new cgroup namespace if one is wanted. */
int ns_join_paths(const struct spec *spec, struct error *err);
/* For exec: joins every namespace of PID that differs from the caller's,
 * with the PID namespace taking effect for the caller's next child. */
int ns_enter(pid_t pid, struct error *err);
/* uid_map and gid_map of PID, from linux.uidMappings and gidMappings
 * (stage 07); "deny" in setgroups first when the caller is not root. */
int ns_write_id_maps(pid_t pid, const struct spec *spec, struct error *err);

/* newuidmap or newgidmap (HELPER) PID with the N lines of MAP, waited for:
 * the set-uid helpers that let an ordinary user map its subordinate ranges. */
int ns_map_helper(const char *helper, pid_t pid, const struct id_map *map, size_t n,
		  struct error *err);
/* The namespace link of PID of TYPE ("pid:[4026531836]"), or "" when it
 * cannot be read. */
void ns_link(pid_t pid, const char *type, char *out, size_t size);
/* The processes in PID's namespace of TYPE ("pid", "user"), PID too,
 * found in /proc by the namespace's link (those the caller may not read
 * are left out): a malloc'd array. */
int ns_members(pid_t pid, const char *type, pid_t **pids, size_t *n, struct error *err);
/* TEXT into /proc/PID/FILE in one write: the kernel takes a map whole or
 * not at all (user_namespaces(7)). */
int ns_write_proc(pid_t pid, const char *file, const char *text, struct error *err);

/* In the init: lo up in a network namespace of the container's own. */
int ns_loopback_up(const struct spec *spec, struct error *err);

#endif

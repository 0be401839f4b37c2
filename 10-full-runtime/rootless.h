/*
 * rootless.h: cell for an ordinary user (podman's rootless mode): the
 * user's own places, and one user namespace of the user's, with the
 * subordinate ids of /etc/subuid and /etc/subgid mapped, that every cell
 * command of that user joins and is root in.
 */
#ifndef CELL_ROOTLESS_H
#define CELL_ROOTLESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Where an ordinary user's cell keeps things: LIB, what outlives a
 * reboot ($XDG_DATA_HOME/cell, or ~/.local/share/cell), and RUN, what a
 * reboot forgets ($XDG_RUNTIME_DIR/cell, or /tmp/cell-run-UID, which
 * rl_enter() makes 0700 and checks to be the user's own). */
int rl_places(char *lib, char *run, size_t size, struct error *err);

/* Joins the user's namespace (made first, held by a cell-pause process
 * whose pid is in RUN/pause.pid, when none lives), so that the caller is
 * root in it. A notice goes to NOTICE when the namespace is made with one
 * id alone (no subordinate range). */
int rl_enter(const char *run, FILE *notice, struct error *err);

/* Whether this process is root of a user namespace only, not of the host
 * (its uid_map is not the whole identity map). */
bool rl_in_user_ns(void);

/* The main of cell-pause RUN: holds the namespace while any other
 * process is in it, then ends. */
int rl_pause(const char *run) __attribute__((noreturn));

/* Whether setgroups(2) is denied in this process's user namespace (one
 * made by an ordinary user with a single id mapped). */
bool rl_setgroups_denied(void);

#endif

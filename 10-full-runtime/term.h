/*
 * term.h: the terminal of the person at the keyboard beside a container's
 * (stages 01-09 gave the container the caller's own; a runtime gives it a
 * pseudo-terminal of its own, pty(7), and copies between the two).
 *
 * The container's init opens the pty in the container's devpts and sends
 * the master end over a console socket (SCM_RIGHTS): the clients of a
 * runtime (conmon, containerd's shim) listen on it themselves; `cell run
 * -t`, `cell exec -t`, `cell-runc run` and `cell-runc exec -t` listen here.
 */
#ifndef CELL_TERM_H
#define CELL_TERM_H

#include <stddef.h>

#include "error.h"

/* Takes the descriptor sent over the connected socket FD with SCM_RIGHTS:
 * the master end, sent by the container's process. */
int term_receive_fd(int fd, struct error *err);
/* This process's terminal (stdin) in raw mode, if it is one: every key,
 * ^C included, goes to the container's program. Restored by
 * term_restore(), and at exit. */
void term_raw(void);
void term_restore(void);
/* Copies stdin to MASTER and MASTER to stdout, and this terminal's size to
 * MASTER at the start and on SIGWINCH, until no process of the container
 * holds the terminal any more; this terminal is raw meanwhile. */
void term_proxy(int master);
/* Writes all of BUF to FD (a terminal may take it in pieces). */
void term_write(int fd, const char *buf, size_t n);

#endif

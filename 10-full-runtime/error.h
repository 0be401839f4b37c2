/*
 * error.h: the one error type of the runtime.
 *
 * A function that can fail returns a negative value and fills a struct
 * error: the errno that caused it (0 when there was none) and one line
 * that names the call and the object, as crun's libcrun_error_t does. Only
 * the two front ends (runc.c, cli.c) print it and choose the exit status,
 * so a mechanism never decides how the program ends.
 */
#ifndef CELL_ERROR_H
#define CELL_ERROR_H

#include <errno.h>

#define ERR_MSG_MAX 1024

struct error {
	int errnum;	       /* the errno behind it, or 0 */
	char msg[ERR_MSG_MAX]; /* one line, without the errno's text */
};

/* Fills ERR with errno's value and the message; returns -1. */
int err_sys(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fills ERR with no errno; returns -1. */
int err_set(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fills ERR with the given errno; returns -1. */
int err_errno(struct error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "WHAT: " before ERR's message (a caller adding its context); returns -1. */
int err_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ERR as one line: "msg: strerror" or "msg". */
const char *err_text(const struct error *err, char *buf, unsigned long size);

#endif

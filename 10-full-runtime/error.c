/*
 * error.c: filling and printing struct error (see error.h).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int fill(struct error *err, int errnum, const char *fmt, va_list ap)
{
	err->errnum = errnum;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int err_sys(struct error *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	fill(err, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int err_set(struct error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int err_errno(struct error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(struct error *err, const char *fmt, ...)
{
	char both[2 * ERR_MSG_MAX + 2];
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	len = (size_t)vsnprintf(both, ERR_MSG_MAX, fmt, ap);
	va_end(ap);
	if (len >= ERR_MSG_MAX)
		len = ERR_MSG_MAX - 1;
	memcpy(both + len, ": ", 2);
	memcpy(both + len + 2, err->msg, strlen(err->msg) + 1);
	memcpy(err->msg, both, ERR_MSG_MAX - 1);
	err->msg[ERR_MSG_MAX - 1] = '\0';
	return -1;
}

const char *err_text(const struct error *err, char *buf, unsigned long size)
{
	if (err->errnum != 0)
		snprintf(buf, size, "%s: %s", err->msg, strerror(err->errnum));
	else
		snprintf(buf, size, "%s", err->msg);
	return buf;
}

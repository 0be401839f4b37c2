/*
 * workload.h - the helpers the workload programs share: a usage error, no
 * stray operands or exactly one, and a range-checked number. Each program
 * still builds from its one .c file plus this header, statically, with
 * nothing else to link.
 */
#ifndef CELL_WORKLOAD_H
#define CELL_WORKLOAD_H

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* A usage error: point to --help and exit 2. */
static inline void __attribute__((noreturn)) try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", program_invocation_short_name);
	exit(2);
}

/* After the options: a program that takes no operands refuses any. */
static inline void no_operands(int argc, char **argv)
{
	if (optind < argc) {
		warnx("unexpected argument \"%s\"", argv[optind]);
		try_help();
	}
}

/* After the options: a program that takes one operand, named WHAT in its
 * usage, refuses none or more; the operand. */
static inline const char *one_operand(int argc, char **argv, const char *what)
{
	if (argc - optind != 1) {
		if (argc == optind)
			warnx("missing %s", what);
		else
			warnx("too many arguments");
		try_help();
	}
	return argv[optind];
}

/* The whole decimal number S given for WHAT (an option, or an operand),
 * from MIN to MAX; anything else is a usage error that names WHAT. */
static inline long number_arg(const char *what, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		warnx("%s: \"%s\" is not a whole number from %ld to %ld", what, s, min, max);
		try_help();
	}
	return v;
}

#endif

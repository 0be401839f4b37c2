/*
 * trace.h: what cell-trace (trace.c) and its BPF program (trace.bpf.c)
 * share. The Makefile puts this file in front of trace.bpf.c when it
 * builds the program's text into cell-trace, so that both sides read one
 * definition of each map value and of the event: they cannot disagree on
 * an offset.
 */
#ifndef CELL_TRACE_H
#define CELL_TRACE_H

#define TRACE_SLOTS 512 /* "counts": one slot per call number; the last for any other */
#define TRACE_ARGS  6	/* a system call's arguments, in registers */
#define TRACE_STRS  3	/* strings an event carries (mount's source, target, type) */
#define TRACE_STR   128 /* bytes of each, its NUL included */
#define TRACE_COMM  16	/* TASK_COMM_LEN */
#define TRACE_RING  64	/* pages of the ring buffer (a power of 2) */

/* A call's entry in "wanted": bit 0 asks for an event; then two bits per
 * argument say what the program copies from the caller's memory. */
#define TRACE_WANT	      1u
#define TRACE_ARG_STR	      1u /* a string: into the event's next str[] */
#define TRACE_ARG_U64	      2u /* a pointer to a 64-bit word (clone3's clone_args.flags) */
#define TRACE_ARG_AT(kind, i) ((kind) << (1 + 2 * (i)))
#define TRACE_ARG_KIND(w, i)  (((w) >> (1 + 2 * (i))) & 3u)

/* The PID namespace followed: its file's device and inode (/proc/PID/ns/pid). */
struct trace_target {
	__u64 dev;
	__u64 ino;
};

/* One call of the calls asked for, at its entry. */
struct trace_event {
	__u64 ns;  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 pid; /* the caller's PID and thread ID, as the container sees them */
	__u32 tid;
	__u32 nr; /* the call's number */
	__u32 n_str;
	__u64 args[TRACE_ARGS];
	__u64 word; /* what a TRACE_ARG_U64 argument points to */
	char comm[TRACE_COMM];
	char str[TRACE_STRS][TRACE_STR];
};

#endif

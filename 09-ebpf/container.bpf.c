/*
 * 09-ebpf: the tracer, an eBPF program in restricted C that the kernel runs
 * at the entry of every system call, of every process.
 *
 * container.c builds this file into itself and compiles it at start with
 * libbcc (clang, built into the library), against kernel headers. In front
 * of it, libbcc gets struct event, the record each call sends, from
 * container.c's one definition, which its decoder uses too, so the two
 * sides cannot disagree on an offset; and, as -D options, the system call
 * numbers (NR_OPENAT ...) from the tool's own <sys/syscall.h>, and the
 * sizes NR_SLOTS, STR_LEN, RING_PAGES and WAKE_EVENTS. The BPF_* lines are
 * bcc's: each declares a map, which the kernel creates (bpf(2),
 * BPF_MAP_CREATE) and the tool reads by its name.
 *
 * The program runs on sys_enter in its raw form: the kernel passes it the
 * tracepoint's own arguments, the registers the call saved and its number,
 * with no record built first (the form tracefs shows, raw_syscalls:
 * sys_enter, formats one on every call). The filter comes first:
 * bpf_get_ns_current_pid_tgid() (kernel 5.7) answers whether the calling
 * task's PID namespace is the one whose device and inode the tool wrote
 * into "target", and if so, with the task's PID inside it. A process of the
 * host returns there, at the cost of a few instructions, and nothing is
 * copied out. A cgroup id would not do: on a cgroup v1 host every process
 * has the same cgroup-v2 id (the root's). Then the call is counted in a
 * per-CPU array, which no other CPU writes to, so no lock is needed. For
 * most calls that is all: the count is the whole record, and the tool reads
 * the counters once, when the container has ended. Only the calls the tool
 * marked in "named" (--calls; all of them with --trace-all) go on, as an
 * event, into the ring buffer, which all CPUs share. Waking the tool
 * is the costly part of handing an event over (an interrupt to the CPU it
 * sleeps on), so a CPU does it at every WAKE_EVENTS-th event only, counted
 * in "unwoken"; the tool also looks every POLL_MS. A full ring refuses the
 * event, and the program counts it in "lost".
 *
 * Read alongside: bpf-helpers(7), the kernel's Documentation/bpf/
 * (ringbuf.rst among them), and bcc's reference guide
 * (docs/reference_guide.md in its sources).
 */
#include <linux/ptrace.h>

/* The PID namespace to follow, by the device and inode of its file in
 * /proc/PID/ns: all 0 until the tool writes it (trace-target). */
struct target_ns {
	u64 dev;
	u64 ino;
};

BPF_ARRAY(target, struct target_ns, 1);
BPF_PERCPU_ARRAY(counts, u64, NR_SLOTS);    /* calls per number; the last slot: any larger */
BPF_ARRAY(named, u8, NR_SLOTS);		    /* 1 at the numbers of the calls to send as events */
BPF_PERCPU_ARRAY(lost, u64, 1);		    /* events the full ring refused */
BPF_PERCPU_ARRAY(unwoken, u32, 1);	    /* events sent since this CPU last woke the tool */
BPF_PERCPU_ARRAY(scratch, struct event, 1); /* the event being filled: too big for the stack */
BPF_RINGBUF_OUTPUT(events, RING_PAGES);

/* A string argument, cut at STR_LEN; NULL leaves it empty. */
static void read_str(struct event *e, int i, u64 ptr)
{
	if (ptr != 0)
		bpf_probe_read_user_str(e->str[i], STR_LEN, (void *)ptr);
}

/* The six arguments, from the registers saved at the call's entry,
 * and the strings and the clone_args they point to. */
static void read_args(struct event *e, struct pt_regs *regs)
{
	struct pt_regs r = {};

	bpf_probe_read_kernel(&r, sizeof(r), regs);
	e->args[0] = PT_REGS_PARM1_SYSCALL(&r);
	e->args[1] = PT_REGS_PARM2_SYSCALL(&r);
	e->args[2] = PT_REGS_PARM3_SYSCALL(&r);
	e->args[3] = PT_REGS_PARM4_SYSCALL(&r);
	e->args[4] = PT_REGS_PARM5_SYSCALL(&r);
	e->args[5] = PT_REGS_PARM6_SYSCALL(&r);
	e->clone3_flags = 0;
	e->str[0][0] = e->str[1][0] = e->str[2][0] = 0;
	switch (e->nr) {
	case NR_OPENAT:
		read_str(e, 0, e->args[1]);
		break;
	case NR_MOUNT:
		read_str(e, 2, e->args[2]);
		read_str(e, 1, e->args[1]);
		/* fall through: the source is argument 0 */
	case NR_UMOUNT2:
	case NR_EXECVE:
		read_str(e, 0, e->args[0]);
		break;
	case NR_PIVOT_ROOT:
		read_str(e, 0, e->args[0]);
		read_str(e, 1, e->args[1]);
		break;
	case NR_CLONE3:
		/* the flags are the first field of struct clone_args */
		bpf_probe_read_user(&e->clone3_flags, sizeof(e->clone3_flags), (void *)e->args[0]);
		break;
	}
}

RAW_TRACEPOINT_PROBE(sys_enter)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	u64 nr = ctx->args[1];
	int zero = 0;
	struct target_ns *t = target.lookup(&zero);
	struct bpf_pidns_info ns = {};
	struct event *e;
	u64 *n, flags = BPF_RB_NO_WAKEUP;
	u8 *send;
	u32 *since;
	u32 slot, size = offsetof(struct event, args);

	if (t == NULL || t->ino == 0)
		return 0;
	if (bpf_get_ns_current_pid_tgid(t->dev, t->ino, &ns, sizeof(ns)) != 0)
		return 0;
	slot = nr < NR_SLOTS ? nr : NR_SLOTS - 1;
	n = counts.lookup(&slot);
	if (n != NULL)
		(*n)++;
	send = named.lookup(&slot);
	if (send == NULL || *send == 0)
		return 0;
	e = scratch.lookup(&zero);
	if (e == NULL)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->nr = nr;
	e->pid = ns.tgid;
	e->tid = ns.pid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	since = unwoken.lookup(&zero);
	if (since != NULL && ++*since >= WAKE_EVENTS) {
		*since = 0;
		flags = BPF_RB_FORCE_WAKEUP;
	}
	/* the calls whose arguments the tool decodes send the whole event */
	switch (nr) {
	case NR_OPENAT:
	case NR_MOUNT:
	case NR_UMOUNT2:
	case NR_EXECVE:
	case NR_PIVOT_ROOT:
	case NR_CLONE3:
	case NR_CLONE:
	case NR_UNSHARE:
	case NR_SETNS:
		read_args(e, regs);
		size = sizeof(*e);
	}
	if (events.ringbuf_output(e, size, flags) != 0 && (n = lost.lookup(&zero)) != NULL)
		(*n)++;
	return 0;
}

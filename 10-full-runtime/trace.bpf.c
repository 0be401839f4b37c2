/*
 * trace.bpf.c: the BPF program of cell-trace, run by the kernel at the
 * entry of every system call of every process on the host.
 *
 * cell-trace compiles it with libbcc when it starts (trace.h, the maps'
 * and the event's layout, comes first in the text). It is attached to the
 * raw tracepoint sys_enter: the kernel hands it the registers the call
 * saved and the call's number, and builds no record first (the tracefs
 * form of the same tracepoint, raw_syscalls:sys_enter, formats one at each
 * call, and needs tracefs mounted). Each BPF_* line declares a map, which
 * the kernel creates (bpf(2), BPF_MAP_CREATE) and cell-trace finds by its
 * name.
 *
 * The filter comes first, and costs a host process a few instructions:
 * bpf_get_ns_current_pid_tgid() (kernel 5.7) fails unless the caller's PID
 * namespace is the one in "target" (the container's), and otherwise gives
 * its PID there. A cgroup would not do: on a cgroup v1 host every process
 * has the root's cgroup v2 id. Then the call is counted, in a per-CPU
 * slot: no other CPU writes there, and the add is atomic because a
 * preempted program can share the CPU with the next one. Only a call
 * cell-trace asked for (its entry in "wanted") costs more: an event
 * reserved in the ring buffer, the six arguments, and the strings or the
 * word they point to, copied from the caller's memory.
 *
 * Read alongside: bpf-helpers(7), the kernel's Documentation/bpf/ringbuf.rst
 * and bcc's docs/reference_guide.md.
 */
#include <linux/ptrace.h>

BPF_ARRAY(target, struct trace_target, 1);
BPF_ARRAY(wanted, u32, TRACE_SLOTS);
BPF_PERCPU_ARRAY(counts, u64, TRACE_SLOTS);
BPF_PERCPU_ARRAY(lost, u64, 1); /* events the full ring refused */
BPF_RINGBUF_OUTPUT(events, TRACE_RING);

/* The arguments of the call, from the registers it saved (on x86-64 the
 * fourth is in r10, not rcx: the _SYSCALL macros know), and what the
 * entry in "wanted" says to copy from the caller's memory. */
static void read_args(struct trace_event *e, struct pt_regs *saved, u32 want)
{
	struct pt_regs regs = {};
	u32 s = 0;

	bpf_probe_read_kernel(&regs, sizeof(regs), saved);
	e->args[0] = PT_REGS_PARM1_SYSCALL(&regs);
	e->args[1] = PT_REGS_PARM2_SYSCALL(&regs);
	e->args[2] = PT_REGS_PARM3_SYSCALL(&regs);
	e->args[3] = PT_REGS_PARM4_SYSCALL(&regs);
	e->args[4] = PT_REGS_PARM5_SYSCALL(&regs);
	e->args[5] = PT_REGS_PARM6_SYSCALL(&regs);
	e->word = 0;
#pragma unroll
	for (int i = 0; i < TRACE_ARGS; i++) {
		u32 kind = TRACE_ARG_KIND(want, i);
		void *p = (void *)e->args[i];

		if (kind == TRACE_ARG_STR && s < TRACE_STRS) {
			if (bpf_probe_read_user_str(e->str[s], TRACE_STR, p) < 0)
				e->str[s][0] = '\0';
			s++;
		} else if (kind == TRACE_ARG_U64) {
			bpf_probe_read_user(&e->word, sizeof(e->word), p);
		}
	}
	e->n_str = s;
}

RAW_TRACEPOINT_PROBE(sys_enter)
{
	struct pt_regs *saved = (struct pt_regs *)ctx->args[0];
	long id = (long)ctx->args[1];
	u32 zero = 0, nr, slot, *want;
	struct trace_target *t = target.lookup(&zero);
	struct bpf_pidns_info ns = {};
	struct trace_event *e;
	u64 *n;

	if (t == NULL || t->ino == 0)
		return 0;
	if (bpf_get_ns_current_pid_tgid(t->dev, t->ino, &ns, sizeof(ns)) != 0)
		return 0;
	nr = (u32)id;
	slot = id >= 0 && id < TRACE_SLOTS - 1 ? nr : TRACE_SLOTS - 1;
	n = counts.lookup(&slot);
	if (n != NULL)
		__sync_fetch_and_add(n, 1);
	want = wanted.lookup(&slot);
	if (want == NULL || !(*want & TRACE_WANT))
		return 0;
	e = events.ringbuf_reserve(sizeof(*e));
	if (e == NULL) {
		n = lost.lookup(&zero);
		if (n != NULL)
			__sync_fetch_and_add(n, 1);
		return 0;
	}
	e->ns = bpf_ktime_get_ns();
	e->pid = ns.tgid;
	e->tid = ns.pid;
	e->nr = nr;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	read_args(e, saved, *want);
	events.ringbuf_submit(e, 0);
	return 0;
}

#!/usr/bin/env bash
# make bench-trace: what cell-trace costs a container's system calls. The
# getpids workload (labs/workloads) times CALLS getpid calls, the cheapest
# call there is, in a container run by `cell run --rm`: bare; under --trace
# (each call filtered and counted in the kernel, no event: getpid is not
# among the calls shown); and under `cell trace --calls getpid` (an event
# through the ring buffer per call, and a line printed). Then the same loop
# on the host while a container is traced: the price of the filter alone,
# paid by every process. Prints the time per call and the ratio to bare.
#
# Environment: CALLS (default 2000000), RUNS (default 3: the best is kept).
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "bench-trace: run it as root (sudo make bench-trace)" >&2; exit 1; }
[ -x ./cell ] && [ -x ./cell-trace ] || { echo "bench-trace: build cell first (make)" >&2; exit 1; }
calls=${CALLS:-2000000} runs=${RUNS:-3}
getpids=$(cd ../labs/rootfs/usr/local/bin 2>/dev/null && pwd)/getpids
[ -x "$getpids" ] || { echo "bench-trace: no getpids: run make rootfs" >&2; exit 1; }

work=$(mktemp -d /tmp/cell-bench-trace.XXXXXX)
cell() { ./cell --root "$work/lib" "$@"; }
# the toolkit's root file system, as the one lower layer of each container
rootfs=$(cd ../labs/rootfs && pwd)
cleanup() {
	local id
	for id in $(cell ps -aq 2>/dev/null); do cell rm -f "$id" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# "N getpid calls in S s: X ns each" -> X, the best of RUNS
best() { # COMMAND...
	local i ns min=
	for ((i = 0; i < runs; i++)); do
		ns=$("$@" | sed -n 's/.*: \([0-9]*\) ns each$/\1/p')
		[ -n "$ns" ] || { echo "bench-trace: no time from: $*" >&2; exit 1; }
		if [ -z "$min" ] || [ "$ns" -lt "$min" ]; then min=$ns; fi
	done
	echo "$min"
}

bare=$(best cell run --rootfs "$rootfs" --rm getpids -n "$calls")
counted=$(best cell run --rootfs "$rootfs" --rm --trace "$work/trace" getpids -n "$calls")

# cell trace on a container that waits for /go, then runs the loop once
shown_one() {
	local pid tracer
	cell run --rootfs "$rootfs" -d --name shown sh -c "while [ ! -e /go ]; do sleep 0.1; done; getpids -n $calls" >/dev/null
	pid=$(cell inspect shown | jq -r '.[0].State.Pid')
	cell trace --calls getpid shown >"$work/shown" &
	tracer=$!
	until grep -q 'TIME(s)' "$work/shown" 2>/dev/null; do sleep 0.1; done
	touch "/proc/$pid/root/go"
	wait "$tracer"
	until [ "$(cell status shown)" = stopped ]; do sleep 0.1; done
	cell logs shown
	cell rm -f shown >/dev/null
}
shown=$(best shown_one)

# the host's loop, while a container is traced
host_bare=$(best "$getpids" -n "$calls")
cell run --rootfs "$rootfs" -d --name idle sh -c 'while :; do sleep 1; done' >/dev/null
# (not through the function: $! must be cell-trace itself, for the SIGINT)
./cell --root "$work/lib" trace idle >/dev/null &
tracer=$!
until [ -n "$(pgrep -x cell-trace)" ] && [ -n "$(bpftool -j prog show | jq '.[] | select(.type == "raw_tracepoint")')" ]; do
	sleep 0.1
done
sleep 1
host_traced=$(best "$getpids" -n "$calls")
kill -INT "$tracer"
wait "$tracer" || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
printf '%-44s %10s %8s\n' "getpid in a container" "ns/call" "vs bare"
printf '%-44s %10s %8s\n' "bare" "$bare" "1.00x"
printf '%-44s %10s %8s\n' "cell run --trace (counted, not shown)" "$counted" "$(ratio "$counted" "$bare")"
printf '%-44s %10s %8s\n' "cell trace --calls getpid (an event each)" "$shown" "$(ratio "$shown" "$bare")"
printf '%-44s %10s %8s\n' "on the host, bare" "$host_bare" "1.00x"
printf '%-44s %10s %8s\n' "on the host, a container traced" "$host_traced" "$(ratio "$host_traced" "$host_bare")"
echo "($calls calls per run, the best of $runs runs)"

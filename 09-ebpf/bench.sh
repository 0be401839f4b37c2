#!/usr/bin/env bash
# make -C 09-ebpf bench: what tracing costs the traced. The getpids workload
# calls getpid(2), the cheapest system call, in a loop inside the container
# and times the loop itself; it runs bare, under --trace (the log to a file)
# and under strace -f, best of three runs each. Prints the time per call
# and the ratios. Containers take turns with the tests (the same lock).
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "bench: needs root (sudo make -C 09-ebpf bench)" >&2; exit 1; }
command -v strace >/dev/null || { echo "bench: no strace (make deps STAGE=09)" >&2; exit 1; }

CALLS=${CALLS:-1000000}
SLOW_CALLS=${SLOW_CALLS:-50000} # strace stops twice per call: fewer calls
log=$(mktemp /tmp/cell-bench.XXXXXX)
trap 'rm -f "$log"' EXIT

# ns per call of the best of three runs of: container OPTIONS getpids -n N
best() { # N WRAPPER... -- OPTIONS...
	local n=$1 best="" ns i
	shift
	for i in 1 2 3; do
		ns=$(flock /run/lock/cell-tests.lock "$@" getpids -n "$n" |
			sed -n 's/.*: \([0-9]*\) ns each$/\1/p')
		[ -n "$ns" ] || { echo "bench: no result from: $* getpids -n $n" >&2; exit 1; }
		if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
	done
	echo "$best"
}

bare=$(best "$CALLS" ./container --net none)
traced=$(best "$CALLS" ./container --net none --trace "$log")
lines=$(grep -c ' getpid$' "$log" || true)
straced=$(best "$SLOW_CALLS" strace -f -o /dev/null ./container --net none)

printf '%-34s %8s\n' "getpid in the container" "ns/call"
printf '%-34s %8d\n' "bare" "$bare" "--trace FILE (eBPF)" "$traced" "strace -f" "$straced"
echo "the last --trace run logged $lines getpid lines of $CALLS; $(tail -n 1 "$log")"
awk -v b="$bare" -v t="$traced" -v s="$straced" 'BEGIN {
	printf "--trace costs %+.0f%% per call (target: under 10%%)\n", (t - b) * 100 / b
	printf "strace -f costs %+.0f%% per call\n", (s - b) * 100 / b
	if (t > b) printf "strace -f adds %.1fx what --trace adds (target: at least 10x)\n", (s - b) / (t - b)
	else print "--trace adds nothing measurable"
}'

#!/usr/bin/env bash
# make -C 09-ebpf bench: what tracing costs. The getpids workload calls
# getpid(2), the cheapest system call, in a loop and times the loop itself.
# In the container it runs bare, under --trace (the log to a file) and under
# strace -f; on the host it runs bare and while a traced container sleeps
# beside it, which is what every other process pays: the program runs at
# each of its calls and filters it out. Best of three runs each (RUNS,
# below); prints the time per call and the ratios. Containers take turns
# with the tests (the same lock, held for the whole run; not taken again
# under tests/run, which holds it already).
#
#   bash bench.sh [PROGRAM]   PROGRAM: the tool to time, by default the
#                             container beside this script
#
# The sizes come from the environment, or from make's command line, whose
# variables make passes on: CALLS getpid calls per run (1000000),
# SLOW_CALLS per run under strace (50000), the best of RUNS runs (3). A
# quick run, which only shows that every part works (the tests run one):
#   sudo make -C 09-ebpf bench CALLS=20000 SLOW_CALLS=2000 RUNS=1
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail
die() { echo "bench: $*" >&2; exit 1; }
container=${1:-$(dirname "$0")/container}
[ -x "$container" ] || die "no $container (make -C 09-ebpf)"
container=$(realpath -- "$container")
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || die "needs root (sudo make -C 09-ebpf bench)"
# the lock for the whole run; flock -o: the lock file is not left open in
# the containers
[ -n "${CELL_BENCH_LOCKED:-}" ] || [ -n "${CELL_TESTS_LOCKED:-}" ] ||
	exec env CELL_BENCH_LOCKED=1 flock -o /run/lock/cell-tests.lock bash bench.sh "$container"
command -v strace >/dev/null || die "no strace (make deps STAGE=09)"
getpids=../labs/bin/getpids
[ -x "$getpids" ] || die "no $getpids (make rootfs)"

CALLS=${CALLS:-1000000}
SLOW_CALLS=${SLOW_CALLS:-50000} # strace stops twice per call: fewer calls
RUNS=${RUNS:-3}
for n in "$CALLS" "$SLOW_CALLS" "$RUNS"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "\"$n\" is not a count: CALLS, SLOW_CALLS and RUNS take a number from 1 up"
done
tmp=$(mktemp -d /tmp/cell-bench.XXXXXX)
aside="" # the traced container beside the host's loop, while it runs
stop_aside() {
	if [ -n "$aside" ]; then
		kill "$aside" 2>/dev/null || true
		wait "$aside" 2>/dev/null || true
		aside=""
	fi
}
trap 'stop_aside; rm -rf "$tmp"' EXIT

# ns per call of the best of RUNS runs of: COMMAND... -n N
best() { # N COMMAND...
	local n=$1 best="" ns
	shift
	for _ in $(seq "$RUNS"); do
		ns=$("$@" -n "$n" | sed -n 's/.*: \([0-9]*\) ns each$/\1/p')
		[ -n "$ns" ] || die "no result from: $* -n $n"
		if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
	done
	echo "$best"
}
bare=$(best "$CALLS" "$container" --net none getpids)
traced=$(best "$CALLS" "$container" --net none --trace "$tmp/log" getpids)
lines=$(grep -c ' getpid$' "$tmp/log" || true)
straced=$(best "$SLOW_CALLS" strace -f -o /dev/null "$container" --net none getpids)

host_bare=$(best "$CALLS" "$getpids")
# a traced container that sleeps until SIGTERM (which its init passes on:
# a PID 1 without a handler would ignore it); its target is set once the
# command runs
"$container" --net none --init -v --trace /dev/null sleep 1000 >/dev/null 2>"$tmp/aside.err" &
aside=$!
for _ in $(seq 100); do
	grep -q '^=> exec sleep' "$tmp/aside.err" && break
	kill -0 "$aside" 2>/dev/null || { cat "$tmp/aside.err" >&2; exit 1; }
	sleep 0.1
done
host_aside=$(best "$CALLS" "$getpids")
stop_aside

printf '%-44s %8s\n' "getpid" "ns/call"
printf '%-44s %8d\n' "in the container, bare" "$bare" \
	"in the container, --trace FILE (eBPF)" "$traced" \
	"in the container, strace -f" "$straced" \
	"on the host, bare" "$host_bare" \
	"on the host, a traced container beside it" "$host_aside"
echo "the last --trace run logged $lines getpid lines of $CALLS; $(tail -n 1 "$tmp/log")"
awk -v b="$bare" -v t="$traced" -v s="$straced" -v hb="$host_bare" -v ha="$host_aside" 'BEGIN {
	printf "--trace adds %d ns per call: %+.0f%% (target: under 10%%)\n", t - b, (t - b) * 100 / b
	printf "the hook and the filter alone add %d ns to each call of the host'"'"'s processes: %+.0f%%\n", ha - hb, (ha - hb) * 100 / hb
	printf "strace -f adds %d ns per call: %+.0f%%", s - b, (s - b) * 100 / b
	if (t > b) printf ", %.1fx what --trace adds (target: at least 10x)\n", (s - b) / (t - b)
	else print "; --trace adds nothing measurable"
}'

#!/usr/bin/env bash
# make -C 09-ebpf bench: what tracing costs, and what it costs not to trace.
#
# The getpids workload calls getpid(2), the cheapest system call, in a loop
# and times the loop itself. It runs in the container five ways: bare; with
# an empty eBPF program on the same hook, sys_enter, attached by bcc's
# Python front end (the floor: what any program on that hook costs, before
# it does anything); under --trace (every call counted in the kernel, none
# of these logged); under --trace-all (every call logged too); under
# strace -f. Each way runs RUNS containers of ROUNDS short rounds of CALLS
# calls and keeps the mean of the fastest tenth of the rounds: on a busy
# host most rounds share their CPU with something, and the differences
# sought, tens of nanoseconds, drown in that; the fastest rounds are those
# the host left alone. The rounds are timed by the thread's own CPU time
# (getpids -t), which leaves out the time other programs had the CPU and
# holds all that an eBPF program costs (it runs in the calling thread);
# under strace by the clock, since strace's cost is mostly time the thread
# spends stopped. The table gives the time per call and what each way adds
# to the bare one, then the ratios.
#
# Then the untraced start: `container --net none /bin/true` of this stage
# and of stage 08, the one before it, STARTS times each in turn, with their
# wall time and their peak memory (GNU time's maximum resident set size);
# the medians and their ratios. A stage 09 that loaded libbcc at start,
# traced or not, would pay LLVM's loading here.
#
# Containers take turns with the tests (the same lock, held for the whole
# run; not taken again under tests/run, which holds it already).
#
#   bash bench.sh [PROGRAM]   PROGRAM: the tool to time, by default the
#                             container beside this script
#
# The sizes come from the environment, or from make's command line, whose
# variables make passes on: CALLS getpid calls per round (20000), SLOW_CALLS
# per round under strace (2000, in 3 rounds a run), ROUNDS rounds per run
# (30), RUNS runs (5), STARTS starts of each stage (20). A quick run, which
# only shows that every part works (the tests run one):
#   sudo make -C 09-ebpf bench CALLS=20000 SLOW_CALLS=1000 ROUNDS=1 RUNS=1 STARTS=3
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
[ -x /usr/bin/time ] || die "no /usr/bin/time, GNU time (make deps STAGE=09)"
python=/usr/bin/python3 # Debian's, where python3-bpfcc puts the bcc module
"$python" -c 'import bcc' 2>/dev/null || die "no bcc module for $python (make deps STAGE=09)"
getpids=../labs/bin/getpids
[ -x "$getpids" ] || die "no $getpids (make rootfs)"
before=../08-seccomp-caps/container
[ -x "$before" ] || die "no $before, stage 08's program, to compare with (make -C ../08-seccomp-caps)"
before=$(realpath -- "$before")

CALLS=${CALLS:-20000}
SLOW_CALLS=${SLOW_CALLS:-2000} # strace stops twice per call: fewer calls
ROUNDS=${ROUNDS:-30}
RUNS=${RUNS:-5}
STARTS=${STARTS:-20}
for n in "$CALLS" "$SLOW_CALLS" "$ROUNDS" "$RUNS" "$STARTS"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "\"$n\" is not a count: CALLS, SLOW_CALLS, ROUNDS, RUNS and STARTS take a number from 1 up"
done
tmp=$(mktemp -d /tmp/cell-bench.XXXXXX)
floor="" # the empty program's process, while it is attached
stop_floor() {
	if [ -n "$floor" ]; then
		kill "$floor" 2>/dev/null || true
		wait "$floor" 2>/dev/null || true
		floor=""
	fi
}
trap 'stop_floor; rm -rf "$tmp"' EXIT

# The median of the numbers on standard input, one a line.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The mean of the smallest tenth of the numbers on standard input (at least
# one of them), rounded.
fastest_tenth() {
	sort -n | awk '{ v[NR] = $1 } END {
		k = int(NR / 10); if (k < 1) k = 1
		for (i = 1; i <= k; i++) s += v[i]
		printf "%d\n", s / k + 0.5 }'
}

# ns per call, the fastest tenth of the rounds of RUNS runs of:
# COMMAND... -n N -r R [CLOCK], CLOCK -t for the thread's CPU time
per_call() { # N R CLOCK COMMAND...
	local n=$1 r=$2 clock=$3 ns
	shift 3
	for _ in $(seq "$RUNS"); do
		ns=$("$@" -n "$n" -r "$r" $clock | sed -n 's/.*: \([0-9]*\) ns each$/\1/p')
		[ -n "$ns" ] || die "no result from: $* -n $n -r $r $clock"
		echo "$ns"
	done | fastest_tenth
}

# An eBPF program runs in the calling thread, at the call's entry: all that
# it costs is the thread's CPU time. strace's cost is mostly time the
# thread spends stopped while strace reads it, which only the clock sees.
bare=$(per_call "$CALLS" "$ROUNDS" -t "$container" --net none getpids)

# The floor: an empty program on sys_enter, attached by bcc's Python front
# end, compiled against the same headers as the tool's; it stays attached
# until its process ends.
headers=/lib/modules/$(uname -r)/build
[ -d "$headers" ] || [ -n "${BCC_KERNEL_SOURCE:-}" ] || export BCC_KERNEL_SOURCE=../labs/cache/linux-headers
"$python" -c '
import signal
from bcc import BPF
BPF(text="RAW_TRACEPOINT_PROBE(sys_enter) { return 0; }")  # attached as it loads
print("attached", flush=True)
signal.pause()' >"$tmp/floor.out" 2>&1 &
floor=$!
for _ in $(seq 300); do
	grep -q '^attached$' "$tmp/floor.out" && break
	kill -0 "$floor" 2>/dev/null || { cat "$tmp/floor.out" >&2; die "the empty program did not load"; }
	sleep 0.1
done
grep -q '^attached$' "$tmp/floor.out" || die "the empty program did not load in 30 s"
empty=$(per_call "$CALLS" "$ROUNDS" -t "$container" --net none getpids)
stop_floor

traced=$(per_call "$CALLS" "$ROUNDS" -t "$container" --net none --trace "$tmp/log" getpids)
counted=$(awk '$1 == "getpid" { print $2 }' "$tmp/log")
logged=$(grep -c ' getpid$' "$tmp/log" || true)
traced_all=$(per_call "$CALLS" "$ROUNDS" -t "$container" --net none --trace-all "$tmp/log-all" getpids)
logged_all=$(grep -c ' getpid$' "$tmp/log-all" || true)
straced=$(per_call "$SLOW_CALLS" 3 "" strace -f -o /dev/null "$container" --net none getpids)

# Starts of /bin/true, untraced, 08 and 09 in turn: wall time (bash's
# clock, around GNU time) and peak memory (GNU time's, in KiB), a line per
# start in $tmp/starts-NAME.
start() { # NAME PROGRAM
	local t0 t1
	t0=$EPOCHREALTIME
	/usr/bin/time -f %M -o "$tmp/rss" "$2" --net none /bin/true || die "$2 --net none /bin/true failed"
	t1=$EPOCHREALTIME
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }') $(cat "$tmp/rss")" \
		>>"$tmp/starts-$1"
}
for _ in $(seq "$STARTS"); do
	start 08 "$before"
	start 09 "$container"
done
ms_before=$(awk '{ print $1 }' "$tmp/starts-08" | median)
kib_before=$(awk '{ print $2 }' "$tmp/starts-08" | median)
ms_now=$(awk '{ print $1 }' "$tmp/starts-09" | median)
kib_now=$(awk '{ print $2 }' "$tmp/starts-09" | median)

printf '%-48s %8s %8s\n' "getpid in the container, fastest tenth of rounds" "ns/call" "added"
row() { printf '%-48s %8d %8d\n' "$1" "$2" "$(($2 - bare))"; }
printf '%-48s %8d\n' "bare" "$bare"
row "an empty program on sys_enter (the floor)" "$empty"
row "--trace FILE (counted in the kernel)" "$traced"
row "--trace-all FILE (counted, and logged)" "$traced_all"
row "strace -f" "$straced"
echo "--trace counted $counted getpid calls of $((CALLS * ROUNDS)) and logged $logged;" \
	"--trace-all logged $logged_all; $(tail -n 1 "$tmp/log-all")"
awk -v b="$bare" -v e="$empty" -v t="$traced" -v a="$traced_all" -v s="$straced" 'BEGIN {
	# what each adds; the floor and --trace at 1 ns at least, to divide by
	fe = e - b; ft = t - b; fa = a - b; fs = s - b
	if (fe < 1) fe = 1
	if (ft < 1) ft = 1
	printf "--trace adds %.2fx what the empty program adds (target: at most 1.5x)\n", ft / fe
	printf "--trace-all adds %.2fx what the empty program adds\n", fa / fe
	printf "strace -f adds %.0fx what --trace adds (target: at least 100x)\n", fs / ft
}'
awk -v n="$STARTS" -v mb="$ms_before" -v kb="$kib_before" -v mn="$ms_now" -v kn="$kib_now" 'BEGIN {
	printf "untraced, /bin/true, median of %d starts: 08 %.1f ms %.1f MiB, 09 %.1f ms %.1f MiB\n",
		n, mb, kb / 1024, mn, kn / 1024
	printf "09 untraced takes %.2fx the time and %.2fx the memory of 08 (target: at most 1.2x)\n",
		mn / mb, kn / kb
}'

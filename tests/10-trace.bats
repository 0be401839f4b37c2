#!/usr/bin/env bats
# Stage 10: cell trace CONTAINER and cell run --trace FILE, both cell-trace
# (10-full-runtime/trace.c), an eBPF program on the sys_enter tracepoint
# filtered by the container's PID namespace. The counts are checked against
# workloads that make a known, random number of calls (labs/workloads'
# syscalls: openat, unshare, setns, mount and umount2 once per round), while
# the same workload runs on the host and in another container; that the
# program is attached, and gone after, is read from the kernel's list of BPF
# programs (bpftool).

load helper

setup() {
	cell_store_setup syscalls
	command -v bpftool >/dev/null || fail "bpftool is missing: run make deps"
	TRACER=$(dirname "$CONTAINER")/cell-trace
	[ -x "$TRACER" ] || fail "$TRACER is not built: run make"
	OUT=$BATS_TEST_TMPDIR/trace.out
	bg= noise=
}

teardown() {
	local pid
	for pid in $bg $noise; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	cell_store_teardown
}

# The count a trace's table gives CALL (0 when it is not listed).
count_of() { # FILE CALL
	awk -v call="$2" 'table && $1 == call { n = $2 } /^CALL +COUNT$/ { table = 1 }
		END { print n + 0 }' "$1"
}

# The event lines of CALL in a trace: "  TIME PID COMM CALL(ARGS)".
events_of() { # FILE CALL
	grep -E "^ +[0-9]+\.[0-9]{6} +[0-9]+ +[^ ]+ +$2\(" "$1" || true
}

# BPF programs on raw tracepoints, as the kernel lists them.
raw_tp_programs() {
	bpftool -j prog show | jq '[.[] | select(.type == "raw_tracepoint")] | length'
}
# Whether there are as many as BEFORE: the kernel frees a program a moment
# after its last descriptor is closed.
programs_back() { [ "$(raw_tp_programs)" = "$before" ]; }

# The processes named cell-trace, by the kernel's comm.
tracers() {
	pgrep -x cell-trace || true
}
has_tracer() { [ -n "$(tracers)" ]; }

@test "trace: cell does not link libbcc; cell-trace does" {
	run ldd "$CONTAINER"
	assert_success
	refute_output --partial libbcc
	run ldd "$TRACER"
	assert_output --partial libbcc
}

@test "run --trace: the first execve, and each call of the container counted exactly, none of the host's or of another container" {
	n=$((RANDOM % 40 + 20))
	other=o$(rand_token 6)
	# the same calls, all along, in another container and on the host
	# (seccomp unconfined: docker's profile refuses unshare, setns and mount
	# before the tracepoint, which then never sees them)
	cell run --rootfs "$ROOTFS" -d --name "$other" --seccomp unconfined \
		sh -c 'while :; do syscalls -n 3 /nowhere/x >/dev/null; done' >/dev/null
	(while :; do "$ROOTFS/usr/local/bin/syscalls" -n 3 /nowhere/x >/dev/null; done) &
	bg=$!
	run cell run --rootfs "$ROOTFS" --rm --seccomp unconfined --trace "$OUT" syscalls -n "$n" /nowhere/x
	kill "$bg"
	wait "$bg" || true
	bg=
	assert_success
	assert_output "made $n rounds"
	# the first event: PID 1 executes the program (found by create, in PATH)
	first=$(grep -m 1 -E '^ +[0-9]+\.[0-9]{6} ' "$OUT")
	[[ $first =~ ^\ +[0-9.]+\ +1\ +[^\ ]+\ +execve\(\"/usr/local/bin/syscalls\" ]] ||
		fail "the first event is not the program's execve: $first"
	for call in unshare setns mount umount2; do
		[ "$(count_of "$OUT" "$call")" = "$n" ] ||
			fail "$call: $(count_of "$OUT" "$call") counted, $n made"
	done
	# the runtime's calls are shown, each with its arguments
	[ "$(events_of "$OUT" setns | grep -c 'setns(-1, CLONE_NEWNET)$')" = "$n" ]
	[ "$(events_of "$OUT" unshare | grep -c 'unshare(CLONE_NEWUTS|CLONE_NEWIPC)$')" = "$n" ]
	[ "$(events_of "$OUT" mount | grep -c 'mount("cell", "/nowhere/x", "tmpfs", MS_NOSUID|MS_NODEV, NULL)$')" = "$n" ]
	# openat is not one of them: counted, not shown
	[ "$(count_of "$OUT" openat)" -ge "$n" ]
	[ -z "$(events_of "$OUT" openat)" ]
	[ -z "$(tracers)" ]
}

@test "trace: attached to a running container, --calls chooses the calls shown, every call is counted, it ends with the container" {
	n=$((RANDOM % 40 + 20))
	name=c$(rand_token 6)
	cell run --rootfs "$ROOTFS" -d --name "$name" --seccomp unconfined \
		sh -c "while [ ! -e /go ]; do sleep 0.1; done; exec syscalls -n $n /nowhere/x" >/dev/null
	pid=$(cell inspect "$name" | jq -r '.[0].State.Pid')
	before=$(raw_tp_programs)
	# the same calls on the host, all along
	(while :; do "$ROOTFS/usr/local/bin/syscalls" -n 3 /nowhere/x >/dev/null; done) &
	noise=$!
	cell trace --calls setns,execve "$name" >"$OUT" 2>"$BATS_TEST_TMPDIR/err" &
	bg=$!
	# attached once it prints its header
	wait_long grep -q '^ *TIME(s) ' "$OUT" || fail "no header: $(cat "$BATS_TEST_TMPDIR/err")"
	[ "$(raw_tp_programs)" = $((before + 1)) ]
	touch "/proc/$pid/root/go"
	exit_of "$bg"
	bg=
	kill "$noise"
	wait "$noise" || true
	noise=
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	[ "$(count_of "$OUT" setns)" = "$n" ]
	[ "$(count_of "$OUT" unshare)" = "$n" ]
	[ "$(events_of "$OUT" setns | wc -l)" = "$n" ]
	[ -z "$(events_of "$OUT" unshare)" ]
	[ -z "$(events_of "$OUT" mount)" ]
	events_of "$OUT" execve | grep -qE '^ +[0-9.]+ +1 +sh +execve\("/usr/local/bin/syscalls", '
	wait_until programs_back
}

@test "trace: Ctrl-C and --duration end it with the counts; the BPF program is gone after; seccomp's refusals come before the tracepoint" {
	name=c$(rand_token 6)
	cell run --rootfs "$ROOTFS" -d --name "$name" sh -c 'while :; do syscalls -n 1 /nowhere/x >/dev/null; sleep 0.1; done' >/dev/null
	before=$(raw_tp_programs)
	# job control: a background job of a script starts with SIGINT ignored
	set -m
	cell trace "$name" >"$OUT" &
	bg=$!
	set +m
	wait_long grep -q '^ *TIME(s) ' "$OUT"
	wait_until grep -q 'execve("/usr/local/bin/syscalls"' "$OUT"
	# Ctrl-C: SIGINT to the job's process group
	kill -INT -- "-$bg"
	exit_of "$bg"
	bg=
	grep -qE '^[0-9]+ calls in [0-9.]+ s' "$OUT"
	# docker's seccomp profile fails setns with EPERM at the entry, before
	# the tracepoint: the call is never seen; openat, allowed, is
	[ "$(count_of "$OUT" openat)" -ge 1 ]
	[ "$(count_of "$OUT" setns)" = 0 ]
	wait_until programs_back
	SECONDS=0
	run cell trace --duration 1 "$name"
	assert_success
	assert_line --regexp '^[0-9]+ calls in 1\.[0-9]+ s'
	[ "$SECONDS" -lt 10 ]
	wait_until programs_back
}

@test "run --trace: Ctrl-C of the run, and a killed monitor, leave no tracer and no BPF program" {
	before=$(raw_tp_programs)
	set -m
	cell run --rootfs "$ROOTFS" --rm --trace "$OUT" sh -c 'trap "exit 3" INT; while :; do sleep 0.1; done' &
	bg=$!
	set +m
	wait_long grep -q '^ *TIME(s) ' "$OUT"
	has_tracer
	# the shell's trap is set once its loop forks
	wait_until grep -qE '^ +[0-9.]+ +1 +sh +clone\(' "$OUT"
	kill -INT -- "-$bg"
	rc=0
	exit_of "$bg" || rc=$?
	bg=
	[ "$rc" = 3 ]
	grep -qE '^[0-9]+ calls in [0-9.]+ s' "$OUT"
	[ -z "$(tracers)" ]
	wait_until programs_back

	name=c$(rand_token 6)
	cell run --rootfs "$ROOTFS" -d --name "$name" --trace "$OUT" sh -c 'while :; do sleep 0.1; done' >/dev/null
	init=$(cell inspect "$name" | jq -r '.[0].State.Pid')
	monitor=$(ps -o ppid= -p "$init" | tr -d ' ')
	# the tracer is the monitor's child, beside the init
	tracer=$(pgrep -x -P "$monitor" cell-trace)
	[[ $tracer =~ ^[0-9]+$ ]]
	kill -KILL "$monitor"
	# it goes with the monitor, while the container still runs
	wait_until ended "$tracer"
	[ -d "/proc/$init" ]
	wait_until programs_back
	cell rm -f "$name" >/dev/null
}

@test "trace: an unknown or stopped container, a bad --calls or --duration, the host's PID namespace, a bad --trace FILE: 125, one line, nothing left" {
	run -125 cell trace nosuch
	assert_output 'cell: no such container: nosuch'
	name=c$(rand_token 6)
	cell run --rootfs "$ROOTFS" --name "$name" true
	run -125 cell trace "$name"
	assert_output "cell: container $name is not running (stopped)"
	cell rm "$name" >/dev/null
	cell run --rootfs "$ROOTFS" -d --name "$name" sh -c 'while :; do sleep 0.1; done' >/dev/null
	run -125 cell trace --calls setns,nosuchcall "$name"
	assert_output 'cell trace: --calls: "nosuchcall" is not a system call of this machine'
	run -125 cell trace --duration soon "$name"
	assert_output 'cell trace: --duration: "soon" is not a number of seconds'
	host=h$(rand_token 6)
	cell run --rootfs "$ROOTFS" -d --name "$host" --pid host sh -c 'while :; do sleep 0.1; done' >/dev/null
	run -125 cell trace "$host"
	[ "${#lines[@]}" = 1 ]
	assert_output --regexp "^cell trace: process [0-9]+ is in the host's PID namespace"
	[ -z "$(tracers)" ]
	cell rm -f "$name" "$host" >/dev/null
	run -125 cell run --rootfs "$ROOTFS" --rm --trace /nonexistent/dir/log true
	assert_output 'cell: --trace /nonexistent/dir/log: No such file or directory'
	run cell ps -aq
	assert_output ''
	[ -z "$(ls -A "$LIB/containers")" ]
}

#!/usr/bin/env bats
# 09-ebpf: --trace logs every system call of the container's processes, and
# only theirs, from an eBPF program the kernel runs at each call's entry.
#
# The workload `syscalls -n N PATH` makes openat, unshare, setns, mount and
# umount2 N times, N random, on a PATH named by a random token that exists
# nowhere; the log must hold exactly those calls with their arguments
# decoded, none of the same program's calls on the host, and agree with the
# kernel's count table. The PID in the log is the one inside: 1, or 2 under
# --init.

load helper

setup() {
	cell_setup
	need_rootfs syscalls getpids
	[ -x "$CELL_TOP/labs/bin/nobpf" ] || fail "no labs/bin/nobpf: run make rootfs"
	log=$BATS_TEST_TMPDIR/trace.log
}

teardown() {
	[ -z "${hostloop:-}" ] || kill "$hostloop" 2>/dev/null || true
	[ -z "${reader:-}" ] || kill "$reader" 2>/dev/null || true
	end_left_containers
	cell_teardown
}

# The log's lines (before the blank line that starts the table).
log_lines() {
	sed '/^$/q' "$log" | sed '/^$/d'
}

# How many log lines of COMM end with exactly CALL (name and arguments).
calls_of() { # COMM CALL
	log_lines | awk -v c="$1" -v call="$2" '$3 == c && substr($0, index($0, $4)) == call' | wc -l
}

# Every line is a call of the container's: a PID its namespace gave (from 1
# to MAX), not a host's, nor the 0 of a task outside the namespace.
assert_container_pids() { # MAX
	local pids
	pids=$(log_lines | awk '{ print $2 }' | sort -un | paste -sd ' ')
	[ -n "$pids" ] || fail "the log is empty"
	for p in $pids; do
		[ "$p" -ge 1 ] && [ "$p" -le "$1" ] || fail "PID $p in the log (PIDs: $pids)"
	done
}

# points: 4
@test "the known calls, N times each, with their arguments decoded and the PID inside" {
	n=$((RANDOM % 20 + 3))
	path=/nowhere-$(rand_token 10)/x
	init=()
	if [ $((RANDOM % 2)) = 1 ]; then init=(--init); fi
	# Stage 08's filter refuses unshare and mount, and the kernel runs the
	# filter before the tracepoint: a refused call is never seen. So the
	# workload runs unconfined, and once more below with the filter.
	run "$CONTAINER" "${init[@]}" --seccomp unconfined --net none --trace "$log" \
		sh -c "echo \$\$; syscalls -n $n $path; true"
	assert_success
	assert_line --index 1 "made $n rounds"
	# the shell's PID, as it knows itself: 1, or after init's
	pid=${lines[0]}
	if [ ${#init[@]} -eq 0 ]; then assert_equal "$pid" 1; else [ "$pid" -ge 2 ]; fi
	assert_equal "$(calls_of syscalls "openat(AT_FDCWD, \"$path\", O_RDONLY|O_CLOEXEC)")" "$n"
	assert_equal "$(calls_of syscalls "unshare(CLONE_NEWUTS|CLONE_NEWIPC)")" "$n"
	assert_equal "$(calls_of syscalls "setns(-1, CLONE_NEWNET)")" "$n"
	assert_equal "$(calls_of syscalls "mount(\"cell\", \"$path\", \"tmpfs\", MS_NOSUID|MS_NODEV)")" "$n"
	assert_equal "$(calls_of syscalls "umount2(\"$path\", MNT_DETACH)")" "$n"
	# nothing else names the path
	assert_equal "$(grep -c -- "$path" "$log")" $((3 * n))
	# the shell forked a child that exec'd the workload; the path as execve saw it
	run bash -c "awk '\$3 == \"sh\" && \$4 ~ /^clone3?\\(/' '$log'"
	assert_line --regexp 'SIGCHLD'
	assert_equal "$(calls_of sh 'execve("/usr/local/bin/syscalls", ...)')" 1
	# the PIDs as the container numbers them: the shell's own, and the
	# workload's, the shell's child, one PID after it
	# (lines from different CPUs' buffers may come out of order: no "first")
	run bash -c "awk '\$3 == \"sh\" && \$2 == $pid' '$log' | wc -l"
	[ "$output" -ge 1 ]
	run bash -c "awk '\$3 == \"syscalls\" { print \$2 }' '$log' | sort -u"
	assert_output "$((pid + 1))"
	# the setup inside the namespace is seen too: pivot_root and the old root's umount
	assert_equal "$(log_lines | grep -c ' pivot_root("/run/cell/.*/merged", "/run/cell/.*/merged/.oldroot")$')" 1
	assert_container_pids $((pid + 1))
	# with the default filter: the openat calls are logged, the refused ones not
	run "$CONTAINER" --net none --trace "$log" sh -c "syscalls -n $n $path; true"
	assert_success
	assert_equal "$(calls_of syscalls "openat(AT_FDCWD, \"$path\", O_RDONLY|O_CLOEXEC)")" "$n"
	assert_equal "$(calls_of syscalls "unshare(CLONE_NEWUTS|CLONE_NEWIPC)")" 0
	assert_equal "$(log_lines | awk '$3 == "syscalls"' | grep -c ' mount(\| umount2(')" 0
}

# points: 3
@test "a host process making the same calls at the same time is not in the log" {
	n=$((RANDOM % 20 + 3))
	path=/nowhere-$(rand_token 10)/x
	hostpath=/nowhere-$(rand_token 10)/x
	# the host makes the same calls for as long as the container runs
	(while :; do "$CELL_TOP/labs/bin/syscalls" -n 50 "$hostpath"; done) \
		>"$BATS_TEST_TMPDIR/host.out" &
	hostloop=$!
	run "$CONTAINER" --net none --trace "$log" sh -c \
		"sleep 0.5; syscalls -n $n $path; sleep 0.5; syscalls -n $n $path"
	kill "$hostloop"
	wait "$hostloop" || true
	hostloop=
	assert_success
	# the host did run meanwhile, and none of its calls is in the log
	[ "$(grep -c '^made 50 rounds$' "$BATS_TEST_TMPDIR/host.out")" -ge 2 ]
	run grep -c -- "$hostpath" "$log"
	assert_output 0
	assert_equal "$(calls_of syscalls "openat(AT_FDCWD, \"$path\", O_RDONLY|O_CLOEXEC)")" $((2 * n))
	# every PID in the log is one of the container's few
	assert_container_pids 10
}

# points: 2
@test "the count table agrees with the log, call by call" {
	n=$((RANDOM % 30 + 3))
	run "$CONTAINER" --net none --trace "$log" syscalls -n "$n" /nowhere-$(rand_token 8)
	assert_success
	# the log's own tally: the call's name, without its arguments
	log_lines | awk '{ sub(/\(.*/, "", $4); print $4 }' | sort | uniq -c |
		awk '{ print $2, $1 }' | sort >"$BATS_TEST_TMPDIR/from-log"
	sed '1,/^SYSCALL /d' "$log" | grep -v ' calls counted, ' | awk '{ print $1, $2 }' | sort \
		>"$BATS_TEST_TMPDIR/from-table"
	run diff "$BATS_TEST_TMPDIR/from-log" "$BATS_TEST_TMPDIR/from-table"
	assert_success
	grep -q "^openat $n\$" "$BATS_TEST_TMPDIR/from-table"
	assert_container_pids 1
	total=$(log_lines | wc -l)
	run tail -n 1 "$log"
	assert_output "$total calls counted, $total logged, 0 lost"
}

# points: 2
@test "the log is complete when the container is SIGKILLed" {
	n=$((RANDOM % 20 + 3))
	path=/nowhere-$(rand_token 10)/x
	start_container --seccomp unconfined --net none --trace "$log" sh -c \
		"syscalls -n $n $path; $WAIT_READY"
	end_with KILL "$init" 137
	assert_equal "$(calls_of syscalls "umount2(\"$path\", MNT_DETACH)")" "$n"
	assert_equal "$(calls_of syscalls "openat(AT_FDCWD, \"$path\", O_RDONLY|O_CLOEXEC)")" "$n"
	assert_container_pids 10
	run tail -n 1 "$log"
	assert_output --regexp '^([0-9]+) calls counted, \1 logged, 0 lost$'
}

# points: 1
@test "the log goes to stderr with --trace -, apart from the command's own output" {
	token=$(rand_token 12)
	run --separate-stderr "$CONTAINER" --net none --trace - sh -c "echo $token"
	assert_success
	assert_output "$token"
	echo "$stderr" >"$log"
	# the tool's child execs the command, under the tool's own name (at most
	# 15 characters: the kernel's comm)
	comm=$(basename "$CONTAINER" | cut -c 1-15)
	assert_equal "$(calls_of "$comm" 'execve("/bin/sh", ...)')" 1
	assert_equal "$(calls_of sh 'write')" 1
	assert_container_pids 1
	[[ $stderr == *' calls counted, '* ]]
}

# points: 1
# requires: the known calls, N times each, with their arguments decoded and the PID inside
@test "without the privilege for BPF, without bpf(), or without kernel headers: 125, the reason, nothing left" {
	run -125 setpriv --bounding-set=-sys_admin,-bpf,-perfmon --inh-caps=-sys_admin,-bpf,-perfmon \
		"$CONTAINER" --net none --trace "$log" true
	assert_output --partial "CAP_BPF"
	assert_equal "${#lines[@]}" 1
	[ ! -e "$log" ]
	# nobpf: bpf() answers ENOSYS, as on a kernel built without it
	run -125 "$CELL_TOP/labs/bin/nobpf" "$CONTAINER" --net none --trace "$log" true
	assert_output "$(basename "$CONTAINER"): --trace: this kernel has no bpf() system call (built without CONFIG_BPF_SYSCALL)"
	[ ! -e "$log" ]
	run -125 env BCC_KERNEL_SOURCE="$BATS_TEST_TMPDIR/no-headers" \
		"$CONTAINER" --net none --trace "$log" true
	assert_line --partial "could not compile the BPF program with the kernel headers in $BATS_TEST_TMPDIR/no-headers"
	[ ! -e "$log" ]
	# a setup step that fails after the tracer is ready: no log made, and
	# an older one left as it was
	run -125 "$CONTAINER" --net none --trace "$log" --upper /etc/passwd true
	assert_output --partial "not a directory"
	[ ! -e "$log" ]
	token=$(rand_token 12)
	echo "$token" >"$log"
	run -125 "$CONTAINER" --net none --trace "$log" --upper /etc/passwd true
	assert_equal "$(cat "$log")" "$token"
	run -125 "$CONTAINER" --trace /no/such/dir/log true
	assert_output "$(basename "$CONTAINER"): --trace /no/such/dir/log: No such file or directory"
	run -125 "$CONTAINER" --trace
	assert_line --index 0 --partial "option '--trace' needs a value"
}

# points: 1
# requires: the known calls, N times each, with their arguments decoded and the PID inside
@test "the host keeps its mount table: the tracer mounts nothing, tracefs included" {
	# (the test's own shell stands for the host: PID 1 may be out of reach)
	mounts() { sed -E 's/^([^ ]+ ){4}([^ ]+) .* - ([^ ]+) .*/\2 \3/' /proc/$$/mountinfo | sort; }
	before=$(mounts)
	start_container --net none --trace "$log" sh -c "$WAIT_READY"
	# while it traces: the tool is in the host's mount namespace, which
	# has gained nothing (a raw tracepoint is attached by name, through bpf(2))
	assert_equal "$(ns_of "$tool" mnt)" "$(ns_of $$ mnt)"
	assert_equal "$(mounts)" "$before"
	finish_container
	assert_equal "$(mounts)" "$before"
	# and the trace was taken
	run tail -n 1 "$log"
	assert_output --regexp '^([1-9][0-9]*) calls counted, \1 logged, 0 lost$'
}

# points: 1
# requires: the known calls, N times each, with their arguments decoded and the PID inside
@test "--help documents --trace" {
	run "$CONTAINER" --help
	assert_success
	assert_output --partial "--trace FILE"
	assert_output --partial "sys_enter tracepoint"
}

# points: 1
# requires: the known calls, N times each, with their arguments decoded and the PID inside
@test "what earlier stages showed still holds: no chroot escape, the network, the cgroups" {
	assert_earlier_stages_hold
	assert_pivot_net_cgroups_hold
}

# points: 1
# requires: the known calls, N times each, with their arguments decoded and the PID inside
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

# The tool's own code, outside the regions a student writes: no points.
# points: 0
# requires: the known calls, N times each, with their arguments decoded and the PID inside
@test "--trace takes what a user points it at: a regular file (emptied), /dev/null, a FIFO, /dev/stdout" {
	token=$(rand_token 12)
	comm=$(basename "$CONTAINER" | cut -c 1-15)
	# a regular file is emptied: an older log, longer than the new one, is gone
	{ head -c 4000000 /dev/zero | tr '\0' x; echo "$token"; } >"$log"
	run "$CONTAINER" --net none --trace "$log" sh -c "echo $token"
	assert_success
	assert_output "$token"
	run grep -c "$token" "$log"
	assert_output 0
	[ "$(stat -c %s "$log")" -lt 1000000 ]
	assert_equal "$(calls_of "$comm" 'execve("/bin/sh", ...)')" 1
	# /dev/null: nothing to empty, and still the device it was
	run "$CONTAINER" --net none --trace /dev/null sh -c "echo $token"
	assert_success
	assert_output "$token"
	[ -c /dev/null ]
	# a FIFO, read by another process (the tool waits for it to open)
	fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	timeout 60 cat "$fifo" >"$log" &
	reader=$!
	run "$CONTAINER" --net none --trace "$fifo" sh -c "echo $token"
	assert_success
	assert_output "$token"
	wait "$reader"
	reader=
	[ -p "$fifo" ]
	assert_equal "$(calls_of "$comm" 'execve("/bin/sh", ...)')" 1
	run tail -n 1 "$log"
	assert_output --regexp '^([1-9][0-9]*) calls counted, \1 logged, 0 lost$'
	# /dev/stdout, here a pipe: the log comes with the command's output
	run --separate-stderr "$CONTAINER" --net none --trace /dev/stdout sh -c "echo $token"
	assert_success
	assert_line "$token"
	echo "$output" >"$log"
	assert_equal "$(calls_of "$comm" 'execve("/bin/sh", ...)')" 1
	assert_equal "$(calls_of sh 'write')" 1
	run tail -n 1 "$log"
	assert_output --regexp '^([1-9][0-9]*) calls counted, \1 logged, 0 lost$'
}

# The kit's benchmark, which the lab asks to run: no points.
# points: 0
# requires: the known calls, N times each, with their arguments decoded and the PID inside
@test "the benchmark (make bench), in its quick form, runs to the end and prints its table and ratios" {
	calls=$((RANDOM % 10000 + 10000))
	before=$(ls -d /tmp/cell-bench.* 2>/dev/null | wc -l)
	# this run holds the tests' lock already, which the bench would wait for;
	# the sanitizer build's leak check cannot run under strace
	run env CELL_TESTS_LOCKED=1 CALLS="$calls" SLOW_CALLS=1000 RUNS=1 \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout 120 bash "$STAGE_DIR/bench.sh" "$CONTAINER"
	assert_success
	assert_line --index 0 --regexp '^getpid +ns/call$'
	assert_line --index 1 --regexp '^in the container, bare +[0-9]+$'
	assert_line --index 2 --regexp '^in the container, --trace FILE \(eBPF\) +[0-9]+$'
	assert_line --index 3 --regexp '^in the container, strace -f +[0-9]+$'
	assert_line --index 4 --regexp '^on the host, bare +[0-9]+$'
	assert_line --index 5 --regexp '^on the host, a traced container beside it +[0-9]+$'
	# the traced run's log holds every call of the loop, and lost none
	assert_line --index 6 --regexp "^the last --trace run logged [0-9]+ getpid lines of $calls; ([0-9]+) calls counted, \\1 logged, 0 lost\$"
	n=$(echo "${lines[6]}" | awk '{ print $6 }')
	[ "$n" -ge "$calls" ]
	assert_line --index 7 --regexp '^--trace adds -?[0-9]+ ns per call: [-+][0-9]+% \(target: under 10%\)$'
	assert_line --index 8 --regexp "^the hook and the filter alone add -?[0-9]+ ns to each call of the host's processes: [-+][0-9]+%\$"
	assert_line --index 9 --regexp '^strace -f adds -?[0-9]+ ns per call: [-+][0-9]+%'
	assert_equal "${#lines[@]}" 10
	# its temporary directory is gone
	run bash -c 'ls -d /tmp/cell-bench.* 2>/dev/null | wc -l'
	assert_output "$before"
}

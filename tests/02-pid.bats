#!/usr/bin/env bats
# 02-pid: PID 1 of a new PID namespace, /proc remounted in a private mount
# namespace, a new IPC namespace, and --init.

load helper

teardown() {
	# a sleeper or IPC object a test made on the host
	[ -z "${sleeper:-}" ] || kill "$sleeper" 2>/dev/null || true
	[ -z "${shmid:-}" ] || ipcrm -m "$shmid" 2>/dev/null || true
	[ -z "${shared:-}" ] || umount -R "$shared" 2>/dev/null || true
	cell_teardown
}

# points: 3
@test "the command is PID 1 and ps lists nothing of the host" {
	# a host process with a random, recognisable command line
	secs=$((100000 + RANDOM))
	# fd 3 closed: a background process that kept it would hold bats's
	# output open, and the run would never end
	sleep "$secs" 3>&- &
	sleeper=$!
	run "$CONTAINER" -n "$(rand_hostname)" ps -eo pid,args
	assert_success
	assert_line --regexp '^ +1 ps -eo pid,args$'
	refute_output --partial "sleep $secs"
	# only the header and ps itself
	assert_equal "${#lines[@]}" 2
}

# points: 2
@test "the command runs in PID, mount and IPC namespaces other than the host's" {
	run "$CONTAINER" sh -c 'readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc'
	assert_success
	assert_equal "${#lines[@]}" 3
	refute_line "$(ns_of $$ pid)"
	refute_line "$(ns_of $$ mnt)"
	refute_line "$(ns_of $$ ipc)"
	assert_line --regexp '^pid:'
}

# points: 2
@test "the host's /proc is untouched: same mount, still the host's processes" {
	before=$(grep ' /proc ' /proc/self/mountinfo)
	run "$CONTAINER" sh -c 'mount | grep -c " /proc "'
	assert_success
	assert_equal "$(grep ' /proc ' /proc/self/mountinfo)" "$before"
	# the host's /proc still shows this test's own process
	[ -d "/proc/$$" ]
}

# points: 2
@test "a mount made inside does not propagate to a shared mount on the host" {
	# a shared mount point of our own, as systemd makes / shared
	shared=$BATS_TEST_TMPDIR/shared
	mkdir -p "$shared"
	mount -t tmpfs cell-test "$shared"
	mount --make-shared "$shared"
	mkdir "$shared/sub"
	run "$CONTAINER" sh -c "mount -t tmpfs inside $shared/sub && grep -c ' $shared/sub ' /proc/self/mountinfo"
	assert_success
	assert_output 1
	run grep -c " $shared/sub " /proc/self/mountinfo
	assert_output 0
}

# points: 2
@test "IPC: a System V segment of the host is invisible inside, visible with --ipc host" {
	shmid=$(ipcmk -M 4096 | grep -oE '[0-9]+$')
	[ -n "$shmid" ]
	run "$CONTAINER" ipcs -m
	assert_success
	refute_output --regexp "(^|[^0-9])$shmid([^0-9]|$)"
	run "$CONTAINER" --ipc host ipcs -m
	assert_success
	assert_output --regexp "(^|[^0-9])$shmid([^0-9]|$)"
	run "$CONTAINER" --ipc host readlink /proc/self/ns/ipc
	assert_output "$(ns_of $$ ipc)"
	run "$CONTAINER" --ipc none true
	assert_failure 125
}

# points: 2
@test "--init: init is PID 1, the command PID 2" {
	run "$CONTAINER" --init sh -c 'echo $$; cat /proc/1/comm'
	assert_success
	assert_equal "${lines[0]}" 2
	assert_regex "${lines[1]}" "^container(-san)?$"
}

# points: 2
@test "--init reaps an orphaned zombie" {
	# the subshell exits at once; its sleep is orphaned, re-parented to
	# PID 1, and ends 0.2 s later; then count zombies in the namespace
	run "$CONTAINER" --init sh -c '(sleep 0.2 &); sleep 1;
		cat /proc/[0-9]*/stat | awk "\$3 == \"Z\"" | wc -l'
	assert_success
	assert_output 0
}

# points: 1
@test "SIGTERM sent to the tool reaches a command that handles it" {
	"$CONTAINER" sh -c 'trap "echo got TERM; exit 42" TERM; touch "$0"; while :; do sleep 0.1; done' \
		"$BATS_TEST_TMPDIR/ready" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	tool=$!
	wait_until test -e "$BATS_TEST_TMPDIR/ready"
	kill -TERM "$tool"
	status=0
	exit_of "$tool" || status=$?
	assert_equal "$status" 42
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "got TERM"
}

# points: 1
@test "--init passes SIGTERM on to a command with no handler of its own" {
	"$CONTAINER" --init sh -c 'touch "$0"; exec sleep 100' "$BATS_TEST_TMPDIR/ready" &
	tool=$!
	wait_until test -e "$BATS_TEST_TMPDIR/ready"
	sleep 0.2 # let sh become sleep
	kill -TERM "$tool"
	status=0
	exit_of "$tool" || status=$?
	assert_equal "$status" 143
}

# points: 1
# requires: the command is PID 1 and ps lists nothing of the host
@test "the command starts with no signal ignored, even when the tool was started with SIGINT and SIGQUIT ignored" {
	# what nohup and a script's background jobs do; the kernel keeps an
	# ignored signal ignored across execve, so only the tool can undo it
	run bash -c "trap '' INT QUIT; exec \"\$1\" --init grep '^SigIgn:' /proc/self/status" _ "$CONTAINER"
	assert_success
	# a mask of ignored signals, bit N-1 for signal N; the C library keeps
	# 32 and 33 for itself, and a program cannot change them through it
	mask=$((16#${output#SigIgn:?} & ~(3 << 31)))
	assert_equal "$mask" 0
}

# points: 2
@test "killing the tool with SIGKILL takes the whole container with it" {
	"$CONTAINER" sh -c 'touch "$0"; exec sleep 100' "$BATS_TEST_TMPDIR/ready" &
	tool=$!
	wait_until test -e "$BATS_TEST_TMPDIR/ready"
	init=$(children_of "$tool")
	[ -n "$init" ]
	kill -KILL "$tool"
	exit_of "$tool" || true
	# the container's PID 1 is gone too
	wait_until test ! -e "/proc/$init"
}

# points: 1
@test "what stage 01 showed still holds" {
	assert_earlier_stages_hold
}

# points: 1
# requires: the command is PID 1 and ps lists nothing of the host
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

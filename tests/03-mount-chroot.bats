#!/usr/bin/env bats
# 03-mount-chroot: a read-only root file system with /proc, /sys, /dev and
# /tmp mounted in it, entered with chroot (which a root process can escape).

load helper

setup() {
	cell_setup
	need_rootfs
}

# points: 3
@test "ls / inside lists the root file system" {
	run "$CONTAINER" ls -1a /
	assert_success
	assert_output "$(ls -1a "$ROOTFS")"
}

# points: 2
@test "--rootfs chooses another tree" {
	# a copy of the default tree with a random file at its top
	other=$BATS_TEST_TMPDIR/other
	cp -a "$ROOTFS" "$other"
	token=$(rand_token 12)
	echo "$token" >"$other/$token"
	run "$CONTAINER" --rootfs "$other" cat "/$token"
	assert_success
	assert_output "$token"
	run "$CONTAINER" cat "/$token"
	assert_failure
}

# points: 2
@test "host files are invisible by their paths" {
	token=$(rand_token 12)
	mkdir -p "$BATS_TEST_TMPDIR/$token"
	echo secret >"$BATS_TEST_TMPDIR/$token/file"
	# cat's own failure (1), not the tool's (125): cat ran and found nothing
	run "$CONTAINER" cat "$BATS_TEST_TMPDIR/$token/file"
	assert_failure 1
	refute_output --partial secret
	# the host's /etc/os-release is not in the container's /etc
	[ -e /etc/os-release ]
	run "$CONTAINER" cat /etc/os-release
	assert_failure 1
}

# points: 2
@test "the root file system is read-only and left unchanged" {
	TOKEN=$(rand_token 12)
	copy=$(rootfs_copy)
	before=$(bash "$CELL_TOP/labs/rootfs.sh" --hash "$copy")
	run "$CONTAINER" --rootfs "$copy" sh -c "test -e /$TOKEN || exit 99
		touch /$TOKEN.new; rm -f /$TOKEN; echo x >> /$TOKEN"
	assert_failure
	assert_output --partial "Read-only file system"
	assert_equal "$(bash "$CELL_TOP/labs/rootfs.sh" --hash "$copy")" "$before"
	# /tmp is writable, in memory
	run "$CONTAINER" --rootfs "$copy" sh -c "test -e /$TOKEN || exit 99
		echo ok > /tmp/$TOKEN && cat /tmp/$TOKEN"
	assert_success
	assert_output ok
}

# points: 1
@test "/proc is the container's: ps shows PID 1 and nothing of the host" {
	secs=$((100000 + RANDOM))
	sleep "$secs" 3>&- &
	sleeper=$!
	run "$CONTAINER" ps -o pid,args
	kill "$sleeper"
	assert_success
	refute_output --partial "sleep $secs"
	assert_line --regexp '^ +1 +ps -o pid,args$'
}

# points: 1
@test "/sys is mounted read-only" {
	run "$CONTAINER" sh -c 'grep " /sys " /proc/self/mountinfo'
	assert_success
	assert_output --regexp ' /sys ro,'
	run "$CONTAINER" sh -c 'echo 1 > /sys/kernel/mm/ksm/run'
	assert_failure
	assert_output --partial "Read-only file system"
}

# points: 2
@test "/dev holds only the harmless devices, as new nodes" {
	run "$CONTAINER" sh -c 'cd /dev && for d in *; do [ -c $d ] && [ ! -L $d ] && echo "$d $(stat -c %t:%T $d)"; done'
	assert_success
	assert_output "$(printf '%s\n' 'full 1:7' 'null 1:3' 'random 1:8' 'tty 5:0' 'urandom 1:9' 'zero 1:5')"
	run "$CONTAINER" sh -c 'echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1 && ls /dev/pts/ptmx && ls -d /dev/shm'
	assert_success
	assert_line --regexp '^ +00 00 00 00$'
	# no disk of the host is reachable
	run "$CONTAINER" sh -c 'ls /dev/sd* /dev/vd* /dev/nvme* /dev/mem'
	assert_failure
}

# points: 1
@test "the chroot escape workload escapes (chroot is not a wall)" {
	# a file on the host, outside the container's root, with random contents
	marker=$BATS_TEST_TMPDIR/marker-$(rand_token 8)
	token=$(rand_token 16)
	echo "$token" >"$marker"
	run "$CONTAINER" escape -t "$marker"
	assert_success
	assert_output --partial "$token"
}

# The lesson of the notes' second exercise, for stage 04 to end: not a
# requirement of this stage's lab, hence no points.
# points: 0
@test "a host directory the caller holds open is a second way out (chroot closes no descriptor)" {
	open_door
	run "$CONTAINER" sh -c "cat /proc/self/fd/$door/$token"
	close_door
	assert_success
	assert_output "$secret"
}

# points: 2
@test "nothing the container mounts shows on the host, even while it runs" {
	"$CONTAINER" sh -c 'touch /tmp/ready && exec sleep 100' &
	tool=$!
	wait_long tool_started "$tool"
	init=$(children_of "$tool")
	wait_long test -e "/proc/$init/root/tmp/ready"
	# the container has its mounts, in its own mount table ...
	run grep -cE ' /(proc|sys|dev|tmp) ' "/proc/$init/mountinfo"
	assert_output 4
	# ... and the host has none of them
	run grep -c " $ROOTFS" /proc/self/mountinfo
	assert_output 0
}

# points: 1
# requires: ls / inside lists the root file system
@test "a missing or wrong --rootfs gives 125 and a clear message" {
	run "$CONTAINER" --rootfs "/nonexistent/$(rand_token)" true
	assert_failure 125
	assert_output --partial "No such file or directory"
	run "$CONTAINER" --rootfs /etc/passwd true
	assert_failure 125
	assert_output --partial "not a directory"
	run "$CONTAINER" --rootfs / true
	assert_failure 125
}

# points: 1
@test "what earlier stages showed still holds" {
	assert_earlier_stages_hold
}

# points: 0
@test "the default root file system is the same tree every time it is built" {
	for d in a b; do
		run bash "$CELL_TOP/labs/rootfs.sh" --force "$BATS_TEST_TMPDIR/$d" \
			"$CELL_TOP/labs/cache/busybox" "$CELL_TOP/labs/bin"
		assert_success
	done
	a=$(bash "$CELL_TOP/labs/rootfs.sh" --hash "$BATS_TEST_TMPDIR/a")
	assert_equal "$(bash "$CELL_TOP/labs/rootfs.sh" --hash "$BATS_TEST_TMPDIR/b")" "$a"
	assert_equal "$(bash "$CELL_TOP/labs/rootfs.sh" --hash "$ROOTFS")" "$a"
}

# points: 1
# requires: ls / inside lists the root file system
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

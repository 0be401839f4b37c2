#!/usr/bin/env bats
# 04-pivot-overlay: pivot_root into an overlay whose lower layer is the
# read-only rootfs; the state directory under /run/cell goes on every exit.

load helper

setup() {
	cell_setup
	need_rootfs
}

# points: 3
@test "the chroot escape workload fails after pivot_root" {
	assert_no_chroot_escape
}

# points: 2
@test "only stdin, stdout and stderr reach the command: a host directory the caller holds open is no way out" {
	assert_no_open_door
}

# points: 2
@test "the container's mount table holds no host mount, and no old root" {
	run "$CONTAINER" cat /proc/1/mountinfo
	assert_success
	# mount point and file system type of each mount
	run awk '{ for (i = 7; i <= NF && $i != "-"; i++); print $5, $(i + 1) }' <<<"$output"
	assert_output "$(printf '%s\n' '/ overlay' '/proc proc' '/sys sysfs' '/dev tmpfs' \
		'/dev/pts devpts' '/dev/shm tmpfs')"
	run "$CONTAINER" ls -a /
	refute_output --partial oldroot
}

# points: 2
@test "writes and deletes inside leave the rootfs byte-for-byte unchanged" {
	TOKEN=$(rand_token 12)
	copy=$(rootfs_copy)
	before=$(bash "$CELL_TOP/labs/rootfs.sh" --hash "$copy")
	run "$CONTAINER" --rootfs "$copy" sh -c "test -e /$TOKEN || exit 99
		echo changed > /$TOKEN && rm /bin/ls && mkdir /new && cat /$TOKEN && ! test -e /bin/ls"
	assert_success
	assert_output changed
	assert_equal "$(bash "$CELL_TOP/labs/rootfs.sh" --hash "$copy")" "$before"
	# the next container starts from the image again
	run "$CONTAINER" --rootfs "$copy" cat "/$TOKEN"
	assert_output "$TOKEN"
}

# points: 2
@test "--upper DIR keeps the written file and a whiteout for the deleted one" {
	upper=$BATS_TEST_TMPDIR/upper-$(rand_token 6)
	TOKEN=$(rand_token 12)
	copy=$(rootfs_copy)
	run "$CONTAINER" --rootfs "$copy" --upper "$upper" sh -c "test -e /$TOKEN || exit 99
		echo written > /$TOKEN.new && rm /$TOKEN"
	assert_success
	assert_equal "$(cat "$upper/$TOKEN.new")" written
	# overlayfs marks a deleted lower file with a 0:0 character device
	[ -c "$upper/$TOKEN" ]
	assert_equal "$(stat -c '%t:%T' "$upper/$TOKEN")" "0:0"
	# the work directory beside it is gone
	run -0 find "$(dirname "$upper")" -maxdepth 1 -name '.cell-work*'
	assert_output ""
	# a second container with the same upper layer sees the changes
	run "$CONTAINER" --rootfs "$copy" --upper "$upper" sh -c "cat /$TOKEN.new
		test -e /$TOKEN || echo gone"
	assert_output "$(printf '%s\n' written gone)"
}

# points: 1
@test "the state directory exists while the container runs and is gone after a normal exit" {
	start_container -v sh -c "$WAIT_READY"
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	[[ $state == /run/cell/* ]]
	[ -d "$state/upper" ] && [ -d "$state/work" ] && [ -d "$state/merged" ]
	# the container's root is the overlay on those directories, mounted in
	# its own namespace and not on the host
	run grep -c " / / .* - overlay overlay .*upperdir=$state/upper,workdir=$state/work" \
		"/proc/$init/mountinfo"
	assert_output 1
	run grep -c " $state/merged " /proc/self/mountinfo
	assert_output 0
	# the command ends by itself, with status 0
	finish_container
	[ ! -e "$state" ]
}

# points: 1
@test "the state directory is gone after the command is SIGKILLed" {
	start_container -v sh -c 'touch /ready; exec sleep 100'
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	[ -d "$state" ]
	end_with KILL "$init" 137
	[ ! -e "$state" ]
}

# points: 1
@test "the state directory is gone after Ctrl-C (SIGINT to the tool)" {
	start_container -v --init sh -c 'touch /ready; exec sleep 100'
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	[ -d "$state" ]
	end_with INT "$tool" 130
	[ ! -e "$state" ]
}

# points: 1
@test "the state directory is gone after a failed setup step" {
	# a copy of the rootfs without /proc: the mount of proc fails
	broken=$BATS_TEST_TMPDIR/broken
	cp -a "$ROOTFS" "$broken"
	rmdir "$broken/proc"
	status=0
	"$CONTAINER" -v --rootfs "$broken" true 2>"$BATS_TEST_TMPDIR/trace" || status=$?
	assert_equal "$status" 125
	run cat "$BATS_TEST_TMPDIR/trace"
	assert_output --partial "mount proc on /run/cell/"
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	[[ $state == /run/cell/* ]]
	[ ! -e "$state" ]
	# and after a bad --upper (the leak check covers what it might leave)
	run "$CONTAINER" --upper /etc/passwd true
	assert_failure 125
	assert_output --partial "not a directory"
}

# points: 1
@test "what earlier stages showed still holds, /dev included" {
	assert_earlier_stages_hold
	run "$CONTAINER" sh -c 'echo x > /dev/null && ls /dev/null'
	assert_output /dev/null
}

# points: 1
# requires: the chroot escape workload fails after pivot_root
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

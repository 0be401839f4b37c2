#!/usr/bin/env bats
# 08-seccomp-caps: the container keeps docker's fourteen capabilities (the
# bounding set too), runs with no_new_privs, and under a seccomp filter
# that makes the calls docker's default profile refuses fail with EPERM.
#
# Everything is read from the kernel: the Cap*, NoNewPrivs and Seccomp lines
# of /proc/PID/status, and the errno each call of the sysprobe workload
# gets. The capabilities added and dropped are picked at random, so that a
# hard-coded set fails.

load helper

setup() {
	cell_setup
	need_rootfs sysprobe
	"$ROOTFS/usr/local/bin/sysprobe" --help | grep -q -- --creds ||
		fail "$ROOTFS/usr/local/bin/sysprobe is old: run make rootfs"
}

# The name the tool's messages start with: the sanitizer build has its own.
prog=$(basename "$CONTAINER")

# docker's default capabilities, as /proc/PID/status writes a set.
DOCKER_CAPS=00000000a80425fb

# A capability's bit: the numbers of capabilities(7).
declare -gA CAPNUM=([CHOWN]=0 [DAC_OVERRIDE]=1 [DAC_READ_SEARCH]=2 [FOWNER]=3 [FSETID]=4
	[KILL]=5 [SETGID]=6 [SETUID]=7 [SETPCAP]=8 [LINUX_IMMUTABLE]=9 [NET_BIND_SERVICE]=10
	[NET_BROADCAST]=11 [NET_ADMIN]=12 [NET_RAW]=13 [IPC_LOCK]=14 [IPC_OWNER]=15
	[SYS_MODULE]=16 [SYS_RAWIO]=17 [SYS_CHROOT]=18 [SYS_PTRACE]=19 [SYS_PACCT]=20
	[SYS_ADMIN]=21 [SYS_BOOT]=22 [SYS_NICE]=23 [SYS_RESOURCE]=24 [SYS_TIME]=25
	[SYS_TTY_CONFIG]=26 [MKNOD]=27 [LEASE]=28 [AUDIT_WRITE]=29 [AUDIT_CONTROL]=30
	[SETFCAP]=31)

# A set of capabilities as /proc writes it, from a number.
capset() { # NUMBER
	printf '%016x\n' "$1"
}

# One random word of a list.
pick() { # WORD...
	local words=("$@")
	echo "${words[RANDOM % ${#words[@]}]}"
}

# The status lines this stage sets, of the process the command names.
STATUS_LINES='grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):"'

# What the status lines should say: PRM/EFF/BND set, nothing inheritable or ambient.
expected_status() { # CAPS NO_NEW_PRIVS SECCOMP
	printf '%s\n' "CapInh:	0000000000000000" "CapPrm:	$1" "CapEff:	$1" "CapBnd:	$1" \
		"CapAmb:	0000000000000000" "NoNewPrivs:	$2" "Seccomp:	$3"
}

# The calls the default filter refuses that sysprobe can try, each with
# what the probe prints then: clone3 fails with ENOSYS, all others EPERM.
# keyctl_i386 and keyctl_x32 are keyctl through the i386 entry and with the
# x32 bit: a filter without those architectures kills them (SIGSYS).
DENIED="keyctl keyctl_i386 keyctl_x32 add_key request_key init_module finit_module
	delete_module kexec_load kexec_file_load open_by_handle_at name_to_handle_at bpf
	perf_event_open userfaultfd io_uring_setup io_uring_enter io_uring_register reboot
	swapon swapoff settimeofday clock_settime clock_adjtime syslog acct quotactl unshare
	clone setns mount umount2 fsopen fsconfig fsmount fspick open_tree move_mount
	mount_setattr pivot_root ioctl_tiocsti process_vm_readv process_vm_writev kcmp
	pidfd_getfd get_mempolicy set_mempolicy mbind move_pages iopl ioperm sysfs ustat"

# Of those, the calls that no capability check refuses first with EPERM on
# this stage's capabilities: only the filter does. Unconfined, each gets
# another answer (see the lab notes' table).
FILTER_ONLY="keyctl keyctl_i386 add_key request_key open_by_handle_at bpf io_uring_setup
	clock_settime clock_adjtime quotactl unshare clone setns ioctl_tiocsti process_vm_readv
	kcmp get_mempolicy set_mempolicy mbind sysfs ustat open_tree fsconfig mount_setattr
	clone3 perf_event_open name_to_handle_at process_vm_writev move_pages io_uring_enter
	io_uring_register pidfd_getfd"

# A kernel without i386 emulation (built without CONFIG_IA32_EMULATION, or
# booted with ia32_emulation=0) kills every int $0x80 with SIGSEGV, filter
# or none: there the i386 probe can tell nothing, and is left out.
if "$CELL_TOP/labs/bin/sysprobe" keyctl_i386 2>/dev/null | grep -q 'killed by SIGSEGV'; then
	DENIED=${DENIED/keyctl_i386 /}
	FILTER_ONLY=${FILTER_ONLY/keyctl_i386 /}
fi

# points: 3
@test "/proc/1/status: docker's capabilities in the bounding set too, nothing ambient, no_new_privs, a filter" {
	run "$CONTAINER" --net none sh -c "$STATUS_LINES /proc/1/status"
	assert_success
	assert_output "$(expected_status $DOCKER_CAPS 1 2)"
	# with --init, init (PID 1) and the command (PID 2) alike
	run "$CONTAINER" --net none --init sh -c "$STATUS_LINES /proc/1/status /proc/\$\$/status"
	assert_success
	assert_output "$(expected_status $DOCKER_CAPS 1 2 | sed 's|^|/proc/1/status:|'
		expected_status $DOCKER_CAPS 1 2 | sed 's|^|/proc/2/status:|')"
}

# points: 2
@test "--cap-add and --cap-drop change every set, ALL included" {
	add=$(pick NET_ADMIN SYS_TIME SYS_PTRACE SYS_NICE IPC_LOCK LEASE SYS_RAWIO NET_BROADCAST)
	drop=$(pick CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID NET_RAW SYS_CHROOT MKNOD)
	want=$((0x$DOCKER_CAPS | 1 << CAPNUM[$add]))
	want=$((want & ~(1 << CAPNUM[$drop])))
	# names in any case, with or without CAP_
	run "$CONTAINER" --net none --cap-add "${add,,}" --cap-drop "CAP_$drop" \
		sh -c "$STATUS_LINES /proc/1/status"
	assert_success
	assert_output "$(expected_status "$(capset $want)" 1 2)"
	run "$CONTAINER" --net none --cap-drop ALL --cap-add "$add" sh -c "$STATUS_LINES /proc/1/status"
	assert_success
	assert_output "$(expected_status "$(capset $((1 << CAPNUM[$add])))" 1 2)"
	run "$CONTAINER" --net none --cap-add ALL --cap-drop "$drop" sh -c "$STATUS_LINES /proc/1/status"
	assert_success
	# every capability the tool has itself: the test's own bounding set
	all=$((0x$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)))
	assert_output "$(expected_status "$(capset $((all & ~(1 << CAPNUM[$drop]))))" 1 2)"
}

# points: 3
@test "each call docker's profile refuses fails with EPERM (clone3 with ENOSYS), and nothing is killed" {
	# shellcheck disable=SC2086 # one name per word
	run "$CONTAINER" --net none sysprobe $DENIED clone3
	assert_failure 1
	refute_output --partial "killed"
	expected=$(for name in $DENIED; do echo "$name: EPERM"; done; echo "clone3: ENOSYS")
	assert_output "$expected"
}

# points: 2
@test "the filter, not the capabilities, refuses the calls that need no capability" {
	# stdin not a terminal: unfiltered, TIOCSTI then fails with ENOTTY
	# shellcheck disable=SC2086
	run "$CONTAINER" --net none --seccomp unconfined sysprobe $FILTER_ONLY </dev/null
	assert_failure 1
	for name in $FILTER_ONLY; do
		assert_line --regexp "^$name: "
		refute_line --regexp "^$name: (EPERM|ENOSYS)$"
	done
}

# points: 1
@test "the calls a container needs are allowed" {
	run "$CONTAINER" --net none sysprobe getpid open socket personality chroot mknod ptrace
	assert_output "$(printf '%s\n' "getpid: ok" "open: ok" "socket: ok" "personality: ok" \
		"chroot: ok" "mknod: ok" "ptrace: ESRCH")"
	# threads (clone without CLONE_NEW*, or clone3 falling back to it) and fork
	run "$CONTAINER" --net none --init sh -c 'cpuburn -t 2 -s 0.2 >/dev/null && echo threads ok'
	assert_success
	assert_output "threads ok"
}

# points: 2
@test "mount fails inside, and --cap-add SYS_ADMIN lets it through the filter" {
	tag=cell$(rand_token 8)
	run "$CONTAINER" --net none sh -c "mount -t tmpfs $tag /mnt && echo mounted; grep -c $tag /proc/self/mounts"
	assert_output "$(printf '%s\n' "mount: permission denied (are you root?)" 0)"
	run "$CONTAINER" --net none --cap-add SYS_ADMIN sh -c "mount -t tmpfs $tag /mnt && grep -c $tag /proc/self/mounts"
	assert_success
	assert_output 1
}

# points: 1
@test "--cap-add NET_ADMIN: adding a link works, and without it fails" {
	link=v$(rand_token 8)
	run "$CONTAINER" --net none ip link add "$link" type veth
	assert_failure
	assert_output --partial "Operation not permitted"
	run "$CONTAINER" --net none --cap-add NET_ADMIN sh -c \
		"ip link add $link type veth && grep -o '^ *$link:' /proc/net/dev"
	assert_success
	assert_output --regexp "^ *$link:$"
}

# points: 1
@test "--seccomp unconfined: Seccomp 0, the capabilities and no_new_privs stay" {
	run "$CONTAINER" --net none --seccomp unconfined sh -c "$STATUS_LINES /proc/1/status"
	assert_success
	assert_output "$(expected_status $DOCKER_CAPS 1 0)"
}

# points: 1
@test "--seccomp FILE: the calls listed fail with EPERM, instead of the default list" {
	listed=$(pick getpid sysfs get_mempolicy personality)
	file=$BATS_TEST_TMPDIR/calls
	printf '%s\n' "# refused calls" "" "  $listed  # a comment" >"$file"
	run "$CONTAINER" --net none --seccomp "$file" sysprobe "$listed" keyctl
	assert_output "$(printf '%s\n' "$listed: EPERM" "keyctl: ok")"
	run "$CONTAINER" --net none --seccomp "$file" sh -c "$STATUS_LINES /proc/1/status"
	assert_output "$(expected_status $DOCKER_CAPS 1 2)"
}

# points: 2
@test "a set-user-ID root program run by another user inside gains nothing" {
	TOKEN=$(rand_token 12)
	copy=$(rootfs_copy)
	install -m 4755 -o 0 -g 0 "$ROOTFS/usr/local/bin/sysprobe" "$copy/usr/local/bin/suprobe"
	# the container's / is its upper layer's directory, which the tool makes
	# 0700 (stages 04 on): another user needs one it may enter
	upper=$BATS_TEST_TMPDIR/upper
	mkdir -m 755 "$upper"
	run "$CONTAINER" --net none --rootfs "$copy" --upper "$upper" \
		su -s /bin/sh nobody -c "suprobe --creds"
	assert_success
	assert_output "uid 65534 euid 65534 CapEff 0000000000000000"
	# the same program run by root inside: the capabilities of the bounding set, no more
	run "$CONTAINER" --net none --rootfs "$copy" suprobe --creds
	assert_output "uid 0 euid 0 CapEff $DOCKER_CAPS"
}

# points: 1
# requires: /proc/1/status: docker's capabilities in the bounding set too, nothing ambient, no_new_privs, a filter
@test "bad capabilities and seccomp files give 125, a clear message, and leave nothing" {
	run "$CONTAINER" --cap-add NOT_A_CAP true
	assert_failure 125
	assert_output "$(printf '%s\n' "$prog: --cap-add: \"NOT_A_CAP\" is not a capability (try NET_ADMIN; capabilities(7) lists them)" \
		"Try 'container --help' for more information.")"
	missing=$BATS_TEST_TMPDIR/missing-$(rand_token 6)
	run "$CONTAINER" --seccomp "$missing" true
	assert_failure 125
	assert_output "$prog: --seccomp $missing: No such file or directory"
	file=$BATS_TEST_TMPDIR/calls
	bad=no_such_call_$(rand_token 6)
	printf '%s\n' getpid "$bad" >"$file"
	run "$CONTAINER" --seccomp "$file" true
	assert_failure 125
	assert_output "$prog: --seccomp $file:2: \"$bad\" is no system call known here"
}

# points: 1
# requires: /proc/1/status: docker's capabilities in the bounding set too, nothing ambient, no_new_privs, a filter
@test "--help documents the capability and seccomp options" {
	run "$CONTAINER" --help
	assert_success
	assert_line --regexp '^ +--cap-add CAP +'
	assert_line --regexp '^ +--cap-drop CAP +'
	assert_line --regexp '^ +--seccomp default\|unconfined\|FILE +'
}

# points: 1
@test "what earlier stages showed still holds: no chroot escape, the network, the cgroups" {
	assert_earlier_stages_hold
	assert_pivot_net_cgroups_hold
}

# points: 1
# requires: /proc/1/status: docker's capabilities in the bounding set too, nothing ambient, no_new_privs, a filter
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

#!/usr/bin/env bats
# The capstone (labs/capstone.md): one C program that pops a shell in its own
# network, mount, PID and UTS namespaces, with the root file system and the
# hostname given as arguments, its own IP address, and a CPU limit.
#
# The program under test follows CONTRACT.md's command line (-n NAME,
# -r DIR, --ip CIDR, --cpus N); it is $CELL_CAPSTONE, by default the
# reference, 06-cgroups/container. Every check reads the kernel: namespace
# inodes, /proc/PID/stat, bytes over TCP. Hostnames, addresses and limits
# are random per run. A test finds the container's processes by a random
# argument (sleep's number of seconds), not by the program's own account,
# so that a program that starts its shell in any way can be graded.

load helper

CONTAINER=${CELL_CAPSTONE:-$CELL_TOP/06-cgroups/container}

setup() {
	cell_setup
	need_rootfs greet-server cpuburn
}

teardown() {
	# a container a failed test left running: its command ends, then the tool
	[ -z "${cmd_pid:-}" ] || kill -KILL "$cmd_pid" 2>/dev/null || true
	[ -z "${tool:-}" ] || { exit_of "$tool" || kill -KILL "$tool"; } 2>/dev/null || true
	cell_teardown
}

# The host's pid of the process whose command line is exactly "ARGS".
pid_of_cmdline() { # ARGS
	pgrep -n -x -f "$1"
}

# Wait until the process whose command line is ARGS runs (sets cmd_pid), or
# the program has ended without starting it.
wait_for_cmd() { # ARGS
	want=$1
	wait_long eval 'cmd_pid=$(pid_of_cmdline "$want") || ended "$tool"'
	[ -n "$cmd_pid" ]
}

# Start the program in the background with a command that sleeps for a
# random time, and find that sleep on the host; sets tool, secs, cmd_pid.
start_sleeper() { # OPTIONS...
	secs=$((RANDOM % 9000 + 1000))
	"$CONTAINER" "$@" sleep "$secs" >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	tool=$!
	wait_for_cmd "sleep $secs" ||
		fail "the shell's command never ran: $(cat "$BATS_TEST_TMPDIR/out")"
}

# End what start_sleeper started: the command, then the program by itself.
# The command may be PID 1 of its namespace, to which the kernel delivers
# from outside only the signals it handles, and SIGKILL.
stop_sleeper() {
	kill -KILL "$cmd_pid"
	exit_of "$tool" || true
	cmd_pid= tool=
}

# points: 3
@test "the command runs in network, mount, PID and UTS namespaces of its own" {
	start_sleeper -n "$(rand_hostname)" -r "$ROOTFS"
	for ns in net mnt pid uts; do
		assert_not_equal "$(ns_of "$cmd_pid" "$ns")" "$(ns_of $$ "$ns")"
		assert_not_equal "$(ns_of "$cmd_pid" "$ns")" "$(ns_of 1 "$ns")"
	done
	stop_sleeper
}

# points: 2
# requires: the command runs in network, mount, PID and UTS namespaces of its own
@test "the root file system given as an argument is the shell's root" {
	TOKEN=$(rand_token 12)
	copy=$(rootfs_copy)
	run "$CONTAINER" -n "$(rand_hostname)" -r "$copy" cat "/$TOKEN"
	assert_success
	assert_output "$TOKEN"
	# the host's own files are not there
	[ -e /etc/os-release ]
	run "$CONTAINER" -r "$copy" cat /etc/os-release
	assert_failure 1
}

# points: 2
# requires: the command runs in network, mount, PID and UTS namespaces of its own
@test "the hostname given as an argument is the shell's, and the host's stays" {
	name=$(rand_hostname)
	before=$(hostname)
	run "$CONTAINER" -n "$name" -r "$ROOTFS" hostname
	assert_success
	assert_output "$name"
	assert_equal "$(hostname)" "$before"
}

# points: 2
# requires: the command runs in network, mount, PID and UTS namespaces of its own
@test "ps lists only the processes of the PID namespace" {
	secs=$((RANDOM % 9000 + 1000))
	run "$CONTAINER" -n "$(rand_hostname)" -r "$ROOTFS" \
		sh -c "sleep $secs & until [ \"\$(cat /proc/\$!/comm)\" = sleep ]; do :; done
			ps -o pid,args; kill \$!"
	assert_success
	# the shell, its sleep and ps, with small pids; nothing of the host's
	assert_line --regexp "^ *[0-9]+ +sleep $secs\$"
	run awk 'NR > 1 { print $1 }' <<<"$output"
	for pid in ${output}; do
		[ "$pid" -le 10 ] || fail "pid $pid is listed: the host's processes show"
	done
	[ "$(echo "$output" | wc -w)" -le 4 ] || fail "ps lists more than the shell, sleep and ps: $output"
}

# points: 3
# requires: the command runs in network, mount, PID and UTS namespaces of its own
@test "its own IP address: greet-server inside answers greet-client on the host" {
	name=$(rand_hostname)
	cidr=$(rand_cidr)
	start_greeter -n "$name" -r "$ROOTFS" --ip "$cidr"
	# the address is the container's, not one of the host's
	run ip -o -4 addr show
	refute_output --partial " ${cidr%/*}/"
	assert_greeted "${cidr%/*}" "$name"
}

# points: 3
# requires: the command runs in network, mount, PID and UTS namespaces of its own
@test "--cpus: a two-thread CPU burner gets the share given, as the kernel counts it" {
	# 0.30 to 0.70 CPUs; two threads would take two whole CPUs unlimited
	hundredths=$((RANDOM % 41 + 30))
	cpus=0.$hundredths
	secs=$((RANDOM % 9000 + 1000))
	"$CONTAINER" -n "$(rand_hostname)" -r "$ROOTFS" --cpus "$cpus" \
		sh -c "cpuburn -t 2 -s $secs" >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	tool=$!
	wait_for_cmd "cpuburn -t 2 -s $secs" ||
		fail "cpuburn never ran: $(cat "$BATS_TEST_TMPDIR/out")"
	# utime + stime of the whole process (fields 14 and 15 of
	# /proc/PID/stat, in clock ticks), over 3 s of wall time
	tick=$(getconf CLK_TCK)
	sleep 0.5
	t0=${EPOCHREALTIME/./}
	c0=$(awk '{ print $14 + $15 }' "/proc/$cmd_pid/stat")
	sleep 3
	c1=$(awk '{ print $14 + $15 }' "/proc/$cmd_pid/stat")
	t1=${EPOCHREALTIME/./}
	used=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) -v hz="$tick" \
		'BEGIN { printf "%.2f", c / hz / (t / 1000000) }')
	echo "# --cpus $cpus: the burner used $used CPUs" >&3
	kill -TERM "$cmd_pid"
	exit_of "$tool" || true
	cmd_pid= tool=
	awk -v x="$used" -v c="$cpus" 'BEGIN { exit !(x >= c - 0.15 && x <= c + 0.15) }' ||
		fail "--cpus $cpus: the burner used $used CPUs"
}

# points: 1
# requires: the command runs in network, mount, PID and UTS namespaces of its own
@test "no existing container runtime or namespace tool is called" {
	fake=$BATS_TEST_TMPDIR/fake-bin
	mkdir -p "$fake"
	for tool_name in runc crun lxc-start lxc-execute lxc-create docker podman systemd-nspawn \
		unshare nsenter bwrap firejail; do
		printf '#!/bin/sh\necho "%s $*" >>%s\nexit 1\n' "$tool_name" "$BATS_TEST_TMPDIR/called" \
			>"$fake/$tool_name"
		chmod +x "$fake/$tool_name"
	done
	name=$(rand_hostname)
	PATH=$fake:$PATH run "$CONTAINER" -n "$name" -r "$ROOTFS" --ip "$(rand_cidr)" hostname
	assert_success
	assert_output "$name"
	[ ! -e "$BATS_TEST_TMPDIR/called" ] || fail "it called: $(cat "$BATS_TEST_TMPDIR/called")"
}

# points: 1
# requires: the command runs in network, mount, PID and UTS namespaces of its own
@test "the shell's exit status is the program's" {
	n=$((RANDOM % 100 + 1))
	run "$CONTAINER" -n "$(rand_hostname)" -r "$ROOTFS" /bin/sh -c "exit $n"
	assert_failure "$n"
}

#!/usr/bin/env bats
# 05-net-veth: a network namespace of its own, joined to the host by a veth
# pair made over rtnetlink; the host end goes on every way out.
#
# Addresses are random, from 10.200.20-219.0/24, so that a hard-coded answer
# fails and they rarely meet the subnets the tool picks by itself
# (10.200.0.0/24 upwards). Every address a test reaches belongs to a
# container the test started (its eth0, or the host end made for it) or to a
# network namespace the test made.

load helper

setup() {
	cell_setup
	need_rootfs greet-server
	[ -x "$CELL_TOP/labs/bin/greet-client" ] || fail "no labs/bin/greet-client: run make rootfs"
	GREET_CLIENT=$CELL_TOP/labs/bin/greet-client
	GREET_SERVER=$CELL_TOP/labs/bin/greet-server
}

teardown() {
	local pid
	# a server or link monitor a failed test left running
	for pid in ${server:-} ${monitor:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# a held network namespace
	[ -z "${nsfd:-}" ] || exec {nsfd}<&-
	end_left_containers
	cell_teardown
}

# The host end of a running container's veth pair, as the kernel names it:
# the container's eth0 shows its peer's interface index ("eth0@if7"), and
# the host's link with that index is the host end.
host_end_of() { # INIT_PID
	local index
	index=$(nsenter -t "$1" -n ip -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
	[ -n "$index" ] || return 1
	ip -o link show | awk -F': ' -v i="$index" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}

# Keep a container's network namespace alive after its last process: the
# kernel can then not remove the namespace, nor the veth pair with it, by
# itself, and only the tool's own cleanup deletes the pair.
hold_netns() { # INIT_PID
	exec {nsfd}<"/proc/$1/ns/net"
}

# Record the kernel's link events (RTM_NEWLINK, RTM_DELLINK) in
# $BATS_TEST_TMPDIR/links until stop_link_monitor.
start_link_monitor() {
	ip -o monitor link >"$BATS_TEST_TMPDIR/links" &
	monitor=$!
	# subscribed once ip holds its netlink socket
	wait_until eval "ls -l /proc/$monitor/fd 2>/dev/null | grep -q socket"
}

stop_link_monitor() {
	kill "$monitor"
	wait "$monitor" || true
	monitor=
}

# points: 3
@test "eth0 inside has the address, in a namespace of its own; the host end has the .1" {
	cidr=$(rand_cidr)
	addr=${cidr%/*}
	host=${addr%.*}.1
	forward=$(cat /proc/sys/net/ipv4/ip_forward)
	start_container --ip "$cidr" sh -c "$WAIT_READY"
	assert_not_equal "$(ns_of "$init" net)" "$(ns_of $$ net)"
	# inside, as busybox ip sees it from the container's own namespace
	run nsenter -t "$init" -n -m ip -o -4 addr show eth0
	assert_success
	assert_output --regexp "inet $addr/24 "
	run nsenter -t "$init" -n ip -o link show lo
	assert_output --regexp '<LOOPBACK,UP,'
	run nsenter -t "$init" -n ip -4 route show default
	assert_output --regexp "^default via $host dev eth0"
	# on the host: the host end, named after the container, with the .1
	hostend=$(host_end_of "$init")
	[[ $hostend =~ ^cell[0-9a-f]{8}$ ]]
	run ip -o -4 addr show dev "$hostend"
	assert_output --regexp "inet $host/24 "
	run ip -o -4 route show "${addr%.*}.0/24"
	assert_output --regexp "dev $hostend "
	# nothing else on the host changed
	assert_equal "$(cat /proc/sys/net/ipv4/ip_forward)" "$forward"
	finish_container
}

# points: 3
@test "TCP from the host: greet-client reaches greet-server inside, which answers with the container's name" {
	name=$(rand_hostname)
	cidr=$(rand_cidr)
	start_greeter -n "$name" --ip "$cidr"
	# and the server, having served its one connection, ends the container
	assert_greeted "${cidr%/*}" "$name"
}

# points: 2
@test "TCP from inside: greet-client in the container reaches a server on the host end's address" {
	name=$(rand_hostname)
	cidr=$(rand_cidr)
	host=${cidr%.*}.1
	# a server on the host with a hostname of its own (a UTS namespace,
	# the host's network); the kernel picks a free port
	unshare --uts sh -c "hostname $name && exec '$GREET_SERVER' -p 0 -n 1" \
		>"$BATS_TEST_TMPDIR/server" 2>&1 &
	server=$!
	wait_long grep -q "^listening on port" "$BATS_TEST_TMPDIR/server"
	port=$(sed -n 's/^listening on port //p' "$BATS_TEST_TMPDIR/server")
	run "$CONTAINER" --ip "$cidr" greet-client -p "$port" "$host"
	assert_success
	assert_output "hello from $name"
	exit_of "$server"
	server=
}

# points: 2
@test "containers started together get different subnets, each reachable from the host" {
	# four at the same moment: names first, so that nothing slows the starts
	names=() tools=() addrs=()
	for i in 0 1 2 3; do
		names[i]=$(rand_hostname)
	done
	for i in 0 1 2 3; do
		"$CONTAINER" -n "${names[i]}" greet-server -n 1 >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
		tools[i]=$!
	done
	for i in 0 1 2 3; do
		wait_long grep -q "^listening on port" "$BATS_TEST_TMPDIR/out$i"
		init=$(children_of "${tools[i]}")
		addrs[i]=$(nsenter -t "$init" -n ip -o -4 addr show eth0 | awk '{ print $4 }')
		[[ ${addrs[i]} =~ ^10\.200\.[0-9]+\.2/24$ ]]
	done
	init=
	# four different subnets
	assert_equal "$(printf '%s\n' "${addrs[@]}" | sort -u | wc -l)" 4
	for i in 0 1 2 3; do
		run "$GREET_CLIENT" "${addrs[i]%/*}"
		assert_output "hello from ${names[i]}"
	done
	for i in 0 1 2 3; do
		exit_of "${tools[i]}"
	done
	tools=()
}

# points: 2
@test "--net none: a network namespace with loopback only, and up" {
	run "$CONTAINER" --net none sh -c 'ls /sys/class/net; readlink /proc/self/ns/net'
	assert_success
	assert_line --index 0 lo
	assert_equal "${#lines[@]}" 2
	refute_line --index 1 "$(ns_of $$ net)"
	# lo carries a TCP connection inside (the server's port 7000 is the
	# container's own)
	run "$CONTAINER" --net none -n lonely sh -c 'greet-server -n 1 >/tmp/s &
		i=0; until grep -qs listening /tmp/s || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
		greet-client 127.0.0.1'
	assert_success
	assert_output "hello from lonely"
}

# points: 1
# requires: eth0 inside has the address, in a namespace of its own; the host end has the .1
@test "a bad --ip or --net gives 125, a clear message, and leaves nothing" {
	for bad in 10.0.0.1 10.0.0.1/33 300.1.1.1/24 abc 10.0.0.1/ 10.1/24 "10.0.0.1/ 24"; do
		run "$CONTAINER" --ip "$bad" true
		assert_failure 125
		assert_line --index 0 --partial ": --ip: \"$bad\" is not an IPv4 address with a prefix (try 10.200.7.2/24)"
	done
	sub=10.200.$((RANDOM % 200 + 20))
	run "$CONTAINER" --ip "$sub.2/31" true
	assert_failure 125
	assert_output --partial "prefix length must be 8 to 30"
	run "$CONTAINER" --ip "$sub.0/24" true
	assert_failure 125
	assert_output --partial "$sub.0 is the subnet's network address"
	run "$CONTAINER" --ip "$sub.255/24" true
	assert_failure 125
	assert_output --partial "$sub.255 is the subnet's broadcast address"
	run "$CONTAINER" --ip "$sub.1/24" true
	assert_failure 125
	assert_output --partial "$sub.1, the subnet's first address, is the host end's"
	run "$CONTAINER" --net bridge true
	assert_failure 125
	assert_output --partial '--net: "bridge"'
	run "$CONTAINER" --net none --ip "$sub.2/24" true
	assert_failure 125
	assert_output --partial "exclude each other"
}

# points: 1
@test "a subnet that overlaps a route of the host gives 125 and names the route" {
	# the host's first route with a prefix, e.g. 192.168.1.0/24 dev eth0
	route=$(ip -o -4 route show table main | awk '$1 != "default" && $1 ~ /\// { print $1; exit }')
	[ -n "$route" ] || fail "the host has no IPv4 route with a prefix to test against"
	net=${route%/*}
	# a /24 that contains the route's network, or lies inside it
	cidr=${net%.*}.$((RANDOM % 200 + 2))/24
	run "$CONTAINER" --ip "$cidr" true
	assert_failure 125
	assert_output --regexp ": --ip $cidr: the subnet overlaps the host's route $route( dev [^ ]+)?$"
}

# points: 1
@test "an address the host already has gives 125 (in a network namespace the test made)" {
	sub=10.200.$((RANDOM % 200 + 20))
	# the host end's .1 in use
	run unshare --net sh -c "ip addr add $sub.1/32 dev lo && exec '$CONTAINER' --ip $sub.2/24 true"
	assert_failure 125
	assert_output --partial ": --ip $sub.2/24: $sub.1 is already an address of the host (dev lo)"
	# the container's own address in use
	run unshare --net sh -c "ip addr add $sub.9/32 dev lo && exec '$CONTAINER' --ip $sub.9/24 true"
	assert_failure 125
	assert_output --partial ": --ip $sub.9/24: $sub.9 is already an address of the host (dev lo)"
	# a free subnet works there too: the tool configures the namespace it runs in
	run unshare --net "$CONTAINER" --ip "$sub.9/24" sh -c 'ip -o -4 addr show eth0'
	assert_success
	assert_output --regexp "inet $sub.9/24 "
}

# points: 1
@test "the veth pair is gone after a normal exit, even while its namespace is held" {
	start_container --ip "$(rand_cidr)" sh -c "$WAIT_READY"
	hostend=$(host_end_of "$init")
	ip link show "$hostend" >/dev/null
	hold_netns "$init"
	finish_container
	# deleted by the tool before it exited: the kernel could not have
	run ip link show "$hostend"
	assert_failure
	exec {nsfd}<&-
	nsfd=
}

# points: 1
@test "the veth pair is gone after the command is SIGKILLed, and no error is printed" {
	start_container --ip "$(rand_cidr)" sh -c 'touch /ready; exec sleep 100'
	hostend=$(host_end_of "$init")
	ip link show "$hostend" >/dev/null
	end_with KILL "$init" 137
	run ip link show "$hostend"
	assert_failure
	# the namespace may have taken the pair with it before the tool got to
	# it: that is not an error
	run grep '^container[-a-z]*:' "$BATS_TEST_TMPDIR/trace"
	assert_output ""
}

# points: 1
@test "the veth pair is gone after SIGTERM to the tool with --init" {
	start_container --init --ip "$(rand_cidr)" sh -c 'touch /ready; exec sleep 100'
	hostend=$(host_end_of "$init")
	ip link show "$hostend" >/dev/null
	hold_netns "$init"
	end_with TERM "$tool" 143
	run ip link show "$hostend"
	assert_failure
	exec {nsfd}<&-
	nsfd=
}

# points: 1
@test "the veth pair is gone after a setup step fails once it exists" {
	# a copy of the rootfs without /proc: mount proc fails in the child,
	# after the network is configured
	broken=$BATS_TEST_TMPDIR/broken
	cp -a "$ROOTFS" "$broken"
	rmdir "$broken/proc"
	start_link_monitor
	status=0
	"$CONTAINER" -v --rootfs "$broken" --ip "$(rand_cidr)" true 2>"$BATS_TEST_TMPDIR/trace" ||
		status=$?
	assert_equal "$status" 125
	stop_link_monitor
	run cat "$BATS_TEST_TMPDIR/trace"
	assert_output --partial "mount proc on /run/cell/"
	# the name the host end got (from the trace), then the kernel's word:
	# that link was up, and then deleted
	hostend=$(sed -n 's/^=> veth \.\.\. done (\(cell[0-9a-f]*\) .*/\1/p' "$BATS_TEST_TMPDIR/trace")
	[ -n "$hostend" ]
	grep -Eq "^[0-9]+: $hostend@[^ ]+ <([A-Z_-]+,)*UP[,>]" "$BATS_TEST_TMPDIR/links"
	grep -q "^Deleted [0-9]*: $hostend@" "$BATS_TEST_TMPDIR/links"
	run ip link show "$hostend"
	assert_failure
}

# points: 1
# requires: eth0 inside has the address, in a namespace of its own; the host end has the .1
@test "--help documents --ip and --net none" {
	run "$CONTAINER" --help
	assert_success
	assert_line --regexp '^ +--ip CIDR +'
	assert_line --regexp '^ +--net none +'
}

# points: 1
@test "earlier stages' behaviour holds: hostname, exit statuses, no chroot escape, no open door" {
	assert_earlier_stages_hold
	assert_no_chroot_escape
	assert_no_open_door
}

# points: 1
# requires: eth0 inside has the address, in a namespace of its own; the host end has the .1
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

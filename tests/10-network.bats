#!/usr/bin/env bats
# Stage 10: cell's networks and published ports. Each test checks what the
# kernel shows (links and their master, addresses inside the container's
# namespace, nftables' table, bytes that answered on a port), reaching only
# addresses of the networks the test made. The store of each test lives in
# its own directory (--root); its links, its nftables table and /run/cell
# are the host's, where the leak check of helper.bash looks.

load helper

setup() {
	cell_store_setup
	command -v nft >/dev/null || fail "nft is missing: run make deps"
	LIB2=$BATS_TEST_TMPDIR/lib2
	BUSYBOX=$ROOTFS/bin/busybox
}

teardown() { cell_store_teardown remove_the_rest; }

# What teardown removes once LIB's containers are gone: LIB's networks,
# LIB2's containers and networks, the outside namespace; and ip_forward
# as it was.
remove_the_rest() {
	remove_networks "$LIB"
	if [ -e "$LIB2" ]; then
		cell_store_empty "$LIB2"
		remove_networks "$LIB2"
	fi
	outside_remove
	if [ -n "${FORWARD_BEFORE:-}" ]; then
		echo "$FORWARD_BEFORE" >/proc/sys/net/ipv4/ip_forward
	fi
}

# Removes every network of the store at ROOT but its default one, cell.
remove_networks() { # ROOT
	local n
	for n in $("$CONTAINER" --root "$1" network ls -q 2>/dev/null); do
		[ "$n" = cell ] || "$CONTAINER" --root "$1" network rm "$n" >/dev/null 2>&1 || true
	done
}

# Runs NAME detached, serving TOKEN to each TCP connection on port 7;
# sets PID to its init's host PID.
run_server() { # NAME TOKEN [OPTION...]
	local name=$1 token=$2
	shift 2
	cell run --rootfs "$ROOTFS" -d --name "$name" "$@" nc -ll -p 7 -e echo "$token" >/dev/null
	PID=$(inspect "$name" .State.Pid)
	[ "$PID" -gt 0 ]
}

# eth0's address/prefix in PID's network namespace, as the kernel has it.
eth0_of() { # PID
	nsenter -t "$1" -n ip -o -4 addr show dev eth0 | awk '{ print $4 }'
}

# What a TCP connection to HOST PORT from the host reads.
host_read() { # HOST PORT
	"$BUSYBOX" nc -w 2 "$1" "$2" </dev/null
}

# A random /24 of 10.210-249.X.0 that the host does not route.
rand_subnet() {
	local s
	while :; do
		s=10.$((RANDOM % 40 + 210)).$((RANDOM % 250)).0
		ip -o -4 route show | grep -q "^${s%.0}\." || break
	done
	echo "$s/24"
}

# "The outside": a network namespace of the test's own, joined to the host by
# a veth pair on a random /24 (the host's end .1, the namespace's .2, its
# default route through the host), with a TCP listener on port 7 that writes
# each peer's address to $SEEN and answers $TOKEN. Sets OUT_NS, OUT_ADDR,
# OUT_HOST.
outside_make() {
	local subnet base
	OUT_NS=natout-$(rand_token 6)
	OUT_LINK=nat-$(rand_token 6)
	subnet=$(rand_subnet)
	base=${subnet%.0/24}
	OUT_HOST=$base.1
	OUT_ADDR=$base.2
	SEEN=$BATS_TEST_TMPDIR/seen
	: >"$SEEN"
	ip netns add "$OUT_NS"
	ip link add "$OUT_LINK" type veth peer name eth0 netns "$OUT_NS"
	ip addr add "$OUT_HOST/24" dev "$OUT_LINK"
	ip link set "$OUT_LINK" up
	ip -n "$OUT_NS" addr add "$OUT_ADDR/24" dev eth0
	ip -n "$OUT_NS" link set eth0 up
	ip -n "$OUT_NS" link set lo up
	# a way back to anything, containers' own addresses too: only cell's
	# rules keep a closed network's packets from arriving here
	ip -n "$OUT_NS" route add default via "$OUT_HOST"
	ip netns exec "$OUT_NS" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7))
s.listen(8)
s.settimeout(1)
open(sys.argv[1] + ".ready", "w").close()
end = time.time() + 60
while time.time() < end:
    try:
        c, peer = s.accept()
    except socket.timeout:
        continue
    with open(sys.argv[1], "a") as f:
        f.write(peer[0] + "\n")
    c.sendall(sys.argv[2].encode() + b"\n")
    c.close()
' "$SEEN" "$TOKEN" 3>&- &
	OUT_PID=$!
	wait_tenths 50 test -e "$SEEN.ready" || fail "the outside's listener did not start"
}

outside_remove() {
	[ -n "${OUT_NS:-}" ] || return 0
	if [ -n "${OUT_PID:-}" ]; then
		kill "$OUT_PID" 2>/dev/null || true
		wait "$OUT_PID" 2>/dev/null || true
	fi
	ip netns del "$OUT_NS" 2>/dev/null || true
	ip link del "$OUT_LINK" 2>/dev/null || true
	OUT_NS=
}

@test "bridge (the default): two containers reach each other by name; eth0 a port of cell0; every link, address and rule gone after rm" {
	local a=a$(rand_token 6) b=b$(rand_token 6) token=$(rand_token 12)
	run_server "$a" "$token"
	id=$(inspect "$a" .Id)
	# the host end is a port of the bridge cell0, which has the subnet's .1
	ip -o link show master cell0 | grep -q "cell-${id:0:8}@"
	ip -o -4 addr show dev cell0 | grep -q 'inet 10.88.0.1/16 '
	addr=$(eth0_of "$PID")
	[[ $addr == 10.88.*/16 ]]
	[ "$(cat /proc/sys/net/ipv4/conf/cell0/route_localnet)" = 1 ]
	# the second one finds the first by its name, in the network's hosts file
	run cell run --rootfs "$ROOTFS" --rm --name "$b" sh -c "nc $a 7 </dev/null; grep -w $a /etc/hosts"
	assert_success
	assert_line --index 0 "$token"
	assert_line --index 1 --regexp "^${addr%/*}[[:space:]]+$a ${id:0:12}\$"
	# and the first finds the second's address once it runs, in the same file
	# (it may well be the address the last one had: eth0's MAC address is
	# made from it, so that what the first learnt of it stays true)
	cell run --rootfs "$ROOTFS" -d --name "$b" sleep 30 >/dev/null
	bpid=$(inspect "$b" .State.Pid)
	baddr=$(eth0_of "$bpid")
	[ "$baddr" != "$addr" ]
	run cell exec "$a" ping -c 1 -W 2 "$b"
	assert_success
	assert_output --partial "(${baddr%/*})"
	cell rm -f "$a" "$b" >/dev/null
	wait_tenths 30 sh -c '! ip link show cell0 2>/dev/null' || fail "cell0 is still there"
	! ip -o link show | grep -q "cell-${id:0:8}"
	! nft list table ip cell 2>/dev/null
}

@test "-p: a published port answers on 127.0.0.1 and the bridge's address; a port is one container's; its rules go with it" {
	local name=p$(rand_token 6) token=$(rand_token 12) port=$((RANDOM % 10000 + 20000))
	run_server "$name" "$token" -p "$port:7"
	addr=$(eth0_of "$PID")
	# the kernel's rules: the map sends the host's port to the container's
	nft list map ip cell ports | grep -q "tcp . $port : ${addr%/*} . 7"
	run host_read 127.0.0.1 "$port"
	assert_output "$token"
	run host_read 10.88.0.1 "$port"
	assert_output "$token"
	# another container on the same host port is refused, naming the first
	run -125 cell run --rootfs "$ROOTFS" --rm -p "$port:80" true
	assert_output "cell: -p: the host's port $port/tcp is container $name's"
	# -p IP:HOSTPORT:PORT: that address only
	cell run --rootfs "$ROOTFS" -d --name "$name-2" -p "10.88.0.1:$((port + 1)):7" nc -ll -p 7 -e echo two >/dev/null
	run host_read 10.88.0.1 $((port + 1))
	assert_output two
	run host_read 127.0.0.1 $((port + 1))
	refute_output two
	cell rm -f "$name" "$name-2" >/dev/null
	wait_tenths 30 sh -c '! nft list table ip cell 2>/dev/null' || fail "cell's table is still there"
	run host_read 127.0.0.1 "$port"
	refute_output "$token"
}

@test "cell network create/ls/rm: a bridge per network; two networks do not reach each other; a routed or overlapping subnet is refused" {
	local n1=n$(rand_token 6) n2=m$(rand_token 6) a=a$(rand_token 6) token=$(rand_token 12)
	subnet=$(rand_subnet)
	run cell network create --subnet "$subnet" "$n1"
	assert_success
	cell network create "$n2"
	run cell network ls --format json
	bridge1=$(jq -r ".[] | select(.Name == \"$n1\") | .Bridge" <<<"$output")
	bridge2=$(jq -r ".[] | select(.Name == \"$n2\") | .Bridge" <<<"$output")
	[ "$(jq -r ".[] | select(.Name == \"$n1\") | .Subnet" <<<"$output")" = "$subnet" ]
	[[ $bridge1 =~ ^cell[1-9][0-9]*$ && $bridge2 =~ ^cell[1-9][0-9]*$ && $bridge1 != "$bridge2" ]]
	# an overlapping subnet, the host's own, and a bad name are refused
	run -125 cell network create --subnet "${subnet%.0/24}.128/25" "x$n1"
	assert_output "cell: --subnet ${subnet%.0/24}.128/25: the network $n1 has addresses in it"
	host_net=$(ip -o -4 route show scope link | awk '{ print $1; exit }')
	if [ -n "$host_net" ]; then
		run -125 cell network create --subnet "$host_net" "y$n1"
		assert_output --partial 'already routes'
	fi
	run -125 cell network create "bad/name"
	[ "${#lines[@]}" = 1 ]
	run_server "$a" "$token" --network "$n1"
	addr=$(eth0_of "$PID")
	[ "${addr%.*}.0/24" = "$subnet" ]
	ip -o link show master "$bridge1" | grep -q "cell-"
	# on the same network by name; from the other network not even by address
	run cell run --rootfs "$ROOTFS" --rm --network "$n1" nc "$a" 7
	assert_output "$token"
	run cell run --rootfs "$ROOTFS" --rm --network "$n2" sh -c "nc -w 2 ${addr%/*} 7 </dev/null; ping -c 1 -W 1 ${addr%/*}"
	refute_output --partial "$token"
	assert_output --partial '0 packets received'
	# nor by name: the other network's hosts file has no such name
	run cell run --rootfs "$ROOTFS" --rm --network "$n2" nc "$a" 7
	assert_failure
	assert_output --partial "bad address"
	# a network with a container on it stays
	run -125 cell network rm "$n1"
	assert_output "cell: network $n1: 1 container is on it"
	cell rm -f "$a" >/dev/null
	wait_tenths 30 sh -c "! ip link show $bridge1 2>/dev/null" || fail "$bridge1 is still there"
	cell network rm "$n1" "$n2"
	run cell network ls -q
	assert_output cell
}

@test "--nat: a network made with it reaches outside the host, masqueraded as the host's address; no other does; ip_forward and the table as they were after rm" {
	local n=n$(rand_token 6) closed=c$(rand_token 6) other=o$(rand_token 6)
	TOKEN=$(rand_token 12)
	! nft list table ip cell 2>/dev/null || skip "cell's nftables table is there already"
	# the host routes nothing before: cell must turn ip_forward on, and back
	FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
	echo 0 >/proc/sys/net/ipv4/ip_forward
	outside_make
	subnet=$(rand_subnet)
	cell network create --nat --subnet "$subnet" "$n" >/dev/null
	cell network create "$closed" >/dev/null
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	run cell network ls --format json
	[ "$(jq -r ".[] | select(.Name == \"$n\") | .Nat" <<<"$output")" = true ]
	[ "$(jq -r ".[] | select(.Name == \"$closed\") | .Nat" <<<"$output")" = false ]
	[ "$(jq -r ".[] | select(.Name == \"cell\") | .Nat" <<<"$output")" = false ]
	run cell network ls
	assert_line --regexp "^$n +cell[0-9]+ +${subnet//./\\.} +yes +0\$"
	# on a network without --nat (the default one, and one made without it),
	# nothing reaches the outside, though the host forwards now
	run cell run --rootfs "$ROOTFS" --rm sh -c "nc -w 2 $OUT_ADDR 7 </dev/null"
	refute_output --partial "$TOKEN"
	run cell run --rootfs "$ROOTFS" --rm --network "$closed" sh -c "nc -w 2 $OUT_ADDR 7 </dev/null"
	refute_output --partial "$TOKEN"
	[ ! -s "$SEEN" ]
	# on the --nat network it does; the outside sees the host's address on
	# its link, not the container's
	cell run --rootfs "$ROOTFS" -d --name a --network "$n" sleep 30 >/dev/null
	pid=$(inspect a .State.Pid)
	addr=$(eth0_of "$pid")
	[ "${addr%.*}.0/24" = "$subnet" ]
	nft list set ip cell natnets | grep -qF "$subnet"
	run cell exec a sh -c "nc -w 2 $OUT_ADDR 7 </dev/null"
	assert_output "$TOKEN"
	run cat "$SEEN"
	assert_output "$OUT_HOST"
	# a second --nat network: ip_forward stays until the last goes
	cell network create --nat "$other" >/dev/null
	cell network rm "$other" >/dev/null
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	bridge=$(jq -r ".[] | select(.Name == \"$n\") | .Bridge" <<<"$(cell network ls --format json)")
	cell rm -f a >/dev/null
	wait_tenths 30 sh -c "! ip link show $bridge 2>/dev/null" || fail "$bridge is still there"
	cell network rm "$n" "$closed" >/dev/null
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
	! nft list table ip cell 2>/dev/null
}

@test "two stores (--root): the second is refused cell0 while the first's containers are on it (the bridge's alias names its store); on a network of its own it runs, and cell's table stays for it" {
	local a=a$(rand_token 6) b=b$(rand_token 6) n=n$(rand_token 6) token=$(rand_token 12)
	cell2() { "$CONTAINER" --root "$LIB2" "$@"; }
	run_server "$a" "$token"
	# the kernel's record of whose bridge it is
	ip -d link show cell0 | grep -q "alias $LIB\$"
	run -125 cell2 run --rootfs "$ROOTFS" --rm true
	assert_output "cell: the bridge cell0 is the network of another store ($LIB): one store at a time on it; give this one a network of its own (cell network create --subnet CIDR)"
	# nothing of the refused one is left: no lease, no link, no container
	[ "$(ip -o link show master cell0 | wc -l)" = 1 ]
	run cell2 ps -aq
	assert_output ''
	# the second store on a network of its own reaches nothing of the first
	subnet=$(rand_subnet)
	cell2 network create --subnet "$subnet" "$n" >/dev/null
	cell2 run --rootfs "$ROOTFS" -d --name "$b" --network "$n" sleep 30 >/dev/null
	bpid=$("$CONTAINER" --root "$LIB2" inspect "$b" | jq -r '.[0].State.Pid')
	baddr=$(eth0_of "$bpid")
	[ "${baddr%.*}.0/24" = "$subnet" ]
	# the first store's last container goes: cell0 with it, not the table
	# that holds the second's bridge
	cell rm -f "$a" >/dev/null
	wait_tenths 30 sh -c '! ip link show cell0 2>/dev/null' || fail "cell0 is still there"
	bridge=$(cell2 network ls --format json | jq -r ".[] | select(.Name == \"$n\") | .Bridge")
	nft list set ip cell bridges | grep -q "\"$bridge\""
	# and now cell0 is free for the second store
	run cell2 run --rootfs "$ROOTFS" --rm sh -c 'ip -o -4 addr show dev eth0'
	assert_output --partial 'inet 10.88.'
	cell2 rm -f "$b" >/dev/null
	wait_tenths 30 sh -c "! ip link show $bridge 2>/dev/null" || fail "$bridge is still there"
	wait_tenths 30 sh -c '! nft list table ip cell 2>/dev/null' || fail "cell's table is still there"
}

@test "bad network flags: one line naming the flag, status 125, nothing left" {
	run -125 cell run --rootfs "$ROOTFS" --rm -p 99999:80 true
	assert_output 'cell: -p 99999:80: 99999 is not a port (1-65535)'
	run -125 cell run --rootfs "$ROOTFS" --rm -p 80:80/sctp true
	assert_output 'cell: -p 80:80/sctp: the protocol is tcp or udp'
	run -125 cell run --rootfs "$ROOTFS" --rm -p 8080:80 --network none true
	assert_output 'cell: -p 8080:80: a port is published to a container on a network, not with none'
	run -125 cell run --rootfs "$ROOTFS" --rm --network "nosuch$(rand_token 4)" true
	assert_output --regexp '^cell: --network nosuch[a-z0-9]+: no such network: nosuch[a-z0-9]+$'
	run -125 cell network rm cell
	assert_output 'cell: network rm cell: the default network stays'
	run cell ps -aq
	assert_output ''
}

@test "--network-rate: what the container sends leaves at the rate (tc's tbf on its eth0), within a factor of two" {
	local port=$((RANDOM % 10000 + 30000))
	# 8mbit: 1 MB a second; 2 MB take about two seconds, after a 100 kB burst
	cell run --rootfs "$ROOTFS" -d --name slow --network-rate 8mbit sleep 60 >/dev/null
	PID=$(inspect slow .State.Pid)
	nsenter -t "$PID" -n tc qdisc show dev eth0 | grep -q '^qdisc tbf .* rate 8Mbit'
	cell run --rootfs "$ROOTFS" -d --name fast sleep 60 >/dev/null
	for name in slow fast; do
		# the listener's input never ends: busybox nc stops reading at the
		# end of its own input
		"$BUSYBOX" nc -l -p "$port" >"$BATS_TEST_TMPDIR/got.$name" < <(exec 3>&-; sleep 10) 3>&- &
		listener=$!
		sleep 0.2
		start=$(date +%s%N)
		cell exec "$name" sh -c "head -c 2000000 /dev/zero | nc 10.88.0.1 $port"
		end=$(date +%s%N)
		wait "$listener"
		[ "$(stat -c %s "$BATS_TEST_TMPDIR/got.$name")" = 2000000 ]
		eval "ms_$name=$(((end - start) / 1000000))"
	done
	echo "slow: $ms_slow ms, fast: $ms_fast ms" >&3
	[ "$ms_slow" -ge 950 ] && [ "$ms_slow" -le 3800 ]
	[ "$ms_fast" -lt 950 ]
	run -125 cell run --rootfs "$ROOTFS" --rm --network none --network-rate 1mbit true
	assert_output 'cell: --network-rate 1mbit: limits a container'"'"'s eth0; not with --network none'
	run -125 cell run --rootfs "$ROOTFS" --rm --network-rate 10mb true
	assert_output --partial 'cell: --network-rate 10mb: give bits per second'
}

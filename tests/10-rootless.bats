#!/usr/bin/env bats
# Stage 10: rootless cell. An ordinary user that each test creates (useradd
# gives it a subordinate range in /etc/subuid and /etc/subgid) runs cell with
# no root step at all; the test, as root, reads what the kernel shows: the
# uid_map and gid_map of the container's init, the owners of the image's
# files on the host, bytes through slirp4netns to a listener on the host's
# loopback, the cgroup files of a delegated v2 subtree (in the cgroup v2 VM),
# and the user's processes after `cell rm -f`. The user, its home (where its
# images live) and its runtime directory are removed after each test.

load helper

setup() {
	cell_setup
	need_rootfs memeat
	command -v jq >/dev/null || fail "jq is missing: run make deps"
	command -v newuidmap >/dev/null || fail "newuidmap is missing: run make deps (uidmap)"
	command -v slirp4netns >/dev/null || fail "slirp4netns is missing: run make deps"
	user= tun_mode= fuse_mode= cgroup_dir= disk_mnt= xdg= user_env=()
	# a directory the test's user can read (bats's own is root's alone)
	share=$(mktemp -d /tmp/cellr.XXXXXX)
	chmod 755 "$share"
}

teardown() {
	local id
	if [ -n "$user" ]; then
		for id in $(rcell ps -aq 2>/dev/null); do
			rcell rm -f "$id" >/dev/null 2>&1 || true
		done
		# the user's podman store (as the user: as root, it would be root's)
		[ ! -x "$share/podman" ] || rpodman system reset -f >/dev/null 2>&1 || true
		# cell-pause, and whatever a failed test left running
		pkill -KILL -u "$user" 2>/dev/null || true
		wait_until bash -c "! pgrep -u $user >/dev/null" || true
		[ -z "$disk_mnt" ] || umount "$disk_mnt"
		userdel -r "$user" >/dev/null 2>&1 || true
		rm -rf "/tmp/cell-run-$uid" "/tmp/podman-run-$uid" "/tmp/containers-user-$uid"
		[ -z "$xdg" ] || rm -rf "$xdg"
	fi
	if [ -n "$cgroup_dir" ]; then
		find "$cgroup_dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
	fi
	[ -z "$tun_mode" ] || chmod "$tun_mode" /dev/net/tun
	[ -z "$fuse_mode" ] || chmod "$fuse_mode" /dev/fuse
	rm -rf "$share"
	cell_teardown
}

# An ordinary user of this test only, with a random uid and a home; with
# --no-subids a system account, which useradd gives no subordinate range.
# Sets user, uid, gid, home, sub_uid/sub_gid ("FIRST COUNT", or ""), and
# user_env, the command prefix that runs as the user in a fresh environment.
make_user() { # [--no-subids]
	local i system=()
	for i in $(seq 50); do
		uid=$((RANDOM % 20000 + 40000))
		getent passwd "$uid" >/dev/null || break
	done
	user=cellr$uid
	[ "${1:-}" != --no-subids ] || system=(-r)
	useradd "${system[@]}" -m -U -u "$uid" -s /bin/sh "$user" || fail "useradd $user failed"
	gid=$(id -g "$user")
	home=$(getent passwd "$user" | cut -d: -f6)
	user_env=(setpriv --reuid="$uid" --regid="$gid" --init-groups
		env -i HOME="$home" USER="$user" PATH=/usr/sbin:/usr/bin:/sbin:/bin)
	sub_uid=$(awk -F: -v u="$user" '$1 == u { print $2, $3; exit }' /etc/subuid)
	sub_gid=$(awk -F: -v u="$user" '$1 == u { print $2, $3; exit }' /etc/subgid)
	# In the VM the home is on the guest's root, an overlay, which overlayfs
	# refuses as an upper layer: the user's store goes on the scratch disk.
	if [ -n "${CELL_VM_DISK:-}" ]; then
		mkfs.ext4 -q -F "$CELL_VM_DISK"
		disk_mnt=$home/.local/share
		mkdir -p "$disk_mnt"
		mount "$CELL_VM_DISK" "$disk_mnt"
		chown "$uid:$gid" "$home/.local" "$disk_mnt"
	fi
}

# A command as the user: a fresh environment (no XDG_RUNTIME_DIR unless
# given: the state then goes to /tmp/cell-run-UID), from /.
# (None before make_user has one: never the command as root.)
as_user() { [ ${#user_env[@]} -gt 0 ] && (cd / && "${user_env[@]}" "$@"); }
# The same, started in the delegated subtree's leaf (delegate_subtree),
# where root puts it (the user may not move a process out of root's cgroup).
as_user_in_session() {
	[ ${#user_env[@]} -gt 0 ] &&
		(cd / && sh -c 'echo $$ >"$0/session/cgroup.procs" && exec "$@"' "$cgroup_dir" \
			"${user_env[@]}" "$@")
}
rcell() { as_user "$CONTAINER" "$@"; }

# A map file, its columns separated by single spaces.
map_of() { # FILE
	awk '{ $1 = $1; print }' "$1"
}

# Whether the user has no process left (zombies aside, which this host's
# init reaps late): a monitor ends a moment after it has recorded the end,
# and cell-pause a second after it is alone in the user's namespace.
nothing_of_the_user_left() {
	[ -z "$(ps -u "$user" -o stat=,comm= | grep -v '^Z')" ]
}

init_of() { # NAME
	rcell inspect "$1" | jq -r '.[0].State.Pid'
}

# Accepts one connection on 127.0.0.1:PORT (for 30 s at most) and writes
# what it sent to FILE; in the background, its output away from bats.
listen_once() { # PORT FILE
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
open(sys.argv[2], "wb").write(c.recv(4096))' "$1" "$2" >/dev/null 2>&1 3>&- &
}

# slirp4netns opens /dev/net/tun as the user: udev makes it 0666, a host
# without udev (this one) may leave it root's alone; given back after.
open_tun() {
	tun_mode=$(stat -c %a /dev/net/tun)
	chmod 0666 /dev/net/tun
}

# What systemd does for user@UID.service, on a cgroup v2 host: a directory
# of the user's (cgroup_dir), with the files that move processes and hand
# controllers down, and a leaf, session, where as_user_in_session starts.
delegate_subtree() {
	cgroup_dir=/sys/fs/cgroup/cellr$uid
	mkdir -p "$cgroup_dir/session"
	chown "$uid:$gid" "$cgroup_dir" "$cgroup_dir/cgroup.procs" "$cgroup_dir/cgroup.subtree_control" \
		"$cgroup_dir/cgroup.threads" "$cgroup_dir/session" "$cgroup_dir/session/cgroup.procs"
}

# $share/podman: podman as the user runs it, with cell-runc, in a store of
# its own (vfs), with this host's limits; rpodman runs it as the user.
make_podman() {
	write_containers_conf "$share/containers.conf"
	cat >"$share/podman" <<-EOF
		#!/bin/sh
		export CONTAINERS_CONF=$share/containers.conf
		exec podman --storage-driver vfs --runtime $RUNC_BIN "\$@"
	EOF
	chmod 755 "$share/podman" "$share/containers.conf"
	tar -C "$ROOTFS" -cf "$share/rootfs.tar" .
	rpodman import -q "$share/rootfs.tar" cell/busybox >/dev/null
}
rpodman() { as_user "$share/podman" "$@"; }

# fuse-overlayfs opens /dev/fuse as the user: the same (udev: 0666).
open_fuse() {
	fuse_mode=$(stat -c %a /dev/fuse)
	chmod 0666 /dev/fuse
}

# The type of the file system mounted on the root of PID's mount namespace.
root_fs_of() { # PID
	awk '$5 == "/" { for (i = 7; $i != "-"; i++); print $(i + 1) }' "/proc/$1/mountinfo"
}

@test "rootless: an ordinary user runs, execs, logs, stops and removes, root of its full subordinate range" {
	local pid
	make_user
	[ -n "$sub_uid" ] && [ -n "$sub_gid" ] || fail "useradd gave $user no subordinate range"
	run rcell run -d --name one --network none --rootfs "$ROOTFS" \
		sh -c 'echo started; while :; do sleep 0.1; done'
	assert_success
	pid=$(init_of one)
	# the kernel's maps: 0 is the user, 1... the subordinate range
	assert_equal "$(map_of "/proc/$pid/uid_map")" "$(printf '0 %s 1\n1 %s %s' "$uid" $sub_uid)"
	assert_equal "$(map_of "/proc/$pid/gid_map")" "$(printf '0 %s 1\n1 %s %s' "$gid" $sub_gid)"
	[ "$(ns_of "$pid" user)" != "$(ns_of $$ user)" ] || fail "the host's user namespace"
	# on the host the init is the user's, with no capability there
	assert_equal "$(stat -c %u "/proc/$pid")" "$uid"
	run rcell exec one sh -c 'id -u; grep -c . /proc/self/uid_map'
	assert_success
	assert_output "$(printf '0\n2')"
	run rcell logs one
	assert_output started
	run rcell ps -q
	assert_output "$(rcell inspect one | jq -r '.[0].Id[:12]')"
	# the user's places: the store in its home, the state in /tmp/cell-run-UID
	[ -n "$(find "$home/.local/share/cell" -maxdepth 1 -name '*.db')" ]
	[ "$(stat -c '%u %a' "/tmp/cell-run-$uid")" = "$uid 700" ]
	[ -n "$(ls "/tmp/cell-run-$uid/containers")" ]
	# a named volume, in the user's store, outlives its container
	run rcell run --rm --network none -v keep:/data --rootfs "$ROOTFS" sh -c "echo $uid >/data/f"
	assert_success
	assert_equal "$(cat "$home/.local/share/cell/volumes/keep/_data/f")" "$uid"
	run rcell run --rm --network none -v keep:/data:ro --rootfs "$ROOTFS" sh -c 'cat /data/f; touch /data/g'
	assert_failure
	assert_line --index 0 "$uid"
	run rcell stop -t 1 one
	assert_success
	[ ! -e "/proc/$pid" ]
	run rcell rm one
	assert_success
	assert_equal "$(rcell ps -aq)" ""
	run rcell volume rm keep
	assert_success
	# nothing of the user's is left, the namespace's holder neither
	wait_until nothing_of_the_user_left
	assert_equal "$(ls -A "/tmp/cell-run-$uid/containers")" ""
}

@test "rootless images: a file of uid 1000 in an image is 1000's inside, and the subordinate range's on the host" {
	local dir=$share/img token first gfirst f
	make_user
	token=$(rand_token 12)
	first=${sub_uid% *} gfirst=${sub_gid% *}
	cp -a "$ROOTFS" "$dir"
	mkdir -p "$dir/home/u1000"
	echo "$token" >"$dir/home/u1000/mine"
	chown -R 1000:1001 "$dir/home/u1000"
	tar -C "$dir" --numeric-owner -cf "$share/img.tar" .
	run rcell image import "$share/img.tar" rl/img
	assert_success
	run rcell run --rm --network none rl/img sh -c \
		'stat -c "%u %g" /home/u1000/mine /bin/busybox; cat /home/u1000/mine'
	assert_success
	assert_output "$(printf '1000 1001\n0 0\n%s' "$token")"
	# the layer as the kernel keeps it: the range's ids, and the user's own for root's
	f=$(find "$home/.local/share/cell/layers" -path '*/home/u1000/mine')
	assert_equal "$(stat -c '%u %g' "$f")" "$((first + 999)) $((gfirst + 1000))"
	f=$(find "$home/.local/share/cell/layers" -path '*/bin/busybox')
	assert_equal "$(stat -c '%u %g' "$f")" "$uid $gid"
	run rcell image rm rl/img
	assert_success
}

@test "rootless overlay: the kernel's with userxattr or fuse-overlayfs; an opaque directory survives a commit, and / is open to the container's users" {
	local f pid fuse
	make_user
	command -v fuse-overlayfs >/dev/null || fail "fuse-overlayfs is missing: run make deps"
	tar -C "$ROOTFS" -cf "$share/base.tar" .
	rcell image import "$share/base.tar" rl/base >/dev/null
	# /etc replaced: its upper directory is opaque, with the kernel's mark
	# for a user namespace (trusted.* is root's of the host alone)
	run rcell run --name r --network none rl/base sh -c \
		'rm -rf /etc && mkdir /etc && echo only >/etc/only'
	assert_success
	f=$(find "$home/.local/share/cell/containers" -path '*/upper/etc' -type d)
	assert_equal "$(getfattr --only-values -n user.overlay.opaque "$f")" y
	run rcell commit r rl/replaced
	assert_success
	# the commit's layer is opaque in turn, and hides the image's /etc
	f=$(rcell image inspect rl/replaced | jq -r '.[0].LayerDirs[-1]')/etc
	assert_equal "$(getfattr --only-values -n user.overlay.opaque "$f")" y
	run rcell run --rm --network none --user 1000 rl/replaced sh -c 'id -u; ls -A /etc; ls -ld / | cut -c1-10'
	assert_success
	assert_output "$(printf '1000\nonly\ndrwxr-xr-x')"
	# the kernel's overlay, mounted with userxattr, in the monitor's namespace
	rcell run -d --name k --network none rl/replaced sleep 100 >/dev/null
	pid=$(init_of k)
	assert_equal "$(root_fs_of "$pid")" overlay
	grep -q ' / .* overlay .*userxattr' "/proc/$pid/mountinfo"
	rcell rm -f k >/dev/null
	# fuse-overlayfs, as on a kernel before 5.11: none without /dev/fuse
	# (root's alone on this host), said in one line, and nothing left
	if [ ! -w /dev/fuse ] || [ "$(stat -c %a /dev/fuse)" != 666 ]; then
		run -125 as_user CELL_OVERLAY=fuse-overlayfs "$CONTAINER" run --rm --network none rl/replaced true
		assert_output --partial "fuse-overlayfs needs /dev/fuse"
		assert_equal "$(rcell ps -aq | grep -vc "$(rcell inspect r | jq -r '.[0].Id[:12]')")" 0
	fi
	run -125 as_user CELL_OVERLAY=fuse "$CONTAINER" run --rm --network none rl/replaced true
	assert_output --partial "CELL_OVERLAY=fuse: kernel or fuse-overlayfs"
	open_fuse
	run as_user CELL_OVERLAY=fuse-overlayfs "$CONTAINER" run -d --name u --network none \
		rl/replaced sh -c 'echo fuse >/etc/more; exec sleep 100'
	assert_success
	pid=$(init_of u)
	assert_equal "$(root_fs_of "$pid")" fuse.fuse-overlayfs
	fuse=$(pgrep -u "$user" -x fuse-overlayfs)
	[ -n "$fuse" ] || fail "no fuse-overlayfs of $user's"
	run rcell exec --user 1000 u sh -c 'ls -A /etc; cat /etc/more'
	assert_success
	assert_output "$(printf 'more\nonly\nfuse')"
	run rcell rm -f u
	assert_success
	# it ends with the container; then nothing of the user's is left
	[ ! -e "/proc/$fuse" ] || wait_until bash -c "! pgrep -u $user -x fuse-overlayfs"
	rcell rm r >/dev/null
	rcell image rm rl/replaced rl/base >/dev/null
	wait_until nothing_of_the_user_left
}

@test "rootless overlay where the kernel refuses it (a store on an overlay, as the VM's root is): fuse-overlayfs serves the container's root instead" {
	local store pid fuse
	make_user
	store=$home/on-root
	[ "$(stat -f -c %T "$home")" = overlayfs ] ||
		skip "needs a home on an overlay, which overlayfs refuses as an upper layer (make test runs this in the VM)"
	command -v fuse-overlayfs >/dev/null || fail "fuse-overlayfs is missing: run make deps"
	install -d -o "$uid" -g "$gid" "$store"
	open_fuse
	run as_user XDG_DATA_HOME="$store" "$CONTAINER" run -d --name f --network none \
		--rootfs "$ROOTFS" sh -c 'echo written >/w; exec sleep 100'
	assert_success
	pid=$(as_user XDG_DATA_HOME="$store" "$CONTAINER" inspect f | jq -r '.[0].State.Pid')
	assert_equal "$(root_fs_of "$pid")" fuse.fuse-overlayfs
	fuse=$(pgrep -u "$user" -x fuse-overlayfs)
	[ -n "$fuse" ] || fail "no fuse-overlayfs of $user's"
	wait_until bash -c "[ -s '$(find "$store/cell/containers" -maxdepth 1 -mindepth 1 -type d)/upper/w' ]"
	run as_user XDG_DATA_HOME="$store" "$CONTAINER" rm -f f
	assert_success
	wait_until bash -c "! pgrep -u $user -x fuse-overlayfs"
	# its files too, though overlayfs gives them the devices of its layers
	assert_equal "$(ls -A "$store/cell/containers")" ""
	wait_until nothing_of_the_user_left
}

@test "rootless without a subordinate range: the user's own id alone is mapped, with a notice once; a runtime directory of its own, however long" {
	make_user --no-subids
	[ -z "$sub_uid" ] || fail "useradd -r gave $user a subordinate range"
	run rcell run --rm --network none --rootfs "$ROOTFS" sh -c 'cat /proc/self/uid_map /proc/self/setgroups'
	assert_success
	assert_line --index 0 --partial "no range for $user: one id is mapped, yours"
	assert_equal "$(awk '{ $1 = $1; print }' <<<"${lines[1]}")" "0 $uid 1"
	assert_line --index 2 deny
	# the namespace is made once: the next command says nothing
	run rcell ps -a
	refute_output --partial "one id"
	# with $XDG_RUNTIME_DIR (made as logind does), the state is there
	xdg=/run/user/$uid
	install -d -o "$uid" -g "$gid" -m 700 "$xdg"
	run as_user XDG_RUNTIME_DIR="$xdg" "$CONTAINER" run -d --name x --network none \
		--rootfs "$ROOTFS" sleep 100
	assert_success
	# (a second namespace, of this runtime directory's: its notice first)
	[ -d "$xdg/cell/containers/${lines[-1]}" ]
	[ ! -e "/tmp/cell-run-$uid/containers/${lines[-1]}" ]
	[ -s "$xdg/cell/pause.pid" ]
	run as_user XDG_RUNTIME_DIR="$xdg" "$CONTAINER" rm -f x
	assert_success
	# one long enough that a socket's path passes the 108 bytes a unix
	# address holds: the attach socket and slirp4netns's API are reached
	# through their directory, and a run attaches, a port is forwarded
	long=$xdg/a/runtime/directory/deep/enough/for/the/sockets/to/pass/an/address
	install -d -o "$uid" -g "$gid" -m 700 "$long"
	chown -R "$uid:$gid" "$xdg"
	open_tun
	run as_user XDG_RUNTIME_DIR="$long" "$CONTAINER" run --rm -p 127.0.0.1:$((RANDOM % 10000 + 20000)):80 \
		--rootfs "$ROOTFS" sh -c 'echo attached; ls /proc/1/fd >/dev/null'
	assert_success
	assert_line attached
	[ -s "$long/cell/pause.pid" ]
	# the attach socket, LONG/cell/containers/ID/attach, is 88 bytes more
	[ $((${#long} + 88)) -gt 108 ]
}

@test "rootless networking: slirp4netns reaches the host's loopback only when allowed, -p forwards, and it ends with the container" {
	local port port2 hp token pid
	make_user
	open_tun
	token=$(rand_token 12)
	port=$((RANDOM % 10000 + 20000)) port2=$((port + 1)) hp=$((port + 2))
	# listeners on the host's loopback alone, as the test's own
	listen_once "$port" "$BATS_TEST_TMPDIR/got"
	listen_once "$port2" "$BATS_TEST_TMPDIR/got2"
	wait_until bash -c "ss -ltn | grep -q 127.0.0.1:$port2"
	run rcell run --rm --network slirp4netns:allow_host_loopback=true --rootfs "$ROOTFS" \
		sh -c "ip -4 -o addr show tap0 | awk '{ print \$4 }'; echo $token | nc 10.0.2.2 $port"
	assert_success
	assert_output 10.0.2.100/24
	wait_until grep -qx "$token" "$BATS_TEST_TMPDIR/got"
	# by default (podman's too) 10.0.2.2 does not lead to the host's loopback
	run rcell run --rm --rootfs "$ROOTFS" sh -c "echo $token | nc -w 2 10.0.2.2 $port2"
	assert_failure
	[ ! -s "$BATS_TEST_TMPDIR/got2" ]
	# -p: the host's port, as the user's own socket, forwarded inside
	run rcell run -d --name web -p "127.0.0.1:$hp:8000" --rootfs "$ROOTFS" \
		sh -c "mkdir /www; echo $token >/www/t; exec httpd -f -p 8000 -h /www"
	assert_success
	wait_until bash -c "curl -sf http://127.0.0.1:$hp/t | grep -qx $token"
	pid=$(pgrep -u "$user" -x slirp4netns)
	[ -n "$pid" ] || fail "no slirp4netns of $user's"
	# it is the user's, in the user's namespace, with the container's network
	assert_equal "$(stat -c %u "/proc/$pid")" "$uid"
	run rcell rm -f web
	assert_success
	wait_until bash -c "! pgrep -u $user -x slirp4netns"
	run curl -s -m 2 "http://127.0.0.1:$hp/t"
	assert_failure
}

@test "rootless web: the user's page lists its containers with both PIDs as the kernel has them; stop ends the init; pause is refused by name" {
	local pid url token body
	make_user
	rcell run -d --name w --network none --rootfs "$ROOTFS" sh -c 'while :; do sleep 0.1; done' >/dev/null
	pid=$(init_of w)
	as_user "$CONTAINER" web --listen 127.0.0.1:0 >"$share/web.out" 2>"$share/web.err" 3>&- &
	wait_until grep -q '^cell web: http://' "$share/web.out" ||
		fail "cell web did not start: $(cat "$share/web.err")"
	url=$(sed -n 's|^cell web: \(http://[^/]*\)/#token=[0-9a-f]*$|\1|p' "$share/web.out")
	token=$(sed -n 's|^cell web: http://[^/]*/#token=\([0-9a-f]*\)$|\1|p' "$share/web.out")
	body=$(curl -sf -H "X-Cell-Token: $token" "$url/api/containers/w")
	# the init as the host numbers it, 1 in its PID namespace, the user's
	assert_equal "$(jq -r '.Processes[] | select(.Pid == 1) | .HostPid' <<<"$body")" "$pid"
	assert_equal "$(stat -c %u "/proc/$pid")" "$uid"
	assert_equal "pid:[$(jq -r .Namespaces.pid <<<"$body")]" "$(ns_of "$pid" pid)"
	# no cgroup here: pause is refused with cell's reason, and nothing changes
	run curl -s -w '\n%{http_code}' -H "X-Cell-Token: $token" -H "Origin: $url" \
		-H 'Content-Type: application/json' -d '{"action": "pause"}' "$url/api/containers/w"
	assert_line --index 1 409
	assert_line --index 0 --partial "a rootless container has a cgroup only"
	grep -q '^State:.*[SR]' "/proc/$pid/status"
	run curl -sf -H "X-Cell-Token: $token" -H "Origin: $url" \
		-H 'Content-Type: application/json' -d '{"action": "stop"}' "$url/api/containers/w"
	assert_success
	wait_until bash -c "[ ! -e /proc/$pid ]"
	pkill -INT -u "$user" -x cell
}

@test "rootless without a delegated cgroup: a limit and pause are refused by name, tracing (eBPF, the host's) too, and nothing is left" {
	make_user --no-subids
	run -125 rcell run --rm --network none -m 64m --rootfs "$ROOTFS" true
	assert_output --partial "a rootless container has a cgroup only in a cgroup v2 subtree delegated to its user"
	assert_output --partial memory
	assert_equal "$(rcell ps -aq)" ""
	rcell run -d --name p --network none --rootfs "$ROOTFS" sleep 100 >/dev/null
	run -125 rcell pause p
	assert_output --partial "the freezer: a rootless container has a cgroup only"
	[ "$(rcell inspect p | jq -r '.[0].State.Status')" = running ]
	run -125 rcell trace p
	assert_output --partial "a rootless container cannot be traced: loading an eBPF program takes CAP_BPF"
	run -125 rcell run --rm --network none --trace - --rootfs "$ROOTFS" true
	assert_output --partial "cannot be traced"
	assert_equal "$(rcell ps -aq)" "$(rcell inspect p | jq -r '.[0].Id[:12]')"
	run rcell rm -f p
	assert_success
	wait_until nothing_of_the_user_left
}

@test "rootless cgroup v2 delegation: the container's cgroup is in the user's subtree, and its memory limit holds" {
	local pid name=m$(rand_token 6)
	grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
		skip "needs a cgroup v2 host (make test runs this in the cgroup v2 VM)"
	make_user --no-subids
	delegate_subtree
	run as_user_in_session "$CONTAINER" run -d --name "$name" --network none -m 32m \
		--memory-swap 32m --rootfs "$ROOTFS" sleep 100
	assert_success
	pid=$(init_of "$name")
	assert_equal "$(sed -n 's/^0:://p' "/proc/$pid/cgroup")" "/cellr$uid/cell/ctr/$(rcell inspect "$name" | jq -r '.[0].Id')"
	assert_equal "$(cat "$cgroup_dir/cell/ctr/"*/memory.max)" 33554432
	rcell rm -f "$name" >/dev/null
	[ ! -e "$cgroup_dir/cell" ]
	# the limit holds: the kernel's OOM killer ends what goes past it
	run -137 as_user_in_session "$CONTAINER" run --name "$name" --network none -m 16m \
		--memory-swap 16m --rootfs "$ROOTFS" memeat 64
	assert_equal "$(rcell inspect "$name" | jq -r '.[0].State.OOMKilled')" true
	rcell rm "$name" >/dev/null
}

@test "rootless cell-runc: an ordinary user's bundle maps its subordinate range through newuidmap" {
	local b=$share/bundle
	make_user
	mkdir "$b"
	(cd "$b" && "$RUNC_BIN" spec)
	jq --argjson u "$uid" --argjson g "$gid" --argjson uf "${sub_uid% *}" --argjson gf "${sub_gid% *}" '
		.process.terminal = false | .root.readonly = true | del(.linux.resources) |
		.process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /proc/1"] |
		.linux.namespaces += [{ "type": "user" }] |
		.linux.uidMappings = [{ "containerID": 0, "hostID": $u, "size": 1 },
			{ "containerID": 1, "hostID": $uf, "size": 1000 }] |
		.linux.gidMappings = [{ "containerID": 0, "hostID": $g, "size": 1 },
			{ "containerID": 1, "hostID": $gf, "size": 1000 }]' \
		"$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
	chmod -R a+rX "$b"
	install -d -o "$uid" -g "$gid" -m 700 "$share/state"
	run as_user "$RUNC_BIN" --root "$share/state" run --bundle "$b" r1
	assert_success
	assert_equal "$(awk '{ $1 = $1; print }' <<<"$output")" \
		"$(printf '0 %s 1\n1 %s 1000\n0 %s 1\n1 %s 1000\n0' "$uid" "${sub_uid% *}" "$gid" "${sub_gid% *}")"
	# another user's range is refused by newuidmap, and nothing is left
	jq '.linux.uidMappings[1].hostID = 1' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
	chmod a+r "$b/config.json"
	run as_user "$RUNC_BIN" --root "$share/state" run --bundle "$b" r2
	assert_failure
	assert_output --partial "newuidmap"
	assert_equal "$(ls -A "$share/state")" ""
}

@test "rootless podman runs its containers with cell-runc: run --rm, exit status, -it, run -d, exec, logs, stop, rm" {
	local pid holder
	make_user
	make_podman
	run rpodman run --rm --network none cell/busybox sh -c 'id -u; grep -c . /proc/self/uid_map'
	assert_success
	assert_output "$(printf '0\n2')"
	run rpodman run --rm --network none cell/busybox sh -c 'exit 7'
	assert_failure 7
	# -it: script gives podman a terminal, and cell-runc the container a
	# pty of its own devpts through podman's --console-socket; the input
	# stays open until the end, or an EOF could end the attach first
	mkfifo -m 644 "$share/input"
	sleep 60 >"$share/input" 3>&- &
	holder=$!
	run as_user script -qec "$share/podman run -it --rm --network none cell/busybox sh -c 'tty; [ -t 0 ] && echo on-a-terminal'" /dev/null <"$share/input"
	kill "$holder"
	wait "$holder" || true
	assert_success
	assert_output --partial /dev/pts/0
	assert_output --partial on-a-terminal
	run rpodman run -d --name d --network none cell/busybox sh -c 'echo up; while :; do sleep 0.1; done'
	assert_success
	pid=$(rpodman inspect -f '{{.State.Pid}}' d)
	# cell-runc made it: its state.json names the init the kernel runs
	assert_equal "$(find / -xdev -path "*/cell/runc/*/state.json" -user "$uid" 2>/dev/null |
		xargs jq -r .pid)" "$pid"
	run rpodman exec d sh -c 'echo in; id -u'
	assert_output "$(printf 'in\n0')"
	run rpodman logs d
	assert_output up
	run rpodman stop -t 1 d
	assert_success
	[ ! -e "/proc/$pid" ]
	run rpodman rm d
	assert_success
}

@test "rootless podman with cell-runc in a delegated cgroup v2 subtree: pause freezes the container's cgroup, unpause thaws it" {
	local pid cg
	grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
		skip "needs a cgroup v2 host (make test runs this in the cgroup v2 VM)"
	make_user
	delegate_subtree
	make_podman
	run as_user_in_session "$share/podman" run -d --name d --network none cell/busybox \
		sh -c 'while :; do sleep 0.1; done'
	assert_success
	pid=$(rpodman inspect -f '{{.State.Pid}}' d)
	# cell-runc made its cgroup below the user's subtree, as for cell
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	[[ "$cg" == "$cgroup_dir/"* ]] || fail "the init's cgroup $cg is not below $cgroup_dir"
	run as_user_in_session "$share/podman" pause d
	assert_success
	grep -qx 'frozen 1' "$cg/cgroup.events"
	assert_equal "$(rpodman inspect -f '{{.State.Status}}' d)" paused
	run rpodman unpause d
	assert_success
	grep -qx 'frozen 0' "$cg/cgroup.events"
	run rpodman rm -f -t 0 d
	assert_success
	[ ! -e "$cg" ]
}

#!/usr/bin/env bats
# 07-userns: a user namespace. Run by an ordinary user (made by the test, with
# a random uid, and removed after), the container is rootless: that user is
# uid 0 inside and itself outside. Run by root with -U, root inside is a uid
# of an unprivileged host range: the default one, or a random one from a cell
# line of /etc/subuid and /etc/subgid (a copy of /etc, bound over the host's
# in a mount namespace of the test only).
#
# What is checked is what the kernel shows: /proc/PID/status and uid_map of
# the container's processes read from the host, the owner of files on the
# host, the namespaces' inodes, the errno of mknod.

load helper

setup() {
	cell_setup
	need_rootfs
}

teardown() {
	end_left_containers
	# the user goes once nothing of it runs; userdel removes its group too
	[ -z "${user:-}" ] || userdel "$user" || true
	[ -z "${share:-}" ] || rm -rf "$share"
	[ -z "${link:-}" ] || rm -f "$link"
	cell_teardown
}

# The name the tool's messages start with: the sanitizer build has its own.
prog=$(basename "$CONTAINER")

# The host range root -U maps to when /etc/subuid has no cell line.
DEFAULT_BASE=1879048192 DEFAULT_COUNT=65536

# Skip unless this host lets an ordinary user make a user namespace.
need_unprivileged_userns() {
	local f
	for f in /proc/sys/kernel/unprivileged_userns_clone /proc/sys/user/max_user_namespaces; do
		if [ -r "$f" ] && [ "$(cat "$f")" = 0 ]; then
			skip "${f#/proc/sys/} is 0: no user namespaces for ordinary users here"
		fi
	done
	f=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
	if [ -r "$f" ] && [ "$(cat "$f")" = 1 ]; then
		skip "AppArmor restricts user namespaces to programs with a profile (${f#/proc/sys/}=1)"
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user true 2>/dev/null ||
		skip "unshare --user fails for an ordinary user here"
}

# An ordinary user of this test only, with a random uid: a system account
# (no home, no /etc/subuid range), removed in teardown. Then a directory it
# can read, with the program and a copy of the rootfs holding $TOKEN: the
# tree under test may sit below a home it cannot enter. Sets user, uid, gid,
# share.
make_user() {
	local i
	for i in $(seq 50); do
		uid=$((RANDOM % 20000 + 40000))
		getent passwd "$uid" >/dev/null || break
	done
	user=cellu$uid
	useradd -r -M -U -u "$uid" -s /bin/sh "$user" 2>/dev/null || fail "useradd $user failed"
	gid=$(id -g "$user")
	share=$(mktemp -d /tmp/cellt.XXXXXX)
	chmod 755 "$share"
	cp "$CONTAINER" "$share/"
	cp -a "$ROOTFS" "$share/rootfs"
	TOKEN=$(rand_token 12)
	echo "$TOKEN" >"$share/rootfs/$TOKEN"
	install -d -o "$uid" -g "$gid" -m 700 "$share/mine"
	# runs a command as that user; setpriv and env exec, so the pid stays
	# the tool's. No $XDG_RUNTIME_DIR: the state goes to /tmp/cell-UID.
	as_user=(setpriv --reuid="$uid" --regid="$gid" --init-groups env -u XDG_RUNTIME_DIR HOME=/)
}


# A field of /proc/PID/status, its values separated by single spaces.
status_of() { # PID FIELD
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

# A map file, its columns separated by single spaces.
map_of() { # FILE
	awk '{ $1 = $1; print }' "$1"
}

# A copy of /etc with a cell line in subuid and subgid; with_etc runs a
# command with it bound over /etc, in a mount namespace of its own (unshare
# and sh exec, so the pid stays the tool's).
make_etc() { # SUBUID-LINE SUBGID-LINE
	etc=$BATS_TEST_TMPDIR/etc
	rm -rf "$etc"
	cp -a /etc "$etc"
	echo "$1" >>"$etc/subuid"
	echo "$2" >>"$etc/subgid"
	with_etc=(unshare --mount --propagation private sh -c 'mount --bind "$0" /etc && exec "$@"' "$etc")
}

# points: 2
@test "rootless: an ordinary user is uid 0 inside, under maps of its own ids alone" {
	need_unprivileged_userns
	make_user
	run "${as_user[@]}" "$share/$prog" --rootfs "$share/rootfs" --net none sh -c \
		'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups
		grep -E "^(Uid|Gid):" /proc/self/status; id -u'
	assert_success
	run awk '{ $1 = $1; print }' <<<"$output"
	assert_output "$(printf '%s\n' "0 $uid 1" "0 $gid 1" deny "Uid: 0 0 0 0" "Gid: 0 0 0 0" 0)"
}

# points: 3
@test "rootless: the container runs as the user on the host, in namespaces of its own, loopback only" {
	need_unprivileged_userns
	make_user
	limit=$((RANDOM % 50 + 10))
	# a directory the user cannot read, left in the upper layer: the tool
	# must still remove it
	start_bg "${as_user[@]}" "$share/$prog" -v --rootfs "$share/rootfs" --pids-limit "$limit" \
		sh -c "[ -e /$TOKEN ] && mkdir -p /d/e && chmod 0 /d/e /d; $WAIT_READY"
	# the kernel's view from the host: the user's ids, one-line maps
	assert_equal "$(status_of "$init" Uid)" "$uid $uid $uid $uid"
	assert_equal "$(status_of "$init" Gid)" "$gid $gid $gid $gid"
	assert_equal "$(map_of "/proc/$init/uid_map")" "0 $uid 1"
	for ns in user pid uts ipc mnt net cgroup; do
		[ "$(ns_of "$init" "$ns")" != "$(ns_of $$ "$ns")" ] || fail "$ns namespace shared with the host"
	done
	# its network namespace has lo alone, and no cgroup cell/<id> exists
	run awk -F: 'NR > 2 { sub(/^ */, "", $1); print $1 }' "/proc/$init/net/dev"
	assert_output lo
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	assert_equal "$(dirname "$state")" "/tmp/cell-$uid"
	[ -d "$state/upper" ]
	run find /sys/fs/cgroup -type d -path "*/cell/${state##*/}"
	assert_output ""
	run grep -c "^$prog: rootless: the veth and the cgroup limits skipped" "$BATS_TEST_TMPDIR/trace"
	assert_output 1
	[ -d "$state/upper/d" ]
	finish_container
	[ ! -e "$state" ]
	run grep "^$prog: remove" "$BATS_TEST_TMPDIR/trace"
	assert_output ""
}

# points: 2
@test "rootless: with --upper, what the container writes is the user's on the host" {
	need_unprivileged_userns
	make_user
	upper=$share/mine/upper-$(rand_token 6)
	content=$(rand_token 20)
	# only where the token is: a build without isolation writes nothing of the host's
	run "${as_user[@]}" "$share/$prog" --rootfs "$share/rootfs" --net none --upper "$upper" sh -c \
		"[ -e /$TOKEN ] && echo $content >/note && stat -c '%u %g' /note"
	assert_success
	assert_output "0 0"
	assert_equal "$(stat -c '%u %g' "$upper/note")" "$uid $gid"
	assert_equal "$(cat "$upper/note")" "$content"
	# its work directory is gone, the upper layer stays
	run ls -A "$share/mine"
	assert_output "${upper##*/}"
}

# points: 1
# requires: rootless: an ordinary user is uid 0 inside, under maps of its own ids alone
@test "rootless: a /tmp/cell-UID that is not the user's own directory is refused" {
	need_unprivileged_userns
	make_user
	link=/tmp/cell-$uid
	ln -s "$share/mine" "$link"
	run "${as_user[@]}" "$share/$prog" --rootfs "$share/rootfs" --net none true
	assert_failure 125
	assert_output "$prog: $link: not a directory of uid $uid's closed to others (mode 700): not using it"
	run ls -A "$share/mine"
	assert_output ""
}

# points: 3
@test "-U: the container's PID 1 runs as the default range's first uid on the host" {
	# started with supplementary groups, which the container must not keep
	groups=$((RANDOM % 500 + 100)),$((RANDOM % 500 + 700))
	start_bg setpriv --groups="$groups" "$CONTAINER" -U -v --net none sh -c "touch /note; $WAIT_READY"
	assert_equal "$(status_of "$init" Uid)" "$DEFAULT_BASE $DEFAULT_BASE $DEFAULT_BASE $DEFAULT_BASE"
	assert_equal "$(status_of "$init" Gid)" "$DEFAULT_BASE $DEFAULT_BASE $DEFAULT_BASE $DEFAULT_BASE"
	assert_equal "$(map_of "/proc/$init/uid_map")" "0 $DEFAULT_BASE $DEFAULT_COUNT"
	[ "$(ns_of "$init" user)" != "$(ns_of $$ user)" ]
	# the tool's supplementary groups are dropped
	assert_equal "$(status_of "$tool" Groups)" "${groups/,/ }"
	assert_equal "$(status_of "$init" Groups)" ""
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	assert_equal "$(stat -c '%u %g' "$state/upper/note")" "$DEFAULT_BASE $DEFAULT_BASE"
	finish_container
}

# points: 1
# requires: -U: the container's PID 1 runs as the default range's first uid on the host
@test "-U: /tmp is a tmpfs of the container's own, which takes files" {
	token=$(rand_token 12)
	run "$CONTAINER" -U --net none sh -c "echo $token >/tmp/t && cat /tmp/t && stat -c '%u' /tmp/t &&
		sed -n 's|^[^ ]* [^ ]* [^ ]* [^ ]* /tmp .* - \\([^ ]*\\) .*|\\1|p' /proc/self/mountinfo"
	assert_success
	assert_output "$(printf '%s\n' "$token" 0 tmpfs)"
}

# points: 2
@test "-U: with a cell line in /etc/subuid and /etc/subgid, root inside is its first id" {
	base=$((RANDOM * 1000 + 700000000))
	gbase=$((base + RANDOM + 1))
	count=$(((RANDOM % 4 + 1) * 65536))
	make_etc "cell:$base:$count" "cell:$gbase:$count"
	start_bg "${with_etc[@]}" "$CONTAINER" -U -v --pids-limit 30 sh -c "touch /note; $WAIT_READY"
	assert_equal "$(status_of "$init" Uid)" "$base $base $base $base"
	assert_equal "$(status_of "$init" Gid)" "$gbase $gbase $gbase $gbase"
	assert_equal "$(map_of "/proc/$init/uid_map")" "0 $base $count"
	assert_equal "$(map_of "/proc/$init/gid_map")" "0 $gbase $count"
	assert_equal "$(cat "/proc/$init/setgroups")" allow
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	assert_equal "$(stat -c '%u %g' "$state/upper/note")" "$base $gbase"
	# the cgroup is still made, by the tool, as root
	pids=$(find /sys/fs/cgroup -path "*/cell/${state##*/}/pids.max" 2>/dev/null | head -n 1)
	[ -n "$pids" ] || fail "no pids.max in a cgroup cell/${state##*/}"
	assert_equal "$(cat "$pids")" 30
	finish_container
}

# points: 2
@test "-U: mknod of a device fails inside, while stage 06 (and 07 without -U) make it" {
	copy=$(rootfs_copy)
	run "$CONTAINER" -U --net none --rootfs "$copy" sh -c "[ -e /$TOKEN ] && mknod /null-$TOKEN c 1 3"
	assert_failure 1
	assert_output "mknod: /null-$TOKEN: Operation not permitted"
	# the host's nodes, bound: they work, and show the host's root as nobody
	run "$CONTAINER" -U --net none sh -c \
		'echo x >/dev/null && head -c 5 /dev/zero | wc -c && stat -c "%u %a" /dev/null'
	assert_success
	assert_output "$(printf '%s\n' 5 "65534 $(stat -c %a /dev/null)")"
	run "$CONTAINER" --net none --rootfs "$copy" sh -c \
		"[ -e /$TOKEN ] && mknod /null-$TOKEN c 1 3 && stat -c '%t:%T' /null-$TOKEN"
	assert_success
	assert_output "1:3"
	stage06=$CELL_TOP/06-cgroups/${CELL_BINARY:-container}
	[ -x "$stage06" ] || skip "06-cgroups is not built: its half not tried"
	run "$stage06" --net none --rootfs "$copy" sh -c \
		"[ -e /$TOKEN ] && mknod /null-$TOKEN c 1 3 && stat -c '%t:%T' /null-$TOKEN"
	assert_success
	assert_output "1:3"
}

# points: 1
# requires: -U: the container's PID 1 runs as the default range's first uid on the host
@test "a malformed cell line, or one in a single file, gives 125 and leaves nothing" {
	make_etc "cell:0:65536" "cell:0:65536"
	run "${with_etc[@]}" "$CONTAINER" -U true
	assert_failure 125
	assert_output "$prog: /etc/subuid: \"cell:0:65536\" is not cell:FIRST:COUNT with FIRST > 0 and FIRST + COUNT <= 4294967295"
	make_etc "cell:$((RANDOM + 700000000)):65536" ""
	run "${with_etc[@]}" "$CONTAINER" -U true
	assert_failure 125
	assert_output "$prog: /etc/subuid and /etc/subgid: only /etc/subuid has a cell line (add one to the other, or remove it)"
}

# points: 1
# requires: -U: the container's PID 1 runs as the default range's first uid on the host
@test "--help documents -U, its default range and why" {
	run "$CONTAINER" --help
	assert_success
	assert_line --regexp '^ +-U, --userns +'
	assert_output --partial "$DEFAULT_BASE"
	assert_output --partial "SUB_UID_MIN"
}

# points: 1
@test "what earlier stages showed still holds, with -U too: no escape, the network" {
	assert_earlier_stages_hold
	assert_pivot_net_cgroups_hold -U
}

# points: 1
# requires: -U: the container's PID 1 runs as the default range's first uid on the host
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

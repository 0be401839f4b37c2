#!/usr/bin/env bats
# make clean-host (labs/clean-host.sh): what containers killed with kill -9
# left on the host goes, and only that. Cell names what it makes after the
# container's id, 8 hex digits (/run/cell/<id>, the link cell<id>, the
# cgroup cell/<id> at the top of each hierarchy); things of the host's whose
# names merely look alike stay. The subnet lock /run/cell/net.lock goes
# unless a tool holds it. Stages 05, 06 and 09 are killed at every step of
# their setup in turn, and after clean-host the host is as before.
#
# This file tests the kit, not a stage: it is left out of the student tree.

load helper

# what cell_setup checks is built: stage 05, the first that makes a link
CONTAINER=$(echo "$CELL_TOP"/05-*/container)

setup() {
	cell_setup
	need_rootfs
}

teardown() {
	# what a failed test left: its links (a veth pair goes with either
	# end), its cgroups, a container
	for link in ${links[@]:-}; do
		ip link delete "$link" 2>/dev/null || true
	done
	remove_cgroups
	[ -z "${tool:-}" ] || { kill -KILL "$tool" 2>/dev/null; wait "$tool"; } || true
	[ -z "${holder:-}" ] || { kill $(children_of "$holder") "$holder"; wait "$holder"; } || true
	cell_teardown
}

# The cgroup hierarchies of the host, one mount point a line: v1 ones (a
# name= one such as systemd's included) and the v2 tree.
hierarchies() {
	awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' \
		/proc/self/mountinfo | sort -u
}

# mkdir -p for a cgroup, which notes each directory it makes in cgroups:
# remove_cgroups removes those, deepest first, and nothing that was there
# before (a cell of a container running meanwhile, say).
make_cgroup() { # PATH
	if [ ! -d "$1" ]; then
		make_cgroup "$(dirname "$1")"
		mkdir "$1"
		cgroups+=("$1")
	fi
}
remove_cgroups() {
	local i
	for ((i = ${#cgroups[@]} - 1; i >= 0; i--)); do
		[ ! -d "${cgroups[i]}" ] || rmdir "${cgroups[i]}" || true
	done
	cgroups=()
}

# A random id as Cell makes them: 8 hex digits.
rand_id() {
	tr -dc '0-9a-f' </dev/urandom | head -c 8
}

@test "clean-host removes what has Cell's names and keeps what only looks alike" {
	mapfile -t tops < <(hierarchies)
	[ ${#tops[@]} -gt 0 ] || skip "no cgroup file system is mounted"
	top=${tops[0]} other=${tops[-1]}
	hex9=$(tr -dc '0-9a-f' </dev/urandom | head -c 9)
	id=$(rand_id) sub=$(rand_token 6)
	# look-alikes: links whose names start like a host end's, and cgroups
	# with "cell" in their paths but not as <hierarchy>/cell/<id>
	keep_links=(cellular0 "cell$hex9")
	keep_cgroups=("$top/cellar" "$other/notcell-$sub/x" "$top/x-$sub/cell/$id" "$other/cell/not-an-id")
	# and what a killed container leaves: these go
	gone_links=("cell$id")
	gone_cgroups=("$top/cell/$id" "$top/cell/$id/made-inside")
	links=(cellular0 "cell$id") cgroups=()
	# (a cell there before the test, a running container's, stays)
	[ -d "$top/cell" ] && top_cell=old || top_cell=new
	ip link add cellular0 type veth peer name "cell$hex9"
	ip link add "cell$id" type veth peer name "x$id"
	for cg in "${keep_cgroups[@]}" "${gone_cgroups[@]}"; do
		make_cgroup "$cg"
	done
	mkdir -p "/run/cell/$id/upper"

	run bash "$CELL_TOP/labs/clean-host.sh"
	assert_success
	assert_line "clean-host: removing /run/cell/$id"
	for link in "${keep_links[@]}"; do
		ip link show "$link" >/dev/null || fail "link $link was deleted"
	done
	for link in "${gone_links[@]}"; do
		run ip link show "$link"
		assert_failure
	done
	for cg in "${keep_cgroups[@]}"; do
		[ -d "$cg" ] || fail "cgroup $cg was removed"
	done
	for cg in "${gone_cgroups[@]}"; do
		[ ! -e "$cg" ] || fail "cgroup $cg is still there"
	done
	[ ! -e "/run/cell/$id" ]
	# a cell left empty goes; one that holds something else stays
	if [ "$other" != "$top" ] && [ "$top_cell" = new ]; then
		[ ! -e "$top/cell" ] || fail "$top/cell, empty, is still there"
	fi
	[ -d "$other/cell" ]

	ip link delete cellular0
	remove_cgroups
	links=()
}

@test "clean-host keeps /run/cell/net.lock while a tool holds it, and removes it after" {
	lock=/run/cell/net.lock
	[ ! -e "$lock" ] || fail "$lock exists before the test"
	mkdir -p /run/cell
	# a tool choosing its subnet, as flock(1) holds it
	flock "$lock" sleep 30 3>&- &
	holder=$!
	wait_until test -e "/proc/$holder/fd" -a -e "$lock"
	wait_until eval "[ -n \"\$(children_of $holder)\" ]"
	run bash "$CELL_TOP/labs/clean-host.sh"
	assert_success
	assert_line "clean-host: keeping $lock: a container is choosing its subnet"
	[ -e "$lock" ]
	kill "$holder" $(children_of "$holder")
	wait "$holder" || true
	holder=
	run bash "$CELL_TOP/labs/clean-host.sh"
	assert_line "clean-host: removed $lock"
	[ ! -e "$lock" ]
}

# Start the tool with -v and the given options, its command a sleep, and
# kill it with SIGKILL as soon as its trace has N lines (0: at once): one
# point of its setup. Its stderr is a pipe read here, so the kill follows
# the step's line within a moment. Sets last (the trace's last line read
# before the kill), and written (how many lines it wrote in all; not lines,
# which bats's run sets).
kill_after_line() { # N PROGRAM [OPTION...]
	local n=$1 fifo=$BATS_TEST_TMPDIR/trace.fifo line rw rd
	shift
	rm -f "$fifo"
	mkfifo "$fifo"
	# held open for reading and writing while the tool starts, the pipe
	# lets it open its end at once; then only the tool's end stays, and
	# end of file means that the tool and the container are gone
	exec {rw}<>"$fifo"
	"$@" -v sh -c 'sleep 30' 2>"$fifo" >/dev/null 3>&- &
	tool=$!
	exec {rd}<"$fifo" {rw}>&-
	last='' written=0
	[ "$n" -gt 0 ] || kill -KILL "$tool"
	while IFS= read -r -u "$rd" line; do
		written=$((written + 1))
		[ "$written" -gt "$n" ] && continue
		last=$line
		[ "$written" -lt "$n" ] || kill -KILL "$tool" 2>/dev/null || true
	done
	exec {rd}<&-
	# (the shell's word on a job killed goes with wait's stderr)
	{ wait "$tool"; } 2>/dev/null || true
	tool=
}

# Whether no container is left: no overlay of one in any process's mount
# table, no process in a cgroup cell/<id>.
no_container_left() {
	! grep -qs 'upperdir=/run/cell/' /proc/[0-9]*/mountinfo &&
		! cat /sys/fs/cgroup/cell/*/cgroup.procs /sys/fs/cgroup/*/cell/*/cgroup.procs \
			2>/dev/null | grep -q .
}

# Whether the host is as it was before the test (the helper's snapshot).
host_as_before() {
	host_snapshot >"$BATS_TEST_TMPDIR/host.now"
	cmp -s "$BATS_TEST_TMPDIR/host.before" "$BATS_TEST_TMPDIR/host.now"
}

# Kill the tool at every point of its setup in turn, from its start to its
# exec of the command; after each kill, once the container is gone,
# clean-host leaves the host as it was.
assert_kills_leave_nothing() { # PROGRAM [OPTION...]
	local n
	for ((n = 0; ; n++)); do
		kill_after_line "$n" "$@"
		wait_long no_container_left || fail "a container outlived its tool killed after: $last"
		run bash "$CELL_TOP/labs/clean-host.sh"
		assert_success
		wait_tenths 30 host_as_before || {
			diff "$BATS_TEST_TMPDIR/host.before" "$BATS_TEST_TMPDIR/host.now" >&2
			fail "left on the host after a kill -9 at line $n ($last) and clean-host"
		}
		# the last point: the exec's line, or a tool that ended before
		if [ "$n" -gt 0 ] && { [[ $last == "=> exec "* ]] || [ "$written" -lt "$n" ]; }; then
			break
		fi
		[ "$n" -lt 60 ] || fail "no exec in the trace after 60 lines"
	done
	stage=${1%/*}
	echo "# ${stage##*/}: killed at $((n + 1)) points, the last after: $last" >&3
}

@test "after kill -9 of stage 05 at any step of its setup, clean-host leaves nothing" {
	assert_kills_leave_nothing "$CONTAINER"
}

@test "after kill -9 of stage 06 at any step of its setup, clean-host leaves nothing" {
	assert_kills_leave_nothing "$CELL_TOP"/06-*/container --memory 64m --pids-limit 50
}

@test "after kill -9 of stage 09 at any step of its setup, clean-host leaves nothing" {
	assert_kills_leave_nothing "$CELL_TOP"/09-*/container --memory 64m
}

@test "clean-host removes stage 10's containers whose process is gone, and keeps the live ones" {
	local runc=$CELL_TOP/10-full-runtime/cell-runc dead live
	[ -x "$runc" ] || fail "$runc is not built: run make first"
	bundle=$BATS_TEST_TMPDIR/bundle
	mkdir "$bundle"
	(cd "$bundle" && "$runc" spec)
	jq '.process.args = ["sleep", "60"]' "$bundle/config.json" >"$bundle/c"
	mv "$bundle/c" "$bundle/config.json"
	dead=d$(rand_token 8) live=l$(rand_token 8)
	"$runc" run -d --bundle "$bundle" "$dead" </dev/null
	"$runc" run -d --bundle "$bundle" "$live" </dev/null
	# the client of $dead is killed, and its container with it: the record
	# and the cgroups stay behind
	pid=$("$runc" state "$dead" | jq .pid)
	kill -KILL "$pid"
	wait_until bash -c "'$runc' state $dead | grep -q '\"stopped\"'"
	run bash "$CELL_TOP/labs/clean-host.sh"
	assert_success
	assert_output --partial "removing /run/cell/runc/$dead"
	[ ! -e "/run/cell/runc/$dead" ]
	[ -z "$(find /sys/fs/cgroup -path "*/cell/runc/$dead")" ]
	# the live one is untouched, and still works
	assert_equal "$("$runc" state "$live" | jq -r .status)" running
	[ -n "$(find /sys/fs/cgroup -path "*/cell/runc/$live")" ]
	"$runc" delete --force "$live"
}

@test "clean-host removes cell's bridge and nftables table that no container uses, and keeps what only looks alike" {
	command -v nft >/dev/null || fail "nft is missing: run make deps"
	ip link show cell0 >/dev/null 2>&1 && skip "cell0 is in use on this host"
	# what a kill -9 between a container's last step and its network's
	# removal leaves, beside a bridge and a table that are not cell's
	ip link add cell0 type bridge
	ip link add cellbr0 type bridge
	nft add table ip cell
	nft add table ip cellx
	run bash "$CELL_TOP/labs/clean-host.sh"
	ip link delete cellbr0 2>/dev/null || fail "cellbr0 was removed"
	nft delete table ip cellx 2>/dev/null || fail "the table ip cellx was removed"
	assert_success
	assert_output --partial "deleted bridge cell0"
	assert_output --partial "deleted nftables table ip cell"
	! ip link show cell0 2>/dev/null
	! nft list table ip cell 2>/dev/null
}

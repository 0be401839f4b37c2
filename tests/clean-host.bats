#!/usr/bin/env bats
# make clean-host (labs/clean-host.sh): what containers killed with kill -9
# left on the host goes, and only that. Cell names all it makes after the
# container's id, 8 hex digits (/run/cell/<id>, the link cell<id>, the
# cgroup cell/<id> at the top of each hierarchy); things of the host's whose
# names merely look alike stay.
#
# This file tests the kit, not a stage: it is left out of the student tree.

load helper

# what cell_setup checks is built: stage 05, the first that makes a link
CONTAINER=$(echo "$CELL_TOP"/05-*/container)

setup() {
	cell_setup
	[ -x "$ROOTFS/bin/busybox" ] || fail "no root file system at $ROOTFS: run make rootfs"
}

teardown() {
	local cg
	# what a failed test left: its links (a veth pair goes with either
	# end), its cgroups deepest first, a container
	for link in ${links[@]:-}; do
		ip link delete "$link" 2>/dev/null || true
	done
	for cg in ${cgroups[@]:-}; do
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	[ -z "${tool:-}" ] || { kill -KILL "$tool" 2>/dev/null; wait "$tool"; } || true
	cell_teardown
}

# The cgroup hierarchies of the host, one mount point a line: v1 ones (a
# name= one such as systemd's included) and the v2 tree.
hierarchies() {
	awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' \
		/proc/self/mountinfo | sort -u
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
	links=(cellular0 "cell$id") cgroups=("$top/cellar" "$other/notcell-$sub" "$top/x-$sub" "$top/cell" "$other/cell")
	ip link add cellular0 type veth peer name "cell$hex9"
	ip link add "cell$id" type veth peer name "x$id"
	for cg in "${keep_cgroups[@]}" "${gone_cgroups[@]}"; do
		mkdir -p "$cg"
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
	# a cell that holds no container's cgroup goes; one that holds
	# something else stays
	if [ "$other" != "$top" ]; then
		[ ! -e "$top/cell" ] || fail "$top/cell, empty, is still there"
	fi
	[ -d "$other/cell" ]

	ip link delete cellular0
	for cg in "${cgroups[@]}"; do
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	links=() cgroups=()
}

#!/usr/bin/env bash
# Removes what a container that was killed (kill -9 of the tool, a crash, a
# power cut) left on the host. Everything Cell creates carries the "cell"
# prefix and the container's id (state /run/cell/<id>, link cell<id>,
# cgroups cell/<id>), so nothing else is touched, and nothing that belongs to
# a container still running. It says what it removes.
set -u
[ "$(id -u)" -eq 0 ] || { echo "clean-host: run it with sudo" >&2; exit 1; }

# The ids of running containers. A running container's root is an overlay on
# its state directory, and that mount shows in the mount tables of its
# processes: the kernel, not a file that could be stale, says it is alive.
# The id is in the upper layer's path (<state>/<id>/upper), or with --upper
# DIR in the work directory's (.cell-work-<id>); a rootless container's
# state is in /tmp/cell-UID or /run/user/UID/cell instead of /run/cell.
running=$(cat /proc/[0-9]*/mountinfo 2>/dev/null |
	grep -oE 'upperdir=[^ ,]*/[0-9a-f]{8}/upper\b|workdir=[^ ,]*/\.cell-work-[0-9a-f]{8}\b' |
	grep -oE '[0-9a-f]{8}(/upper)?$' | cut -c1-8 | sort -u)
is_running() { # ID
	[ -n "$1" ] && grep -qx "$1" <<<"$running"
}

# Network links named cell<id>... (the host end of a veth pair).
ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep '^cell' |
	while read -r link; do
		id=$(grep -oE '^cell[0-9a-f]{8}' <<<"$link" | cut -c5-)
		if is_running "$id"; then
			echo "clean-host: keeping link $link: its container is running"
			continue
		fi
		echo "clean-host: deleting link $link"
		ip link delete "$link"
	done

# cgroups named cell, deepest first (rmdir removes only empty ones).
find /sys/fs/cgroup -depth -mindepth 1 -type d -path '*/cell*' 2>/dev/null |
	while read -r cg; do
		if is_running "$(basename "$cg")"; then
			echo "clean-host: keeping cgroup $cg: its container is running"
			continue
		fi
		# a parent still holding a running container's cgroup stays
		rmdir "$cg" 2>/dev/null && echo "clean-host: removed cgroup $cg"
	done

# The state roots: root's, and rootless users' (07). /tmp is open to all, so
# a root there counts only as a real directory (no link) of the uid in its
# name; find, below, follows no link either.
state_roots() {
	local root
	for root in /run/cell /tmp/cell-[0-9]* /run/user/*/cell; do
		[ -d "$root" ] && [ ! -L "$root" ] || continue
		case $root in
		/tmp/*) [ "$(stat -c %u "$root")" = "${root#/tmp/cell-}" ] || continue ;;
		esac
		echo "$root"
	done
}

state_roots | while read -r root; do
	find "$root" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{8}' | while read -r state; do
		if is_running "${state##*/}"; then
			echo "clean-host: keeping $state: its container is running"
			continue
		fi
		echo "clean-host: removing $state"
		rm -rf --one-file-system "$state"
	done
	# a rootless user's state root goes with its last container
	[ "$root" = /run/cell ] || { rmdir "$root" 2>/dev/null && echo "clean-host: removed $root"; }
done
exit 0

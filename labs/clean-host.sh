#!/usr/bin/env bash
# Removes what a container that was killed (kill -9 of the tool, a crash, a
# power cut) left on the host: what is named after its id, 8 hex digits (the
# state directory /run/cell/<id>, the link cell<id>, the cgroup cell/<id> at
# the top of each cgroup hierarchy), and the lock file /run/cell/net.lock
# when no tool holds it. Only names of exactly that form are touched (not a
# link cellular0, nor a cgroup cellar or x/cell), and nothing that belongs to
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

# Network links named cell<id> (the host end of a veth pair).
ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
	grep -E '^cell[0-9a-f]{8}$' | while read -r link; do
		id=${link#cell}
		if is_running "$id"; then
			echo "clean-host: keeping link $link: its container is running"
			continue
		fi
		echo "clean-host: deleting link $link"
		ip link delete "$link"
	done

# The cgroup hierarchies: every cgroup (v1) and cgroup2 file system mounted
# on the host, each once.
hierarchies() {
	awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' \
		/proc/self/mountinfo | sort -u
}

# In each hierarchy, the cgroups <hierarchy>/cell/<id>, with whatever the
# container made below them, deepest first (rmdir(2) removes an empty cgroup
# only); then <hierarchy>/cell itself, if that left it empty.
hierarchies | while read -r top; do
	[ -d "$top/cell" ] || continue
	find "$top/cell" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
		-regex '.*/[0-9a-f]{8}' | while read -r cg; do
		if is_running "${cg##*/}"; then
			echo "clean-host: keeping cgroup $cg: its container is running"
			continue
		fi
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null &&
			echo "clean-host: removed cgroup $cg"
	done
	# a cell still holding a running container's cgroup stays
	rmdir "$top/cell" 2>/dev/null && echo "clean-host: removed cgroup $top/cell"
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

# /run/cell/net.lock, the flock(2) a tool holds from choosing its subnet
# until its host end is up (05 on). The tool removes the file on release; a
# tool killed meanwhile leaves the file, though not the lock, which went
# with its open file. Removing a lock file that another tool holds, or waits
# for, would let a third take a new one beside it: so this goes as a tool's
# own release does. The lock is taken without waiting (held: a container is
# choosing its subnet right now, and the file stays); then the path must
# still name the file locked (else a tool released it meanwhile, and another
# may hold the one there now); then the file is removed while still locked.
# A tool that was waiting for it then finds its file gone, and starts again
# on a new one (lock_net() in 05-net-veth/container.c).
lock=/run/cell/net.lock
if [ -f "$lock" ] && { exec {fd}<"$lock"; } 2>/dev/null; then
	if ! flock -n "$fd"; then
		echo "clean-host: keeping $lock: a container is choosing its subnet"
	elif [ "$(stat -L -c %d:%i "/proc/$$/fd/$fd")" = "$(stat -c %d:%i "$lock" 2>/dev/null)" ]; then
		rm -f "$lock" && echo "clean-host: removed $lock"
	fi
	exec {fd}<&-
fi
exit 0

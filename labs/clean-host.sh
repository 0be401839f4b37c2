#!/usr/bin/env bash
# Removes what a container that was killed (kill -9 of the tool, a crash, a
# power cut) left on the host: what is named after its id, 8 hex digits (the
# state directory /run/cell/<id>, the link cell<id>, the cgroup cell/<id> at
# the top of each cgroup hierarchy), the lock file /run/cell/net.lock when
# no tool holds it, and stage 10's containers whose process is gone
# (/run/cell/runc/<id> and the cgroups cell/runc/<id>; the people's cell's,
# whose monitor is gone, settled by cell itself; its bridges cell0 and
# those of its networks, and its nftables table ip cell, once no container
# uses them), and the temporary directories of stage 10's image store
# whose process is gone (/var/lib/cell/layers/.tmp-<pid>-<8 hex>). Only
# names of exactly that form are touched (not a link cellular0, nor a
# cgroup cellar or x/cell), and nothing that belongs to a container still
# running. It says what it removes.
#
# Exit status: 0 when all of it is gone, 1 when something could not be
# removed (it says what).
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr. Here one thing that will not go
# must not keep the rest: each removal is checked where it runs.
set -euo pipefail
die() { echo "clean-host: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run it with sudo"
status=0
# Something that should have gone did not: say so, go on, and end with 1.
failed() { echo "clean-host: $*" >&2; status=1; }

# The ids of running containers. A running container's root is an overlay on
# its state directory, and that mount shows in the mount tables of its
# processes: the kernel, not a file that could be stale, says it is alive.
# The id is in the upper layer's path (<state>/<id>/upper), or with --upper
# DIR in the work directory's (.cell-work-<id>); a rootless container's
# state is in /tmp/cell-UID or /run/user/UID/cell instead of /run/cell.
# (A process may end while cat reads: no matter.)
running=$({ cat /proc/[0-9]*/mountinfo 2>/dev/null || true; } |
	{ grep -oE 'upperdir=[^ ,]*/[0-9a-f]{8}/upper\b|workdir=[^ ,]*/\.cell-work-[0-9a-f]{8}\b' || true; } |
	{ grep -oE '[0-9a-f]{8}(/upper)?$' || true; } | cut -c1-8 | sort -u)
is_running() { # ID
	[ -n "$1" ] && grep -qx "$1" <<<"$running"
}

# Network links named cell<id> (the host end of a veth pair). A link the
# kernel took away meanwhile, with its container's network namespace, is
# no failure.
links=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
for link in $links; do
	[[ $link =~ ^cell[0-9a-f]{8}$ ]] || continue
	if is_running "${link#cell}"; then
		echo "clean-host: keeping link $link: its container is running"
	elif ip link delete "$link" 2>/dev/null; then
		echo "clean-host: deleted link $link"
	elif ip link show "$link" >/dev/null 2>&1; then
		failed "cannot delete link $link"
	fi
done

# The cgroup hierarchies: every cgroup (v1) and cgroup2 file system mounted
# on the host, each once.
hierarchies() {
	awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' \
		/proc/self/mountinfo | sort -u
}

# Stage 10's runtime (cell-runc): a container is /run/cell/runc/<id>, whose
# state.json names its init's pid and that process's start time, and its
# cgroups (cell/runc/<id> unless its client chose another path, which then
# is the client's). One whose init is gone, or whose pid a new process took,
# was left by a client that was killed: its record and its cgroups go. One
# whose init lives is kept, created or running.
start_time_of() { # PID
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	set -- $stat
	[ "$1" = Z ] || echo "${20}"
}
for state in /run/cell/runc/*/; do
	[ -f "$state/state.json" ] || continue
	state=${state%/}
	pid=$(jq -r .pid "$state/state.json") start=$(jq -r .start_time "$state/state.json")
	if [ "$pid" -gt 0 ] && [ "$(start_time_of "$pid")" = "$start" ]; then
		echo "clean-host: keeping $state: its container's process $pid lives"
		continue
	fi
	path=$(jq -r .cgroup_path "$state/state.json")
	if [[ $path == /cell/runc/* ]]; then
		for cg in /sys/fs/cgroup/*"$path" /sys/fs/cgroup"$path"; do
			[ -d "$cg" ] || continue
			if find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; then
				echo "clean-host: removed cgroup $cg"
			else
				failed "cannot remove cgroup $cg (is a process still in it?)"
			fi
		done
	fi
	echo "clean-host: removing $state"
	rm -rf --one-file-system "$state" || failed "cannot remove all of $state"
done
rmdir /run/cell/runc 2>/dev/null && echo "clean-host: removed /run/cell/runc"

# The people's cell (stage 10) keeps its containers in a store, and a
# container runs on after the command that started it: only one whose
# monitor was killed is left behind. Any cell command settles those (stops
# what is left of them, frees their cgroups cell/ctr/<id> and their
# /run/cell/core and /run/cell/containers entries); `cell ps -a` is the
# one that changes nothing else.
cell=$(dirname "$0")/../10-full-runtime/cell
if [ -x "$cell" ] && [ -e /var/lib/cell/cell.db ]; then
	"$cell" ps -a >/dev/null || failed "cell ps -a could not settle the people's containers"
fi

# The people's cell's networks: the bridge cell0 (the default network's)
# and those of the networks in its store (cell1, cell2...: `cell network
# ls`), each while no container's veth is a port of it; then cell's
# nftables table (ip cell: published ports, the walls between networks)
# once none of those bridges is left. Settling (above) removes them when a
# monitor was killed; a kill -9 between a container's last step and the
# bridge's removal leaves them.
# The set natnets of that table (the subnets of --nat networks) goes with
# it, and a bridge's alias (the store that owns it) with the bridge.
# net.ipv4.ip_forward is not touched here: a --nat network outlives its
# containers and needs it; `cell network rm` of the last one gives back the
# value the store recorded (sqlite3 /var/lib/cell/cell.db 'SELECT * FROM
# host' shows it).
bridges=cell0
if [ -x "$cell" ] && [ -e /var/lib/cell/cell.db ]; then
	bridges+=" $("$cell" network ls --format json | jq -r '.[].Bridge' | grep -xE 'cell[0-9]+' | tr '\n' ' ')" ||
		failed "cell network ls could not list the networks"
fi
left=false
for bridge in $bridges; do
	ip link show "$bridge" >/dev/null 2>&1 || continue
	if [ -n "$(ip -o link show master "$bridge")" ]; then
		echo "clean-host: keeping bridge $bridge: a container is on it"
		left=true
	elif ip link delete "$bridge" type bridge 2>/dev/null; then
		echo "clean-host: deleted bridge $bridge"
	else
		failed "cannot delete bridge $bridge"
		left=true
	fi
done
if ! $left && command -v nft >/dev/null && nft list table ip cell >/dev/null 2>&1; then
	if nft delete table ip cell; then
		echo "clean-host: deleted nftables table ip cell"
	else
		failed "cannot delete nftables table ip cell"
	fi
fi

# Stage 10's image store: an import, commit, pull, load or save works in
# /var/lib/cell/layers/.tmp-<pid>-<8 hex digits> and removes it when it
# ends, also on Ctrl-C; one whose process was killed leaves it behind.
# One whose process lives is at work. The layers themselves
# (/var/lib/cell/layers/<64 hex digits>) are images' and stay.
for work in /var/lib/cell/layers/.tmp-*; do
	[[ ${work##*/} =~ ^\.tmp-([0-9]+)-[0-9a-f]{8}$ ]] && [ -d "$work" ] && [ ! -L "$work" ] || continue
	if [ -d "/proc/${BASH_REMATCH[1]}" ]; then
		echo "clean-host: keeping $work: process ${BASH_REMATCH[1]} works in it"
		continue
	fi
	echo "clean-host: removing $work"
	rm -rf --one-file-system "$work" || failed "cannot remove all of $work"
done

# In each hierarchy, the cgroups <hierarchy>/cell/<id>, with whatever the
# container made below them, deepest first (rmdir(2) removes an empty cgroup
# only); then <hierarchy>/cell/runc and cell/ctr (stage 10's) and <hierarchy>/cell
# itself, if that left them empty (another container's cgroup, or anything
# else in them, keeps them).
while read -r top; do
	[ -d "$top/cell" ] || continue
	for own in runc ctr; do
		if [ -d "$top/cell/$own" ] && rmdir "$top/cell/$own" 2>/dev/null; then
			echo "clean-host: removed cgroup $top/cell/$own"
		fi
	done
	while read -r cg; do
		if is_running "${cg##*/}"; then
			echo "clean-host: keeping cgroup $cg: its container is running"
		elif find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; then
			echo "clean-host: removed cgroup $cg"
		else
			failed "cannot remove cgroup $cg (is a process still in it?)"
		fi
	done < <(find "$top/cell" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
		-regex '.*/[0-9a-f]{8}')
	if rmdir "$top/cell" 2>/dev/null; then
		echo "clean-host: removed cgroup $top/cell"
	fi
done < <(hierarchies)

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

while read -r root; do
	while read -r state; do
		if is_running "${state##*/}"; then
			echo "clean-host: keeping $state: its container is running"
			continue
		fi
		echo "clean-host: removing $state"
		rm -rf --one-file-system "$state" || failed "cannot remove all of $state"
	done < <(find "$root" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
		-regex '.*/[0-9a-f]{8}')
	# a rootless user's state root goes with its last container
	if [ "$root" != /run/cell ] && rmdir "$root" 2>/dev/null; then
		echo "clean-host: removed $root"
	fi
done < <(state_roots)

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
		if rm -f "$lock"; then
			echo "clean-host: removed $lock"
		else
			failed "cannot remove $lock"
		fi
	fi
	exec {fd}<&-
fi
exit "$status"

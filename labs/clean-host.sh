#!/usr/bin/env bash
# Removes what a container that was killed (kill -9 of the tool, a crash, a
# power cut) left on the host. Everything Cell creates carries the "cell"
# prefix, so nothing else is touched. It says what it removes.
set -u
[ "$(id -u)" -eq 0 ] || { echo "clean-host: run it with sudo" >&2; exit 1; }

# Container processes first: while they live, their cgroups and mounts stay.
# Later stages add the ways to find them here.

# Mounts under /run/cell, deepest first.
grep -E ' /run/cell(/| )' /proc/self/mountinfo | awk '{print $5}' | sort -r |
	while read -r m; do
		echo "clean-host: unmounting $m"
		umount -l "$m"
	done

# Network links named cell*.
ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep '^cell' |
	while read -r link; do
		echo "clean-host: deleting link $link"
		ip link delete "$link"
	done

# cgroups named cell, deepest first (rmdir only removes empty ones).
find /sys/fs/cgroup -depth -mindepth 1 -type d -path '*/cell*' 2>/dev/null |
	while read -r cg; do
		echo "clean-host: removing cgroup $cg"
		rmdir "$cg"
	done

# State directories.
if [ -d /run/cell ]; then
	echo "clean-host: removing /run/cell"
	rm -rf --one-file-system /run/cell
fi
exit 0

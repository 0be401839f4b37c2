#!/bin/bash
# rootfs.sh - build the default root filesystem that every stage and test uses.
#
#   labs/rootfs.sh [--force] OUTDIR BUSYBOX BINDIR
#   labs/rootfs.sh --hash DIR
#
# The first form (re)creates OUTDIR from a static busybox and the static workload
# programs in BINDIR (labs/bin), offline, and ends with one line:
#   rootfs OUTDIR: N files, tree sha256 HASH
# N counts every entry below OUTDIR (files, directories, symlinks). Building twice from
# the same inputs gives the same HASH: names, modes, owners and times are all fixed.
#
# The second form prints only the HASH of an existing tree, e.g. to check that a
# container left its read-only image untouched.
#
# OUTDIR is deleted first. To keep one wrong argument from deleting something else,
# OUTDIR must lie below the labs/ directory (or --force must be given), and even with
# --force it may not be /, a top-level directory such as /tmp, a directory that contains
# labs/, BUSYBOX or BINDIR, or have anything mounted below it.
#
# SOURCE_DATE_EPOCH (default 0) is the time stamp given to every file
# (https://reproducible-builds.org/specs/source-date-epoch/).
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail

# Sorting and globbing must not depend on the caller's language settings.
export LC_ALL=C

LABS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
EPOCH=${SOURCE_DATE_EPOCH:-0}

die() {
	echo "rootfs.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: rootfs.sh [--force] OUTDIR BUSYBOX BINDIR" >&2
	echo "       rootfs.sh --hash DIR" >&2
	exit 2
}

# The hash of a tree: one line per entry with its path, type, mode, owner, size, mtime
# and symlink target, then the sha256 of every regular file's contents. A directory's
# size is left out: it depends on the filesystem and its history, not on what it holds.
tree_hash() {
	(
		cd "$1"
		find . -type d -printf '%p\t%y\t%m\t%U:%G\t-\t%T@\n' \
			-o -printf '%p\t%y\t%m\t%U:%G\t%s\t%T@\t%l\n' | sort
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum
	) | sha256sum | cut -d' ' -f1
}

# Entries below DIR; counted with one byte per entry so odd names cannot miscount.
count_entries() {
	find "$1" -mindepth 1 -printf x | wc -c
}

# A dynamically linked program would fail inside the rootfs, which has no libraries.
# readelf (binutils) may be missing; then trust the caller.
check_static() {
	if command -v readelf >/dev/null && readelf -l "$1" 2>/dev/null | grep -q INTERP; then
		die "$1 is dynamically linked; the rootfs has no libraries (use a static build)"
	fi
}

# Refuse an OUTDIR whose deletion could hurt; see the header for the rules.
check_outdir() {
	local out=$1 force=$2 busybox=$3 bindir=$4

	[[ $out == / ]] && die "refusing to use / as OUTDIR"
	[[ $out == /*/* ]] || die "refusing to replace the top-level directory $out"
	if [[ $LABS == "$out" || $LABS == "$out"/* ]]; then
		die "refusing to replace $out: it is or contains $LABS"
	fi
	if [[ $busybox == "$out"/* || $bindir == "$out" || $bindir == "$out"/* ]]; then
		die "refusing to replace $out: it holds the inputs BUSYBOX or BINDIR"
	fi
	if ((!force)) && [[ $out != "$LABS"/* ]]; then
		die "$out is not below $LABS (add --force to build it there anyway)"
	fi
	# Deleting a tree with a live mount in it would delete the mounted files too.
	if awk -v d="$out" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' \
		/proc/self/mountinfo; then
		die "something is mounted on or below $out; unmount it first"
	fi
}

build() {
	local out=$1 busybox=$2 bindir=$3 applet link n=0 f

	[[ -f $busybox && -x $busybox ]] || die "$busybox: not an executable file"
	[[ -d $bindir ]] || die "$bindir: not a directory (run make -C labs/workloads first)"
	check_static "$busybox"

	# --one-file-system: a second guard, next to the mount check, against leaving the tree.
	rm -rf --one-file-system -- "$out"
	umask 022
	mkdir -p -- "$out"
	cd -- "$out"

	# The usual mount points; the stages mount proc, sysfs and a /dev of their own here.
	mkdir -p bin sbin usr/bin usr/sbin usr/local/bin etc proc sys dev tmp run root mnt home

	install -m 0755 -- "$busybox" bin/busybox

	# One symlink per applet, where busybox says it belongs (sbin/ip, usr/bin/env...).
	# Relative links, so the tree also works when inspected from the host. Explicit links
	# rather than "busybox --install": the result is visible in the recipe and sorted.
	while read -r applet; do
		[[ $applet == bin/busybox ]] && continue
		if [[ $applet == bin/* ]]; then
			link=busybox
		else
			link=bin/busybox
			f=$applet
			while [[ $f == */* ]]; do
				link=../$link
				f=${f#*/}
			done
		fi
		mkdir -p -- "$(dirname -- "$applet")"
		ln -s -- "$link" "$applet"
	done < <("$busybox" --list-full | sort)

	for f in "$bindir"/*; do
		[[ -f $f && -x $f ]] || continue
		check_static "$f"
		install -m 0755 -- "$f" usr/local/bin/
		n=$((n + 1))
	done
	((n > 0)) || die "$bindir holds no programs (run make -C labs/workloads first)"

	printf '%s\n' \
		'root:x:0:0:root:/root:/bin/sh' \
		'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >etc/passwd
	printf '%s\n' 'root:x:0:' 'tty:x:5:' 'nogroup:x:65534:' >etc/group
	printf '%s\n' cell >etc/hostname
	printf '%s\n' \
		'127.0.0.1	localhost' \
		'127.0.1.1	cell' \
		'::1	localhost ip6-localhost ip6-loopback' >etc/hosts
	# Read by login shells (sh -l), or by any interactive ash when ENV=/etc/profile.
	# The prompt names the host, so a student sees which UTS namespace a shell is in.
	cat >etc/profile <<-'EOF'
		export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		export PS1='\h:\w\$ '
	EOF

	# Fixed owners, modes and times, whatever the umask, the caller's uid or the clock.
	chown -hR 0:0 .
	find . -type d -exec chmod 0755 {} +
	chmod 0644 etc/passwd etc/group etc/hostname etc/hosts etc/profile
	chmod 1777 tmp
	chmod 0700 root
	# -h: set the time of the symlinks themselves, not of busybox through them. This runs
	# last: every file created in a directory changes that directory's mtime.
	find . -exec touch -h -d "@$EPOCH" {} +
}

main() {
	local force=0

	[[ $EPOCH =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH=\"$EPOCH\" is not a number of seconds"

	if [[ ${1-} == --hash ]]; then
		(($# == 2)) || usage
		[[ -d $2 ]] || die "$2: not a directory"
		tree_hash "$2"
		return
	fi
	if [[ ${1-} == --force ]]; then
		force=1
		shift
	fi
	(($# == 3)) || usage
	[[ -n $1 ]] || die "OUTDIR is empty"
	[[ -n $2 && -n $3 ]] || usage

	# Compare real paths: "labs/../.." or a symlink must not slip past the checks.
	local out busybox bindir
	out=$(realpath -m -- "$1")
	busybox=$(realpath -m -- "$2")
	bindir=$(realpath -m -- "$3")
	check_outdir "$out" "$force" "$busybox" "$bindir"

	(build "$out" "$busybox" "$bindir")
	echo "rootfs $1: $(count_entries "$out") files, tree sha256 $(tree_hash "$out")"
}

main "$@"

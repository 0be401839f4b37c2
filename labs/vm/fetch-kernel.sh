#!/usr/bin/env bash
# Fetches the kernel that the test VM boots: Debian's own, from the package
# that linux-image-amd64 currently points at. The .deb is unpacked into
# labs/cache/vm, never installed, so the host's /boot and /lib/modules stay
# as they are. Running it again does nothing until Debian moves
# linux-image-amd64 to a newer kernel.
#
#   labs/vm/fetch-kernel.sh
#
# Leaves labs/cache/vm/vmlinuz and labs/cache/vm/modules (links into the
# unpacked package) for initramfs.sh and run.sh.
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail
die() { echo "fetch-kernel: $*" >&2; exit 1; }
cd "$(dirname "$0")/../.."
mkdir -p labs/cache/vm
cd labs/cache/vm

# linux-image-amd64 is a meta package: the kernel itself is in the versioned
# package it depends on, e.g. linux-image-6.1.0-56-amd64.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: <\{0,1\}\(linux-image-[0-9][^>]*\)>\{0,1\}$/\1/p' | head -n 1)
[ -n "$pkg" ] || die "apt knows no linux-image-amd64 (is this Debian? try apt-get update)"
kver=${pkg#linux-image-}
dir=linux-$kver

if [ ! -f "$dir/boot/vmlinuz-$kver" ]; then
	echo "fetch-kernel: downloading $pkg (unpacked into labs/cache/vm/$dir, not installed)"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# As root, apt downloads as the _apt user: let it write there.
	chmod 755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true
	# Package lists older than the archive name a .deb that is gone: refresh
	# them once and try again.
	if ! (cd "$tmp" && apt-get download -qq "$pkg"); then
		echo "fetch-kernel: download failed; updating the package lists and retrying"
		apt-get update -qq
		(cd "$tmp" && apt-get download -qq "$pkg")
	fi
	deb=$(echo "$tmp"/"$pkg"_*.deb)
	rm -rf "$dir.part" "$dir"
	dpkg-deb -x "$deb" "$dir.part"
	mv "$dir.part" "$dir"
	echo "fetch-kernel: $(basename "$deb") unpacked"
else
	echo "fetch-kernel: $pkg already in labs/cache/vm/$dir"
fi

# Stable names for the other scripts. An older kernel, and the initramfs
# made from its modules, are no longer needed.
ln -sfn "$dir/boot/vmlinuz-$kver" vmlinuz
ln -sfn "$dir/lib/modules/$kver" modules
for old in linux-*/ initramfs-*.cpio; do
	case $old in
	"$dir/" | "initramfs-$kver.cpio" | "linux-*/" | "initramfs-*.cpio") ;;
	*) echo "fetch-kernel: removing the older $old"; rm -rf "$old" ;;
	esac
done

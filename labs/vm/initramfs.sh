#!/usr/bin/env bash
# Builds the test VM's initramfs: the static busybox that `make deps`
# fetched, the kernel modules the guest needs (taken from the unpacked
# Debian kernel, with whatever they depend on), and labs/vm/init.
#
#   labs/vm/initramfs.sh OUT.cpio
#
# Debian builds most drivers as modules, and the guest has no modprobe that
# could find them (its root is the host's, which has no /lib/modules for this
# kernel), so everything is loaded up front by init, in dependency order.
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail
die() { echo "initramfs: $*" >&2; exit 1; }
out=$(realpath -m "${1:?usage: labs/vm/initramfs.sh OUT.cpio}")
cd "$(dirname "$0")/../.."
busybox=labs/cache/busybox
moddir=labs/cache/vm/modules

# Why each module is there. virtio_pci, virtio_blk: the guest's devices;
# 9p, 9pnet_virtio: the host's tree; ext4, crc32c_generic: the scratch
# disk's file system (ext4 asks the crypto layer for crc32c by name, which
# only modprobe could resolve); overlay: stage 04; veth: stage 05; loop:
# 06's test of a partition given to an I/O limit; fuse: stage 10's rootless
# overlay where the kernel's refuses (fuse-overlayfs).
wanted=(virtio_pci virtio_blk 9pnet_virtio 9p ext4 crc32c_generic overlay veth loop fuse)

[ -x "$busybox" ] || die "no $busybox: run make deps"
[ -d "$moddir" ] || die "no kernel in labs/cache/vm: run labs/vm/fetch-kernel.sh"

tmp=$(mktemp -d) part=''
trap 'rm -rf "$tmp" "$part"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,lower,rw,newroot,lib/modules}

# Module names use "_" where file names may use "-": index by the former.
declare -A path
while read -r f; do
	n=${f##*/}
	n=${n%%.ko*}
	path[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*')
builtin=$(sed 's|.*/||; s|\.ko$||; s|-|_|g' "$moddir/modules.builtin")

# A module as the kernel loads it: Debian compresses them or not, depending
# on the release; busybox's insmod is given the plain file.
module() { # NAME
	case ${path[$1]} in
	*.xz) xz -dc "${path[$1]}" ;;
	*.zst) zstd -dcq "${path[$1]}" ;;
	*) cat "${path[$1]}" ;;
	esac
}
# What a module needs loaded first is in its .modinfo section, as one of
# several NUL-separated strings: "depends=a,b".
depends() { # NAME
	module "$1" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}

declare -A done_
order=()
add() { # NAME: its dependencies first, then itself
	local n=${1//-/_} d
	[ -z "${done_[$n]:-}" ] || return 0
	done_[$n]=1
	if grep -qx "$n" <<<"$builtin"; then return 0; fi
	[ -n "${path[$n]:-}" ] || die "no module $n in $moddir"
	for d in $(depends "$n"); do add "$d"; done
	order+=("$n")
}
for m in "${wanted[@]}"; do add "$m"; done

for n in "${order[@]}"; do module "$n" >"$root/lib/modules/$n.ko"; done
printf '%s\n' "${order[@]}" >"$root/lib/modules/load-order"

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
install -m 755 labs/vm/init "$root/init"

# newc is the cpio format the kernel unpacks; left uncompressed, since the
# emulated CPU would take longer to inflate it than qemu takes to load it.
bb=$(realpath "$busybox")
# Written next to its final name and renamed, so that a VM starting
# meanwhile never loads half of it.
part=$(mktemp "$out.XXXXXX")
(cd "$root" && find . | sort | "$bb" cpio -o -H newc 2>/dev/null) >"$part"
chmod 644 "$part"
mv "$part" "$out"
echo "initramfs: $(basename "$out") with busybox and ${#order[@]} modules: ${order[*]}"

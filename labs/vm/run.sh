#!/usr/bin/env bash
# Boots Debian's kernel under qemu (TCG) with a cgroup v2 hierarchy, runs the
# given stages' tests inside against the binaries built on the host, and
# prints their TAP output, which arrives over the VM's second serial port.
#
#   labs/vm/run.sh NN[:REGEX]...     the tests of these stages, or of these
#                                    test files (10-full-runtime), only those
#                                    whose names match REGEX when it is given
#                                    (bats --filter); TAP on stdout
#   labs/vm/run.sh --shell           a root shell in the VM instead (Ctrl-A x quits)
#
# Exit status: 0 when every test passed, 1 when one failed, 2 when the VM
# did not boot, did not finish in time (CELL_VM_TIMEOUT seconds; by default
# 15 minutes for each name given, 20 at least), or was interrupted.
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=$top/labs/cache/vm
limit=${CELL_VM_TIMEOUT:-$(($# * 900 > 1200 ? $# * 900 : 1200))}

say() { echo "# vm: $*"; }
die() { echo "vm: $*" >&2; exit 2; }

shell=false
[ "${1:-}" = --shell ] && { shell=true; shift; }
$shell || [ $# -gt 0 ] || die "usage: labs/vm/run.sh NN[:REGEX]... | --shell"
command -v qemu-system-x86_64 >/dev/null ||
	die "no qemu-system-x86_64: install the qemu-system-x86 package (make deps STAGE=06)"

# The kernel and the initramfs are made once and kept in labs/cache/vm, the
# initramfs again whenever what goes into it changed. It is named after the
# kernel whose modules it holds.
[ -e "$cache/vmlinuz" ] || "$top/labs/vm/fetch-kernel.sh" | sed 's/^/# /' ||
	die "could not fetch the kernel"
kver=$(readlink -f "$cache/vmlinuz")
kver=${kver##*vmlinuz-}
initrd=$cache/initramfs-$kver.cpio
for f in "$top"/labs/vm/{init,initramfs.sh} "$top/labs/cache/busybox"; do
	if [ ! "$initrd" -nt "$f" ]; then
		"$top/labs/vm/initramfs.sh" "$initrd" | sed 's/^/# /' ||
			die "could not build the initramfs"
		break
	fi
done

run=$(mktemp -d)
qpid='' tpid=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local p
	for p in $qpid $tpid; do
		{ kill "$p" && wait "$p"; } 2>/dev/null || true
	done
	[ ! -f "$run/console.log" ] || cp "$run/console.log" "$cache/console.log"
	rm -rf "$run"
}
trap cleanup EXIT
trap 'echo "vm: interrupted; the VM is stopped" >&2; exit 2' INT TERM HUP

# A scratch disk for the I/O-limit tests, new each run so that what one run
# wrote cannot disturb the next, ext4 so that a test may mount it; and swap,
# which memory+swap limits need to mean anything. Both files are sparse.
truncate -s 256M "$run/disk.img" "$run/swap.img"
mkfs.ext4 -q -F "$run/disk.img"
# (mkswap warns about holes, which matter only to a swap file, not a disk)
mkswap "$run/swap.img" >/dev/null 2>&1 || die "mkswap $run/swap.img failed"

# The kernel passes NAME=VALUE words it does not know to init as its
# environment, and the words after "--" as its arguments.
cmdline="console=ttyS0 cgroup_no_v1=all panic=1 mitigations=off loglevel=4 rdinit=/init"
cmdline+=" CELL_TOP=$top"
for v in CELL_BINARY CELL_STAGE_DIR CELL_ROOTFS ASAN_OPTIONS UBSAN_OPTIONS; do
	[ -z "${!v:-}" ] || cmdline+=" $v=${!v}"
done
if $shell && [ -t 0 ]; then
	cmdline+=" CELL_VM_TTY=$(stty size | tr ' ' x)"
fi

# No network device: the guest needs none. The host's / is shared read-only
# (multidevs=remap keeps inode numbers unique across the host's mounts).
# shellcheck disable=SC2054 # qemu's own options are comma-separated
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1536 -nodefaults -no-reboot
	-display none -kernel "$cache/vmlinuz" -initrd "$initrd"
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
	-drive file="$run/disk.img",format=raw,if=virtio
	-drive file="$run/swap.img",format=raw,if=virtio)

if $shell; then
	# Console on this terminal; signal=off hands Ctrl-C to the guest.
	"${qemu[@]}" -append "$cmdline -- shell" \
		-chardev stdio,id=con,mux=on,signal=off -serial chardev:con -mon chardev=con
	exit 0
fi

say "booting Linux $kver under qemu (TCG, 2 CPUs, 1.5 GiB) for $*"
start=$SECONDS
: >"$run/tap"
# pdeathsig: should this script be killed outright, timeout and qemu go too.
setpriv --pdeathsig KILL -- timeout -k 10 "$limit" \
	setpriv --pdeathsig KILL -- "${qemu[@]}" -append "$cmdline -- tests $*" \
	-serial file:"$run/console.log" -serial file:"$run/tap" </dev/null &
qpid=$!
# Follow the results as they come; tail ends once qemu has. In the
# background, so that a signal to this script is handled at once.
tail -n +1 -s 0.5 -f --pid="$qpid" "$run/tap" &
tpid=$!
wait "$tpid"
tpid=''
status=0
wait "$qpid" || status=$?
qpid=''
took=$((SECONDS - start))

last=$(sed -n 's/^# vm: bats ended with status \([0-9]*\)$/\1/p' "$run/tap" | tail -n 1)
if [ -n "$last" ]; then
	say "finished in $((took / 60))m$((took % 60))s"
	[ "$last" -eq 0 ] || exit 1
	exit 0
fi
if [ "$status" -eq 124 ]; then
	say "no result after $limit s: the VM was stopped (CELL_VM_TIMEOUT sets the limit)"
else
	say "the VM ended before the tests did (qemu status $status); its console said:"
fi
tail -n 20 "$run/console.log" | sed 's/^/#   /'
say "whole console log: labs/cache/vm/console.log"
exit 2

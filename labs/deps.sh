#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that the given stages need (all stages
# when none is given), and only those that are missing, saying which. Then it
# fetches the static busybox that `make rootfs` puts in the root filesystem:
# the package is unpacked into labs/cache, not installed, so the host's own
# busybox (which the initramfs may use) is left alone.
#
#   labs/deps.sh [NN ...]
set -euo pipefail
cd "$(dirname "$0")"

# What every stage needs: a compiler, the test tools, the network tools the
# tests look through, clang-format for `make check`, and jq, with which
# `make grade` writes results.json.
packages=(make gcc libc6-dev bats bats-support bats-assert iproute2 procps util-linux
	clang-format jq)

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(01 02 03 04 05 06 07 08 09 10)
for n in "${stages[@]}"; do
	case $n in
	05) packages+=(libnl-route-3-dev pkg-config) ;;
	06) packages+=(gnuplot-nox qemu-system-x86) ;;
	# 07 writes its uid and gid maps itself (newuidmap, of uidmap, is not
	# needed); its tests use useradd and setpriv, which every Debian has
	08) packages+=(libcap-dev libseccomp-dev) ;;
	# make test-vm: qemu, and the tools that unpack the VM's kernel modules
	# and format its scratch disk
	vm) packages+=(qemu-system-x86 xz-utils zstd e2fsprogs) ;;
	*) ;;
	esac
done

installed() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
need_busybox=false
[ -x cache/busybox ] || need_busybox=true

wanted=("${missing[@]}")
$need_busybox && wanted+=(busybox-static)
[ ${#wanted[@]} -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${wanted[*]}; run it with sudo" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null; then
	echo "deps: no apt-get on this host; install by hand: ${wanted[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: updating the package lists"
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $need_busybox; then
	echo "deps: fetching busybox-static into labs/cache (not installed on the host)"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# apt drops privileges to _apt for downloads; let it write here.
	chmod 755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true
	(cd "$tmp" && apt-get download -qq busybox-static)
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
	mkdir -p cache
	install -m 755 "$tmp/x/bin/busybox" cache/busybox
fi

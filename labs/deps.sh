#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that the given stages need (all stages
# when none is given), and only those that are missing, saying which. Then it
# fetches the static busybox that `make rootfs` puts in the root filesystem:
# the package is unpacked into labs/cache, not installed, so the host's own
# busybox (which the initramfs may use) is left alone. For stage 09 it also
# unpacks Debian's kernel headers into labs/cache/linux-headers, the tree
# libbcc compiles against when the running kernel has no headers package.
#
#   labs/deps.sh [NN ...]
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail
die() { echo "deps: $*" >&2; exit 1; }
cd "$(dirname "$0")"

# What every stage needs: a compiler, the test tools, the network tools the
# tests look through, clang-format for `make check`, and jq, with which
# `make grade` writes results.json.
packages=(make gcc libc6-dev bats bats-support bats-assert iproute2 procps util-linux
	clang-format jq)

want_headers=false
# A stage's program is the one before it plus one feature, so it needs the
# packages of every stage up to its own: "09" means 01 to 09.
stages=()
for a in "${@:-10}"; do
	if [[ $a =~ ^[0-9]+$ ]]; then
		for ((k = 1; k <= 10#$a; k++)); do stages+=("$(printf %02d "$k")"); done
	else
		stages+=("$a")
	fi
done
for n in "${stages[@]}"; do
	case $n in
	05) packages+=(libnl-route-3-dev pkg-config) ;;
	06) packages+=(gnuplot-nox qemu-system-x86) ;;
	# 07 writes its uid and gid maps itself (newuidmap, of uidmap, is not
	# needed); its tests use useradd and setpriv, which every Debian has
	08) packages+=(libcap-dev libseccomp-dev) ;;
	# libbcc compiles the tracer; libseccomp names the system calls; the
	# benchmark's comparisons: strace, bcc's Python front end (the empty
	# program, its floor) and GNU time (the peak memory of a start)
	09) packages+=(libbpfcc-dev libseccomp-dev strace python3-bpfcc time) want_headers=true ;;
	# jansson reads config.json, libcap and libseccomp as in 08, SQLite
	# keeps the people's store, libnl makes the veths, bridges and tc's
	# queue as in 05; libnftables writes the published ports' rules, and
	# nft shows them to the tests and the notes; libarchive (tar, gzip),
	# OpenSSL (sha256) and libcurl (a registry's HTTP) keep and fetch
	# images; the real clients the tests drive (podman with conmon,
	# containerd with ctr, skopeo, and docker-registry, which serves the
	# images tests make, python3 a registry that stalls), and the runtimes
	# the bench compares with (crun, runc); hyperfine and GNU time measure
	# it; Graphviz draws cell inspect --graph; libmicrohttpd serves cell
	# web, whose tests drive Debian's Chromium (python3's standard library
	# speaks its DevTools protocol) and curl; libbcc builds cell-trace
	# (cell trace, cell run --trace) against the kernel's headers, and its
	# tests read the kernel's list of BPF programs with bpftool; an ordinary
	# user's cell maps its subordinate ids with uidmap's newuidmap and
	# newgidmap, reaches the network through slirp4netns, and mounts its
	# overlay with fuse-overlayfs where the kernel will not (before 5.11);
	# getfattr (attr) reads the overlay's xattrs in the tests
	10) packages+=(libjansson-dev libcap-dev libseccomp-dev libsqlite3-dev libnl-route-3-dev
		libnftables-dev nftables pkg-config podman conmon containerd crun runc hyperfine
		time graphviz libmicrohttpd-dev chromium python3 curl libbpfcc-dev bpftool
		libarchive-dev libssl-dev libcurl4-openssl-dev skopeo docker-registry uidmap slirp4netns
		fuse-overlayfs attr)
		want_headers=true ;;
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
# The header tree is needed where the running kernel has none of its own.
need_headers=false
if $want_headers && [ ! -d "/lib/modules/$(uname -r)/build" ] &&
	[ ! -f cache/linux-headers/include/generated/autoconf.h ]; then
	need_headers=true
fi

wanted=("${missing[@]}")
$need_busybox && wanted+=(busybox-static)
$need_headers && wanted+=(linux-headers-amd64)
[ ${#wanted[@]} -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
	die "missing ${wanted[*]}; run it with sudo"
fi
if ! command -v apt-get >/dev/null; then
	die "no apt-get on this host; install by hand: ${wanted[*]}"
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: updating the package lists"
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt drops privileges to _apt for downloads; let it write here.
chmod 755 "$tmp"
chown _apt "$tmp" 2>/dev/null || true

if $need_busybox; then
	echo "deps: fetching busybox-static into labs/cache (not installed on the host)"
	(cd "$tmp" && apt-get download -qq busybox-static)
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
	mkdir -p cache
	install -m 755 "$tmp/x/bin/busybox" cache/busybox
fi

# Debian splits a kernel's headers in two packages: -common (the sources'
# include/ and arch/*/include) and -amd64 (what the build generated:
# include/generated, autoconf.h), whose directory points at the other one
# through an absolute symbolic link into /usr/src. Installed, they would
# sit in /lib/modules/<their version>, not the running kernel's. So both
# are unpacked here instead, and merged into one tree that libbcc takes
# through BCC_KERNEL_SOURCE (09's Makefile compiles its path in): nothing
# is written to /lib/modules or /usr/src. These are not the running
# kernel's own headers; the tracer needs from them only types that stay put
# (struct pt_regs, the register frame the entry code saves) and the helpers'
# declarations.
if $need_headers; then
	[ "$(uname -m)" = x86_64 ] || die "the header tree is made for x86_64 only"
	abi=$(apt-cache depends linux-headers-amd64 | sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1)
	[ -n "$abi" ] || die "no linux-headers-*-amd64 package known to apt"
	echo "deps: fetching linux-headers-$abi-{common,amd64} into labs/cache/linux-headers (not installed)"
	(cd "$tmp" && apt-get download -qq "linux-headers-$abi-common" "linux-headers-$abi-amd64")
	for deb in "$tmp"/linux-headers-*.deb; do
		dpkg-deb -x "$deb" "$tmp/x"
	done
	common=$tmp/x/usr/src/linux-headers-$abi-common
	arch=$tmp/x/usr/src/linux-headers-$abi-amd64
	rm -rf cache/linux-headers.new
	mkdir -p cache/linux-headers.new/arch/x86
	cp -a "$common/include" cache/linux-headers.new/
	cp -a "$common/arch/x86/include" cache/linux-headers.new/arch/x86/
	cp -a "$arch/include/." cache/linux-headers.new/include/
	cp -a "$arch/arch/x86/include/." cache/linux-headers.new/arch/x86/include/
	echo "$abi" >cache/linux-headers.new/VERSION
	rm -rf cache/linux-headers
	mv cache/linux-headers.new cache/linux-headers
fi

#!/usr/bin/env bash
# labs/doctor.sh: can this host run Cell's stages, and if not, what should be done about it?
#
# One line per item: ok; info (nothing to do); skip (cannot be checked as this user);
# warn (the stages still run, perhaps with a part skipped); FAIL (a stage cannot run).
# The doctor only looks: it loads no module, mounts nothing on the host and creates no
# device there. Probes that must really try something (a namespace, a veth pair, tracefs)
# run inside a throwaway namespace that disappears with the probe.
#
# Usage: make doctor   (or: sudo bash labs/doctor.sh)
# Exit status: 0 when every stage can run on this host, 1 otherwise.
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||). A probe that
# fails is no such failure, but what the doctor reports: each is run where
# its status is taken (if, || rc=$?), and a function that may end on a
# false test returns 0 itself.

set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin # ip and modprobe, for a user whose PATH lacks them

# the stages this tree has: 01-uts/ ... gives "01 ..."
STAGES=$(cd "$(dirname "$0")/.." && for d in [0-9][0-9]-*/; do printf '%s ' "${d%%-*}"; done)
LAST=$(echo $STAGES | awk '{ print $NF }')
declare -A blocked=() why=()   # stage -> 1; "range" or "range limited" -> reasons
ORDER=()                        # the keys of why, in the order they came

IS_ROOT=0 WHO=$(id -un 2>/dev/null || id -u)
[ "$(id -u)" -eq 0 ] && IS_ROOT=1 WHO=nobody
KVER=$(uname -r)
KMAJ=${KVER%%.*} KMIN=${KVER#*.}
KMIN=${KMIN%%[!0-9]*}

line() { printf '%-6s%-24s%s\n' "$@"; }
ok() { line ok "$@"; }
info() { line info "$@"; }
skip() { line skip "$@"; }
warn() { line warn "$@"; }
have() { command -v "$1" >/dev/null 2>&1; }
first_line() { printf '%s' "${1%%$'\n'*}"; }
kernel_at_least() { [ "$KMAJ" -gt "$1" ] || { [ "$KMAJ" -eq "$1" ] && [ "$KMIN" -ge "$2" ]; }; }

# because KEY REASON: remember why stages (KEY) cannot run, or run without a part.
because() {
	[ -n "${why[$1]:-}" ] || ORDER+=("$1")
	why[$1]="${why[$1]:+${why[$1]}, }$2"
}
# fail ITEM TEXT STAGES REASON, STAGES being "NN" (that stage) or "NN+" (NN and after: stages
# are cumulative, so what NN needs, every later stage needs too); no STAGES: a warning.
fail() {
	local s from=${3%+} range=$3
	line "$([ -n "$3" ] && echo FAIL || echo warn)" "$1" "$2"
	[ -n "$3" ] || return 0
	[ "$from" != "$3" ] && [ "$from" != "$LAST" ] && range=$from-$LAST
	for s in $STAGES; do
		[ "$s" = "$from" ] || { [ "$from" != "$3" ] && [[ $s > $from ]]; } && blocked[$s]=1
	done
	because "${range%+}" "$4"
}
# partly STAGE REASON: the stage runs, but one of its parts will be skipped.
partly() { because "$1 limited" "$2"; }

# Stages 01-06 create namespaces, mounts or cgroups, which takes root; 07 also runs
# rootless. As another user the doctor checks what it can and says "skip" for the rest. Root inside a user namespace
# (a rootless container) may not write the host's cgroups or mount tracefs.
check_root() {
	local outside
	outside=$(awk '$1 == 0 { print $2 }' /proc/self/uid_map 2>/dev/null || true)
	if [ "$IS_ROOT" = 1 ] && [ "${outside:-0}" != 0 ]; then
		fail root "root only inside a user namespace (uid $outside outside) — run it as real root, or in a VM (make test-vm)" \
			06+ "root only inside a user namespace"
	elif [ "$IS_ROOT" = 1 ]; then
		ok root "running as root"
	else
		# from 07 on, an ordinary user gets a rootless container, without what
		# needs host root (cgroups, the veth)
		line FAIL root "running as $WHO (uid $(id -u)) — stages 01-06 and 09 need sudo; 07 runs rootless"
		for s in 01 02 03 04 05 06 09; do blocked[$s]=1; done
		because "01-06, 09" "needs root"
		partly 07 "rootless: no cgroup limits, loopback only"
	fi
}

# 5.4 is the floor for every stage: cgroup v2's cpu.weight (4.15) and freezer (5.2) and
# BTF in sysfs (5.4) all came by then. Overlayfs inside a user namespace came in 5.11, and only 07's
# rootless mode mounts it there.
check_kernel() {
	local v=${KVER%%-*}
	if ! kernel_at_least 5 4; then
		fail kernel "$v is older than 5.4 — boot a newer kernel" 01+ "kernel older than 5.4"
	elif ! kernel_at_least 5 11; then
		warn kernel "$v (>= 5.4 needed for every stage; 07's rootless overlayfs needs 5.11)"
		partly 07 "rootless overlayfs needs kernel 5.11"
	else
		ok kernel "$v (>= 5.4 needed for every stage)"
	fi
}

# One real attempt by an unprivileged user (nobody when run as root) to make a user
# namespace and map itself to root in it, as 07's rootless mode does.
AS_USER=()
[ "$IS_ROOT" = 1 ] && AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
USERNS_RC=0
USERNS_ERR=$("${AS_USER[@]}" unshare --user --map-root-user true 2>&1) || USERNS_RC=$?

# probe UNSHARE-OPTION... COMMAND: run COMMAND in fresh namespaces, as root or, for another
# user, inside a user namespace of its own; status 255 when neither is possible.
IN_USERNS=""
[ "$IS_ROOT" = 1 ] || IN_USERNS=" (inside a user namespace)"
probe() {
	if [ "$IS_ROOT" = 1 ]; then
		unshare "$@"
	elif [ "$USERNS_RC" = 0 ]; then
		unshare --user --map-root-user "$@"
	else
		return 255
	fi
}

# Each stage adds a namespace: uts in 01, pid and ipc in 02, mnt in 03, net in 05, cgroup
# in 06, user in 07; none uses time. /proc/self/ns/NAME shows the kernel has it; unshare(1)
# shows that nothing else (a user.max_*_namespaces of 0, the seccomp policy of a container
# this host may itself be) forbids making one.
check_ns() { # NAME CONFIG STAGES UNSHARE-OPTION...
	local name=$1 config=$2 stages=$3 item="$1 namespace" err rc
	shift 3
	if [ ! -e "/proc/self/ns/$name" ]; then
		fail "$item" "kernel built without $config — boot a kernel that has it" "$stages" "no $name namespace"
		return
	elif ! have unshare || ! grep -q -- "$1" <<<"$(unshare --help 2>/dev/null)"; then
		ok "$item" "/proc/self/ns/$name (not tried: this unshare(1) cannot)"
		return
	fi
	rc=0
	err=$(probe "$@" true 2>&1) || rc=$?
	if [ "$rc" -eq 255 ]; then
		ok "$item" "/proc/self/ns/$name (not tried: needs root)"
	elif [ "$rc" -eq 0 ]; then
		ok "$item" "/proc/self/ns/$name, unshare $* works$IN_USERNS"
	else
		fail "$item" "unshare $*: $(first_line "$err") — check user.max_${name}_namespaces, or run the labs in a VM (make test-vm)" \
			"$stages" "cannot make a $name namespace"
	fi
}

# 04 builds the container's root from a read-only image plus a writable upper layer.
# A module not loaded yet would be loaded by the first overlay mount.
check_overlay() {
	local err
	if grep -qw overlay /proc/filesystems; then
		ok overlayfs "in /proc/filesystems"
	elif ! have modprobe; then
		fail overlayfs "not in /proc/filesystems, no modprobe to look for a module — install kmod, then modprobe overlay" 04+ "no overlayfs"
	elif err=$(modprobe -n overlay 2>&1); then
		warn overlayfs "module not loaded yet, but available — modprobe overlay"
	else
		fail overlayfs "no overlay module ($(first_line "$err")) — boot a kernel with CONFIG_OVERLAY_FS" 04+ "no overlayfs"
	fi
}

# 05 links the container to the host with a veth pair. Here the pair is made inside a
# network namespace of its own, which takes the pair with it when it ends.
check_veth() {
	local err rc
	if ! have ip || ! have unshare; then
		skip "veth pair" "not tried: needs ip (iproute2) and unshare (util-linux)"
		return
	fi
	rc=0
	err=$(probe --net ip link add cellprobe0 type veth peer name cellprobe1 2>&1) || rc=$?
	if [ "$rc" -eq 255 ]; then
		skip "veth pair" "not tried: needs root"
	elif [ "$rc" -eq 0 ]; then
		ok "veth pair" "made in a throwaway network namespace$IN_USERNS"
	else
		fail "veth pair" "$(first_line "$err") — boot a kernel with CONFIG_VETH, or modprobe veth" 05+ "no veth"
	fi
}

# The cgroup mounts, from mountinfo: field 5 is the mount point, and after the "-" that
# ends the optional fields come the type, the source and the super options, which on v1
# name the controllers of that hierarchy.
V1_KNOWN=" cpuset cpu cpuacct blkio memory devices freezer net_cls perf_event net_prio hugetlb pids rdma misc "
declare -A V1DIR=()
CG_MODE=none CG2=""
cg_scan() {
	local mp fs opts o
	while read -r mp fs opts; do
		if [ "$fs" = cgroup2 ]; then
			if [ -z "$CG2" ] || [ "$mp" = /sys/fs/cgroup ]; then CG2=$mp; fi
			continue
		fi
		for o in ${opts//,/ }; do
			if [[ $V1_KNOWN == *" $o "* ]]; then
				V1DIR[$o]=$mp
			fi
		done
	done < <(awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5, $(i + 1), $(i + 3) }' /proc/self/mountinfo)
	if [ ${#V1DIR[@]} -gt 0 ]; then
		CG_MODE=v1
		if [ -n "$CG2" ]; then
			CG_MODE=hybrid
		fi
	elif [ -n "$CG2" ]; then
		CG_MODE=v2
	fi
}

# cg_advice CONTROLLER: why a controller is missing, and what to do about it.
cg_advice() {
	local c=$1 v1=${1/#io/blkio} hier="" on=""
	# (no line for the controller: read finds none, and both stay empty)
	read -r hier on < <(awk -v c="$v1" '$1 == c { print $2, $4 }' /proc/cgroups 2>/dev/null) || true
	if grep -Eq "cgroup_disable=([^ ]*,)?$v1( |,|$)" /proc/cmdline; then
		echo "switched off by cgroup_disable=$v1 on the kernel command line — remove it and reboot"
	elif [ "$on" = 0 ]; then
		echo "off at boot — add cgroup_enable=$v1 to the kernel command line and reboot (Raspberry Pi kernels need it for memory)"
	elif [ -z "$on" ] && [ -r /proc/cgroups ]; then
		echo "kernel built without it — boot a kernel that has it"
	elif [ "$CG_MODE" = hybrid ] && grep -qw "$c" "$CG2/cgroup.controllers" 2>/dev/null; then
		echo "given to cgroup2 at $CG2 — drop cgroup_no_v1 from the kernel command line and reboot"
	elif [ "$CG_MODE" = v2 ] && [ "${hier:-0}" != 0 ]; then
		echo "held by a v1 hierarchy (see /proc/cgroups) — unmount it, or boot with cgroup_no_v1=$v1"
	elif [ "$CG_MODE" = v2 ]; then
		echo "not offered at $CG2 — enable it in the parent's cgroup.subtree_control (echo +$c > ../cgroup.subtree_control)"
	else
		echo "no v1 hierarchy — mkdir /sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c"
	fi
}

# 06 limits memory, CPU, pids, CPU placement and block I/O, and freezes containers (10's
# freeze/thaw). A v2 host has one tree; on a v1 or hybrid host 06 uses one hierarchy per
# controller, the cgroup2 mount of a hybrid host usually carrying no controller at all.
check_cgroups() {
	local need avail c missing="" sub
	cg_scan
	case $CG_MODE in
	none)
		fail "cgroup version" "no cgroup file system mounted — mount -t cgroup2 none /sys/fs/cgroup" 06+ "no cgroups"
		return ;;
	v2)
		ok "cgroup version" "v2 (unified: cgroup2 at $CG2)"
		avail=" $(cat "$CG2/cgroup.controllers" 2>/dev/null || true) "
		need="memory cpu pids cpuset io" ;;
	*)
		c="one hierarchy per controller"
		[ "$CG_MODE" = hybrid ] && c="hybrid: cgroup2 at $CG2 carries $(grep . "$CG2/cgroup.controllers" 2>/dev/null || echo no controllers)"
		warn "cgroup version" "v1 ($c) — 06 uses the v1 hierarchies"
		avail=" ${!V1DIR[*]} "
		need="memory cpu pids cpuset blkio freezer" ;;
	esac
	for c in $need; do
		[[ $avail == *" $c "* ]] && continue
		missing+=" $c"
		fail "cgroup $c" "$(cg_advice "$c")" 06+ "no $c controller"
	done
	[ -n "$missing" ] || ok "cgroup controllers" "${need// /, }: all there"
	[ "$CG_MODE" = v2 ] || return 0
	sub=" $(cat "$CG2/cgroup.subtree_control" 2>/dev/null || true) " missing=""
	for c in $need; do
		[[ $sub == *" $c "* || $avail != *" $c "* ]] || missing+=" +$c"
	done
	[ -z "$missing" ] || info "cgroup subtree" "not yet on for child groups:$missing — 06 writes them to $CG2/cgroup.subtree_control"
	if compgen -G "$CG2/*/cgroup.freeze" >/dev/null || kernel_at_least 5 2; then
		ok "cgroup freezer" "built into v2 (cgroup.freeze)"
	else
		fail "cgroup freezer" "no cgroup.freeze (kernel before 5.2) — boot a newer kernel" 06+ "no freezer"
	fi
}

# 06's --memory-swap limits memory plus swap. Its files (v1 memory.memsw.*, v2
# memory.swap.*) exist only while swap accounting is on (swapaccount=1).
check_swap() {
	local note="" found=no
	[ "$(wc -l </proc/swaps)" -gt 1 ] || note=" (no swap is active: nothing to limit yet)"
	case $CG_MODE in
	v1 | hybrid)
		[ -n "${V1DIR[memory]:-}" ] || return 0
		if [ -e "${V1DIR[memory]}/memory.memsw.limit_in_bytes" ]; then
			found="memory.memsw.*"
		fi ;;
	v2)
		if compgen -G "$CG2/*/memory.swap.max" >/dev/null; then
			found=memory.swap.max
		fi
		if [ $found = no ] && ! compgen -G "$CG2/*/memory.max" >/dev/null; then
			info "swap accounting" "unknown until memory is on for child groups$note"
			return
		fi ;;
	*) return 0 ;;
	esac
	if [ "$found" != no ]; then
		ok "swap accounting" "$found files present$note"
	else
		warn "swap accounting" "off — add swapaccount=1 to the kernel command line and reboot; until then no --memory-swap"
		partly 06 "--memory-swap: no swap accounting"
	fi
}

# 07's rootless mode (its default without root) needs an ordinary user to be allowed a
# user namespace. Debian's older switch, a zero limit or Ubuntu 23.10's AppArmor rule can
# each forbid it. unshare(1) may pass while 07 is refused: Ubuntu ships a profile for it.
check_userns() {
	local k=/proc/sys/kernel/ vals="" todo="" v
	for v in ${k}unprivileged_userns_clone /proc/sys/user/max_user_namespaces ${k}apparmor_restrict_unprivileged_userns; do
		[ -r "$v" ] && vals+=" ${v##*/}=$(cat "$v")"
	done
	[[ $vals == *" unprivileged_userns_clone=0"* ]] && todo+="; sysctl kernel.unprivileged_userns_clone=1"
	[[ $vals == *" max_user_namespaces=0"* ]] && todo+="; sysctl user.max_user_namespaces=10000"
	[[ $vals == *" apparmor_restrict_unprivileged_userns=1"* ]] &&
		todo+="; AppArmor restricts them: give 07's container a profile that allows userns, or for the lab session sysctl kernel.apparmor_restrict_unprivileged_userns=0"
	if [ -n "$todo" ]; then
		warn "userns sysctls" "${vals# } — ${todo#; }"
		partly 07 "rootless mode refused by a sysctl"
	else
		ok "userns sysctls" "${vals# }"
	fi
	if ! have unshare || { [ "$IS_ROOT" = 1 ] && ! have setpriv; }; then
		skip "rootless userns" "not tried: needs unshare and setpriv (util-linux)"
	elif [ "$USERNS_RC" = 0 ]; then
		ok "rootless userns" "$WHO can unshare --user --map-root-user"
	else
		warn "rootless userns" "unshare --user --map-root-user as $WHO: $(first_line "$USERNS_ERR")"
		partly 07 "rootless mode refused"
	fi
	if grep -q '^cell:' /etc/subuid 2>/dev/null; then
		ok "/etc/subuid" "$(grep -m1 '^cell:' /etc/subuid) — 07 maps this range"
	else
		info "/etc/subuid" "no entry for cell — 07 uses its default range"
	fi
}

# 08 installs a libseccomp filter whose refused calls fail with an errno
# (SECCOMP_RET_ERRNO) instead of killing the container.
check_seccomp() {
	local mode
	mode=$(awk '$1 == "Seccomp:" { print $2 }' /proc/self/status)
	if [ -z "$mode" ]; then
		fail seccomp "kernel built without CONFIG_SECCOMP — boot a kernel that has it" 08+ "no seccomp"
	elif ! grep -qw errno /proc/sys/kernel/seccomp/actions_avail 2>/dev/null; then
		fail seccomp "no errno in /proc/sys/kernel/seccomp/actions_avail — boot a kernel with CONFIG_SECCOMP_FILTER" 08+ "no seccomp filters"
	elif [ "$mode" != 0 ]; then
		ok seccomp "SECCOMP_RET_ERRNO available (this shell already runs under a filter)"
	else
		ok seccomp "Seccomp field in /proc/self/status, SECCOMP_RET_ERRNO available"
	fi
}

# 08 keeps docker's fourteen capabilities, and more with --cap-add; a capability missing
# from this shell's own bounding set (a sandbox, a CI runner) cannot be kept by any stage.
check_caps() {
	local bnd last all missing
	bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
	last=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null || true)
	if [ -z "$bnd" ] || [ -z "$last" ]; then
		skip capabilities "no CapBnd in /proc/self/status or no cap_last_cap"
		return
	fi
	all=$(((1 << (last + 1)) - 1))
	missing=$((all & ~0x$bnd))
	if [ "$missing" -eq 0 ]; then
		ok capabilities "bounding set $bnd: all $((last + 1)) (08 keeps 14 of them)"
	else
		info capabilities "bounding set $bnd lacks $(printf '%016x' "$missing") — 08's --cap-add cannot give those"
	fi
}

# 09 logs the container's system calls with an eBPF program (libbcc) attached to the
# syscall tracepoints, and 10 monitors with it. Kprobes are left alone: the functions
# they hook change from one kernel to the next.
check_ebpf() {
	local v="/sys/fs/bpf" found
	if [ -r /sys/kernel/btf/vmlinux ]; then
		ok BTF "/sys/kernel/btf/vmlinux"
	else
		warn BTF "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF) — libbcc then relies on kernel headers alone"
	fi
	if [ -d /sys/fs/bpf ] || grep -qw bpf /proc/filesystems; then
		[ -r /proc/sys/net/core/bpf_jit_enable ] && v+=", bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable)"
		[ -r /proc/sys/kernel/unprivileged_bpf_disabled ] &&
			v+=", unprivileged_bpf_disabled=$(cat /proc/sys/kernel/unprivileged_bpf_disabled) (no matter: 09 runs as root)"
		ok "bpf() syscall" "$v"
	else
		fail "bpf() syscall" "no bpf file system: kernel built without CONFIG_BPF_SYSCALL — boot one with it" 09 "no bpf()"
		partly 10 "no eBPF monitoring"
	fi
	if grep -q ' - tracefs ' /proc/self/mountinfo; then
		ok tracefs "mounted at $(awk '/ - tracefs / { print $5; exit }' /proc/self/mountinfo)"
	elif grep -qw tracefs /proc/filesystems; then
		ok tracefs "not mounted; 09 does not need it (its tracer attaches by name, through bpf()); this check mounts it privately to look"
	else
		fail tracefs "not in /proc/filesystems — boot a kernel with CONFIG_FTRACE" 09 "no tracefs"
		partly 10 "no eBPF monitoring"
		return
	fi
	if [ "$IS_ROOT" != 1 ] || ! have unshare; then
		skip "syscall tracepoints" "not checked: mounting tracefs needs root"
		skip kprobes "not checked: mounting tracefs needs root"
		return
	fi
	# A tracefs of our own, over /sys/kernel/tracing in a private mount namespace only:
	# the host's /sys/kernel/tracing stays as it was.
	# shellcheck disable=SC2016 # $f belongs to the inner shell
	# (its status says nothing more than its output: a mount that failed
	# prints no "mounted", and the last file looked for may be missing)
	found=$(unshare --mount --propagation private sh -c 'mount -t tracefs none /sys/kernel/tracing &&
		cd /sys/kernel/tracing && echo mounted && for f in events/raw_syscalls events/syscalls \
		kprobe_events; do [ -e "$f" ] && echo "$f"; done' 2>&1) || true
	if [[ $found != mounted* ]]; then
		warn "syscall tracepoints" "not checked: tracefs would not mount in a private namespace ($(first_line "$found"))"
		skip kprobes "not checked: no tracefs to look in"
		return
	elif [[ $found == *events/raw_syscalls*events/syscalls* ]]; then
		ok "syscall tracepoints" "events/raw_syscalls and events/syscalls"
	else
		fail "syscall tracepoints" "not in tracefs — boot a kernel with CONFIG_FTRACE_SYSCALLS" 09 "no syscall tracepoints"
		partly 10 "no eBPF monitoring"
	fi
	info kprobes "$([[ $found == *kprobe_events* ]] || echo "no ")kprobe_events (Cell does not use kprobes)"
}

# libbcc compiles 09's program against kernel headers: the running kernel's own, or the
# tree `make deps` unpacks into labs/cache/linux-headers when the kernel has none.
check_headers() {
	local tree
	tree=$(cd "$(dirname "$0")" && pwd)/cache/linux-headers
	if [ -e "/lib/modules/$KVER/build" ]; then
		ok "kernel headers" "/lib/modules/$KVER/build"
	elif [ -f "$tree/include/generated/autoconf.h" ]; then
		ok "kernel headers" "none for $KVER; 09 uses $tree ($(cat "$tree/VERSION" 2>/dev/null || echo "?"))"
	else
		warn "kernel headers" "no /lib/modules/$KVER/build — make deps STAGE=09 unpacks a header tree for libbcc into labs/cache, without touching /lib/modules"
		partly 09 "no kernel headers yet"
	fi
}

# The tools around the stages: a compiler and make for all of them, bats for make test,
# clang-format for make check, gnuplot for 06's plots, QEMU for make test-vm.
check_tool() { # NAME WHAT-FOR
	if have "$1"; then
		ok "$1" "$(command -v "$1") ($2)"
	else
		warn "$1" "not found ($2) — make deps installs it"
	fi
}

check_root
check_kernel
check_ns uts CONFIG_UTS_NS 01+ --uts
check_ns ipc CONFIG_IPC_NS 02+ --ipc
check_ns pid CONFIG_PID_NS 02+ --pid --fork
check_ns mnt "mount namespaces" 03+ --mount
check_ns net CONFIG_NET_NS 05+ --net
check_ns cgroup CONFIG_CGROUPS 06+ --cgroup
check_ns user CONFIG_USER_NS 07+ --user
check_ns time CONFIG_TIME_NS "" --time
check_overlay
check_veth
check_cgroups
check_swap
check_userns
check_seccomp
check_caps
check_ebpf
check_headers
check_tool cc "builds every stage"
check_tool make "drives the build"
check_tool bats "make test"
check_tool clang-format "make check"
check_tool gnuplot "06's plots"
check_tool qemu-system-x86_64 "make test-vm"
check_tool strace "09's bench"
can="" cannot="" partial=""
for s in $STAGES; do [ -n "${blocked[$s]:-}" ] || can+=" $s"; done
for s in "${ORDER[@]}"; do
	case $s in
	*limited) partial+=", ${s% limited} (${why[$s]})" ;;
	*) cannot+=", $s (${why[$s]})" ;;
	esac
done
[ -n "$cannot" ] || cannot=", none"
echo
echo "stages this host can run:${can:- none}"
echo "stages it cannot: ${cannot#, }"
[ -z "$partial" ] || echo "stages with a part skipped: ${partial#, }"
[ ${#blocked[@]} -eq 0 ]

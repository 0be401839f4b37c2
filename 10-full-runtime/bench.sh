#!/usr/bin/env bash
# make bench: the same bundle (/bin/true with crun's default isolation: the
# config.json `crun spec` writes, pointed at the toolkit's root file system)
# run by `cell-runc run`, `crun run` and `runc run`, at least 50 times each
# in one run; prints each one's median, its ratio to crun's, and its peak RSS.
# Then the people's command beside podman's: `cell run --rm --network none
# cell/busybox /bin/true` and `podman run --rm --network none cell/busybox
# /bin/true` with crun, each of the toolkit's tree imported as an image
# into a private store (overlay storage, as podman is used), with their
# medians and ratio.
#
# crun refuses a host whose cgroups are hybrid (v1 hierarchies beside a
# cgroup2 tree), as this toolkit's CI host is: every runtime is run in
# a private mount namespace where /sys/fs/cgroup shows the v1 hierarchies
# only, so that all three see the same host.
#
# Environment: RUNS (default 50), WARMUP (default 5).
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "bench: run it as root (sudo make bench)" >&2; exit 1; }
for tool in crun runc podman hyperfine /usr/bin/time jq; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run sudo make deps" >&2; exit 1; }
done
[ -x ./cell-runc ] && [ -x ./cell ] || { echo "bench: build cell first (make)" >&2; exit 1; }
runs=${RUNS:-50} warmup=${WARMUP:-5}
rootfs=$(cd ../labs/rootfs 2>/dev/null && pwd) || { echo "bench: no rootfs: run make rootfs" >&2; exit 1; }

work=$(mktemp -d /tmp/cell-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bundle"
(cd "$work/bundle" && crun spec)
jq --arg r "$rootfs" '.root = {path: $r, readonly: true} | .process.terminal = false |
	.process.args = ["/bin/true"]' "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

# podman, with everything of its own in the work directory and the limits
# this host allows (its hard nofile is lower than podman's default)
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
tmp_dir = "$work/podman-tmp"
EOF
cat >"$work/podman" <<EOF
#!/bin/sh
export CONTAINERS_CONF=$work/containers.conf TMPDIR=$work
exec podman --root $work/storage --runroot $work/run --storage-driver overlay \\
	--runtime crun --cgroup-manager cgroupfs "\$@"
EOF
chmod +x "$work/podman"
tar -C "$rootfs" -cf "$work/rootfs.tar" .

# What runs in the private namespace: the host's view, less the cgroup2
# mount of a hybrid host (crun wants it to hold no controller at all); each run creates, runs and deletes a container of its own.
inside() { # WORK RUNS WARMUP CELL-RUNC
	local work=$1 runs=$2 warmup=$3 cell=$4 rt cmd
	mount --make-rprivate /
	if grep -q ' - cgroup cgroup ' /proc/self/mountinfo &&
		grep -q ' /sys/fs/cgroup/unified .* - cgroup2 ' /proc/self/mountinfo; then
		umount /sys/fs/cgroup/unified
	fi
	hyperfine --style basic --runs "$runs" --warmup "$warmup" \
		--export-json "$work/times.json" \
		-n cell-runc "$cell --root $work/s-cell run --bundle $work/bundle c\$RANDOM\$RANDOM" \
		-n crun "crun --root $work/s-crun run --bundle $work/bundle c\$RANDOM\$RANDOM" \
		-n runc "runc --root $work/s-runc run --bundle $work/bundle c\$RANDOM\$RANDOM" >&2 ||
		return 1
	for rt in cell-runc crun runc; do
		cmd=$rt
		[ "$rt" = cell-runc ] && cmd=$cell
		/usr/bin/time -f "$rt %M" "$cmd" --root "$work/s-$rt" run --bundle "$work/bundle" \
			rss$$ 2>&1 >/dev/null | tail -n 1
	done
	# the people's commands: their overlay mounts stay in this namespace
	"$work/podman" import -q "$work/rootfs.tar" cell/busybox >/dev/null
	"${cell%-runc}" --root "$work/lib" image import -q "$work/rootfs.tar" cell/busybox >/dev/null 2>&1
	hyperfine --style basic --runs "$runs" --warmup "$warmup" \
		--export-json "$work/people.json" \
		-n "cell run" "${cell%-runc} --root $work/lib run --rm --network none cell/busybox /bin/true" \
		-n "podman run" "$work/podman run --rm --network none cell/busybox /bin/true" >&2 ||
		return 1
	# on the default bridge: a lease, the bridge, a veth pair, the rules
	hyperfine --style basic --runs "$runs" --warmup "$warmup" \
		--export-json "$work/bridge.json" \
		-n "none" "${cell%-runc} --root $work/lib run --rm --network none cell/busybox /bin/true" \
		-n "bridge" "${cell%-runc} --root $work/lib run --rm cell/busybox /bin/true" >&2 || return 1
	"$work/podman" system reset -f >/dev/null 2>&1 || true
}
export -f inside
rss=$(unshare -m bash -c 'inside "$@"' inside "$work" "$runs" "$warmup" "$PWD/cell-runc" \
	2>"$work/hyperfine.log") || {
	cat "$work/hyperfine.log" >&2
	echo "bench: a runtime failed (its output above)" >&2
	exit 1
}

crun_median=$(jq '.results[] | select(.command == "crun") | .median' "$work/times.json")
printf '%-10s %12s %10s %15s\n' runtime "median (ms)" "vs crun" "peak RSS (KiB)"
for rt in cell-runc crun runc; do
	median=$(jq --arg n "$rt" '.results[] | select(.command == $n) | .median' "$work/times.json")
	kib=$(awk -v n="$rt" '$1 == n { print $2 }' <<<"$rss")
	awk -v rt="$rt" -v m="$median" -v c="$crun_median" -v k="$kib" \
		'BEGIN { printf "%-10s %12.2f %9.2fx %15s\n", rt, m * 1000, m / c, k }'
done
echo "($runs runs each after $warmup warm-up runs: /bin/true in crun's default bundle)"

podman_median=$(jq '.results[] | select(.command == "podman run") | .median' "$work/people.json")
printf '\n%-12s %12s %10s\n' command "median (ms)" "vs podman"
for c in "cell run" "podman run"; do
	median=$(jq --arg n "$c" '.results[] | select(.command == $n) | .median' "$work/people.json")
	awk -v c="$c" -v m="$median" -v p="$podman_median" \
		'BEGIN { printf "%-12s %12.2f %9.2fx\n", c, m * 1000, m / p }'
done
echo "($runs runs each: run --rm --network none /bin/true; podman with crun, overlay storage)"

none_median=$(jq '.results[] | select(.command == "none") | .median' "$work/bridge.json")
bridge_median=$(jq '.results[] | select(.command == "bridge") | .median' "$work/bridge.json")
awk -v n="$none_median" -v b="$bridge_median" 'BEGIN {
	printf "\ncell run --rm /bin/true: --network none %.2f ms, bridge %.2f ms: %.2fx\n",
		n * 1000, b * 1000, b / n }'

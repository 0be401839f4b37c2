#!/usr/bin/env bats
# 06-cgroups: the container's processes are in cgroups of their own from
# their first instruction, under the limits given, and see those cgroups as
# "/"; the cgroups go on every way out. The same tests run on cgroup v1
# (a hierarchy per controller, maybe beside an unused v2 tree) and on v2,
# reading the files of whichever version holds each controller.
#
# Limits are random per run, and every value is read back from the kernel:
# the limit files, /proc/PID/status, the cgroup's own CPU accounting. Timing
# tolerances allow for a busy two-CPU machine.

load helper

setup() {
	cell_setup
	need_rootfs cpuburn memeat forkbomb
}

teardown() {
	end_left_containers
	# the loop device of the partition test
	if [ -n "${loop:-}" ]; then
		partx --delete "$loop" 2>/dev/null
		losetup --detach "$loop"
	fi
	cell_teardown
}

# The name the tool's messages start with: the sanitizer build has its own.
prog=$(basename "$CONTAINER")

# The cgroup file systems of the host: "MOUNT-POINT TYPE SUPER-OPTIONS".
cgroup_mounts() {
	awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5, $(i + 1), $(i + 3) }' \
		/proc/self/mountinfo
}

# The v2 tree's mount point (/sys/fs/cgroup first), or nothing.
v2_mount() {
	cgroup_mounts | awk '$2 == "cgroup2" { print ($1 == "/sys/fs/cgroup" ? 0 : 1), $1 }' |
		sort | awk '{ print $2; exit }'
}

# The v1 hierarchy holding CONTROLLER, or nothing.
v1_mount() { # CONTROLLER
	cgroup_mounts | awk -v c="$1" '$2 == "cgroup" && index("," $3 ",", "," c ",") { print $1; exit }'
}

# v1 or v2: which version holds CONTROLLER (a v1 name: blkio is io on
# v2); fails when neither does.
version_of() { # CONTROLLER
	local v2 name=$1
	[ -z "$(v1_mount "$1")" ] || { echo v1; return 0; }
	[ "$name" = blkio ] && name=io
	v2=$(v2_mount)
	[ -n "$v2" ] && grep -qw "$name" "$v2/cgroup.controllers" && echo v2
}

# The directory of process PID's cgroup that holds CONTROLLER, as the host
# sees it: the mount point and the path from /proc/PID/cgroup, where v1 lines
# read "N:cpu,cpuacct:/cell/1a2b3c4d" and the v2 line "0::/cell/1a2b3c4d".
cg_dir() { # PID CONTROLLER
	local mnt
	mnt=$(v1_mount "$2")
	if [ -n "$mnt" ]; then
		echo "$mnt$(awk -F: -v c="$2" 'index("," $2 ",", "," c ",") { print $3 }' "/proc/$1/cgroup")"
	else
		echo "$(v2_mount)$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup")"
	fi
}

# What the kernel holds in FILE of process PID's cgroup for CONTROLLER.
cg_read() { # PID CONTROLLER FILE
	cat "$(cg_dir "$1" "$2")/$3"
}

# Skip unless the host has CONTROLLER.
need() { # CONTROLLER
	version_of "$1" >/dev/null || skip "the host has no $1 controller"
}

# The file that counts the CPU time of process PID's cgroup: v1
# cpuacct.usage (nanoseconds), v2 cpu.stat (usage_usec, microseconds).
cpu_usage_file() { # PID
	if [ -n "$(v1_mount cpuacct)" ]; then
		echo "$(cg_dir "$1" cpuacct)/cpuacct.usage"
	else
		echo "$(cg_dir "$1" cpu)/cpu.stat"
	fi
}

# The CPU time in FILE, in microseconds, read with the shell's builtins
# only: a slow machine (an emulated VM) then samples when it means to.
cpu_usage() { # FILE
	local key value
	while read -r key value; do
		if [ -z "$value" ]; then
			echo $((key / 1000))
			return
		elif [ "$key" = usage_usec ]; then
			echo "$value"
			return
		fi
	done <"$1"
}

# The whole disk holding DIR, as /dev/NAME, or nothing when DIR is on no
# block device (tmpfs, 9p, an overlay). A partition's sysfs directory lies
# inside its disk's.
disk_of() { # DIR
	local sys name
	sys=/sys/dev/block/$(stat -c '%Hd:%Ld' "$1")
	[ -e "$sys" ] || return 0
	[ -e "$sys/partition" ] && sys=$sys/..
	name=$(basename "$(realpath "$sys")")
	[ -b "/dev/$name" ] && echo "/dev/$name"
}

# points: 3
@test "the command and what it forks first start in the container's cgroups, which are / inside" {
	# the first thing the command does is fork
	start_container sh -c "sleep 1000 & cat /proc/1/cgroup /proc/\$!/cgroup >/tmp/cg; $WAIT_READY; kill \$!"
	sleeper=$(pgrep -P "$init" -f '^sleep 1000$')
	[ -n "$sleeper" ]
	# inside, each hierarchy's line ends in "/", for both processes
	run cat "/proc/$init/root/tmp/cg"
	assert_success
	[ "${#lines[@]}" -ge 2 ]
	run grep -v ':/$' "/proc/$init/root/tmp/cg"
	assert_output ""
	# a cgroup namespace of its own
	assert_not_equal "$(ns_of "$init" cgroup)" "$(ns_of $$ cgroup)"
	# from the host: cell/<id> in every v1 hierarchy that has a controller,
	# and in the v2 tree when it holds one of the stage's controllers (or
	# when there is no v1 hierarchy at all), with both pids listed
	v2=$(v2_mount)
	use_v2=no
	if [ -n "$v2" ] && { grep -qwE 'memory|cpu|io|pids|cpuset' "$v2/cgroup.controllers" ||
		! cgroup_mounts | grep -q ' cgroup '; }; then
		use_v2=yes
	fi
	checked=0
	while IFS=: read -r num controllers path; do
		case $controllers in name=*) continue ;; esac
		if [ -z "$controllers" ]; then
			[ "$use_v2" = yes ] || continue
			mnt=$v2
		else
			mnt=$(v1_mount "${controllers%%,*}")
		fi
		[[ $path =~ ^/cell/[0-9a-f]{8}$ ]] || fail "hierarchy $num ($controllers): pid $init is in $path"
		grep -qx "$init" "$mnt$path/cgroup.procs" || fail "$init is not in $mnt$path/cgroup.procs"
		grep -qx "$sleeper" "$mnt$path/cgroup.procs" || fail "$sleeper is not in $mnt$path/cgroup.procs"
		checked=$((checked + 1))
	done <"/proc/$init/cgroup"
	[ "$checked" -ge 1 ]
	finish_container
}

# points: 2
@test "--memory: the kernel holds the limit; memeat below it lives, above it the OOM killer ends it" {
	need memory
	mib=$((RANDOM % 64 + 32))
	start_container -m "${mib}m" sh -c "$WAIT_READY"
	if [ "$(version_of memory)" = v1 ]; then
		assert_equal "$(cg_read "$init" memory memory.limit_in_bytes)" $((mib << 20))
	else
		assert_equal "$(cg_read "$init" memory memory.max)" $((mib << 20))
	fi
	finish_container
	# with swap on, memory could go there instead: allow none
	swap=()
	if [ "$(wc -l </proc/swaps)" -gt 1 ]; then
		swap=(--memory-swap "${mib}m")
	fi
	run "$CONTAINER" -m "${mib}m" "${swap[@]}" memeat $((mib - 16))
	assert_success
	assert_output "touched $((mib - 16)) MiB"
	run "$CONTAINER" -m "${mib}m" "${swap[@]}" memeat $((mib + 16))
	assert_failure 137
	assert_output "$prog: killed by the kernel: out of memory (limit $mib MiB)"
	# the same with --init, where the command is not PID 1
	run "$CONTAINER" --init -m "${mib}m" "${swap[@]}" memeat $((mib + 16))
	assert_failure 137
	assert_output "$prog: killed by the kernel: out of memory (limit $mib MiB)"
}

# points: 2
@test "--memory-swap: memory and swap together, in the kernel's units" {
	need memory
	mem=$((RANDOM % 64 + 32))
	extra=$((RANDOM % 64 + 1))
	start_container -m "${mem}m" --memory-swap "$((mem + extra))m" sh -c "$WAIT_READY" || true
	if ended "$tool" && grep -q 'swap accounting is off' "$BATS_TEST_TMPDIR/trace"; then
		skip "no swap accounting on this host: $(cat "$BATS_TEST_TMPDIR/trace")"
	fi
	if [ "$(version_of memory)" = v1 ]; then
		# v1: the total
		assert_equal "$(cg_read "$init" memory memory.memsw.limit_in_bytes)" $(((mem + extra) << 20))
	else
		# v2: the swap alone
		assert_equal "$(cg_read "$init" memory memory.swap.max)" $((extra << 20))
	fi
	finish_container
	# -1: swap without limit, as the root's
	start_container -m "${mem}m" --memory-swap -1 sh -c "$WAIT_READY"
	if [ "$(version_of memory)" = v1 ]; then
		assert_equal "$(cg_read "$init" memory memory.memsw.limit_in_bytes)" \
			"$(cat "$(v1_mount memory)/memory.memsw.limit_in_bytes")"
	else
		assert_equal "$(cg_read "$init" memory memory.swap.max)" max
	fi
	finish_container
}

# points: 2
@test "--cpus: the quota files hold it, and the cgroup's CPU time shows it" {
	need cpu
	# 0.30 to 0.70 CPUs, two threads that would each take a whole CPU
	hundredths=$((RANDOM % 41 + 30))
	cpus=0.$hundredths
	# cpuburn runs until SIGTERM
	start_container --cpus "$cpus" sh -c 'touch /ready; exec cpuburn -t 2'
	if [ "$(version_of cpu)" = v1 ]; then
		assert_equal "$(cg_read "$init" cpu cpu.cfs_period_us)" 100000
		assert_equal "$(cg_read "$init" cpu cpu.cfs_quota_us)" $((hundredths * 1000))
	else
		assert_equal "$(cg_read "$init" cpu cpu.max)" "$((hundredths * 1000)) 100000"
	fi
	# the CPU time the cgroup used over 2.5 s of wall time, once cpuburn runs
	file=$(cpu_usage_file "$init")
	sleep 0.5
	u0=$(cpu_usage "$file") t0=${EPOCHREALTIME/./}
	sleep 2.5
	u1=$(cpu_usage "$file") t1=${EPOCHREALTIME/./}
	used=$(awk -v u="$((u1 - u0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.2f", u / t }')
	echo "# --cpus $cpus: the cgroup used $used CPUs" >&3
	awk -v x="$used" -v c="$cpus" 'BEGIN { exit !(x >= c - 0.15 && x <= c + 0.15) }' ||
		fail "--cpus $cpus: the cgroup used $used CPUs"
	# cpuburn ends on SIGTERM and reports, with status 0
	kill -TERM "$init"
	exit_of "$tool"
	tool= init=
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --regexp '^cpu [0-9.]+ s in [0-9.]+ s wall = [0-9.]+ CPUs$'
}

# points: 1
@test "--cpu-shares: v1 cpu.shares holds N, v2 cpu.weight the mapped weight" {
	need cpu
	shares=$((RANDOM * 8 % 262143 + 2))
	start_container --cpu-shares "$shares" sh -c "$WAIT_READY"
	if [ "$(version_of cpu)" = v1 ]; then
		assert_equal "$(cg_read "$init" cpu cpu.shares)" "$shares"
	else
		assert_equal "$(cg_read "$init" cpu cpu.weight)" $((1 + (shares - 2) * 9999 / 262142))
	fi
	finish_container
}

# points: 2
@test "--pids-limit: pids.max holds N and a fork bomb gets fewer than N children" {
	need pids
	n=$((RANDOM % 31 + 10))
	start_container --pids-limit "$n" sh -c "forkbomb -n 1000 >/tmp/fb; $WAIT_READY"
	assert_equal "$(cg_read "$init" pids pids.max)" "$n"
	run cat "/proc/$init/root/tmp/fb"
	assert_output --regexp '^forked [0-9]+ children, then: Resource temporarily unavailable$'
	forked=$(awk '{ print $2 }' <<<"$output")
	[ "$forked" -ge 1 ] && [ "$forked" -lt "$n" ] || fail "forked $forked children under a limit of $n"
	finish_container
}

# points: 1
@test "--cpuset-cpus: the container's processes may run only on the CPUs given" {
	need cpuset
	online=$(cat /sys/devices/system/cpu/online)
	cpus=(0)
	[[ $online == 0 ]] || cpus+=(1)
	# in a random order
	[ $((RANDOM % 2)) = 0 ] || cpus=($(printf '%s\n' "${cpus[@]}" | sort -r))
	for cpu in "${cpus[@]}"; do
		start_container --cpuset-cpus "$cpu" sh -c "$WAIT_READY"
		run awk '$1 == "Cpus_allowed_list:" { print $2 }' "/proc/$init/status"
		assert_output "$cpu"
		assert_equal "$(cg_read "$init" cpuset cpuset.cpus)" "$cpu"
		finish_container
	done
	[ ${#cpus[@]} -eq 2 ] || skip "only CPU 0 is online: CPU 1 not tried"
}

# points: 1
@test "--device-write-bps: a direct write to the disk under the container's root takes size / rate" {
	need blkio
	# the container's root is an overlay whose writes go to /run/cell/<id>/upper
	wrap=() upper=()
	disk=$(disk_of /run)
	if [ -z "$disk" ] && [ -n "${CELL_VM_DISK:-}" ]; then
		# /run on tmpfs (the test VM): the writes go to the scratch disk
		# instead, mounted in a mount namespace of this run only
		disk=$CELL_VM_DISK
		mkdir "$BATS_TEST_TMPDIR/disk"
		wrap=(unshare --mount --propagation private sh -c 'mount "$0" "$1" && shift && exec "$@"'
			"$disk" "$BATS_TEST_TMPDIR/disk")
		upper=(--upper "$BATS_TEST_TMPDIR/disk/upper-$(rand_token 8)")
	fi
	[ -n "$disk" ] || skip "/run is on no block device and no scratch disk was given (CELL_VM_DISK)"
	majmin=$(stat -L -c '%Hr:%Lr' "$disk")
	rate=$((RANDOM % 3 + 2))    # MiB/s
	read_rate=$((RANDOM % 512 + 256)) # KiB/s, only read back
	mib=$((rate * 3))           # 3 s at that rate
	# through the wrapper's mount and exec, until the tool runs its container
	start_bg "${wrap[@]}" "$CONTAINER" "${upper[@]}" --device-write-bps "$disk:${rate}mb" \
		--device-read-bps "$disk:${read_rate}kb" sh -c "$WAIT_READY
		read t0 x </proc/uptime
		dd if=/dev/zero of=/io-test bs=1M count=$mib oflag=direct 2>/dev/null || exit 9
		read t1 x </proc/uptime
		rm /io-test
		echo \$t0 \$t1"
	if [ "$(version_of blkio)" = v1 ]; then
		run cg_read "$init" blkio blkio.throttle.write_bps_device
		assert_output "$majmin $((rate << 20))"
		run cg_read "$init" blkio blkio.throttle.read_bps_device
		assert_output "$majmin $((read_rate << 10))"
	else
		run cg_read "$init" blkio io.max
		assert_output --regexp "^$majmin rbps=$((read_rate << 10)) wbps=$((rate << 20)) "
	fi
	finish_container
	read -r t0 t1 <"$BATS_TEST_TMPDIR/out"
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	echo "# $mib MiB at $rate MiB/s on $disk: $took s" >&3
	# 3 s at the limit: within a factor of two
	awk -v t="$took" 'BEGIN { exit !(t >= 1.5 && t <= 6) }' ||
		fail "$mib MiB written at $rate MiB/s took $took s, not about 3 s"
}

# points: 1
# requires: the command and what it forks first start in the container's cgroups, which are / inside
@test "bad sizes, rates, CPU lists and devices give 125, a clear message, and leave nothing" {
	bad=$((RANDOM % 90 + 10))
	for size in 12XB "${bad}q" -5m 1.5g m ""; do
		run "$CONTAINER" -m "$size" true
		assert_failure 125
		assert_line --index 0 "$prog: --memory: \"$size\" is not a size (try 64m or 1g)"
	done
	run "$CONTAINER" --memory 1m true
	assert_failure 125
	assert_line --index 0 --partial "less than 6m"
	run "$CONTAINER" --memory-swap "${bad}m" true
	assert_failure 125
	assert_line --index 0 --partial "--memory-swap needs --memory"
	run "$CONTAINER" -m "${bad}m" --memory-swap "$((bad - 1))m" true
	assert_failure 125
	assert_line --index 0 "$prog: --memory-swap $((bad - 1))m is less than --memory ${bad}m: it is the total of memory and swap"
	for cpus in abc 1e1 .5 0.5. -1 ""; do
		run "$CONTAINER" --cpus "$cpus" true
		assert_failure 125
		assert_line --index 0 "$prog: --cpus: \"$cpus\" is not a number of CPUs (try 0.5 or 1.5)"
	done
	run "$CONTAINER" --cpus 0.00$((RANDOM % 9 + 1)) true
	assert_failure 125
	assert_line --index 0 --partial "less than 0.01"
	ncpus=$(nproc --all)
	run "$CONTAINER" --cpus $((ncpus + 1 + RANDOM % 4)) true
	assert_failure 125
	assert_line --index 0 --partial "CPUs online"
	for shares in 0 1 262145 x; do
		run "$CONTAINER" --cpu-shares "$shares" true
		assert_failure 125
		assert_line --index 0 "$prog: --cpu-shares: \"$shares\" is not a whole number from 2 to 262144"
	done
	for pids in 0 -1 x 4194305; do
		run "$CONTAINER" --pids-limit "$pids" true
		assert_failure 125
		assert_line --index 0 "$prog: --pids-limit: \"$pids\" is not a whole number from 1 to 4194304"
	done
	for list in a 0- 1-0 0,,1 ,0 "0 1"; do
		run "$CONTAINER" --cpuset-cpus "$list" true
		assert_failure 125
		assert_line --index 0 "$prog: --cpuset-cpus: \"$list\" is not a list of CPUs (try 0, 0-1 or 0,1)"
	done
	offline=$((RANDOM % 100 + 64))
	run "$CONTAINER" --cpuset-cpus "0-$offline" true
	assert_failure 125
	assert_line --index 0 --regexp "^$prog: --cpuset-cpus 0-$offline: CPU [0-9]+ is not online \(online: [0-9,-]+\)$"
	run "$CONTAINER" --device-write-bps /dev/null:1mb true
	assert_failure 125
	assert_output "$prog: --device-write-bps /dev/null: not a block device"
	missing=/dev/no-such-disk-$(rand_token 6)
	run "$CONTAINER" --device-read-bps "$missing:1mb" true
	assert_failure 125
	assert_output "$prog: --device-read-bps $missing: No such file or directory"
	run "$CONTAINER" --device-write-bps /dev/null true
	assert_failure 125
	assert_line --index 0 "$prog: --device-write-bps: \"/dev/null\" is not DEVICE:RATE (try /dev/vda:1mb)"
	for rate in fast 0 1.5mb; do
		run "$CONTAINER" --device-write-bps "/dev/null:$rate" true
		assert_failure 125
		assert_line --index 0 "$prog: --device-write-bps /dev/null:$rate: \"$rate\" is not a rate in bytes per second (try 1mb or 512kb)"
	done
}

# points: 1
# requires: the command and what it forks first start in the container's cgroups, which are / inside
@test "--device-read-bps on a partition: refused, naming the whole disk" {
	# a 4 MiB disk image whose MBR holds one partition (type 83) of 2048
	# sectors from sector 2048; the entry starts at byte 446, its type at 450
	img=$BATS_TEST_TMPDIR/disk.img
	truncate -s 4M "$img"
	printf '\x83\0\0\0\0\x08\0\0\0\x08\0\0' | dd of="$img" bs=1 seek=450 conv=notrunc status=none
	printf '\x55\xaa' | dd of="$img" bs=1 seek=510 conv=notrunc status=none
	loop=$(losetup --find --show "$img") || skip "no loop device on this host"
	# partx reads the table and tells the kernel about the partition (the
	# BLKPG ioctl), which works even where the kernel's own MBR parser is
	# not built in
	partx --add "$loop"
	[ -b "${loop}p1" ]
	run "$CONTAINER" --device-read-bps "${loop}p1:1mb" true
	assert_failure 125
	assert_output "$prog: --device-read-bps ${loop}p1: a partition; the kernel limits whole disks only (try $loop)"
	# the whole disk is accepted
	run "$CONTAINER" --device-read-bps "$loop:1mb" true
	assert_success
}

# points: 1
# requires: the command and what it forks first start in the container's cgroups, which are / inside
@test "with no cgroup file system mounted, or without a controller, the tool stops with the reason" {
	# every cgroup mount unmounted, in a mount namespace of this test only
	run unshare --mount --propagation private sh -c \
		'umount -l /sys/fs/cgroup && exec "$0" -m 64m true' "$CONTAINER"
	assert_failure 125
	assert_output "$prog: no cgroup file system is mounted (try mount -t cgroup2 none /sys/fs/cgroup)"
	[ -n "$(v1_mount cpu)" ] || skip "the cgroup v2 tree cannot hide one controller: only the first case tried"
	# v1: only the cpu hierarchy, mounted again in the empty tmpfs
	run unshare --mount --propagation private sh -c \
		'umount -l /sys/fs/cgroup && mount -t tmpfs none /sys/fs/cgroup && mkdir /sys/fs/cgroup/cpu &&
		mount -t cgroup -o cpu none /sys/fs/cgroup/cpu && exec "$0" -m 64m true' "$CONTAINER"
	assert_failure 125
	assert_output "$prog: --memory: the host has no memory controller: no cgroup file system mounted here carries it"
}

# points: 1
@test "the cgroups are gone after a normal exit; containers side by side share cell" {
	# a controller the host has (on v2, cg_dir reads the one v2 line)
	for ctl in pids memory cpu freezer none; do
		version_of "$ctl" >/dev/null && break
	done
	start_container sh -c "$WAIT_READY"
	first_tool=$tool first_init=$init
	first=$(cg_dir "$first_init" "$ctl")
	start_container sh -c "$WAIT_READY"
	second=$(cg_dir "$init" "$ctl")
	tools=("$first_tool")
	[[ $first == */cell/* && $second == */cell/* ]]
	assert_equal "$(dirname "$first")" "$(dirname "$second")"
	[ -d "$first" ] && [ -d "$second" ]
	# the first ends: its cgroup goes, cell stays for the second
	rm "/proc/$first_init/root/ready"
	exit_of "$first_tool"
	tools=()
	[ ! -e "$first" ]
	[ -d "$second" ]
	finish_container
	[ ! -e "$second" ]
	run grep "^$prog:" "$BATS_TEST_TMPDIR/trace"
	assert_output ""
}

# points: 1
@test "the cgroups are gone after the command is SIGKILLed, with no word of memory" {
	need memory
	start_container -m "$((RANDOM % 64 + 32))m" sh -c 'touch /ready; exec sleep 100'
	dir=$(cg_dir "$init" memory)
	[[ $dir == */cell/* ]] && [ -d "$dir" ]
	end_with KILL "$init" 137
	[ ! -e "$dir" ]
	# killed from the host, not by the OOM killer
	run grep "^$prog:" "$BATS_TEST_TMPDIR/trace"
	assert_output ""
}

# points: 1
@test "the cgroups are gone after SIGTERM to the tool with --init" {
	start_container -v --init sh -c 'touch /ready; exec sleep 100'
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	id=${state#/run/cell/}
	[[ $id =~ ^[0-9a-f]{8}$ ]]
	run find /sys/fs/cgroup -type d -path "*/cell/$id"
	[ -n "$output" ]
	end_with TERM "$tool" 143
	run find /sys/fs/cgroup -type d -path "*/cell/$id"
	assert_output ""
}

# points: 1
# requires: the command and what it forks first start in the container's cgroups, which are / inside
@test "the cgroups are gone after a setup step fails once the child is in them" {
	# a copy of the rootfs without /proc: the mount of proc fails in the
	# child, which the tool had moved into its cgroups by then
	broken=$BATS_TEST_TMPDIR/broken
	cp -a "$ROOTFS" "$broken"
	rmdir "$broken/proc"
	status=0
	"$CONTAINER" -v --rootfs "$broken" --pids-limit 50 true 2>"$BATS_TEST_TMPDIR/trace" || status=$?
	assert_equal "$status" 125
	run cat "$BATS_TEST_TMPDIR/trace"
	assert_output --partial "=> cgroup-join ... done"
	assert_output --partial "mount proc on /run/cell/"
	state=$(state_dir_in "$BATS_TEST_TMPDIR/trace")
	id=${state#/run/cell/}
	[[ $id =~ ^[0-9a-f]{8}$ ]]
	run find /sys/fs/cgroup -type d -path "*/cell/$id"
	assert_output ""
}

# points: 1
# requires: the command and what it forks first start in the container's cgroups, which are / inside
@test "--help documents every cgroup option" {
	run "$CONTAINER" --help
	assert_success
	assert_line --regexp '^ +-m, --memory SIZE +'
	for opt in "--memory-swap SIZE" "--cpus DECIMAL" "--cpu-shares N" "--pids-limit N" \
		"--cpuset-cpus LIST" "--device-read-bps DEV:RATE" "--device-write-bps DEV:RATE"; do
		assert_line --regexp "^ +$opt +"
	done
}

# points: 1
@test "what earlier stages showed still holds: no chroot escape, the network" {
	assert_earlier_stages_hold
	assert_pivot_net_cgroups_hold
}

# points: 1
# requires: the command and what it forks first start in the container's cgroups, which are / inside
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

#!/usr/bin/env bats
# Stage 10: the people's cell (run, ps, exec, logs, stats, pause, stop, rm,
# restart, mount), its monitor and its store. Each test checks what the
# kernel shows (namespace inodes, /proc/PID/status, cgroup files,
# mountinfo), not what cell says of itself. The store and bundles of each
# test live in its own directory (--root); the runtime state stays in
# /run/cell and the cgroups in cell/ctr/ID, where the leak check of
# helper.bash looks. The tests whose names say cgroup or freez also run in
# the cgroup v2 VM, whose kernel has no bridge module: their containers
# have --network none, the network being none of their business.

load helper

setup() { cell_store_setup; }
teardown() { cell_store_teardown; }

# Runs NAME detached with a shell that waits for ever; sets PID to its
# init's host PID.
run_sleeping() { # NAME [OPTION...]
	local name=$1
	shift
	cell run --rootfs "$ROOTFS" -d --name "$name" "$@" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
	PID=$(inspect "$name" .State.Pid)
	[ "$PID" -gt 0 ]
}

# Waits until NAME is in STATE.
wait_state() { # NAME STATE
	local i
	for i in $(seq 100); do
		[ "$(cell status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 is $(cell status "$1"), not $2"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_moved() { [ "$(cpu_ticks "$1")" != "$2" ]; }

# The container's cgroup directory in the hierarchy of CONTROLLER. A key
# lists its hierarchy's controllers: "cpu,cpuacct" on v1, v2's tree
# "cpuset cpu io memory pids ...".
cgroup_dir() { # NAME CONTROLLER
	inspect "$1" ".CgroupPaths | to_entries[] | select(.key | split(\"[, ]\"; null) | index(\"$2\")) | .value"
}

@test "run: the program's output and exit status; --rm leaves no record, bundle or cgroup" {
	name=c$(rand_token 6)
	run -7 cell run --rootfs "$ROOTFS" --network none --rm --name "$name" sh -c 'echo out; echo err >&2; exit 7'
	assert_output --partial out
	assert_output --partial err
	run cell ps -a --format json
	assert_success
	[ "$(jq length <<<"$output")" = 0 ]
	[ -z "$(ls -A "$LIB/containers")" ]
}

@test "run: a program that is missing is 127, one that cannot run is 126, a bad flag is 125; nothing is left" {
	run -127 cell run --rootfs "$ROOTFS" --rm nosuchprogram
	assert_output --partial 'executable file not found'
	run -126 cell run --rootfs "$ROOTFS" --rm /etc/passwd
	run -125 cell run --rootfs "$ROOTFS" --rm --memory 12XB true
	assert_output --partial '--memory'
	run -125 cell run --rm --rootfs /nonexistent true
	assert_output --partial '/nonexistent'
	run -125 cell run --rootfs "$ROOTFS" --rm --restart sometimes true
	assert_output --partial '--restart'
	run cell ps -aq
	assert_output ''
	[ -z "$(ls -A "$LIB/containers")" ]
}

@test "run -d: the container's namespaces are its own; ps lists it and its state follows the kernel" {
	name=c$(rand_token 6)
	run_sleeping "$name"
	for ns in pid mnt uts ipc net cgroup; do
		[ "$(readlink /proc/$PID/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] ||
			fail "the $ns namespace is the host's"
		[ "$(inspect "$name" .Namespaces.$ns)" = "$(stat -L -c %i /proc/$PID/ns/$ns)" ]
	done
	# its own lo is up, as runc and crun leave it (the kernel makes it down)
	nsenter -t "$PID" -n ip -o link show lo | grep -q '<LOOPBACK,UP'
	# PID 1 inside, the hostname is the id's first 12 digits
	grep -q "^NSpid:.*[[:space:]]1$" /proc/$PID/status
	id=$(inspect "$name" .Id)
	[ "$(nsenter -t "$PID" -u hostname)" = "${id:0:12}" ]
	run cell ps -q
	assert_output "${id:0:12}"
	[ "$(cell status "$name")" = running ]
	kill -9 "$PID"
	wait_state "$name" stopped
	[ "$(inspect "$name" .State.ExitCode)" = 137 ]
}

@test "exec joins every namespace and the cgroup of the init, with its capabilities, seccomp and no_new_privs" {
	name=c$(rand_token 6)
	run_sleeping "$name" --network none
	run cell exec "$name" sh -c 'for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done; grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status; cat /proc/self/cgroup'
	assert_success
	for ns in pid mnt uts ipc net cgroup; do
		assert_line "$(readlink /proc/$PID/ns/$ns)"
	done
	for field in CapEff CapBnd Seccomp NoNewPrivs; do
		assert_line "$(grep "^$field:" /proc/$PID/status)"
	done
	# the exec'd process is in the container's cgroup: as the host sees it
	run cell exec "$name" sh -c 'cat /proc/$$/stat >/dev/null; echo $$; sleep 2'
	run -3 cell exec "$name" sh -c 'exit 3'
	run -125 cell exec nosuchcontainer true
	assert_output --partial 'no such container'
}

@test "logs hold both streams in order, with times; --tail and -f" {
	name=c$(rand_token 6)
	# two pipes keep no order between writes of the same instant: the
	# program lets each line reach the monitor before the next stream
	cell run --rootfs "$ROOTFS" --name "$name" sh -c 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; printf partial' >/dev/null 2>&1
	run cell logs "$name"
	assert_success
	assert_output "$(printf 'one\ntwo\nthree\npartial')"
	run --separate-stderr cell logs "$name"
	[ "$stderr" = two ]
	run cell logs -t "$name"
	assert_line --index 0 --regexp '^20[0-9-]+T[0-9:.]+Z one$'
	run cell logs --tail 2 "$name"
	assert_output "$(printf 'three\npartial')"
	# the file itself is conmon's k8s-file format
	grep -qE '^[^ ]+ stderr F two$' "$LIB/containers/$(inspect "$name" .Id)/ctr.log"
	grep -qE '^[^ ]+ stdout P partial$' "$LIB/containers/$(inspect "$name" .Id)/ctr.log"
	# -f follows a running container to its end
	cell run --rootfs "$ROOTFS" -d --name "$name-f" sh -c 'echo a; sleep 0.5; echo b' >/dev/null
	run timeout 10 "$CONTAINER" --root "$LIB" logs -f "$name-f"
	assert_success
	assert_output "$(printf 'a\nb')"
}

@test "pause freezes every process (the freezer says FROZEN, their CPU time stops); unpause thaws" {
	name=c$(rand_token 6)
	cell run --rootfs "$ROOTFS" --network none -d --name "$name" sh -c 'while :; do :; done' >/dev/null
	PID=$(inspect "$name" .State.Pid)
	cell pause "$name"
	freezer=$(cgroup_dir "$name" freezer)
	if [ -n "$freezer" ]; then
		[ "$(cat "$freezer/freezer.state")" = FROZEN ]
	else
		[ "$(cat "$(inspect "$name" '.CgroupPaths | to_entries[0].value')/cgroup.freeze")" = 1 ]
	fi
	[ "$(cell status "$name")" = paused ]
	# utime + stime of the busy loop, in clock ticks, as the kernel counts
	a=$(cpu_ticks "$PID")
	sleep 0.3
	[ "$(cpu_ticks "$PID")" = "$a" ] || fail "a paused container ran"
	run -125 cell exec "$name" true
	assert_output --partial paused
	cell unpause "$name"
	wait_long cpu_moved "$PID" "$a" || fail "an unpaused container did not run"
	cell freeze "$name"
	cell thaw "$name"
}

@test "stats agree with the cgroup files; the limits given are there" {
	name=c$(rand_token 6)
	run_sleeping "$name" --network none --memory 48m --pids-limit 37 --cpus 0.5
	memory=$(cgroup_dir "$name" memory)
	pids=$(cgroup_dir "$name" pids)
	if [ -e "$memory/memory.limit_in_bytes" ]; then
		[ "$(cat "$memory/memory.limit_in_bytes")" = $((48 << 20)) ]
	else
		[ "$(cat "$memory/memory.max")" = $((48 << 20)) ]
	fi
	[ "$(cat "$pids/pids.max")" = 37 ]
	run cell stats --no-stream --format json "$name"
	assert_success
	[ "$(jq -r '.[0].MemLimit' <<<"$output")" = $((48 << 20)) ]
	[ "$(jq -r '.[0].PidsLimit' <<<"$output")" = 37 ]
	[ "$(jq -r '.[0].Pids' <<<"$output")" = "$(cat "$pids/pids.current")" ]
	used=$(jq -r '.[0].MemUsage' <<<"$output")
	[ "$used" -gt 0 ] && [ "$used" -le $((48 << 20)) ]
	run cell stats --no-stream
	assert_line --partial "$name"
	run cell top "$name"
	assert_line --regexp "^$PID +1 +0 +sh "
}

@test "stop: SIGTERM first, SIGKILL after -t; the exit status is recorded" {
	name=c$(rand_token 6)
	run_sleeping "$name"
	cell stop -t 5 "$name"
	[ "$(cell status "$name")" = stopped ]
	[ "$(inspect "$name" .State.ExitCode)" = 0 ] # its TERM trap ran
	cell run --rootfs "$ROOTFS" -d --name "$name-k" sh -c 'trap "" TERM; while :; do sleep 0.1; done' >/dev/null
	PID=$(inspect "$name-k" .State.Pid)
	cell stop -t 1 "$name-k"
	[ "$(inspect "$name-k" .State.ExitCode)" = 137 ]
	! test -e /proc/$PID/status || ! grep -q '^State:.*[RS]' /proc/$PID/status
}

@test "restart keeps the configuration, the files and the id, with a new init" {
	name=c$(rand_token 6)
	token=$(rand_token 8)
	run_sleeping "$name" -e TOKEN="$token" --hostname "h$token"
	id=$(inspect "$name" .Id)
	old=$PID
	cell exec "$name" sh -c 'echo kept >/etc/kept'
	cell restart -t 2 "$name"
	new=$(inspect "$name" .State.Pid)
	[ "$new" != "$old" ] && [ "$new" -gt 0 ]
	[ "$(inspect "$name" .Id)" = "$id" ]
	tr '\0' '\n' </proc/$new/environ | grep -qx "TOKEN=$token"
	[ "$(nsenter -t "$new" -u hostname)" = "h$token" ]
	[ "$(cat /proc/$new/root/etc/kept)" = kept ]
	# the lower layer was not written to
	[ ! -e "$ROOTFS/etc/kept" ]
	# after a stop, start runs it again
	cell stop -t 2 "$name"
	cell start "$name"
	[ "$(cell status "$name")" = running ]
}

@test "--restart on-failure:N: the monitor runs it again N times" {
	name=c$(rand_token 6)
	cell run --rootfs "$ROOTFS" -d --name "$name" --restart on-failure:2 sh -c 'echo run; exit 3' >/dev/null
	wait_state "$name" stopped
	[ "$(inspect "$name" .RestartCount)" = 2 ]
	[ "$(inspect "$name" .State.ExitCode)" = 3 ]
	[ "$(cell logs "$name" | grep -c run)" = 3 ]
}

@test "-i passes stdin; -t gives a terminal, to run and to exec" {
	run cell run --rootfs "$ROOTFS" --rm -i sh -c 'read line; echo "got $line"' <<<"hello"
	assert_success
	assert_output "got hello"
	run script -qec "$CONTAINER --root $LIB run --rootfs $ROOTFS --rm -it sh -c 'tty; exit 4'" /dev/null </dev/null
	[ "$status" = 4 ]
	assert_output --partial /dev/pts/0
	# exec -t: a terminal of its own, in the container's devpts
	name=c$(rand_token 6)
	run_sleeping "$name"
	run script -qec "$CONTAINER --root $LIB exec -it $name sh -c 'tty; exit 6'" /dev/null </dev/null
	[ "$status" = 6 ]
	assert_output --partial /dev/pts/0
	run cell exec "$name" sh -c 'tty'
	assert_failure
}

@test "rm refuses a running container without -f; every command refuses an unknown one" {
	name=c$(rand_token 6)
	run_sleeping "$name"
	run -125 cell rm "$name"
	assert_output --partial "$name"
	assert_output --partial running
	[ "$(cell status "$name")" = running ]
	run -125 cell run --rootfs "$ROOTFS" --name "$name" true
	assert_output --partial 'already in use'
	run -125 cell start "$name"
	assert_output --partial 'already running'
	for cmd in start stop kill rm status inspect logs top pause unpause restart; do
		run -125 cell $cmd nosuch$(rand_token 4)
		assert_output --partial 'no such container'
	done
	cell rm -f "$name"
	[ ! -e /proc/$PID/status ] || ! grep -q '^State:.*[RS]' /proc/$PID/status
	run cell ps -aq
	assert_output ''
}

@test "a killed monitor: the next command settles the record and frees the container" {
	name=c$(rand_token 6)
	run_sleeping "$name"
	monitor=$(inspect "$name" .State.MonitorPid)
	[ "$(ps -o comm= -p "$monitor")" = cell-monitor ]
	kill -9 "$monitor"
	run cell ps -a --format json
	assert_success
	[ "$(jq -r '.[0].State' <<<"$output")" = stopped ]
	[ "$(jq -r '.[0].ExitCode' <<<"$output")" = -1 ]
	wait_long sh -c "! grep -qs '^State:.*[RS]' /proc/$PID/status"
	[ -z "$(find /sys/fs/cgroup -path "*cell/ctr/$(inspect "$name" .Id)*")" ]
}

@test "mount binds a host path into two running containers at once; --ro holds" {
	src=$BATS_TEST_TMPDIR/shared
	mkdir -p "$src"
	token=$(rand_token 8)
	echo "$token" >"$src/file"
	run_sleeping "a$token"
	pid_a=$PID
	run_sleeping "b$token"
	pid_b=$PID
	cell exec "a$token" mkdir -p /mnt/shared
	cell exec "b$token" mkdir -p /mnt/shared
	cell mount --ro "$src" /mnt/shared "a$token" "b$token"
	for p in $pid_a $pid_b; do
		grep -q ' /mnt/shared ' /proc/$p/mountinfo
		[ "$(cat /proc/$p/root/mnt/shared/file)" = "$token" ]
	done
	run cell exec "a$token" touch /mnt/shared/new
	assert_failure
	assert_output --partial 'Read-only'
	# the host's own mount table is unchanged
	! grep -q ' /mnt/shared ' /proc/1/mountinfo
}

@test "joining: --network and --ipc container:X share X's namespaces; --ipc host the host's" {
	name=c$(rand_token 6)
	run_sleeping "$name"
	first=$PID
	run_sleeping "$name-2" --network "container:$name" --ipc "container:$name"
	[ "$(readlink /proc/$PID/ns/net)" = "$(readlink /proc/$first/ns/net)" ]
	[ "$(readlink /proc/$PID/ns/ipc)" = "$(readlink /proc/$first/ns/ipc)" ]
	[ "$(readlink /proc/$PID/ns/uts)" != "$(readlink /proc/$first/ns/uts)" ]
	run_sleeping "$name-3" --ipc host
	[ "$(readlink /proc/$PID/ns/ipc)" = "$(readlink /proc/self/ns/ipc)" ]
	run -125 cell run --rootfs "$ROOTFS" --rm --network container:nosuch true
	assert_output --partial 'no such container'
}

@test "cell -v traces each step with the stage that teaches it" {
	run cell -v run --rootfs "$ROOTFS" --rm true
	assert_success
	assert_line '=> overlay (04) ... done'
	assert_line '=> cgroup (06) ... done'
	assert_line '=> pivot-root (04) ... done'
	assert_line '=> user, capabilities, seccomp (07, 08) ... done'
}

@test "the root is an overlay in a namespace of the monitor's: nothing is mounted on the host" {
	name=c$(rand_token 6)
	run_sleeping "$name"
	id=$(inspect "$name" .Id)
	! grep -q "$id" /proc/1/mountinfo
	grep -q " / .* overlay overlay " /proc/$PID/mountinfo
	cell exec "$name" sh -c 'echo x >/written'
	[ -e "$LIB/containers/$id/upper/written" ]
}

@test "kill -9 of cell or of a monitor at random moments, 100 times: every record is whole and true, and rm -f leaves the host as it was" {
	local i victim
	for i in $(seq 100); do
		if ((RANDOM % 3)); then
			# a cell run, somewhere between its start and its end
			cell run --rootfs "$ROOTFS" -d sh -c 'while :; do sleep 1; done' >/dev/null 2>&1 &
			victim=$!
			sleep "0.$(printf %03d $((RANDOM % 300)))"
			kill -9 "$victim" 2>/dev/null || true
		else
			# the monitor of one of this test's containers
			victim=$(cell ps -a --format json | jq -r '.[].Id' | shuf -n 1)
			[ -z "$victim" ] || victim=$(inspect "$victim" .State.MonitorPid)
			[ "${victim:-0}" -le 0 ] || kill -9 "$victim" 2>/dev/null || true
		fi
	done
	wait
	run cell ps -a --format json
	assert_success
	all=$output
	[ "$(jq length <<<"$all")" -gt 0 ]
	while read -r id state pid; do
		case $state in
		running | paused | created)
			# the kernel agrees: the init lives, in the container's
			# cgroup, and its parent is a monitor that will record its end
			grep -q "cell/ctr/$id" "/proc/$pid/cgroup" ||
				fail "$id is $state, but process $pid is not in its cgroup"
			ppid=$(awk '{ print $4 }' "/proc/$pid/stat")
			[ "$(cat "/proc/$ppid/comm")" = cell-monitor ] ||
				fail "$id is $state, but its init's parent is $(cat "/proc/$ppid/comm")"
			;;
		stopped) [ "$pid" = 0 ] || fail "$id is stopped with pid $pid" ;;
		*) fail "$id is in state $state" ;;
		esac
	done < <(jq -r '.[] | "\(.Id) \(.State) \(.Pid)"' <<<"$all")
	# every bundle has its record
	for dir in "$LIB"/containers/*; do
		jq -e --arg id "${dir##*/}" 'any(.[]; .Id == $id)' <<<"$all" >/dev/null ||
			fail "the bundle $dir has no record (it holds: $(ls "$dir"))"
	done
	cell rm -f $(jq -r '.[].Id' <<<"$all") >/dev/null
	run cell ps -aq
	assert_output ''
	[ -z "$(ls -A "$LIB/containers")" ]
}

@test "50 cell run --rootfs "$ROOTFS" -d at once: 50 distinct ids, names and addresses on the bridge, all running and reachable, all removable" {
	local i
	for i in $(seq 50); do
		cell run --rootfs "$ROOTFS" -d sh -c 'while :; do sleep 1; done' >"$BATS_TEST_TMPDIR/run.$i" 2>&1 &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/run.* | grep -vE '^[0-9a-f]{64}$' && fail "a run failed"
	[ "$(cat "$BATS_TEST_TMPDIR"/run.* | sort -u | wc -l)" = 50 ]
	run cell ps --format json
	assert_success
	[ "$(jq '[.[] | select(.State == "running")] | length' <<<"$output")" = 50 ]
	[ "$(jq -r '.[].Name' <<<"$output" | sort -u | wc -l)" = 50 ]
	for pid in $(jq -r '.[].Pid' <<<"$output"); do
		grep -q cell/ctr/ "/proc/$pid/cgroup"
		# the address each lease gave, as the kernel has it in its namespace
		nsenter -t "$pid" -n ip -o -4 addr show dev eth0 | awk '{ print $4 }'
	done >"$BATS_TEST_TMPDIR/addresses"
	[ "$(sort -u "$BATS_TEST_TMPDIR/addresses" | grep -c '^10\.88\.')" = 50 ]
	# 50 ports on the bridge; each container reaches the bridge's address
	[ "$(ip -o link show master cell0 | wc -l)" = 50 ]
	for i in $(seq 50); do
		id=$(cat "$BATS_TEST_TMPDIR/run.$i")
		cell exec "$id" ping -c 1 -W 2 10.88.0.1 >/dev/null ||
			fail "container $i does not reach 10.88.0.1"
	done
	cell rm -f $(cell ps -q) >/dev/null
	run cell ps -aq
	assert_output ''
}

@test "--sched: the policy of sched(7) for the container's processes, exec'd ones too; real-time time in its cgroup where the kernel groups it" {
	local dir
	name=c$(rand_token 6)
	run_sleeping "$name" --network none --sched batch
	# field 41 of /proc/PID/stat: the policy (SCHED_BATCH is 3)
	[ "$(awk '{ print $41 }' /proc/$PID/stat)" = 3 ]
	run cell exec "$name" sh -c 'cut -d" " -f41 /proc/$$/stat'
	assert_output 3
	run_sleeping "$name-i" --network none --sched idle
	[ "$(awk '{ print $41 }' /proc/$PID/stat)" = 5 ]
	run -125 cell run --rootfs "$ROOTFS" --network none --rm --sched fifo true
	assert_output --partial 'fifo:PRIO'
	if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
		# a kernel that groups real-time time (CONFIG_RT_GROUP_SCHED, v1):
		# a new cgroup has none, so the policy is refused without it
		run -125 cell run --rootfs "$ROOTFS" --network none --rm --sched fifo:10 true
		assert_output --partial '--cpu-rt-runtime'
		# fields 40 and 41: the priority, the policy (SCHED_FIFO 1, SCHED_RR 2)
		run_sleeping "$name-f" --network none --sched fifo:10 --cpu-rt-runtime 40000
		[ "$(awk '{ print $40, $41 }' /proc/$PID/stat)" = "10 1" ]
		dir=/sys/fs/cgroup/cpu$(sed -n 's/^[0-9]*:[^:]*\<cpu\>[^:]*://p' /proc/$PID/cgroup)
		[ "$(cat "$dir/cpu.rt_runtime_us")" = 40000 ]
		run_sleeping "$name-r" --network none --sched rr:5 --cpu-rt-runtime 20000
		[ "$(awk '{ print $40, $41 }' /proc/$PID/stat)" = "5 2" ]
		# cell's levels above hold what their children hold, and give it
		# back when they go
		[ "$(cat "${dir%/*}/cpu.rt_runtime_us")" = 60000 ]
		[ "$(cat "${dir%/*/*}/cpu.rt_runtime_us")" = 60000 ]
		cell rm -f "$name-f" "$name-r" >/dev/null
		[ "$(cat "${dir%/*}/cpu.rt_runtime_us")" = 0 ]
		[ "$(cat "${dir%/*/*}/cpu.rt_runtime_us")" = 0 ]
	else
		# real-time processes are not grouped: the policy alone works, and
		# real-time time is refused by name
		run cell run --rootfs "$ROOTFS" --network none --rm --sched fifo:10 sh -c 'cut -d" " -f40,41 /proc/$$/stat'
		assert_success
		assert_output '10 1'
		run -125 cell run --rootfs "$ROOTFS" --network none --rm --cpu-rt-runtime 1000 true
		assert_output --partial 'CONFIG_RT_GROUP_SCHED'
	fi
}

@test "--init: PID 1 reaps orphans and passes signals on to the command" {
	name=c$(rand_token 6)
	# an orphan whose PID 1 never waits stays a zombie; cell-init reaps it
	cell run --rootfs "$ROOTFS" -d --name "$name" sh -c '(sleep 0.1 &); exec sleep 100' >/dev/null
	cell run --rootfs "$ROOTFS" -d --name "$name-i" --init sh -c '(sleep 0.1 &); exec sleep 100' >/dev/null
	sleep 0.5
	run cell exec "$name" ps -o stat,comm
	assert_line --regexp '^Z +sleep'
	run cell exec "$name-i" ps -o pid,stat,comm
	assert_line --regexp '^ +1 +S +cell-init'
	refute_line --regexp 'Z +sleep'
	# SIGTERM reaches the command (no longer PID 1, so it dies of it)
	cell stop -t 10 "$name-i"
	[ "$(inspect "$name-i" .State.ExitCode)" = 143 ]
	# the container's copy is bound read-only
	run cell run --rootfs "$ROOTFS" --rm --init sh -c 'grep " /run/cell-init " /proc/self/mountinfo'
	assert_success
	assert_output --regexp ' /run/cell-init ro[, ]'
}

@test "-U: root inside is an unprivileged host range; its files are that range's on the host" {
	name=c$(rand_token 6)
	# the way to the test's store is closed to others: said in one line
	run -125 cell run --rootfs "$ROOTFS" --rm -U true
	assert_output --partial 'closed to others'
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	run_sleeping "$name" -U
	read -r inside host count </proc/$PID/uid_map
	[ "$inside" = 0 ] && [ "$host" -gt 65535 ] && [ "$count" = 65536 ]
	[ "$(awk '/^Uid:/ { print $2 }' /proc/$PID/status)" = "$host" ]
	[ "$(readlink /proc/$PID/ns/user)" != "$(readlink /proc/self/ns/user)" ]
	cell exec "$name" sh -c 'echo mine >/mine'
	[ "$(stat -c %u "$LIB/containers/$(inspect "$name" .Id)/upper/mine")" = "$host" ]
	# the host's root-owned files are nobody's inside: not writable
	run cell exec "$name" sh -c 'echo x >>/etc/passwd'
	assert_failure
}

@test "--user: the program is that user and group, and / is open to it as in the image (the upper's root takes the image's mode); with -U too, and with no capability" {
	local id mode
	name=u$(rand_token 6)
	mode=$(stat -c %A "$ROOTFS")
	# (no capability either: nothing overrides a file's mode for it)
	run cell run --rootfs "$ROOTFS" --rm --network none --user 1000:1001 --cap-drop ALL sh -c \
		'id -u; id -g; ls -ld / | cut -c1-10; touch /tmp/f && echo wrote'
	assert_success
	assert_output "$(printf '1000\n1001\n%s\nwrote' "$mode")"
	run_sleeping "$name" --network none --user 1000:1001
	assert_equal "$(awk '/^Uid:/ { print $2 } /^Gid:/ { print $2 }' "/proc/$PID/status")" "$(printf '1000\n1001')"
	# the bundle stays the host root's alone; its upper has the image's mode
	id=$(inspect "$name" .Id)
	assert_equal "$(stat -c %a "$LIB/containers/$id")" 700
	assert_equal "$(stat -c %A "$LIB/containers/$id/upper")" "$mode"
	cell rm -f "$name" >/dev/null
	# -U: the user is of the container's range; the exec FIFO lets it start
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	run cell run --rootfs "$ROOTFS" --rm --network none -U --user 1000 --cap-drop ALL sh -c \
		'id -u; ls -ld / | cut -c1-10'
	assert_success
	assert_output "$(printf '1000\n%s' "$mode")"
}

@test "--ip: a veth pair to the host, eth0 addressed inside; its bytes in stats; a subnet is one container's; the host's own is refused" {
	name=c$(rand_token 6)
	cidr=$(rand_cidr)
	net=${cidr%.*}
	run_sleeping "$name" --ip "$cidr"
	id=$(inspect "$name" .Id)
	# the kernel's view: eth0 inside, the host end cell-<id> with .1
	nsenter -t "$PID" -n ip -o -4 addr show dev eth0 | grep -q "inet $cidr "
	ip -o -4 addr show dev "cell-${id:0:8}" | grep -q "inet $net.1/24 "
	[ "$(inspect "$name" .Addresses.eth0)" = "$cidr" ]
	[ "$(inspect "$name" .Addresses.HostEnd.Name)" = "cell-${id:0:8}" ]
	run cell exec "$name" ping -c 2 -W 2 "$net.1"
	assert_success
	run cell stats --no-stream --format json "$name"
	[ "$(jq -r '.[0].NetInput' <<<"$output")" -gt 0 ]
	[ "$(jq -r '.[0].NetOutput' <<<"$output")" -gt 0 ]
	# while it runs the host routes its subnet; stopped, the store keeps it
	run -125 cell run --rootfs "$ROOTFS" --rm --ip "$net.77/24" true
	assert_output --partial 'already routes'
	cell stop -t 1 "$name"
	run -125 cell run --rootfs "$ROOTFS" --rm --ip "$net.77/24" true
	assert_output --partial "container $name's"
	host_net=$(ip -o -4 route show scope link | awk '{ print $1; exit }')
	if [ -n "$host_net" ]; then
		run -125 cell run --rootfs "$ROOTFS" --rm --ip "${host_net%.*/*}.77/${host_net#*/}" true
		assert_output --partial 'already routes'
	fi
	cell rm -f "$name"
	! ip link show "cell-${id:0:8}" 2>/dev/null
	# the subnet is free again
	cell run --rootfs "$ROOTFS" --rm --ip "$net.9/24" true
}

@test "--upper DIR: the writes outlive the container in DIR, the next one sees them; cell's work directory goes with rm" {
	dir=$BATS_TEST_TMPDIR/keep
	token=$(rand_token 8)
	cell run --rootfs "$ROOTFS" --rm --upper "$dir" sh -c "echo $token >/kept"
	[ "$(cat "$dir/kept")" = "$token" ]
	run cell run --rootfs "$ROOTFS" --rm --upper "$dir" cat /kept
	assert_output "$token"
	[ ! -e "$ROOTFS/kept" ]
	# nothing of cell's is left beside DIR
	run ls -A "$BATS_TEST_TMPDIR"
	refute_output --partial .cell-work
	run -125 cell run --rootfs "$ROOTFS" --rm --upper "$ROOTFS/tmp" true
	assert_output --partial 'inside the root file system'
}

@test "the monitor records an OOM kill: exit 137 and OOMKilled, from the cgroup's own count" {
	name=c$(rand_token 6)
	run -137 cell run --rootfs "$ROOTFS" --network none --name "$name" -m 16m --memory-swap 16m memeat 64
	[ "$(inspect "$name" .State.ExitCode)" = 137 ]
	[ "$(inspect "$name" .State.OOMKilled)" = true ]
	# a SIGKILL that is not the OOM killer's is not called one
	run_sleeping "$name-k" --network none
	kill -9 "$PID"
	wait_state "$name-k" stopped
	[ "$(inspect "$name-k" .State.OOMKilled)" = false ]
}

@test "restart after a reboot: the runtime state gone, the saved configuration runs again" {
	name=c$(rand_token 6)
	token=$(rand_token 8)
	run_sleeping "$name" -e TOKEN="$token"
	id=$(inspect "$name" .Id)
	# what a reboot does: every process gone, /run emptied
	monitor=$(inspect "$name" .State.MonitorPid)
	kill -9 "$monitor" "$PID"
	wait_long sh -c "! grep -qs '^State:.*[RS]' /proc/$PID/status"
	rm -rf "/run/cell/core/$id" "/run/cell/containers/$id"
	cell restart "$name"
	[ "$(cell status "$name")" = running ]
	new=$(inspect "$name" .State.Pid)
	[ "$new" != "$PID" ]
	tr '\0' '\n' </proc/$new/environ | grep -qx "TOKEN=$token"
}

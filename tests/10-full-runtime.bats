#!/usr/bin/env bats
# Stage 10: cell's core behind runc's command line. Each test builds a bundle
# (`cell-runc spec`, then jq), drives cell-runc as podman and containerd do,
# and checks what the kernel shows: namespace inodes, /proc/PID/status,
# mountinfo, cgroup files, the errno of a filtered call. The leak check of
# helper.bash runs around every test (the default cgroups are /cell/runc/ID).

load helper

setup() {
	cell_setup
	command -v jq >/dev/null || fail "jq is missing: run make deps"
	STATE=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$BUNDLE"
	(cd "$BUNDLE" && "$RUNC_BIN" spec)
	ID=t$(rand_token 10)
}

teardown() {
	local id
	for id in $("$RUNC_BIN" --root "$STATE" list -q 2>/dev/null); do
		"$RUNC_BIN" --root "$STATE" delete --force "$id" || true
	done
	# the parents a test made for its linux.cgroupsPath, deepest first
	[ -z "${CGROUP_PARENTS:-}" ] ||
		find /sys/fs/cgroup -mindepth 1 -depth -type d -regex "$CGROUP_PARENTS" -exec rmdir {} + 2>/dev/null || true
	cell_teardown
}

runc() { "$RUNC_BIN" --root "$STATE" "$@"; }

# Edits the bundle's config.json with a jq filter (with jq's --arg/--argjson
# options before it).
edit() { # [JQ OPTION...] FILTER
	jq "$@" "$BUNDLE/config.json" >"$BUNDLE/config.new"
	mv "$BUNDLE/config.new" "$BUNDLE/config.json"
}

# The command the container runs, as args.
set_args() { # ARG...
	local a
	a=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	edit --argjson a "$a" '.process.args = $a'
}

pid_of() { jq -r .pid <<<"$(runc state "$1")"; }
status_of() { jq -r .status <<<"$(runc state "$1")"; }

# Whether the host's cgroups are v2 only: one tree at /sys/fs/cgroup. On
# a v1 host (or a hybrid one, whose v2 tree has no controller), the
# runtime uses the hierarchies of /sys/fs/cgroup/<controller>.
cgroup_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# Whether the kernel accounts swap, which a swap limit needs: v1's memsw
# files; v2's memory.swap.max, in a cgroup below the root (this shell's).
swap_accounted() {
	if cgroup_v2; then
		[ -e "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)/memory.swap.max" ]
	else
		[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]
	fi
}

# The cgroup directories of PATH (below the roots) in every hierarchy.
cgroup_dirs() { # PATH
	if cgroup_v2; then
		echo "/sys/fs/cgroup$1"
	else
		find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d -exec test -d "{}$1" \; -printf "%p$1\n"
	fi
}

# Create and start ID running a shell that makes /tmp/ready and then waits
# while it exists (the root is read-only; /tmp is a tmpfs); sets init to
# its host PID and READY to the file as the host reaches it.
run_waiting() { # ID
	set_args sh -c 'touch /tmp/ready; while [ -e /tmp/ready ]; do sleep 0.1; done'
	runc run -d --bundle "$BUNDLE" "$1" </dev/null >/dev/null
	init=$(pid_of "$1")
	READY=/proc/$init/root/tmp/ready
	wait_long test -e "$READY"
}

@test "create leaves the init waiting; start runs the program; the state follows the kernel" {
	local pid
	set_args sh -c 'echo started >/tmp/mark; sleep 30'
	runc create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	# the pid file holds the host PID of a live process: the init
	[ -d "/proc/$pid" ]
	assert_equal "$(status_of "$ID")" created
	assert_equal "$(pid_of "$ID")" "$pid"
	# created: the program has not run (its mark is not there)
	[ ! -e "/proc/$pid/root/tmp/mark" ]
	runc start "$ID"
	wait_long test -e "/proc/$pid/root/tmp/mark"
	assert_equal "$(status_of "$ID")" running
	runc kill "$ID" KILL
	wait_long bash -c "[ \"\$('$RUNC_BIN' --root '$STATE' state $ID | jq -r .status)\" = stopped ]"
	runc delete "$ID"
	[ ! -e "$STATE/$ID" ]
	run runc state "$ID"
	assert_failure 1
	assert_output --partial "container does not exist"
}

@test "namespaces: pid, mount, uts, ipc, net and cgroup are the container's own; hostname from the spec" {
	local name t
	name=$(rand_hostname)
	edit --arg h "$name" '.hostname = $h'
	run_waiting "$ID"
	for t in pid mnt uts ipc net cgroup; do
		[ "$(ns_of "$init" "$t")" != "$(ns_of $$ "$t")" ] || fail "$t namespace is the host's"
	done
	# the user namespace was not asked for: the host's
	assert_equal "$(ns_of "$init" user)" "$(ns_of $$ user)"
	# (the hostname a process reads is that of its own UTS namespace)
	assert_equal "$(nsenter -t "$init" -u hostname)" "$name"
	# the init is PID 1 inside; an exec'd process's parent is outside (0);
	# /proc shows the container's few processes, not the host's (ls's
	# complaint about a sleep that ended while it listed is no count)
	run runc exec "$ID" sh -c 'echo $PPID; tr "\0" " " </proc/1/cmdline; echo; ls /proc 2>/dev/null | grep -c "^[0-9]"'
	assert_success
	assert_equal "${lines[0]}" 0
	assert_equal "${lines[1]}" "sh -c touch /tmp/ready; while [ -e /tmp/ready ]; do sleep 0.1; done "
	[ "${lines[2]}" -lt 10 ]
}

@test "a namespace given by path is joined" {
	local other
	runc_other=o$(rand_token 8)
	run_waiting "$runc_other"
	other=$init
	edit --arg p "/proc/$other/ns/ipc" '.linux.namespaces |= map(if .type == "ipc" then .path = $p else . end)'
	run_waiting "$ID"
	assert_equal "$(ns_of "$init" ipc)" "$(ns_of "$other" ipc)"
	[ "$(ns_of "$init" uts)" != "$(ns_of "$other" uts)" ]
}

@test "docker's defaults: capabilities, bounding set, no_new_privs, seccomp, masked and read-only paths" {
	run_waiting "$ID"
	run grep -E '^(CapEff|CapPrm|CapBnd|CapInh|CapAmb|NoNewPrivs|Seccomp):' "/proc/$init/status"
	assert_line --regexp '^CapEff:\s+00000000a80425fb$'
	assert_line --regexp '^CapBnd:\s+00000000a80425fb$'
	assert_line --regexp '^CapInh:\s+0000000000000000$'
	assert_line --regexp '^NoNewPrivs:\s+1$'
	assert_line --regexp '^Seccomp:\s+2$'
	# the filter answers: reboot, keyctl and mount are refused with EPERM
	run runc exec "$ID" sysprobe reboot keyctl mount
	assert_line "reboot: EPERM"
	assert_line "keyctl: EPERM"
	assert_line "mount: EPERM"
	# /proc/keys is covered (by /dev/null: empty), /proc/sys is read-only
	[ -e /proc/keys ] || skip "this kernel has no /proc/keys to mask"
	run runc exec "$ID" sh -c 'wc -c </proc/keys; echo 1 >/proc/sys/kernel/domainname'
	assert_failure
	assert_line 0
	assert_output --partial "Read-only file system"
}

@test "linux.seccomp as given: a rule with its errno, and arguments" {
	edit '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["keyctl"], action: "SCMP_ACT_ERRNO", errnoRet: 13},
			   {names: ["reboot"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
			    args: [{index: 0, value: 4276215469, op: "SCMP_CMP_EQ"}]}]}'
	run_waiting "$ID"
	run runc exec "$ID" sysprobe keyctl
	# keyctl gets the spec's errno (13: EACCES), where docker's profile
	# would give EPERM
	assert_line "keyctl: EACCES"
}

@test "linux.resources: memory, swap, pids and cpu limits are in the container's cgroup, its root inside" {
	local mem swap=0 pids shares d
	mem=$(((RANDOM % 64 + 32) * 1048576))
	! swap_accounted || swap=$((mem + (RANDOM % 64 + 1) * 1048576))
	pids=$((RANDOM % 50 + 20))
	shares=$((RANDOM % 4000 + 100))
	edit --argjson m "$mem" --argjson s "$swap" --argjson p "$pids" --argjson c "$shares" \
		'.linux.resources.memory.limit = $m | .linux.resources.pids.limit = $p |
		 if $s > 0 then .linux.resources.memory.swap = $s else . end |
		 .linux.resources.cpu = {shares: $c, quota: 50000, period: 100000}'
	run_waiting "$ID"
	if cgroup_v2; then
		d=/sys/fs/cgroup/cell/runc/$ID
		assert_equal "$(cat "$d/memory.max")" "$mem"
		# the spec counts memory plus swap (v1's memsw); v2 limits swap alone
		[ "$swap" -eq 0 ] || assert_equal "$(cat "$d/memory.swap.max")" $((swap - mem))
		assert_equal "$(cat "$d/pids.max")" "$pids"
		assert_equal "$(cat "$d/cpu.max")" "50000 100000"
		# v1's shares (2-262144) on v2's weight (1-10000): runc's and crun's line
		assert_equal "$(cat "$d/cpu.weight")" $((1 + (shares - 2) * 9999 / 262142))
		grep -qx "$init" "$d/cgroup.procs"
		# inside, its own cgroup namespace: the container's cgroup is the
		# root, and /sys/fs/cgroup shows it (its limit, its processes)
		run runc exec "$ID" sh -c 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max; grep -cx 1 /sys/fs/cgroup/cgroup.procs'
		assert_success
		assert_output "$(printf '0::/\n%s\n1' "$mem")"
	else
		d=/cell/runc/$ID
		assert_equal "$(cat "/sys/fs/cgroup/memory$d/memory.limit_in_bytes")" "$mem"
		[ "$swap" -eq 0 ] ||
			assert_equal "$(cat "/sys/fs/cgroup/memory$d/memory.memsw.limit_in_bytes")" "$swap"
		assert_equal "$(cat "/sys/fs/cgroup/pids$d/pids.max")" "$pids"
		assert_equal "$(cat "/sys/fs/cgroup/cpu$d/cpu.cfs_quota_us")" 50000
		assert_equal "$(cat "/sys/fs/cgroup/cpu$d/cpu.shares")" "$shares"
		grep -qx "$init" "/sys/fs/cgroup/memory$d/cgroup.procs"
		run runc exec "$ID" sh -c 'cat /proc/self/cgroup /sys/fs/cgroup/memory/memory.limit_in_bytes; grep -cx 1 /sys/fs/cgroup/pids/cgroup.procs'
		assert_success
		refute_output --partial "$ID"
		assert_line --regexp '^[0-9]+:memory:/$'
		assert_equal "${lines[-2]}" "$mem"
		assert_equal "${lines[-1]}" 1
	fi
}

@test "update --resources: new limits in the running container's cgroup" {
	local mem pids
	mem=$(((RANDOM % 64 + 32) * 1048576))
	pids=$((RANDOM % 50 + 20))
	run_waiting "$ID"
	jq -n --argjson m "$mem" --argjson p "$pids" '{memory: {limit: $m}, pids: {limit: $p}}' |
		runc update --resources - "$ID"
	if cgroup_v2; then
		assert_equal "$(cat "/sys/fs/cgroup/cell/runc/$ID/memory.max")" "$mem"
		assert_equal "$(cat "/sys/fs/cgroup/cell/runc/$ID/pids.max")" "$pids"
	else
		assert_equal "$(cat "/sys/fs/cgroup/memory/cell/runc/$ID/memory.limit_in_bytes")" "$mem"
		assert_equal "$(cat "/sys/fs/cgroup/pids/cell/runc/$ID/pids.max")" "$pids"
	fi
}

@test "linux.cgroupsPath: a path, or systemd's slice:prefix:name, is where the kernel puts the init" {
	local tok given path pids d
	tok=$(rand_token 8)
	pids=$((RANDOM % 50 + 20))
	CGROUP_PARENTS=".*/cellt-?$tok.*\|.*/cellt\.slice"
	for given in "/cellt$tok/$ID" "cellt-$tok.slice:cellp:$ID"; do
		# systemd's names: cellt-TOK.slice is cellt.slice/cellt-TOK.slice
		case $given in
		/*) path=$given ;;
		*) path=/cellt.slice/cellt-$tok.slice/cellp-$ID.scope ;;
		esac
		edit --arg c "$given" --argjson p "$pids" '.linux.cgroupsPath = $c | .linux.resources.pids.limit = $p'
		run_waiting "$ID"
		# v1: a line per hierarchy, "N:pids:PATH"; v2: "0::PATH"
		grep -Eqx "[0-9]+:(pids)?:$path" "/proc/$init/cgroup" ||
			fail "the init is not in $path: $(cat "/proc/$init/cgroup")"
		if cgroup_v2; then
			assert_equal "$(cat "/sys/fs/cgroup$path/pids.max")" "$pids"
		else
			assert_equal "$(cat "/sys/fs/cgroup/pids$path/pids.max")" "$pids"
		fi
		runc delete --force "$ID"
		# the container's cgroup goes; the levels above it are the client's
		for d in $(cgroup_dirs "${path%/*}"); do
			[ ! -e "$d/${path##*/}" ] || fail "$d/${path##*/} is left"
			rmdir "$d"
		done
		[ "${path#/cellt.slice/}" = "$path" ] || rmdir $(cgroup_dirs /cellt.slice)
		(cd "$BUNDLE" && rm config.json && "$RUNC_BIN" spec)
	done
}

@test "pause freezes every process of the container (its cgroup's freezer); resume thaws them" {
	local ticks
	run_waiting "$ID"
	runc pause "$ID"
	assert_equal "$(status_of "$ID")" paused
	if [ -d /sys/fs/cgroup/freezer ]; then
		assert_equal "$(cat /sys/fs/cgroup/freezer/cell/runc/$ID/freezer.state)" FROZEN
	else
		grep -qx 'frozen 1' /sys/fs/cgroup/cell/runc/$ID/cgroup.events
	fi
	# a frozen shell does not run: its removal of /ready goes unseen
	rm "$READY"
	sleep 0.5
	[ -d "/proc/$init" ]
	run grep -E '^State' "/proc/$init/status"
	runc resume "$ID"
	# thawed, it sees /tmp/ready gone and ends
	wait_long bash -c "[ \"\$('$RUNC_BIN' --root '$STATE' state $ID | jq -r .status)\" = stopped ]"
}

@test "the lifecycle's errors: runc's words, exit status 1, nothing changed" {
	run runc state nosuch
	assert_failure 1
	assert_output --partial "container does not exist"
	run runc kill nosuch
	assert_failure 1
	assert_output --partial "container does not exist"
	run_waiting "$ID"
	# bounded: a start that waited on the FIFO would hang the suite
	run timeout 20 "$RUNC_BIN" --root "$STATE" start "$ID"
	assert_failure 1
	assert_output --partial "cannot start a container that is running"
	run runc delete "$ID"
	assert_failure 1
	assert_output --partial "not stopped: running"
	[ -d "/proc/$init" ]
	run runc create --bundle "$BUNDLE" "$ID"
	assert_failure 1
	assert_output --partial "already exists"
	rm "$READY"
	wait_long bash -c "[ \"\$('$RUNC_BIN' --root '$STATE' state $ID | jq -r .status)\" = stopped ]"
	run runc kill "$ID" TERM
	assert_failure 1
	assert_output --partial "container not running"
	# a forced delete of what is not there succeeds, as runc's does
	run runc delete --force nosuch
	assert_success
}

@test "a bad config.json is refused with the field named, and nothing is left" {
	edit '.process.cwd = "relative"'
	run runc create --bundle "$BUNDLE" "$ID"
	assert_failure 1
	assert_output --partial "process.cwd"
	(cd "$BUNDLE" && rm config.json && "$RUNC_BIN" spec)
	edit '.linux.seccomp.syscalls[0].action = "SCMP_ACT_BOGUS"'
	run runc create --bundle "$BUNDLE" "$ID"
	assert_failure 1
	assert_output --partial "linux.seccomp.syscalls[0]"
	(cd "$BUNDLE" && rm config.json && "$RUNC_BIN" spec)
	edit '.process.apparmorProfile = "docker-default"'
	run runc create --bundle "$BUNDLE" "$ID"
	assert_failure 1
	assert_output --partial "AppArmor is not supported"
	[ ! -e "$STATE/$ID" ]
}

@test "a missing program fails create with the words podman maps to 127" {
	local out=$BATS_TEST_TMPDIR/create.out
	# to a file: an init wrongly created would hold a pipe of run's open
	set_args /no/such/program
	run -1 bash -c "'$RUNC_BIN' --root '$STATE' create --bundle '$BUNDLE' '$ID' </dev/null >'$out' 2>&1"
	run cat "$out"
	assert_output --partial "no such file or directory"
	set_args nosuchprogram
	run -1 bash -c "'$RUNC_BIN' --root '$STATE' create --bundle '$BUNDLE' '$ID' </dev/null >'$out' 2>&1"
	run cat "$out"
	assert_output --partial "executable file not found in \$PATH"
	[ ! -e "$STATE/$ID" ]
}

@test "only fds 0-2 reach the container; a cwd through an inherited descriptor is refused" {
	local dir token
	token=$(rand_token 12)
	dir=$BATS_TEST_TMPDIR/hostdir
	mkdir "$dir"
	echo secret >"$dir/$token"
	set_args sh -c 'ls /proc/$$/fd; cat /proc/self/fd/7/'"$token"
	exec 7<"$dir"
	run runc run --bundle "$BUNDLE" "$ID"
	exec 7<&-
	refute_output --partial secret
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -E '^[0-9]+$' | tr '\n' ' ')" "0 1 2 "
	# CVE-2024-21626: the working directory named through the descriptor
	(cd "$BUNDLE" && rm config.json && "$RUNC_BIN" spec)
	edit '.process.cwd = "/proc/self/fd/7"'
	exec 7<"$dir"
	run runc create --bundle "$BUNDLE" "$ID"
	exec 7<&-
	assert_failure 1
	assert_output --partial "process.cwd"
}

@test "a mount's destination is resolved inside the root: a symlink cannot lead it to the host" {
	local copy hostdir
	TOKEN=$(rand_token 12)
	copy=$(rootfs_copy)
	hostdir=$BATS_TEST_TMPDIR/host-target
	mkdir "$hostdir"
	# in the rootfs, /evil points at a host path, absolutely
	ln -s "$hostdir" "$copy/evil"
	edit --arg r "$copy" '.root.path = $r | .root.readonly = false |
		.mounts += [{destination: "/evil/x", type: "tmpfs", source: "tmpfs", options: ["size=64k"]}]'
	run_waiting "$ID"
	# nothing was made in the host's directory; the mount is inside the copy
	assert_equal "$(ls -A "$hostdir")" ""
	[ -d "/proc/$init/root$hostdir/x" ]
	grep -q " $hostdir/x .* - tmpfs " "/proc/$init/mountinfo"
}

@test "the runtime binary cannot be reached from the container: the init runs from a sealed copy" {
	local exe
	set_args sh -c 'sleep 30'
	runc create --bundle "$BUNDLE" "$ID" </dev/null
	init=$(pid_of "$ID")
	exe=$(readlink "/proc/$init/exe")
	[[ $exe == /memfd:cell* ]] || fail "the init runs $exe"
	[ "$(stat -L -c %i "/proc/$init/exe")" != "$(stat -L -c %i "$RUNC_BIN")" ]
	# and writing through it is refused (the memfd is sealed)
	run bash -c "echo x >>/proc/$init/exe"
	assert_failure
}

@test "exec joins every namespace and the cgroup of the init" {
	local t out
	run_waiting "$ID"
	out=$(runc exec "$ID" sh -c 'for t in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$t; done; cat /proc/self/cgroup')
	for t in pid mnt uts ipc net cgroup; do
		grep -qxF "$(ns_of "$init" "$t")" <<<"$out" || fail "exec is not in the init's $t namespace"
	done
	# exit status of the program
	run runc exec "$ID" sh -c 'exit 7'
	assert_failure 7
	# --detach with a pid file: the host PID of a process in the cgroup
	runc exec --detach --pid-file "$BATS_TEST_TMPDIR/epid" "$ID" sleep 20
	grep -qx "$(cat "$BATS_TEST_TMPDIR/epid")" <<<"$(runc ps --format json "$ID" | jq -r '.[]')"
}

@test "run and exec -t in the foreground: the caller's terminal copied to a pty of the container's devpts" {
	command -v script >/dev/null || skip "script (util-linux) is missing"
	# script gives cell-runc a terminal of 33 rows and 91 columns, and
	# types a line into it
	set_args sh -c 'tty; stty size; read line; echo "got $line"; exit 3'
	edit '.process.terminal = true'
	run script -qec "stty rows 33 cols 91; $RUNC_BIN --root $STATE run --bundle $BUNDLE $ID" /dev/null <<<"typed"
	assert_failure 3
	# the container's own pty (its devpts counts from 0), the caller's size,
	# the line typed
	assert_line --regexp '^(.*)?/dev/pts/0.?$'
	assert_line --regexp '^33 91.?$'
	assert_line --regexp '^got typed.?$'
	[ ! -e "$STATE/$ID" ]
	# exec -t into a container run without a terminal
	edit '.process.terminal = false'
	run_waiting "$ID"
	run script -qec "stty rows 20 cols 70; $RUNC_BIN --root $STATE exec -t $ID sh -c 'readlink /proc/self/fd/0; stty size; exit 5'" /dev/null </dev/null
	assert_failure 5
	assert_line --regexp '/dev/pts/0.?$'
	assert_line --regexp '^20 70.?$'
	# a detached run has nobody to hand the terminal to: refused, nothing left
	runc delete --force "$ID"
	edit '.process.terminal = true'
	run runc run -d --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure 1
	assert_output --partial "process.terminal"
	[ ! -e "$STATE/$ID" ]
}

@test "hooks run at their points with the state on stdin" {
	local log=$BATS_TEST_TMPDIR/hooks
	cat >"$BATS_TEST_TMPDIR/hook" <<-EOF
		#!/bin/sh
		read -r state
		echo "\$1 \$(echo "\$state" | jq -r .status)" >>$log
	EOF
	chmod +x "$BATS_TEST_TMPDIR/hook"
	edit --arg h "$BATS_TEST_TMPDIR/hook" '.hooks = {
		createRuntime: [{path: $h, args: ["hook", "createRuntime"]}],
		poststart: [{path: $h, args: ["hook", "poststart"]}],
		poststop: [{path: $h, args: ["hook", "poststop"]}]}'
	set_args true
	runc run --bundle "$BUNDLE" "$ID"
	run cat "$log"
	assert_line --index 0 "createRuntime creating"
	assert_line --index 1 "poststart running"
	assert_line --index 2 "poststop stopped"
}

@test "--log-format json writes the error as a JSON line" {
	run "$RUNC_BIN" --root "$STATE" --log "$BATS_TEST_TMPDIR/log" --log-format json state nosuch
	assert_failure 1
	assert_equal "$(jq -r .level "$BATS_TEST_TMPDIR/log")" error
	jq -r .msg "$BATS_TEST_TMPDIR/log" | grep -q "container does not exist"
}

@test "make install puts cell and cell-runc under PREFIX in DESTDIR; uninstall removes exactly them" {
	local dest=$BATS_TEST_TMPDIR/dest
	mkdir -p "$dest/usr/local/bin"
	touch "$dest/usr/local/bin/other"
	run make -s -C "$STAGE_DIR" install DESTDIR="$dest"
	assert_success
	run "$dest/usr/local/bin/cell-runc" --help
	assert_success
	assert_output --partial "runc's command line"
	make -s -C "$STAGE_DIR" uninstall DESTDIR="$dest"
	assert_equal "$(ls "$dest/usr/local/bin")" other
}

@test "every step the lab notes cite is a marker in the code" {
	local name missing=()
	for name in $(grep -oE 'step `?[a-z0-9-]+|steps? `[a-z0-9-]+`(, `[a-z0-9-]+`)*' "$STAGE_DIR/README.md" |
		grep -oE '[a-z0-9]+(-[a-z0-9]+)*' | grep -vE '^steps?$' | sort -u); do
		grep -qE "^[[:space:]]*(/\*|\*) step: $name\b" "$STAGE_DIR"/*.c || missing+=("$name")
	done
	[ ${#missing[@]} -eq 0 ] || fail "the notes cite step markers the code lacks: ${missing[*]}"
}

@test "process: user, groups, umask, env, cwd, rlimits and oomScoreAdj as given" {
	local uid gid group2 value nofile
	uid=$((RANDOM % 1000 + 1000))
	gid=$((RANDOM % 1000 + 2000))
	group2=$((RANDOM % 1000 + 3000))
	value=$(rand_token 10)
	nofile=$((RANDOM % 500 + 100))
	edit --argjson u "$uid" --argjson g "$gid" --argjson g2 "$group2" --arg v "$value" \
		--argjson n "$nofile" '.process.user = {uid: $u, gid: $g, additionalGids: [$g2], umask: 63} |
		.process.env += ["CELL_TEST=" + $v] | .process.cwd = "/tmp" |
		.process.rlimits = [{type: "RLIMIT_NOFILE", soft: $n, hard: $n}] |
		.process.oomScoreAdj = 500'
	set_args sh -c 'id -u; id -g; id -G; umask; echo $CELL_TEST; pwd; ulimit -n; cat /proc/self/oom_score_adj; grep ^CapEff /proc/self/status'
	run runc run --bundle "$BUNDLE" "$ID"
	assert_success
	assert_equal "${lines[0]}" "$uid"
	assert_equal "${lines[1]}" "$gid"
	assert_equal "${lines[2]}" "$gid $group2"
	assert_equal "${lines[3]}" 0077
	assert_equal "${lines[4]}" "$value"
	assert_equal "${lines[5]}" /tmp
	assert_equal "${lines[6]}" "$nofile"
	assert_equal "${lines[7]}" 500
	# not root: no capability is effective (the ambient set is empty)
	assert_line --regexp '^CapEff:\s+0000000000000000$'
}

@test "linux.sysctl, linux.devices, linux.resources.devices, root.readonly and a read-only bind" {
	local domain dir copy
	domain=$(rand_token 10)
	dir=$BATS_TEST_TMPDIR/data
	mkdir "$dir"
	echo "$domain" >"$dir/file"
	# the runtime makes a missing mount point in the root, as runc does:
	# in a copy, never in the toolkit's rootfs
	TOKEN=$(rand_token 12)
	copy=$(rootfs_copy)
	edit --arg r "$copy" '.root.path = $r'
	edit --arg d "$domain" --arg src "$dir" '.linux.sysctl = {"kernel.domainname": $d} |
		.linux.devices = [{path: "/dev/cellnull", type: "c", major: 1, minor: 3, fileMode: 384}] |
		.mounts += [{destination: "/data", type: "bind", source: $src, options: ["rbind", "ro"]}]'
	run_waiting "$ID"
	run runc exec "$ID" sh -c 'cat /proc/sys/kernel/domainname; stat -c "%t %T %a" /dev/cellnull; cat /data/file; touch /data/new; touch /new'
	assert_failure
	assert_line --index 0 "$domain"
	assert_line --index 1 "1 3 600"
	assert_line --index 2 "$domain"
	assert_output --partial "touch: /data/new: Read-only file system"
	assert_output --partial "touch: /new: Read-only file system"
	[ ! -e "$dir/new" ]
	# the host's own domain name is untouched (the sysctl is the UTS namespace's)
	[ "$(cat /proc/sys/kernel/domainname)" != "$domain" ]
}

@test "linux.resources.devices: the cgroup allows each access as the rules decide, EPERM where they deny it" {
	local minor
	minor=$((RANDOM % 256))
	# Majors 60 and 61 are for local, experimental use (the kernel's
	# devices.txt): no driver has them, so an access the rules allow gets
	# as far as the driver's lookup (ENXIO), one they deny stops at the
	# cgroup (EPERM). The spec's first rule denies everything; the
	# runtime's defaults (/dev/null...) come after the client's rules.
	edit --argjson n "$minor" '.linux.devices = [
			{path: "/dev/cellro", type: "c", major: 60, minor: $n, fileMode: 438},
			{path: "/dev/cellno", type: "c", major: 61, minor: $n, fileMode: 438}] |
		.linux.resources.devices += [{allow: true, type: "c", major: 60, minor: $n, access: "r"}]'
	run_waiting "$ID"
	run runc exec "$ID" sh -c 'head -c 1 /dev/cellro; echo x >/dev/cellro; head -c 1 /dev/cellno; echo x >/dev/null && echo null-ok'
	assert_line "head: /dev/cellro: No such device or address"
	assert_line "sh: can't create /dev/cellro: Operation not permitted"
	assert_line "head: /dev/cellno: Operation not permitted"
	assert_line null-ok
	# v1 keeps the list in a file (v2's program has no such view)
	if ! cgroup_v2; then
		run cat "/sys/fs/cgroup/devices/cell/runc/$ID/devices.list"
		refute_line "a *:* rwm"
		assert_line "c 1:3 rwm"
		assert_line "c 60:$minor r"
	fi
}

@test "cgroups a container makes below its own: exec joins the init's, ps lists them, delete removes them" {
	# /sys/fs/cgroup writable inside, as a systemd in the container needs it;
	# the init moves itself into a cgroup of its own making, as systemd
	# moves itself into init.scope. On v2 it then hands the pids controller
	# down, after which the container's cgroup may hold no process.
	edit '.mounts |= map(if .destination == "/sys/fs/cgroup" then .options -= ["ro"] else . end)'
	edit --arg s 'if [ -e /sys/fs/cgroup/cgroup.procs ]; then
			mkdir /sys/fs/cgroup/init && echo $$ >/sys/fs/cgroup/init/cgroup.procs &&
				echo +pids >/sys/fs/cgroup/cgroup.subtree_control || exit 1
		else
			for d in /sys/fs/cgroup/*; do
				[ ! -L "$d" ] && [ "${d##*/}" != cpuset ] || continue
				mkdir "$d/init" && echo $$ >"$d/init/cgroup.procs" || exit 1
			done
		fi
		touch /tmp/ready; while [ -e /tmp/ready ]; do sleep 0.1; done' '.process.args = ["sh", "-c", $s]'
	runc run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null
	init=$(pid_of "$ID")
	wait_long test -e "/proc/$init/root/tmp/ready"
	grep -Eqx "[0-9]+:(pids)?:/cell/runc/$ID/init" "/proc/$init/cgroup" ||
		fail "the init did not move: $(cat "/proc/$init/cgroup")"
	# exec: into the container's cgroup (v1), or where the init is (v2)
	run runc exec "$ID" cat /proc/self/cgroup
	assert_success
	if cgroup_v2; then
		assert_output "0::/init"
	else
		assert_line --regexp '^[0-9]+:pids:/$'
	fi
	runc ps --format json "$ID" | jq -e --argjson p "$init" 'index($p) != null' >/dev/null ||
		fail "ps does not list the init: $(runc ps --format json "$ID")"
	runc delete --force "$ID"
	# (and the teardown's leak check finds any cgroup left behind)
	[ ! -e "$STATE/$ID" ]
}

@test "linux.uidMappings: root inside is an unprivileged range of the host" {
	local first
	first=$((200000 + RANDOM % 1000 * 65536))
	edit --argjson f "$first" '.linux.namespaces += [{type: "user"}] |
		.linux.uidMappings = [{containerID: 0, hostID: $f, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: $f, size: 65536}]'
	run_waiting "$ID"
	[ "$(ns_of "$init" user)" != "$(ns_of $$ user)" ]
	run cat "/proc/$init/uid_map"
	assert_output --regexp "^ +0 +$first +65536$"
	# the kernel's own view of the init's owner, from the host
	assert_equal "$(stat -c %u "/proc/$init")" "$first"
	run runc exec "$ID" id -u
	assert_output 0
}

@test "a cwd through a descriptor passed on with --preserve-fds is refused" {
	local dir=$BATS_TEST_TMPDIR/hostdir
	mkdir "$dir"
	# fd 3 survives the close on purpose; only the getcwd check stops it
	edit '.process.cwd = "/proc/self/fd/3"'
	set_args pwd
	run bash -c "exec 3<'$dir'; exec '$RUNC_BIN' --root '$STATE' run --preserve-fds 1 --bundle '$BUNDLE' '$ID' </dev/null"
	assert_failure 1
	assert_output --partial "process.cwd"
	refute_output --partial "$dir"
}

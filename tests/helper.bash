# Shared by every tests/NN-*.bats file: `load helper`.
#
# - finds the stage under test from the file's name (tests/03-foo.bats -> 03-*/),
# - snapshots what a container could leave on the host before each test and
#   fails the test when anything differs after it (mounts, links, network
#   namespaces, cgroup directories, files under /run/cell and a rootless
#   user's /tmp/cell-UID or /run/user/UID/cell),
# - gives random names and values, so that a hard-coded answer fails.

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

CELL_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
STAGE_NUM=$(basename "$BATS_TEST_FILENAME")
STAGE_NUM=${STAGE_NUM%%-*}
STAGE_DIR=$(echo "$CELL_TOP/$STAGE_NUM"-*)
# CELL_STAGE_DIR runs one stage's tests against another stage's program (the
# options accumulate, so a later stage must pass the earlier stages' tests);
# CELL_BINARY=container-san runs them against the sanitizer build.
# Stage 10's programs are cell and cell-runc (cell-san and cell-runc-san
# for container-san), not container.
if [ "$STAGE_NUM" = 10 ]; then
	CELL_BINARY=${CELL_BINARY:-container}
	CELL_BINARY=${CELL_BINARY/container/cell}
fi
CONTAINER=${CELL_STAGE_DIR:-$STAGE_DIR}/${CELL_BINARY:-container}
[ "$STAGE_NUM" != 10 ] || RUNC_BIN=$(dirname "$CONTAINER")/cell-runc${CELL_BINARY#cell}
ROOTFS=${CELL_ROOTFS:-$CELL_TOP/labs/rootfs}

# Everything a container could leave behind, one item per line.
host_snapshot() {
	echo "# mounts"
	# mount point and file system type, from the host's own mount table
	sed -E 's/^([^ ]+ ){4}([^ ]+) .* - ([^ ]+) .*/\2 \3/' /proc/1/mountinfo | sort
	echo "# links"
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
	echo "# netns"
	ls -1 /run/netns 2>/dev/null | sort
	echo "# cgroups"
	# in every hierarchy, the directories named like ours: the rest of the
	# tree belongs to the host's own managers (systemd, a sandbox), whose
	# cgroups come and go while a test runs
	find /sys/fs/cgroup -mindepth 1 -type d -iname '*cell*' 2>/dev/null | sort
	echo "# /run/cell"
	find /run/cell -mindepth 1 2>/dev/null | sort
	echo "# rootless state"
	# a rootless container's directories (07+): /tmp/cell-UID/<id>, or
	# $XDG_RUNTIME_DIR/cell/<id>; the tool removes the first level too
	find /tmp/cell-[0-9]* /run/user/*/cell 2>/dev/null | sort
	echo "# hostname"
	hostname
}

# A containers.conf for podman on a host like this one: the limits it
# allows (the hard nofile and nproc of the test's own, which may be lower
# than podman's defaults, and an ordinary user may not raise) and no
# systemd to ask (cgroupfs, events in a file); each LINE goes in [engine].
write_containers_conf() { # FILE [LINE...]
	local file=$1 nofile nproc
	shift
	nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
	[ "$nofile" != unlimited ] || nofile=1048576
	[ "$nproc" != unlimited ] && [ "$nproc" -lt 32768 ] || nproc=32768
	{
		echo '[containers]'
		echo "default_ulimits = [\"nofile=1024:$nofile\", \"nproc=$nproc:$nproc\"]"
		echo '[engine]'
		echo 'cgroup_manager = "cgroupfs"'
		echo 'events_logger = "file"'
		printf '%s\n' "$@"
	} >"$file"
}

cell_setup() {
	[ "$(id -u)" = 0 ] || skip "the tests need root: run them with sudo"
	[ -x "$CONTAINER" ] || fail "$CONTAINER is not built: run make first"
	host_snapshot >"$BATS_TEST_TMPDIR/host.before"
	hostname >"$BATS_TEST_TMPDIR/hostname.before"
}

# A container's resources go away when its last process does, and the kernel
# finishes some of that (network namespaces, their links) a moment later:
# allow it up to three seconds before calling a difference a leak.
cell_teardown() {
	[ -f "$BATS_TEST_TMPDIR/host.before" ] || return 0
	local i
	for i in $(seq 30); do
		host_snapshot >"$BATS_TEST_TMPDIR/host.after"
		cmp -s "$BATS_TEST_TMPDIR/host.before" "$BATS_TEST_TMPDIR/host.after" && return 0
		sleep 0.1
	done
	echo "the test left something on the host (< before, > after):" >&2
	diff "$BATS_TEST_TMPDIR/host.before" "$BATS_TEST_TMPDIR/host.after" >&2
	# A build with the UTS namespace removed (a "Break it" exercise) sets the
	# host's own hostname: put it back.
	if [ "$(hostname)" != "$(cat "$BATS_TEST_TMPDIR/hostname.before")" ]; then
		hostname "$(cat "$BATS_TEST_TMPDIR/hostname.before")"
		echo "the host's hostname was changed; it is restored" >&2
	fi
	return 1
}

# Fail unless the default root file system is built, holding the given
# workloads (greet-server, cpuburn ...) in /usr/local/bin.
need_rootfs() { # [WORKLOAD...]
	local w
	[ -x "$ROOTFS/bin/busybox" ] || fail "no root file system at $ROOTFS: run make rootfs"
	for w in "$@"; do
		[ -x "$ROOTFS/usr/local/bin/$w" ] || fail "no $w in $ROOTFS: run make rootfs"
	done
}

# End the containers a failed test left running (tool, and the array
# tools), each the way that lets its tool clean up (end_container, below).
end_left_containers() {
	local pid
	for pid in ${tool:-} ${tools[@]:-}; do
		end_container "$pid"
	done
	tool= tools=()
}

setup() { cell_setup; }
teardown() {
	end_left_containers
	cell_teardown
}

# A random lower-case token, e.g. for hostnames: "k3x9q2".
rand_token() {
	tr -dc 'a-z0-9' </dev/urandom | head -c "${1:-8}"
}

# A random hostname that is valid and unlike the host's.
rand_hostname() {
	echo "h$(rand_token 10)"
}

# A random container address with its prefix, e.g. 10.200.123.45/24: from
# 10.200.20-219.0/24, which the subnets the tool picks by itself
# (10.200.0.0/24 upwards) rarely reach.
rand_cidr() {
	echo "10.200.$((RANDOM % 200 + 20)).$((RANDOM % 200 + 2))/24"
}

# The state directory a -v trace names: "=> state-dir ... done
# (/run/cell/1a2b3c4d)" gives /run/cell/1a2b3c4d, whose last part is the
# container's id.
state_dir_in() { # TRACE-FILE
	sed -n 's|^=> state-dir \.\.\. done (\(.*\))$|\1|p' "$1"
}

# The inode of a namespace, as the kernel names it: "uts:[4026531838]".
ns_of() { # PID TYPE
	readlink "/proc/$1/ns/$2"
}

# The pids of a process's children (from the kernel's own list).
children_of() { # PID
	local pids
	pids=$(cat /proc/"$1"/task/*/children 2>/dev/null)
	echo $pids # unquoted: the kernel's trailing space goes
}

# Wait until a condition (a command) holds, checking every 0.1 s, for up to
# TENTHS tenths of a second.
wait_tenths() { # TENTHS COMMAND...
	local i n=$1
	shift
	for i in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# For up to 15 s: a loaded machine, or a sanitizer build, can be slow to
# start a container.
wait_until() { wait_tenths 150 "$@"; }

# A copy of the default rootfs holding a file named by a random token, for
# tests that write or delete inside the container: they do so only where that
# file is, so that a build with the isolation removed (a "Break it" exercise)
# finds nothing of the host to damage. Prints the copy's path; TOKEN is set.
rootfs_copy() {
	local copy=$BATS_TEST_TMPDIR/rootfs-copy
	cp -a "$ROOTFS" "$copy"
	echo "$TOKEN" >"$copy/$TOKEN"
	echo "$copy"
}

# What every stage from 02 on keeps of the stages before it: the hostname,
# the command as PID 1, its own exit status, 127 for a missing command,
# --init (the command is PID 2 and can be killed from inside), and a cleanup
# that no closed pipe stops.
assert_earlier_stages_hold() {
	local name
	name=$(rand_hostname)
	run "$CONTAINER" -n "$name" sh -c 'hostname; echo $$'
	assert_output "$(printf '%s\n' "$name" 1)"
	run "$CONTAINER" sh -c 'exit 3'
	assert_failure 3
	run -127 "$CONTAINER" /no/such/command
	assert_failure 127
	run -127 "$CONTAINER" --init /no/such/command
	assert_failure 127
	run "$CONTAINER" --init sh -c 'echo $$; kill -KILL $$'
	assert_failure 137
	assert_output 2
	# head takes the first line of the -v trace and exits: the tool's next
	# writes find no reader. It must still clean up (SIGPIPE's default
	# action would end it first); teardown's leak check sees what it left.
	run bash -c "'$CONTAINER' -v sh -c 'sleep 0.3' 2>&1 | head -n 1"
	assert_output --regexp '^=> '
}

# Stage 04's lesson: the escape workload, run with the given options, stays
# inside, and cannot read a file of the host's that holds a random token.
assert_no_chroot_escape() { # [OPTION...]
	local marker token
	marker=$BATS_TEST_TMPDIR/marker-$(rand_token 8)
	token=$(rand_token 16)
	echo "$token" >"$marker"
	run "$CONTAINER" "$@" escape -t "$marker"
	assert_failure 1
	refute_output --partial "$token"
	assert_output --partial "still inside"
}

# A host directory holding a file named by a random token, which holds
# another, open on a random descriptor (20 to 219) of this shell, as a
# student's `exec 7</etc` would leave one for every program started after:
# sets door (its number), token and secret; close_door closes it.
open_door() {
	local dir
	token=$(rand_token 16)
	secret=$(rand_token 16)
	dir=$BATS_TEST_TMPDIR/door-$(rand_token 6)
	mkdir "$dir"
	echo "$secret" >"$dir/$token"
	door=$((RANDOM % 200 + 20))
	while [ -e "/proc/$BASHPID/fd/$door" ]; do
		door=$((RANDOM % 200 + 20))
	done
	eval "exec $door<\"\$dir\""
}
close_door() { eval "exec $door<&-"; }

# The descriptor numbers an ls -l of /proc/PID/fd lists, one a line. The
# sanitizer build (make check: CELL_BINARY=container-san) has one more,
# which is left out: ASan warns, once, about the stack clone() gave the
# child when it calls exec_command (the compiler knows that it never
# returns), after the tool closed the rest, and the warning opens ASan's
# log file (make check's SANLOG.PID, /tmp/cell-sanitizer.1) in the
# container's own /tmp: the container's file, no way to the host.
fd_numbers() {
	awk -v san="${CELL_BINARY:-}" '$10 == "->" &&
		!(san == "container-san" && $11 ~ /\/cell-sanitizer[^\/]*\.[0-9]+$/) { print $9 }'
}

# Stage 04's other lesson: with such a door open when the tool starts, run
# with the given options, the command holds stdin, stdout and stderr only,
# and so do --init's PID 1 and its command; nothing inside lists the
# directory or reads the secret through /proc/self/fd. Inside, the shell
# lists its descriptors from another process, ls (the trailing ":" keeps
# busybox sh from handing its own place to ls), so that the listing's own
# descriptor is not among them. --init's are read from the host: with -U,
# init has changed its ids and so is no longer dumpable, and the command
# may not look into /proc/1/fd (proc(5), PR_SET_DUMPABLE).
assert_no_open_door() { # [OPTION...]
	local fds cmd
	fds=$(printf '%s\n' 0 1 2)
	open_door
	run "$CONTAINER" "$@" sh -c 'ls -l /proc/$$/fd; :'
	assert_success
	assert_equal "$(fd_numbers <<<"$output")" "$fds"
	start_container "$@" --init sh -c "$WAIT_READY"
	cmd=$(children_of "$init")
	assert_equal "$(ls -l "/proc/$init/fd" | fd_numbers)" "$fds"
	assert_equal "$(ls -l "/proc/$cmd/fd" | fd_numbers)" "$fds"
	finish_container
	run "$CONTAINER" "$@" sh -c "ls /proc/self/fd/$door/; cat /proc/self/fd/$door/$token"
	assert_failure 1
	refute_line "$token"
	refute_output --partial "$secret"
	close_door
}

# Start the tool in the background, with the given options, greet-server
# -n 1 its command, and wait until the server listens on port 7000; fail
# if the tool ends first. Its output goes to $BATS_TEST_TMPDIR/out. Sets
# tool. (3>&-: bats's own descriptor stays out of a background job.)
start_greeter() { # [OPTION...]
	"$CONTAINER" "$@" greet-server -n 1 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	tool=$!
	wait_long eval 'grep -q "^listening on port 7000$" "$BATS_TEST_TMPDIR/out" || ended "$tool"'
	grep -q "^listening on port 7000$" "$BATS_TEST_TMPDIR/out" ||
		fail "greet-server did not start: $(cat "$BATS_TEST_TMPDIR/out")"
}

# greet-client on the host reaches the server start_greeter started at
# ADDRESS, which answers with NAME; having served its one connection, the
# server ends, and so does the tool, with status 0.
assert_greeted() { # ADDRESS NAME
	run "$CELL_TOP/labs/bin/greet-client" "$1"
	assert_success
	assert_output "hello from $2"
	exit_of "$tool"
	tool=
}

# What stages 04 to 06 showed, for the programs after them, run with the
# given options (07 adds -U): the chroot escape fails after pivot_root, no
# descriptor of the caller's reaches the command, and greet-server inside,
# under a pids limit, answers greet-client on the host through the veth.
# Sets tool while the container runs, for the teardown.
assert_pivot_net_cgroups_hold() { # [OPTION...]
	local name cidr
	assert_no_chroot_escape "$@"
	assert_no_open_door "$@"
	name=$(rand_hostname) cidr=$(rand_cidr)
	start_greeter "$@" -n "$name" --ip "$cidr" --pids-limit 20
	assert_greeted "${cidr%/*}" "$name"
}

# As wait_until, for up to 30 s: a container's start waits on the kernel
# (new namespaces, rtnetlink requests, cgroup files), which a busy host slows.
wait_long() { wait_tenths 300 "$@"; }

# Whether a process has ended (a child of ours stays a zombie until waited for).
ended() { # PID
	local state
	state=$(ps -o stat= -p "$1") || return 0
	[[ $state == Z* ]]
}

# The exit status of a tool started in the background, waiting 30 s at most:
# a container that does not end fails the test (124) rather than hangs it.
exit_of() { # TOOL_PID
	wait_long ended "$1" || { echo "pid $1 has not ended within 30 s" >&2; return 124; }
	wait "$1"
}

# A command for start_container: it makes /ready, and ends once /ready is gone.
WAIT_READY='touch /ready; while [ -e /ready ]; do sleep 0.1; done'

# Start PROGRAM in the background: the tool, or a program that execs it
# (setpriv, su), with a command that creates /ready in the container. Its
# stdout goes to $BATS_TEST_TMPDIR/out, its stderr to $BATS_TEST_TMPDIR/trace.
# Waits until /ready exists; sets tool (the tool's PID) and init (the
# container's PID 1, as the host numbers it). Job control is on while it
# starts: a background job of a script otherwise starts with SIGINT ignored.
start_bg() { # PROGRAM [ARG...]
	set -m
	"$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/trace" &
	tool=$!
	set +m
	wait_long tool_started "$tool"
	init=$(children_of "$tool")
	[ -n "$init" ] || fail "the container did not start: $(cat "$BATS_TEST_TMPDIR/trace")"
	wait_long test -e "/proc/$init/root/ready" ||
		fail "the container never got ready: $(cat "$BATS_TEST_TMPDIR/trace")"
}
start_container() { start_bg "$CONTAINER" "$@"; }

# Whether a tool started by start_bg has its container's PID 1 (a wrapper
# counts once it is the tool), or has ended without.
tool_started() { # TOOL_PID
	local comm=${CONTAINER##*/}
	{ [ "$(cat "/proc/$1/comm")" = "${comm:0:15}" ] && [ -n "$(children_of "$1")" ]; } 2>/dev/null ||
		ended "$1"
}

# Let a command that waits while /ready exists end by itself; the tool must
# then exit 0.
finish_container() {
	rm "/proc/$init/root/ready"
	exit_of "$tool"
	tool= init=
}

# Send SIGNAL to PID (the tool, or the container's PID 1) and check that the
# tool ends with STATUS.
end_with() { # SIGNAL PID STATUS
	local rc=0
	kill "-$1" "$2"
	exit_of "$tool" || rc=$?
	tool= init=
	assert_equal "$rc" "$3"
}

# End a container a failed test left running, the way that lets the tool
# clean up: SIGKILL to its PID 1, forced through from the host. A tool that
# has not ended 30 s later is killed itself.
end_container() { # TOOL_PID
	kill -KILL $(children_of "$1") 2>/dev/null || true
	wait_long ended "$1" || kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Every "step: NAME" that the stage's lab notes cite is a marker in its code.
assert_notes_markers_exist() {
	local notes=$STAGE_DIR/README.md code=$STAGE_DIR/container.c name missing=()
	[ -f "$notes" ] || fail "$notes is missing"
	for name in $(grep -oE 'step: [a-z0-9-]+' "$notes" | awk '{print $2}' | sort -u); do
		grep -qE "^[[:space:]]*(/\*|\*) step: $name\b" "$code" || missing+=("$name")
	done
	[ ${#missing[@]} -eq 0 ] || fail "the notes cite step markers the code lacks: ${missing[*]}"
}

# ---- stage 10: a cell store of the test's own ----
#
# The people's tests of stage 10 (10-cell, 10-images, 10-network,
# 10-volumes, 10-web, 10-trace) give each test a store of its own, LIB
# (cell --root: the database, bundles, images, volumes), in the test's
# directory; the runtime state stays in /run/cell and the cgroups in
# cell/ctr/ID, where the leak check looks. A file's setup() calls
# cell_store_setup first and its teardown() cell_store_teardown last, with
# the file's own steps around them.

# cell_setup; then jq (cell inspect's JSON is read with it), the root
# file system holding the given workloads, and LIB.
cell_store_setup() { # [WORKLOAD...]
	cell_setup
	command -v jq >/dev/null || fail "jq is missing: run make deps"
	need_rootfs "$@"
	LIB=$BATS_TEST_TMPDIR/lib
}

# cell on the test's store.
cell() { "$CONTAINER" --root "$LIB" "$@"; }

# A field of `cell inspect NAME`, by a jq path.
inspect() { # NAME PATH
	cell inspect "$1" | jq -r ".[0]$2"
}

# Removes every container of the store at ROOT (LIB when none is given),
# running or not: rm -f lets each one's resources go the way cell frees them.
cell_store_empty() { # [ROOT]
	local root=${1:-$LIB} id
	for id in $("$CONTAINER" --root "$root" ps -aq 2>/dev/null); do
		"$CONTAINER" --root "$root" rm -f "$id" >/dev/null || true
	done
}

# Removes the test's containers; then runs COMMAND, what the file's
# teardown has to do once they are gone (it must not fail); then the leak
# check (cell_teardown).
cell_store_teardown() { # [COMMAND [ARG...]]
	cell_store_empty
	if [ $# -gt 0 ]; then
		"$@"
	fi
	cell_teardown
}

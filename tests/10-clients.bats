#!/usr/bin/env bats
# Stage 10 driven by real clients: Debian's podman (through conmon) and
# containerd (through its runc shim, with ctr), each given cell-runc as its
# runtime. Everything of theirs lives in this file's private directory:
# podman's storage (the vfs driver: plain copies, no mounts on the host),
# containerd's root, state and socket, and their cgroups under /cell, which
# the leak check watches and the teardown removes.

load helper

setup_file() {
	local dir=$BATS_FILE_TMPDIR
	command -v podman >/dev/null || return 0
	write_containers_conf "$dir/containers.conf" "events_logfile_path = \"$dir/events.log\"" \
		"tmp_dir = \"$dir/podman-tmp\""
	# podman with the test's storage and cell-runc, as a program of its own
	# (script and wait_until run it in other shells)
	cat >"$dir/podman" <<-EOF
		#!/bin/sh
		export CONTAINERS_CONF=$dir/containers.conf TMPDIR=$dir
		exec podman --root $dir/storage --runroot $dir/run --storage-driver vfs \\
			--runtime $RUNC_BIN --cgroup-manager cgroupfs "\$@"
	EOF
	chmod +x "$dir/podman"
	# the toolkit's rootfs as an image, and as an OCI archive for ctr
	tar -C "$ROOTFS" -cf "$dir/rootfs.tar" .
	"$dir/podman" import -q "$dir/rootfs.tar" cell/busybox >/dev/null
	"$dir/podman" save -q --format oci-archive -o "$dir/image.tar" cell/busybox
}

teardown_file() {
	local dir=$BATS_FILE_TMPDIR
	[ -x "$dir/podman" ] || return 0
	"$dir/podman" rm -a -f >/dev/null 2>&1 || true
	"$dir/podman" system reset -f >/dev/null 2>&1 || true
}

setup() {
	cell_setup
	command -v podman >/dev/null || skip "podman is not installed: run make deps"
	DIR=$BATS_FILE_TMPDIR
	NAME=c$(rand_token 8)
	CELL_CGROUPS_BEFORE=$(ls -d /sys/fs/cgroup/*/cell /sys/fs/cgroup/cell 2>/dev/null || true)
}

teardown() {
	stop_containerd
	podman rm -a -f >/dev/null 2>&1 || true
	remove_client_cgroups
	cell_teardown
}

podman() { "$DIR/podman" "$@"; }

# podman's parent cgroup for the tests (with conmon's own below it), and
# containerd's namespace's: the runtime removes each container's own; the
# parents are the clients'. A conmon that is exiting may hold its cgroup a
# moment longer.
remove_client_cgroups() {
	wait_until client_cgroups_gone || true
}
client_cgroups_gone() {
	local d
	find /sys/fs/cgroup -depth -mindepth 1 -maxdepth 4 -type d \
		\( -path '*/cell/podman*' -o -path '*/cell-ctr*' \) -exec rmdir {} + 2>/dev/null
	# a /cell that was there before the test is not the test's to remove
	for d in /sys/fs/cgroup/*/cell /sys/fs/cgroup/cell; do
		[ -d "$d" ] && ! grep -qxF "$d" <<<"$CELL_CGROUPS_BEFORE" && rmdir "$d" 2>/dev/null
	done
	! find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d \( -path '*/cell/podman*' -o \
		-path '*/cell-ctr*' \) | grep -q .
}

# Runs a podman container with the options every test uses: no network
# (podman's bridge would change the host), the test's cgroup parent.
prun() { podman run --network none --cgroup-parent /cell/podman "$@"; }

@test "podman run --rm: the command's output and its exit status, through cell-runc" {
	local name
	name=$(rand_hostname)
	run prun --rm --hostname "$name" cell/busybox sh -c 'hostname; echo $$; exit 3'
	assert_failure 3
	assert_line --index 0 "$name"
	assert_line --index 1 1
	# the runtime podman used is cell's: its container came and went in
	# cell-runc's state, not runc's
	run prun --rm cell/busybox sh -c 'readlink /proc/1/exe; grep CapEff /proc/1/status'
	assert_success
	assert_line --regexp '^CapEff:\s+00000000a80425fb$'
}

@test "podman: a missing command is 127 with runc's words; a failing one its own status" {
	run -127 prun --rm cell/busybox nosuchcommand
	assert_output --partial "executable file not found in \$PATH"
	run prun --rm cell/busybox sh -c 'exit 42'
	assert_failure 42
}

@test "podman run -d, exec, logs, stop, rm" {
	local pid t
	prun -d --name "$NAME" cell/busybox sh -c 'echo to-out; echo to-err >&2; trap "exit 0" TERM; while :; do sleep 0.1; done'
	pid=$(podman inspect -f '{{.State.Pid}}' "$NAME")
	[ -d "/proc/$pid" ]
	# exec joins the container's namespaces
	run podman exec "$NAME" sh -c 'for t in pid mnt uts ipc; do readlink /proc/self/ns/$t; done'
	assert_success
	for t in pid mnt uts ipc; do
		assert_line "$(ns_of "$pid" "$t")"
	done
	wait_until bash -c "'$DIR/podman' logs $NAME 2>&1 | grep -q to-err"
	run podman logs "$NAME"
	assert_output --partial to-out
	assert_output --partial to-err
	podman stop -t 5 "$NAME"
	run podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$NAME"
	assert_output "exited 0"
	podman rm "$NAME"
	[ ! -d "/proc/$pid" ]
}

@test "podman pause and unpause use the freezer; --memory is in the container's cgroup" {
	local pid id mem
	mem=$(((RANDOM % 64 + 32) * 1048576))
	prun -d --name "$NAME" --memory "$mem" cell/busybox sleep 60
	id=$(podman inspect -f '{{.Id}}' "$NAME")
	pid=$(podman inspect -f '{{.State.Pid}}' "$NAME")
	if [ -d /sys/fs/cgroup/memory ]; then
		assert_equal "$(cat /sys/fs/cgroup/memory/cell/podman/libpod-$id/memory.limit_in_bytes)" "$mem"
	else
		assert_equal "$(cat /sys/fs/cgroup/cell/podman/libpod-$id/memory.max)" "$mem"
	fi
	podman pause "$NAME"
	run podman inspect -f '{{.State.Status}}' "$NAME"
	assert_output paused
	if [ -d /sys/fs/cgroup/freezer ]; then
		assert_equal "$(cat /sys/fs/cgroup/freezer/cell/podman/libpod-$id/freezer.state)" FROZEN
	else
		grep -qx 'frozen 1' "/sys/fs/cgroup/cell/podman/libpod-$id/cgroup.events"
	fi
	grep -q '^State:.*(stopped)\|^State:.*D\|^State:.*S' "/proc/$pid/status"
	podman unpause "$NAME"
	run podman inspect -f '{{.State.Status}}' "$NAME"
	assert_output running
	podman rm -f "$NAME"
}

@test "podman run -it: a terminal through --console-socket" {
	command -v script >/dev/null || skip "script (util-linux) is missing"
	local holder
	# script gives podman a terminal; the container's shell sees one too.
	# Its input stays open until the end: an EOF typed into the terminal
	# before the shell has written would end the attach first.
	mkfifo "$BATS_TEST_TMPDIR/input"
	sleep 60 >"$BATS_TEST_TMPDIR/input" 3>&- &
	holder=$!
	run script -qec "'$DIR/podman' run -it --rm --network none --cgroup-parent /cell/podman cell/busybox sh -c 'tty; [ -t 0 ] && echo on-a-terminal'" /dev/null <"$BATS_TEST_TMPDIR/input"
	kill "$holder"
	wait "$holder" || true
	assert_success
	assert_output --partial /dev/pts/0
	assert_output --partial on-a-terminal
}

# ---- containerd ----

start_containerd() {
	CTRD=$BATS_TEST_TMPDIR/containerd
	mkdir -p "$CTRD"
	# its shims keep fifos and sockets in /run/containerd whatever the
	# address: removed at the end when the test made it
	CTRD_RUN_WAS_THERE=false
	[ -e /run/containerd ] && CTRD_RUN_WAS_THERE=true
	cat >"$CTRD/config.toml" <<-EOF
		version = 2
		root = "$CTRD/root"
		state = "$CTRD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTRD/sock"
	EOF
	containerd --config "$CTRD/config.toml" --log-level error >"$CTRD/log" 2>&1 &
	CTRD_PID=$!
	wait_long test -S "$CTRD/sock" || fail "containerd did not start: $(cat "$CTRD/log")"
}

stop_containerd() {
	[ -n "${CTRD_PID:-}" ] || return 0
	ctr tasks kill -s KILL "$NAME" >/dev/null 2>&1 || true
	ctr tasks delete "$NAME" >/dev/null 2>&1 || true
	ctr containers delete "$NAME" >/dev/null 2>&1 || true
	kill "$CTRD_PID" 2>/dev/null
	wait "$CTRD_PID" 2>/dev/null || true
	CTRD_PID=
	$CTRD_RUN_WAS_THERE || rm -rf /run/containerd
}

ctr() { command ctr --address "$CTRD/sock" --namespace cell-ctr "$@"; }

@test "containerd: ctr run --runc-binary cell-runc, exec, ps, kill, delete" {
	command -v containerd >/dev/null || skip "containerd is not installed: run make deps"
	local pid name
	start_containerd
	ctr images import --snapshotter native --base-name localhost/cell/busybox \
		--digests "$DIR/image.tar" >/dev/null
	ctr images ls -q | grep -q busybox
	name=$(rand_hostname)
	ctr run -d --snapshotter native --runc-binary "$RUNC_BIN" \
		"$(ctr images ls -q | grep busybox | head -n 1)" "$NAME" sh -c "hostname $name; sleep 60"
	pid=$(ctr tasks ls | awk -v n="$NAME" '$1 == n { print $2 }')
	[ -d "/proc/$pid" ]
	[ "$(ns_of "$pid" pid)" != "$(ns_of $$ pid)" ]
	# exec through the shim: cell-runc exec --process --detach
	run ctr tasks exec --exec-id e1 "$NAME" sh -c 'readlink /proc/self/ns/pid; hostname'
	assert_success
	assert_line --index 0 "$(ns_of "$pid" pid)"
	run ctr tasks ps "$NAME"
	assert_output --partial "$pid"
	ctr tasks kill -s KILL "$NAME"
	wait_long bash -c "command ctr --address '$CTRD/sock' --namespace cell-ctr tasks ls | grep -q STOPPED"
	ctr tasks delete "$NAME"
	ctr containers delete "$NAME"
	stop_containerd
}

#!/usr/bin/env bats
# Stage 10: cell's volumes: host paths and named volumes bound into
# containers, and shared volumes whose later mounts reach every running
# container that has them. Each test reads the kernel's mount tables
# (/proc/PID/mountinfo of each container, /proc/1/mountinfo of the host),
# not what cell says of itself.

load helper

setup() { cell_store_setup; }
teardown() { cell_store_teardown unmount_left; }

# The mounts a failed test left below its directories, once its containers
# are gone.
unmount_left() {
	grep -o " $BATS_TEST_TMPDIR/[^ ]*" /proc/1/mountinfo | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

run_sleeping() { # NAME [OPTION...]
	local name=$1
	shift
	cell run --rootfs "$ROOTFS" -d --network none --name "$name" "$@" sh -c 'while :; do sleep 0.1; done' >/dev/null
	PID=$(inspect "$name" .State.Pid)
	[ "$PID" -gt 0 ]
}

# Whether PID's mount namespace has a mount on PATH (as it sees paths).
mounted_in() { # PID PATH
	awk -v p="$2" '$5 == p { found = 1 } END { exit !found }' "/proc/$1/mountinfo"
}

@test "-v NAME:DST: a named volume outlives its containers; volume ls, rm (refused while a container has it)" {
	local vol=v$(rand_token 6) token=$(rand_token 12)
	cell run --rootfs "$ROOTFS" --rm --network none -v "$vol:/data" sh -c "echo $token >/data/f"
	[ "$(cat "$LIB/volumes/$vol/_data/f")" = "$token" ]
	run cell run --rootfs "$ROOTFS" --rm --network none -v "$vol:/again:ro" sh -c 'cat /again/f; echo x >/again/g'
	assert_output --partial "$token"
	assert_output --partial 'Read-only file system'
	run cell volume ls -q
	assert_output "$vol"
	cell volume create "w$vol"
	run -125 cell volume create "w$vol"
	assert_output "cell: volume create w$vol: it exists"
	run_sleeping holder -v "$vol:/data"
	grep -q " /data .* - ext4\| /data " "/proc/$PID/mountinfo"
	run -125 cell volume rm "$vol"
	assert_output "cell: volume rm $vol: container holder has it"
	cell rm -f holder >/dev/null
	cell volume rm "$vol" "w$vol"
	[ ! -e "$LIB/volumes/$vol" ]
	run cell volume ls -q
	assert_output ''
	run -125 cell run --rootfs "$ROOTFS" --rm -v "bad/../x:/data" true
	[ "${#lines[@]}" = 1 ]
	run -125 cell run --rootfs "$ROOTFS" --rm -v "$vol:/data:rslave" true
	assert_output "cell: -v $vol:/data:rslave: \"rslave\": the mode is ro, rw or rshared, or rshared,ro"
	run -125 cell run --rootfs "$ROOTFS" --rm -v "$vol:/data:ro,rw" true
	assert_output "cell: -v $vol:/data:ro,rw: ro or rw, not both"
}

@test "-v SRC:DST:rshared: a mount made later on the host appears in every running container that shares SRC, not in a private bind; nothing they mount leaks back but below the shared one" {
	local src=$BATS_TEST_TMPDIR/shared plain=$BATS_TEST_TMPDIR/plain token=$(rand_token 12)
	mkdir -p "$src/disk" "$plain"
	run_sleeping one -v "$src:/mnt/shared:rshared" -v "$plain:/plain" --cap-add sys_admin --seccomp unconfined
	one=$PID
	run_sleeping two -v "$src:/srv:rshared"
	two=$PID
	run_sleeping three -v "$src:/private"
	three=$PID
	# cell made the host path a shared mount of its own
	awk -v p="$src" '$5 == p' /proc/1/mountinfo | grep -q ' shared:'
	# the host mounts a file system below it, after the containers started
	mount -t tmpfs -o size=1m "tok$token" "$src/disk"
	wait_tenths 20 mounted_in "$one" /mnt/shared/disk || fail "no /mnt/shared/disk in one"
	mounted_in "$two" /srv/disk || fail "no /srv/disk in two"
	grep -q " /srv/disk .* tok$token " "/proc/$two/mountinfo"
	# the private bind of the same path does not get it
	! mounted_in "$three" /private/disk
	# and the containers see its files at once, without a restart
	echo "$token" >"$src/disk/file"
	run cell exec two cat /srv/disk/file
	assert_output "$token"
	# what a container mounts below its private bind stays in it...
	cell exec one mount -t tmpfs none /plain
	! awk -v p="$plain" '$5 == p' /proc/1/mountinfo | grep -q .
	# ...and below the shared one reaches the host: shared on purpose
	cell exec one mkdir -p /mnt/shared/back
	cell exec one mount -t tmpfs "back$token" /mnt/shared/back
	grep -q " $src/back .* back$token " /proc/1/mountinfo
	umount "$src/back"
	umount "$src/disk"
	cell rm -f one two three >/dev/null
	# the last container sharing it took cell's mount of SRC with it
	wait_tenths 30 sh -c "! awk -v p='$src' '\$5 == p' /proc/1/mountinfo | grep -q ." ||
		fail "$src is still a mount point"
}

@test "-v SRC:DST:rshared,ro: a write inside is refused (EROFS), the host's mount stays writable, and a mount made later on the host still appears" {
	local src=$BATS_TEST_TMPDIR/shared token=$(rand_token 12)
	mkdir -p "$src/disk"
	run_sleeping one -v "$src:/mnt/shared:rshared,ro"
	one=$PID
	# the container's mount of it is read-only, as its mountinfo says
	awk '$5 == "/mnt/shared" { print $6 }' "/proc/$one/mountinfo" | grep -q '^ro'
	run cell exec one sh -c "echo x >/mnt/shared/f"
	assert_failure
	assert_output --partial 'Read-only file system'
	[ ! -e "$src/f" ]
	# the host's stays writable, and its files are seen inside
	echo "$token" >"$src/g"
	run cell exec one cat /mnt/shared/g
	assert_output "$token"
	# still a peer: the host's later mount appears
	mount -t tmpfs -o size=1m "tok$token" "$src/disk"
	wait_tenths 20 mounted_in "$one" /mnt/shared/disk || fail "no /mnt/shared/disk in one"
	umount "$src/disk"
	cell rm -f one >/dev/null
	wait_tenths 30 sh -c "! awk -v p='$src' '\$5 == p' /proc/1/mountinfo | grep -q ." ||
		fail "$src is still a mount point"
}

@test "-v SRC:DST:rshared on a mount point whose propagation is private: refused in one line, nothing left" {
	local src=$BATS_TEST_TMPDIR/priv
	mkdir -p "$src"
	mount -t tmpfs -o size=1m none "$src"
	mount --make-private "$src"
	run -125 cell run --rootfs "$ROOTFS" --rm -v "$src:/d:rshared" true
	assert_output "cell: -v $src:/d:rshared: $src is a mount point whose propagation is private: mount --make-shared $src first"
	umount "$src"
	run cell ps -aq
	assert_output ''
}

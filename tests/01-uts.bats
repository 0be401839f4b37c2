#!/usr/bin/env bats
# 01-uts: a new UTS namespace with its own hostname; docker run's exit statuses.

load helper

# points: 3
@test "hostname inside is the one given" {
	name=$(rand_hostname)
	run "$CONTAINER" --hostname "$name" hostname
	assert_success
	assert_output "$name"
}

# points: 2
@test "the host's hostname is unchanged" {
	before=$(hostname)
	run "$CONTAINER" -n "$(rand_hostname)" hostname
	assert_success
	assert_equal "$(hostname)" "$before"
	refute_output "$before"
}

# points: 2
@test "the command runs in a UTS namespace other than the host's" {
	run "$CONTAINER" -n "$(rand_hostname)" readlink /proc/self/ns/uts
	assert_success
	assert_output --regexp '^uts:\[[0-9]+\]$'
	refute_output "$(ns_of 1 uts)"
	refute_output "$(ns_of $$ uts)"
}

# points: 1
@test "exit status: the command's own (0 and 3)" {
	run "$CONTAINER" true
	assert_success
	run "$CONTAINER" sh -c 'exit 3'
	assert_failure 3
}

# points: 1
@test "exit status: 128+N when signal N kills the command" {
	run "$CONTAINER" sh -c 'kill -KILL $$'
	assert_failure 137
	run "$CONTAINER" sh -c 'kill -TERM $$'
	assert_failure 143
}

# points: 1
@test "exit status: 127 for a command that does not exist, 126 for one that cannot run" {
	run -127 "$CONTAINER" /no/such/command
	assert_failure 127
	assert_output --partial "exec /no/such/command: No such file or directory"
	run "$CONTAINER" /etc/passwd
	assert_failure 126
	assert_output --partial "Permission denied"
}

# points: 1
@test "invalid hostnames are rejected with 125 and a clear message" {
	for bad in "" "-lead" "trail-" "a..b" "under_score" "sp ace" \
		"$(printf 'x%.0s' $(seq 65))" "$(printf 'y%.0s' $(seq 64)).z"; do
		run "$CONTAINER" --hostname "$bad" true
		assert_failure 125
		assert_output --partial "is not a valid hostname"
	done
	# the longest name the kernel takes is fine
	long=$(printf 'a%.0s' $(seq 63))
	run "$CONTAINER" --hostname "$long" hostname
	assert_success
	assert_output "$long"
}

# points: 1
# requires: hostname inside is the one given
@test "bad options give 125 and point to --help; --help gives 0 on stdout" {
	run "$CONTAINER" --no-such-option
	assert_failure 125
	assert_output --partial "Try 'container --help'"
	run "$CONTAINER" --hostname
	assert_failure 125
	run "$CONTAINER" --help
	assert_success
	assert_output --partial "Usage: container"
}

# points: 1
@test "the command's own options pass through untouched" {
	run "$CONTAINER" -n "$(rand_hostname)" sh -c 'printf "%s\n" "$*"' sh -n --hostname x
	assert_success
	assert_output "-n --hostname x"
}

# points: 1
@test "-v traces each step on stderr" {
	run "$CONTAINER" -v -n "$(rand_hostname)" true
	assert_success
	assert_line --regexp '^=> clone \.\.\. done'
	assert_line --regexp '^=> hostname \.\.\. done'
}

# points: 1
# requires: hostname inside is the one given
@test "the lab notes cite only step markers that exist" {
	assert_notes_markers_exist
}

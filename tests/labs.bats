#!/usr/bin/env bats
# The grading kit (labs/README.md): make handout writes a student tree with
# every solution region stubbed, whose stages build without warnings and stop
# with 125 and a pointer to the lab notes; make grade gives the reference full
# marks and a fresh handout zero. Stages 01 and 03 are graded (they are fast);
# every stage of the handout is built.
#
# This file is left out of the student tree: it compares against the
# reference solutions.

load helper

# what cell_setup checks is built: stage 01, which the grader runs
CONTAINER=$(echo "$CELL_TOP"/01-*/container)

setup() {
	cell_setup
	for s in 01 03; do
		[ -x "$CELL_TOP/$s"-*/container ] || fail "stage $s is not built: run make first"
	done
	need_rootfs
	# the tree as a fresh clone holds it: the handout lists what git tracks
	git -C "$CELL_TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
		skip "not a git work tree: the handout lists what git tracks"
}

# A handout of this tree in $BATS_TEST_TMPDIR/NAME, with the stages built
# against the default root file system; prints the tree's path.
handout() { # NAME [handout.sh options...]
	local dir=$BATS_TEST_TMPDIR/$1 d
	shift
	bash "$CELL_TOP/labs/handout.sh" --out "$dir" "$@" >/dev/null || return 1
	echo "$dir"
}

# Lines of the reference's solution regions that occur nowhere else in the
# reference: what a handout must not contain. One per region, the longest.
solution_lines() {
	local f
	for f in "$CELL_TOP"/[0-9][0-9]-*/container.c; do
		awk '/solution [0-9][0-9] begin/ { inside = 1; best = ""; next }
			/solution [0-9][0-9] end/ { inside = 0; if (best != "") print best; next }
			inside && length($0) > length(best) && $0 !~ /^[ \t]*(\/\*|\*|}|{)/ { best = $0 }' "$f"
	done | sort -u | while IFS= read -r line; do
		# a line that also stands outside every region proves nothing
		if ! cat "$CELL_TOP"/[0-9][0-9]-*/container.c |
			awk -v l="$line" '/solution [0-9][0-9] begin/ { inside = 1 }
				/solution [0-9][0-9] end/ { inside = 0 }
				!inside && $0 == l { found = 1 } END { exit !found }'; then
			printf '%s\n' "$line"
		fi
	done
}

# points: 0
@test "make handout: a tree and its tarball, with no line of any solution region in them" {
	dir=$(handout all)
	[ -f "$dir.tar.gz" ]
	# the tarball holds the same files as the tree
	diff <(tar -tzf "$dir.tar.gz" | grep -v '/$' | sed 's|^all/||' | sort) \
		<(cd "$dir" && find . -type f | sed 's|^\./||' | sort)
	for f in Makefile stage.mk README.md labs/README.md tests/helper.bash tests/run \
		tests/01-uts.bats tests/capstone.bats labs/capstone.md; do
		[ -f "$dir/$f" ] || fail "$f is missing from the handout"
	done
	[ ! -e "$dir/tests/labs.bats" ] || fail "the grader's own tests are in the handout"
	[ ! -e "$dir/tests/clean-host.bats" ] || fail "clean-host's tests are in the handout"
	# and make test there runs the test files it has: the capstone's
	run make -s -C "$dir" -f Makefile -f - kit-tests <<<'kit-tests: ; @echo $(KIT_TESTS)'
	assert_output capstone
	mapfile -t lines < <(solution_lines)
	[ ${#lines[@]} -ge 10 ] || fail "only ${#lines[@]} distinctive solution lines found"
	for line in "${lines[@]}"; do
		if grep -rqF -- "$line" "$dir" "$dir.tar.gz"; then
			fail "the handout holds a solution line: $line"
		fi
		# the tarball is compressed: look inside it too
		if tar -xzOf "$dir.tar.gz" | grep -qF -- "$line"; then
			fail "the tarball holds a solution line: $line"
		fi
	done
	# and the regions' markers are there, for the student to write between
	run grep -c 'solution 0[1-6] begin' "$dir"/0[1-6]-*/container.c
	refute_output --partial ':0'
}

# points: 0
@test "every stage of a handout builds without a warning, in both modes" {
	dir=$(handout all)
	for s in "$dir"/[0-9][0-9]-*/; do
		run make -s -C "$s" WERROR=1 CELL_ROOTFS="$ROOTFS"
		assert_success
		refute_output --partial warning
	done
	# one stage to do: earlier stages as they are, later ones left out
	dir=$(handout one --mode one --stage 03)
	run ls "$dir"
	assert_output --partial 03-mount-chroot
	refute_output --partial 04-
	cmp "$CELL_TOP/02-pid/container.c" "$dir/02-pid/container.c"
	run make -s -C "$dir/03-mount-chroot" WERROR=1 CELL_ROOTFS="$ROOTFS"
	assert_success
	refute_output --partial warning
	# only stage 03's regions are stubbed in its file
	run grep -h 'TODO (stage' "$dir/03-mount-chroot/container.c"
	refute_output --partial 'stage 01'
	refute_output --partial 'stage 02'
	assert_output --partial 'stage 03'
}

# points: 0
@test "a stub stops the program with 125 and one line that points to the lab notes" {
	dir=$(handout all --stage 03)
	for s in 01 03; do
		make -s -C "$dir/$s"-*/ CELL_ROOTFS="$ROOTFS" >/dev/null
	done
	run "$dir"/01-uts/container -n "$(rand_hostname)" hostname
	assert_failure 125
	assert_output "container: TODO (stage 01, step hostname): see 01-uts/README.md"
	# every stage to do: stage 03's file stubs stage 01's region too, and the
	# first region the program reaches says so
	run "$dir"/03-mount-chroot/container true
	assert_failure 125
	assert_output --regexp '^container: TODO \(stage 0[1-3], step [a-z-]+\): see 0[1-3]-[a-z-]+/README.md$'
}

# points: 0
@test "make grade: the reference gets full marks for stages 01 and 03, in Gradescope's results.json" {
	results=$BATS_TEST_TMPDIR/out/results.json
	run "$CELL_TOP/labs/grade.sh" --results "$results" 01 03
	assert_success
	assert_line --regexp '^   OK +3/3 +[0-9]+\.[0-9]{2}s  hostname inside is the one given$'
	assert_line --regexp '^   01-uts: ([0-9]+)/\1$'
	refute_line --regexp '^   (FAIL|SKIP \(requires\))'
	assert_line --regexp '^Score: ([1-9][0-9]*)/\1$'
	# results.json: the score, and every test with its points
	run jq -r '[.score, ([.tests[].max_score] | add), (.tests | length),
		([.tests[] | select(.score != .max_score)] | length),
		([.tests[] | select(.visibility != "visible" or (.name | type) != "string")] | length)]
		| @tsv' "$results"
	assert_success
	read -r score max count short bad <<<"$output"
	assert_equal "$score" "$max"
	[ "$max" -gt 0 ]
	assert_equal "$count" "$(cat "$CELL_TOP"/tests/01-*.bats "$CELL_TOP"/tests/03-*.bats | grep -c '^@test')"
	assert_equal "$short" 0
	assert_equal "$bad" 0
}

# points: 0
@test "make grade: a fresh handout gets zero for stages 01 and 03, the rest shown as requiring a failed test" {
	dir=$(handout all --stage 03)
	results=$BATS_TEST_TMPDIR/results.json
	CELL_ROOTFS=$ROOTFS run "$dir/labs/grade.sh" --results "$results" 01 03
	assert_success
	assert_line --regexp '^   FAIL +0/3 +[0-9.]+s  hostname inside is the one given$'
	assert_line --partial '| container: TODO (stage 01, step hostname): see 01-uts/README.md'
	assert_line --regexp '^   SKIP \(requires\) +0/1 +the lab notes cite only step markers that exist$'
	refute_line --regexp '^   OK +[1-9]'
	assert_line --regexp '^Score: 0/[1-9][0-9]*$'
	run jq -r '"\(.score) \([.tests[].score] | add) \([.tests[].max_score] | add)"' "$results"
	read -r score sum max <<<"$output"
	assert_equal "$score" 0
	assert_equal "$sum" 0
	[ "$max" -gt 0 ]
}

# points: 0
@test "make grade: a stage that does not build scores 0 in one line" {
	dir=$(handout all --stage 01)
	echo 'this is not C' >>"$dir/01-uts/container.c"
	CELL_ROOTFS=$ROOTFS run "$dir/labs/grade.sh" --results "$BATS_TEST_TMPDIR/r.json" 01
	assert_success
	assert_line --regexp '^   01-uts does not build \(.*error.*\): 0/[0-9]+$'
	assert_line --regexp '^Score: 0/[1-9][0-9]*$'
	run jq -r '[.tests[] | select(.output | startswith("01-uts does not build"))] | length' \
		"$BATS_TEST_TMPDIR/r.json"
	assert_equal "$output" "$(grep -c '^@test' "$CELL_TOP"/tests/01-*.bats)"
}

# points: 0
@test "grade.sh and handout.sh: an option given last, without its value, is a usage error" {
	# timeout: a loop that never ends fails the test rather than hangs it
	for opt in --results --program; do
		run timeout 10 "$CELL_TOP/labs/grade.sh" 01 "$opt"
		assert_failure 1
		assert_output "grade: option '$opt' needs a value (try --help)"
	done
	for opt in --mode --stage --out; do
		run timeout 10 bash "$CELL_TOP/labs/handout.sh" --mode all "$opt"
		assert_failure 1
		assert_output "handout: option '$opt' needs a value (try --help)"
	done
}

# points: 0
@test "every test of every graded stage and of the capstone has its points, and each prerequisite names an earlier test" {
	for f in "$CELL_TOP"/tests/[0-9][0-9]-*.bats "$CELL_TOP"/tests/capstone.bats; do
		# a stage with a graded lab has points (10, the runtime, has none;
		# make grade leaves it out the same way)
		grep -q '^# points:' "$f" || continue
		run awk '
			/^# points: [0-9]+$/ { p = 1; next }
			/^# requires: / { r = substr($0, 13); if (!(r in seen)) { print FILENAME ": unknown or later prerequisite: " r; bad = 1 } next }
			/^@test / { n = $0; sub(/^@test "/, "", n); sub(/" \{$/, "", n); seen[n] = 1
				if (!p) { print FILENAME ": no points: " n; bad = 1 } p = 0; next }
			{ p = 0 }
			END { exit bad }' "$f"
		assert_success
	done
}

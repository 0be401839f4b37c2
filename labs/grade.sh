#!/usr/bin/env bash
# Grades the stages of this tree (or a student's copy of it) by running their
# tests with the points written next to them, and writes the results in
# Gradescope's format.
#
#   labs/grade.sh [--results FILE] [--program PATH] [NN ... | capstone]
#
#   NN ...           the stages to grade (default: every stage, then the capstone)
#   capstone         the graded assignment of labs/capstone.md, run against
#                    --program (default: 06-cgroups/container)
#   --results FILE   where results.json goes (default: ./results.json; on
#                    Gradescope: /autograder/results/results.json)
#   --program PATH   the student's capstone program
#
# A test file gives each test its points and, if need be, a prerequisite, in
# comment lines right above the test:
#
#	# points: 2
#	# requires: hostname inside is the one given
#	@test "the host's hostname is unchanged" {
#
# A test without "# points:" is worth 1. A test whose prerequisite failed is
# shown as "SKIP (requires ...)" and scores 0 without counting as a failure of
# its own. A test that bats skips because the host lacks something (cgroup v2,
# swap accounting) is shown as "SKIP (host: why)" and leaves the total: it
# is no one's fault on that host. A stage that does not build scores 0, with
# one line that says so.
#
# Every run draws new hostnames, addresses and limits (tests/helper.bash),
# so a program that prints remembered answers fails.
#
# Exit status: 0 when every selected stage was graded and results.json
# written, whatever the score; 1 when grading itself failed.
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr. A test that fails, or a stage
# that does not build, is no such failure: it is graded.
set -euo pipefail
die() { echo "grade: $*" >&2; exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# An option that takes a value must have one: given last, without it,
# "shift 2" would fail and leave the loop below on the same argument.
needs_value() { # OPTION ARGUMENTS-LEFT
	[ "$2" -ge 2 ] || die "option '$1' needs a value (try --help)"
}

results=results.json program=''
selected=()
while [ $# -gt 0 ]; do
	case $1 in
	--results) needs_value "$1" $#; results=$2; shift 2 ;;
	--program) needs_value "$1" $#; program=$2; shift 2 ;;
	-h | --help) sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option '$1' (try --help)" ;;
	*) selected+=("$1"); shift ;;
	esac
done
[ -n "$results" ] || die "--results needs a file name"
command -v jq >/dev/null || die "jq is missing: run make deps"
command -v bats >/dev/null || die "bats is missing: run make deps"

if [ ${#selected[@]} -eq 0 ]; then
	# the stages with a graded lab: their tests carry points
	for f in tests/[0-9][0-9]-*.bats; do
		grep -q '^# points:' "$f" || continue
		selected+=("$(basename "$f" .bats | cut -d- -f1)")
	done
	if [ -f tests/capstone.bats ]; then
		selected+=(capstone)
	fi
fi
if [ -n "$program" ]; then
	[ -x "$program" ] || die "--program: $program is not an executable file"
	CELL_CAPSTONE=$(cd "$(dirname "$program")" && pwd)/$(basename "$program")
	export CELL_CAPSTONE
fi

# Runs of the tests take turns with other test runs on this host: every
# test's leak check looks at the whole host.
# (tests/run, which runs the grader's own tests, holds the lock already.)
# (The braces keep 2>/dev/null to the exec: on exec itself it would stay.)
if [ -z "${CELL_TESTS_LOCKED:-}" ] && { exec 9>>/run/lock/cell-tests.lock; } 2>/dev/null &&
	! flock -n 9; then
	echo "# waiting for another test run on this host to finish"
	flock 9
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/tests.jsonl"
total=0 max=0

# The tests of a file, in order, one per line: NAME<tab>POINTS<tab>REQUIRES.
test_table() { # BATS-FILE
	awk '
	/^[ \t]*# points:/ { p = $0; sub(/.*# points:[ \t]*/, "", p); sub(/[ \t]+$/, "", p); next }
	/^[ \t]*# requires:/ { r = $0; sub(/.*# requires:[ \t]*/, "", r); sub(/[ \t]+$/, "", r); next }
	/^@test / {
		name = $0
		sub(/^@test[ \t]+"/, "", name); sub(/"[ \t]*\{[ \t]*$/, "", name)
		gsub(/\\"/, "\"", name)
		printf "%s\t%s\t%s\n", name, p == "" ? 1 : p, r
		p = ""; r = ""
		next
	}
	!/^[ \t]*#/ { p = ""; r = "" }' "$1"
}

# One test's result, added to results.json's list.
record() { # NAME SCORE MAX STATUS OUTPUT
	jq -cn --arg name "$1" --argjson score "$2" --argjson max "$3" --arg status "$4" \
		--arg output "$5" \
		'{name: $name, score: $score, max_score: $max, status: $status,
		  output: $output, visibility: "visible"}' >>"$work/tests.jsonl"
}

# Grades one stage (NN) or the capstone.
grade_one() { # NN|capstone
	local what=$1 file dir label log tap n name points req status time out
	local score=0 stage_max=0 line
	if [ "$what" = capstone ]; then
		file=tests/capstone.bats
		label="capstone (${CELL_CAPSTONE:-06-cgroups/container})"
		# the default program is stage 06's, built here like a stage
		dir=''
		[ -n "${CELL_CAPSTONE:-}" ] || dir=$(echo 06-*)
	else
		file=$(echo tests/"$what"-*.bats)
		dir=$(echo "$what"-*)
		label=$dir
	fi
	[ -f "$file" ] || die "no tests for $what"
	test_table "$file" >"$work/table"
	echo "== $label"

	# A stage that does not build scores 0, in one line.
	log=$work/build.log
	if [ -d "$dir" ] && ! make --no-print-directory -s -C "$dir" >"$log" 2>&1; then
		line=$(grep -m1 -E 'error|Error' "$log" || true)
		while IFS=$'\t' read -r name points req; do
			stage_max=$((stage_max + points))
			record "$label: $name" 0 "$points" failed "$dir does not build: $line"
		done <"$work/table"
		echo "   $dir does not build ($line): 0/$stage_max"
		max=$((max + stage_max))
		subtotals+=("$(printf '%-36s %s/%s (does not build)' "$label" 0 "$stage_max")")
		return 0
	fi

	tap=$work/tap
	# its status says that some test failed: the TAP output says which
	bats --tap -T "$file" >"$tap" 2>&1 || true
	# Number, result and time of each reported test, and its output.
	awk -v dir="$work" '
	/^(not )?ok [0-9]+ / {
		n = $0; sub(/^(not )?ok /, "", n); sub(/ .*/, "", n)
		res = /^not ok/ ? "fail" : "ok"
		t = ""
		if (match($0, / in [0-9]+ms/)) t = substr($0, RSTART + 4, RLENGTH - 6)
		why = ""
		if ($0 ~ / # skip/) { res = "skip"; why = $0; sub(/.* # skip[ \t]*/, "", why); gsub(/^\(|\)$/, "", why) }
		printf "%s\t%s\t%s\n", res, t, why > (dir "/res." n)
		cur = dir "/out." n
		printf "" > cur
		next
	}
	/^# / && cur != "" { s = $0; sub(/^# /, "", s); print s >> cur; next }' "$tap"

	n=0
	declare -A state=()
	while IFS=$'\t' read -r name points req; do
		n=$((n + 1))
		status=fail time='' why=''
		if [ -f "$work/res.$n" ]; then
			IFS=$'\t' read -r status time why <"$work/res.$n"
		fi
		out=$(cat "$work/out.$n" 2>/dev/null || true)
		[ -f "$work/res.$n" ] || out="the test did not report (the run stopped)"
		rm -f "$work/res.$n" "$work/out.$n"
		if [ -n "$time" ]; then
			time=$(awk -v ms="$time" 'BEGIN { printf "%.2fs", ms / 1000 }')
		fi
		# a failed prerequisite comes first: this test's own result says nothing
		if [ -n "$req" ] && [ "${state[$req]:-missing}" != ok ] &&
			[ "${state[$req]:-missing}" != skip ]; then
			state[$name]=req
			stage_max=$((stage_max + points))
			printf '   %-16s %5s %7s  %s\n' "SKIP (requires)" "0/$points" "" "$name"
			printf '   %-16s %5s %7s    requires: %s\n' "" "" "" "$req"
			record "$label: $name" 0 "$points" failed "not graded: it requires \"$req\", which did not pass"
			continue
		fi
		state[$name]=$status
		case $status in
		ok)
			stage_max=$((stage_max + points)) score=$((score + points))
			printf '   %-16s %5s %7s  %s\n' OK "$points/$points" "$time" "$name"
			record "$label: $name" "$points" "$points" passed "" ;;
		skip)
			printf '   %-16s %5s %7s  %s\n' "SKIP (host)" "-" "$time" "$name"
			printf '   %-16s %5s %7s    %s\n' "" "" "" "$why"
			record "$label: $name" 0 0 passed "not graded on this host: $why" ;;
		*)
			stage_max=$((stage_max + points))
			printf '   %-16s %5s %7s  %s\n' FAIL "0/$points" "$time" "$name"
			# the first lines of what the test saw: the program's own message
			# (grep finds no line in an empty output; head may stop it)
			printf '%s\n' "$out" | { grep -v '^$' || true; } | head -n 6 | sed 's/^/         | /' ||
				true
			record "$label: $name" 0 "$points" failed "$out" ;;
		esac
	done <"$work/table"
	unset state
	echo "   $label: $score/$stage_max"
	subtotals+=("$(printf '%-36s %s/%s' "$label" "$score" "$stage_max")")
	total=$((total + score)) max=$((max + stage_max))
}

subtotals=()
for what in "${selected[@]}"; do
	what=${what%%-*}
	case $what in
	capstone | [0-9][0-9]) ;;
	*) die "\"$what\" is no stage number (NN) and not capstone" ;;
	esac
	grade_one "$what"
done

echo "== subtotals"
printf '   %s\n' "${subtotals[@]}"
echo "Score: $total/$max"

mkdir -p "$(dirname "$results")"
jq -s --argjson score "$total" --argjson max "$max" \
	'{score: $score, max_score: $max, visibility: "visible", stdout_visibility: "visible",
	  output: "Score: \($score)/\($max)", tests: .}' "$work/tests.jsonl" >"$results.tmp" &&
	mv "$results.tmp" "$results" || die "cannot write $results"
echo "results: $results"

#!/usr/bin/env bash
# Writes the student tree: every file of this tree a student needs, with the
# solution regions of the stages' container.c replaced by stubs that compile
# and stop the program with exit status 125 and a pointer to the lab notes.
#
#   labs/handout.sh [--mode all|one] [--stage NN] [--out DIR]
#
#   --mode all   (default) every stage to do: in NN/container.c the regions of
#                every stage <= NN are stubbed, so that no later file gives an
#                earlier stage's solution away
#   --mode one   earlier stages solved, one stage to do: stages < NN as they
#                are, stage NN with its own regions stubbed
#   --stage NN   the last stage handed out (default: the highest); stages after
#                it are left out (their files hold its solution)
#   --out DIR    the student tree (default: handout/cell); DIR.tar.gz beside it
#
# A region is what a stage adds, between two comment lines of its container.c:
#
#	/* solution 03 begin: chroot */
#	...
#	/* solution 03 end */
#
# The begin line names the stage that introduced the region and the step
# marker it belongs to; it may add ", return -1" (the stub reports and returns
# -1, for a step of the tool itself, whose caller then cleans up) and
# ", keep NAME ..." (what the stub casts to void: a parameter, variable or
# function only the solution used, which would otherwise draw an "unused"
# warning). The markers stay in the student's file, around the stub: the
# student writes between them.
#
# Exit status: 0 when the tree and the tarball are written, 1 otherwise.
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail
die() { echo "handout: $*" >&2; exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# An option that takes a value must have one: given last, without it,
# "shift 2" would fail, and end the script without a word.
needs_value() { # OPTION ARGUMENTS-LEFT
	[ "$2" -ge 2 ] || die "option '$1' needs a value (try --help)"
}

mode=all stage='' out=handout/cell
while [ $# -gt 0 ]; do
	case $1 in
	--mode) needs_value "$1" $#; mode=$2; shift 2 ;;
	--stage) needs_value "$1" $#; stage=$2; shift 2 ;;
	--out) needs_value "$1" $#; out=$2; shift 2 ;;
	-h | --help) sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
done
case $mode in
all | one) ;;
*) die "--mode: \"$mode\" is not all or one" ;;
esac
[ -n "$out" ] || die "--out needs a directory"

stages=()
for d in [0-9][0-9]-*/; do
	# a stage's program is one container.c built by stage.mk (10 is a
	# runtime of many files, with no solution regions: not handed out)
	[ -f "$d/container.c" ] && grep -qs 'stage\.mk' "$d/Makefile" && stages+=("${d%/}")
done
[ -n "$stage" ] || stage=${stages[-1]%%-*}
stage=${stage%%-*}
[ -d "$(echo "$stage"-*)" ] || die "--stage: no stage $stage here"

# The files of the tree: what git tracks, or (in an unpacked tarball) every
# file but what the build makes.
list_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files
	else
		find . -type f ! -path './.git/*' ! -path './labs/cache/*' ! -path './labs/rootfs/*' \
			! -path './labs/bin/*' ! -path './handout/*' ! -name container \
			! -name container-san ! -name '*.o' ! -name results.json | sed 's|^\./||'
	fi
}

# Whether a path belongs in the student tree.
wanted() { # PATH
	local n
	case $1 in
	# the kit's own tests: the grader's compare against the reference
	# solutions, clean-host's need stages 05, 06 and 09 solved
	tests/labs.bats | tests/clean-host.bats) return 1 ;;
	[0-9][0-9]-*/* | tests/[0-9][0-9]-*.bats)
		n=${1#tests/}
		n=${n%%-*}
		[ "$n" -le "$stage" ] ;;
	handout/*) return 1 ;;
	*) return 0 ;;
	esac
}

# Prints FILE with the regions of the given stages stubbed.
stub() { # FILE STAGES-REGEX
	awk -v stub_re="^($2)\$" -v file="$1" '
	function notes(n,    d) {
		d = dirs[n]
		return d == "" ? n "-*/README.md" : d "/README.md"
	}
	BEGIN {
		while (("ls -d [0-9][0-9]-*/ 2>/dev/null" | getline d) > 0) {
			sub(/\/$/, "", d)
			dirs[substr(d, 1, 2)] = d
		}
	}
	/^[ \t]*\/\* solution [0-9][0-9] begin: .*\*\/[ \t]*$/ {
		line = $0
		indent = line; sub(/[^ \t].*/, "", indent)
		spec = line; sub(/^[ \t]*\/\* solution /, "", spec); sub(/[ \t]*\*\/[ \t]*$/, "", spec)
		n = substr(spec, 1, 2)
		if (n !~ stub_re) { print; next }
		if (inside) { printf "%s:%d: nested solution region\n", file, NR > "/dev/stderr"; exit 2 }
		spec = substr(spec, 11)		# "STEP[, return -1][, keep NAME...]"
		k = split(spec, part, /, */)
		step = part[1]; ret = 0; keep = ""
		for (i = 2; i <= k; i++) {
			if (part[i] == "return -1") ret = 1
			else if (part[i] ~ /^keep /) keep = substr(part[i], 6)
			else { printf "%s:%d: unknown region option \"%s\"\n", file, NR, part[i] > "/dev/stderr"; exit 2 }
		}
		msg = sprintf("TODO (stage %s, step %s): see %s", n, step, notes(n))
		print
		print indent "/* TODO: your code for step " step " here (" notes(n) ") */"
		m = split(keep, names, / +/)
		for (i = 1; i <= m; i++)
			if (names[i] != "") print indent "(void)" names[i] ";"
		if (ret) {
			print indent "warnx(\"" msg "\");"
			print indent "return -1;"
		} else {
			print indent "errx(EXIT_TOOL, \"" msg "\");"
		}
		inside = n; start = NR
		next
	}
	inside != "" && $0 ~ "^[ \t]*/\\* solution " inside " end \\*/[ \t]*$" { inside = ""; print; next }
	inside != "" { next }
	{ print }
	END {
		if (inside != "") { printf "%s:%d: region without its end marker\n", file, start > "/dev/stderr"; exit 2 }
	}' "$1"
}

# The directory is replaced: only one this script wrote before, never a tree
# of someone's (a mistyped --out . or --out ~).
if [ -e "$out" ] && [ ! -f "$out/.cell-handout" ]; then
	die "$out exists and is no earlier handout: give another --out, or remove it"
fi
rm -rf "$out" "$out.tar.gz"
mkdir -p "$out"
echo "A student tree written by labs/handout.sh; make handout replaces this directory." \
	>"$out/.cell-handout"
count=0
while IFS= read -r f; do
	[ -f "$f" ] && wanted "$f" || continue
	mkdir -p "$out/$(dirname "$f")"
	n=${f%%-*}
	if [[ $f == [0-9][0-9]-*/container.c ]]; then
		if [ "$mode" = all ]; then
			regex=$(seq -f '%02g' 1 "$((10#$n))" | paste -sd '|')
		elif [ "$n" = "$stage" ]; then
			regex=$n
		else
			regex=none
		fi
		stub "$f" "$regex" >"$out/$f"
		# No solution may be left: a stubbed region holds the stub only.
		if ! awk -v re="^($regex)\$" '
			/solution [0-9][0-9] begin/ { n = $3; inside = n ~ re; next }
			/solution [0-9][0-9] end/ { inside = 0; next }
			inside && !/TODO|\(void\)|^[ \t]*return -1;/ { bad = 1 }
			END { exit bad }' "$out/$f"; then
			die "$out/$f still holds solution code"
		fi
	else
		cp -p "$f" "$out/$f"
	fi
	count=$((count + 1))
done < <(list_files)

tar -C "$(dirname "$out")" -czf "$out.tar.gz" "$(basename "$out")"
echo "handout: $out ($count files; mode $mode, stages up to $stage) and $out.tar.gz"

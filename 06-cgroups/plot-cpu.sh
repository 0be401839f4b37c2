#!/usr/bin/env bash
# What --cpus does, as a picture. The CPU burner runs in the container with
# two spinning threads (cpuburn -t 2 -s 6) under --cpus 1, 0.8 and 0.5, one
# run after the other. Meanwhile this script reads, from the host, the CPU
# time the container's cgroup has used, every 0.5 s: v1 keeps it in the
# cpuacct hierarchy (cpuacct.usage, in nanoseconds), v2 in cpu.stat
# (usage_usec). The CPU time used in each interval, divided by the
# interval's length, is the number of CPUs the container had; gnuplot draws
# that over time, one line per limit, into cpu-limits.png.
#
#   sudo bash plot-cpu.sh [OUTPUT.png]        (or: sudo make -C 06-cgroups plot)
#
# Other work on the host shows in the picture: run it on a quiet machine.
#
# Errors: set -euo pipefail, so a command that fails ends the script, save
# where the line itself says what its failure means (if, ||); die() names
# the script and why, in one line on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
container=$here/${CELL_BINARY:-container}
out=${1:-$here/cpu-limits.png}
limits=(1 0.8 0.5)
seconds=6

die() { echo "plot: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run it as root (sudo make -C 06-cgroups plot)"
command -v gnuplot >/dev/null || die "no gnuplot: apt-get install gnuplot-nox (or make deps STAGE=06)"
[ -x "$container" ] || die "$container is not built: run make -C 06-cgroups"

work=$(mktemp -d)
tool=
cleanup() {
	# a run interrupted half-way: end its container through its PID 1, so
	# that the tool removes the cgroups
	if [ -n "$tool" ]; then
		# shellcheck disable=SC2046 # one pid per word
		kill -KILL $(cat /proc/"$tool"/task/*/children 2>/dev/null) 2>/dev/null || true
		wait "$tool" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# The cgroup file systems: "MOUNT-POINT TYPE SUPER-OPTIONS" per line. The
# fields after the "-" that ends mountinfo's optional fields are the type,
# the source and the super options.
cgroup_mounts() {
	awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5, $(i + 1), $(i + 3) }' \
		/proc/self/mountinfo
}

# The file that counts the CPU time of process PID's cgroup, and how many
# nanoseconds one of its units is: "FILE NS". /proc/PID/cgroup gives the
# cgroup's path in each hierarchy: "N:cpu,cpuacct:/cell/1a2b3c4d" (v1) or
# "0::/cell/1a2b3c4d" (v2).
usage_file() { # PID
	local mnt path
	mnt=$(cgroup_mounts | awk '$2 == "cgroup" && $3 ~ /(^|,)cpuacct(,|$)/ { print $1; exit }')
	if [ -n "$mnt" ]; then
		path=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3 }' "/proc/$1/cgroup")
		echo "$mnt$path/cpuacct.usage 1"
		return
	fi
	mnt=$(cgroup_mounts | awk '$2 == "cgroup2" { print $1 }' | sort | head -n 1)
	path=$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup")
	echo "$mnt$path/cpu.stat 1000"
}

# The CPU time in FILE, in nanoseconds; fails once the cgroup is gone.
read_usage() { # FILE NS
	awk -v ns="$2" '$1 == "usage_usec" { print $2 * ns; exit } NF == 1 { print $1 * ns; exit }' \
		"$1" 2>/dev/null | grep .
}

for cpus in "${limits[@]}"; do
	"$container" --cpus "$cpus" cpuburn -t 2 -s "$seconds" >"$work/burn-$cpus" &
	tool=$!
	# the container's PID 1, once the tool has moved it into its cgroups
	init=
	for _ in $(seq 100); do
		init=$(cat /proc/"$tool"/task/*/children 2>/dev/null || true)
		init=${init%% *} # the kernel ends the list with a space
		[ -n "$init" ] && grep -q ':/cell/' "/proc/$init/cgroup" 2>/dev/null && break
		sleep 0.05
	done
	grep -q ':/cell/' "/proc/$init/cgroup" 2>/dev/null || die "the container with --cpus $cpus did not start"
	read -r file ns < <(usage_file "$init")
	echo "plot: --cpus $cpus: reading $file every 0.5 s"
	# "SECONDS NANOSECONDS": the time of each reading, and the CPU time so far
	while usage=$(read_usage "$file" "$ns"); do
		echo "$(date +%s.%N) $usage"
		sleep 0.5
	done >"$work/raw-$cpus"
	wait "$tool" || die "the container with --cpus $cpus failed"
	tool=
	echo "plot: --cpus $cpus: cpuburn says: $(cat "$work/burn-$cpus")"
	# CPUs used in each interval, at the interval's middle, from the first
	# reading on
	awk 'NR == 1 { t0 = $1 } NR > 1 && $1 > t { printf "%.2f %.3f\n", (t + $1) / 2 - t0, ($2 - u) / ($1 - t) / 1e9 }
		{ t = $1; u = $2 }' "$work/raw-$cpus" >"$work/cpus-$cpus"
done

plots=()
for cpus in "${limits[@]}"; do
	plots+=("'$work/cpus-$cpus' using 1:2 with linespoints lw 2 pt 7 ps 0.6 title '--cpus $cpus'")
done
gnuplot <<EOF
set terminal pngcairo size 900,480 font 'sans,11'
set output '$out'
set title 'cpuburn -t 2 -s $seconds (two spinning threads) under three CPU limits'
set xlabel 'seconds since the first reading'
set ylabel 'CPUs used (CPU time of the cgroup / wall time)'
set yrange [0:2]
set xrange [0:$((seconds + 1))]
set ytics 0.2
set grid
set key top right
$(for cpus in "${limits[@]}"; do echo "set arrow from graph 0, first $cpus to graph 1, first $cpus nohead dt 2 lc rgb 'gray40'"; done)
plot $(IFS=,; echo "${plots[*]}")
EOF
echo "plot: wrote $out"

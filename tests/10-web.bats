#!/usr/bin/env bats
# Stage 10: cell web (the page, its JSON API, the token, Host and Origin
# checks) and cell inspect --graph. The API's numbers are held against the
# kernel's own (cgroup.procs, NSpid, /proc/PID/ns, the cgroup's files); the
# page is read as a real browser rendered it (headless Chromium, driven by
# tests/web-browser.py), and its pause button is clicked with the mouse and
# checked in the freezer. Each test's store is its own (--root), and each
# cell web listens on a port the kernel picks.

load helper

setup() {
	cell_store_setup cpuburn
	command -v curl >/dev/null || fail "curl is missing: run make deps"
	WEB=
}

teardown() {
	if [ -n "$WEB" ]; then
		kill "$WEB" 2>/dev/null || true
		wait "$WEB" 2>/dev/null || true
	fi
	cell_store_teardown
}

# Starts cell web on a port the kernel picks; sets WEB (its pid), URL
# (http://127.0.0.1:PORT) and WEB_TOKEN from the line it prints. Its fd 3
# (bats's own output) is closed, so that it cannot hold the run open.
start_web() {
	"$CONTAINER" --root "$LIB" web --listen 127.0.0.1:0 >"$BATS_TEST_TMPDIR/web.out" \
		2>"$BATS_TEST_TMPDIR/web.err" 3>&- &
	WEB=$!
	wait_until grep -q '^cell web: http://' "$BATS_TEST_TMPDIR/web.out" ||
		fail "cell web did not start: $(cat "$BATS_TEST_TMPDIR/web.err")"
	URL=$(sed -n 's|^cell web: \(http://[^/]*\)/#token=[0-9a-f]*$|\1|p' "$BATS_TEST_TMPDIR/web.out")
	WEB_TOKEN=$(sed -n 's|^cell web: http://[^/]*/#token=\([0-9a-f]*\)$|\1|p' "$BATS_TEST_TMPDIR/web.out")
	[ -n "$URL" ] && [ ${#WEB_TOKEN} -eq 32 ]
}

# The API with the token; curl prints the body, then the HTTP status on a
# line of its own.
api() { # PATH [CURL-OPTION...]
	local path=$1
	shift
	curl -sS -w '\n%{http_code}\n' -H "X-Cell-Token: $WEB_TOKEN" "$@" "$URL$path"
}

# An action, as the page posts it.
post() { # NAME-OR-ID ACTION [CURL-OPTION...]
	local ref=$1 action=$2
	shift 2
	api "/api/containers/$ref" -X POST -H 'Content-Type: application/json' \
		-d "{\"action\": \"$action\"}" "$@"
}

status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

# The container's directory in the hierarchy of CONTROLLER (v1), or its v2
# directory.
cgroup_dir() { # NAME CONTROLLER
	inspect "$1" ".CgroupPaths | to_entries[] | select(.key | split(\"[, ]\"; null) | index(\"$2\") or . == [\"unified\"]) | .value" | head -n 1
}

freezer_state() { # NAME: FROZEN or THAWED, from the kernel
	local dir
	dir=$(cgroup_dir "$1" freezer)
	if [ -e "$dir/freezer.state" ]; then
		cat "$dir/freezer.state"
	elif [ "$(cat "$dir/cgroup.freeze")" = 1 ]; then
		echo FROZEN
	else
		echo THAWED
	fi
}

@test "web: the API shows what the kernel shows: processes with both PIDs, namespaces beside the host's, cgroup use against limits, CPU over time, the log's tail" {
	name=w$(rand_token 6)
	word=$(rand_token 12)
	pids=$((RANDOM % 50 + 20))
	cell run --rootfs "$ROOTFS" -d --name "$name" --memory 48m --pids-limit "$pids" --cpus 0.5 \
		sh -c "echo $word; cpuburn -t 1 & sleep 1000" >/dev/null
	start_web
	# the list: the container, running, with its image (the rootfs)
	run api /api/containers
	[ "$(status_of "$output")" = 200 ]
	list=$(body_of "$output")
	[ "$(jq -r ".[] | select(.Name == \"$name\") | .State" <<<"$list")" = running ]
	[ "$(jq -r ".[] | select(.Name == \"$name\") | .Image" <<<"$list")" = "$ROOTFS" ]

	run api "/api/containers/$name"
	[ "$(status_of "$output")" = 200 ]
	c=$(body_of "$output")
	pid=$(jq -r .State.Pid <<<"$c")
	[ "$pid" -gt 0 ]
	# every process of the cgroup, with its PID inside from NSpid
	procs=$(cgroup_dir "$name" pids)/cgroup.procs
	wait_until eval "[ \$(wc -l <'$procs') -ge 2 ]"
	run api "/api/containers/$name"
	c=$(body_of "$output")
	[ "$(jq -r '.Processes[].HostPid' <<<"$c" | sort -n)" = "$(sort -n "$procs")" ]
	for p in $(cat "$procs"); do
		inner=$(awk '/^NSpid:/ { print $NF }' /proc/$p/status)
		[ "$(jq -r ".Processes[] | select(.HostPid == $p) | .Pid" <<<"$c")" = "$inner" ]
	done
	[ "$(jq -r ".Processes[] | select(.HostPid == $pid) | .Pid" <<<"$c")" = 1 ]
	# the namespaces, and the host's (cell's own) beside them
	for ns in pid mnt uts ipc net cgroup; do
		[ "$(jq -r ".Namespaces.$ns" <<<"$c")" = "$(stat -L -c %i /proc/$pid/ns/$ns)" ]
		[ "$(jq -r ".HostNamespaces.$ns" <<<"$c")" = "$(stat -L -c %i /proc/self/ns/$ns)" ]
	done
	# the limits given, as the cgroup's files hold them
	[ "$(jq -r .Usage.PidsLimit <<<"$c")" = "$(cat "$(cgroup_dir "$name" pids)/pids.max")" ]
	[ "$(jq -r .Usage.PidsLimit <<<"$c")" = "$pids" ]
	[ "$(jq -r .Usage.MemoryLimit <<<"$c")" = $((48 << 20)) ]
	[ "$(jq -r '.Usage.CpuQuotaUs / .Usage.CpuPeriodUs' <<<"$c")" = 0.5 ]
	# the log's last lines
	[ "$(jq -r '.Logs[-1].Text' <<<"$c")" = "$word" ]
	# CPU over time: the burner near its limit of half a CPU, from the
	# cgroup's CPU time, one sample a second
	wait_long eval "api /api/containers/$name/stats | sed '\$d' | jq -e '.Samples | length >= 3' >/dev/null"
	run api "/api/containers/$name/stats"
	s=$(body_of "$output")
	[ "$(jq -r .CpuLimit <<<"$s")" = 0.5 ]
	cpu=$(jq -r '.Samples[-1].Cpu' <<<"$s")
	awk -v c="$cpu" 'BEGIN { exit !(c > 30 && c < 65) }' || fail "CPU $cpu%, not near 50%"
	[ "$(jq -r '.Samples[-1].Memory' <<<"$s")" -gt 0 ]
}

@test "web and inspect: a bridge container's address, network and published port, as the kernel has them" {
	name=b$(rand_token 6)
	port=$((RANDOM % 10000 + 30000))
	cell run --rootfs "$ROOTFS" -d --name "$name" -p "$port:7" sleep 1000 >/dev/null
	pid=$(inspect "$name" .State.Pid)
	# what the kernel says: eth0's address inside, the host end's master
	addr=$(nsenter -t "$pid" -n ip -o -4 addr show dev eth0 | awk '{ print $4 }')
	[[ $addr == 10.88.*/16 ]]
	run inspect "$name" .Addresses
	[ "$(jq -r .eth0 <<<"$output")" = "$addr" ]
	[ "$(jq -r .Network <<<"$output")" = cell ]
	[ "$(jq -r .Ports[0] <<<"$output")" = "$port:7/tcp" ]
	link=$(jq -r .HostEnd.Name <<<"$output")
	ip -o link show master "$(jq -r .HostEnd.Bridge <<<"$output")" | grep -q "$link@"
	ip -o -4 addr show dev "$(jq -r .HostEnd.Bridge <<<"$output")" |
		grep -q "inet $(jq -r .HostEnd.Address <<<"$output") "
	# the map entry the kernel holds sends the port to that address
	nft list map ip cell ports | grep -q "tcp . $port : ${addr%/*} . 7"
	# the picture: the host end a port of the bridge, not an address of its own
	run cell inspect --graph "$name"
	assert_output --partial "label=\"$link\\nport of cell0 10.88.0.1/16\""
	start_web
	run api "/api/containers/$name"
	[ "$(status_of "$output")" = 200 ]
	c=$(body_of "$output")
	[ "$(jq -r .Addresses.eth0 <<<"$c")" = "$addr" ]
	[ "$(jq -r '.Addresses.Ports | join(",")' <<<"$c")" = "$port:7/tcp" ]
}

@test "web: bad requests are refused and change nothing: no token, a wrong one, another Origin or Host, an unknown id, malformed JSON, a wrong type, a very long URL" {
	name=w$(rand_token 6)
	cell run --rootfs "$ROOTFS" -d --name "$name" sh -c 'while :; do sleep 1; done' >/dev/null
	start_web
	run curl -sS -w '\n%{http_code}\n' -X POST -H 'Content-Type: application/json' \
		-d '{"action": "pause"}' "$URL/api/containers/$name"
	[ "$(status_of "$output")" = 401 ]
	run curl -sS -w '\n%{http_code}\n' "$URL/api/containers"
	[ "$(status_of "$output")" = 401 ]
	run curl -sS -w '\n%{http_code}\n' -X POST -H 'Content-Type: application/json' \
		-H "X-Cell-Token: ${WEB_TOKEN%?}x" -d '{"action": "pause"}' "$URL/api/containers/$name"
	[ "$(status_of "$output")" = 401 ]
	run post "$name" pause -H 'Origin: http://evil.example'
	[ "$(status_of "$output")" = 403 ]
	assert_output --partial Origin
	run post "$name" pause -H "Origin: ${URL}0"
	[ "$(status_of "$output")" = 403 ]
	# a foreign name that resolves to this address (DNS rebinding)
	run post "$name" pause -H 'Host: rebind.example:80'
	[ "$(status_of "$output")" = 403 ]
	assert_output --partial Host
	run post "nosuch$(rand_token 6)" pause
	[ "$(status_of "$output")" = 404 ]
	run post '..%2F..%2Fetc' pause
	[ "$(status_of "$output")" = 404 ]
	run api "/api/containers/$name" -X POST -H 'Content-Type: application/json' -d '{"action": "pause"'
	[ "$(status_of "$output")" = 400 ]
	assert_output --partial 'not JSON'
	run api "/api/containers/$name" -X POST -H 'Content-Type: application/json' -d '{"action": "format-disk"}'
	[ "$(status_of "$output")" = 400 ]
	run api "/api/containers/$name" -X POST -H 'Content-Type: text/plain' -d '{"action": "pause"}'
	[ "$(status_of "$output")" = 415 ]
	run api "/api/containers/$name" -X POST -H 'Content-Type: application/json' \
		-d "{\"action\": \"pause\", \"pad\": \"$(head -c 8000 /dev/zero | tr '\0' x)\"}"
	[ "$(status_of "$output")" = 413 ]
	run api "/api/containers/$(head -c 3000 /dev/zero | tr '\0' a)"
	[ "$(status_of "$output")" = 414 ]
	# past libmicrohttpd's own buffer for a request's head
	run api "/api/containers/$(head -c 100000 /dev/zero | tr '\0' a)"
	[ "$(status_of "$output")" = 414 ]
	run api "/api/containers/$name" -X DELETE
	[ "$(status_of "$output")" = 405 ]
	# nothing changed: the container runs, thawed, and the server still answers
	[ "$(freezer_state "$name")" = THAWED ]
	[ "$(cell status "$name")" = running ]
	run api /api/containers
	[ "$(status_of "$output")" = 200 ]
	kill -0 "$WEB"
}

@test "web: actions with the token: pause freezes the cgroup, unpause thaws it, stop ends the init, start runs it again, rm removes it" {
	name=w$(rand_token 6)
	cell run --rootfs "$ROOTFS" -d --name "$name" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
	start_web
	run post "$name" pause -H "Origin: $URL"
	[ "$(status_of "$output")" = 200 ]
	[ "$(body_of "$output" | jq -r .State)" = paused ]
	[ "$(freezer_state "$name")" = FROZEN ]
	run post "$name" unpause
	[ "$(status_of "$output")" = 200 ]
	[ "$(freezer_state "$name")" = THAWED ]
	# rm of a running container is refused, with cell's own reason
	run post "$name" rm
	[ "$(status_of "$output")" = 409 ]
	assert_output --partial 'stop it first'
	pid=$(inspect "$name" .State.Pid)
	run post "$name" stop
	[ "$(status_of "$output")" = 200 ]
	! kill -0 "$pid" 2>/dev/null
	[ "$(cell status "$name")" = stopped ]
	run post "$name" start
	[ "$(status_of "$output")" = 200 ]
	new=$(inspect "$name" .State.Pid)
	[ "$new" -gt 0 ] && [ "$new" != "$pid" ]
	grep -q "^NSpid:.*[[:space:]]1$" /proc/$new/status
	run post "$name" stop
	run post "$name" rm
	[ "$(status_of "$output")" = 200 ]
	run cell ps -aq
	assert_output ''
}

@test "web: Chromium renders the container with its CPU graph above zero and its address and published port; a mouse click on pause freezes its cgroup" {
	command -v chromium >/dev/null || fail "chromium is missing: run make deps"
	name=w$(rand_token 6)
	port=$((RANDOM % 10000 + 30000))
	cell run --rootfs "$ROOTFS" -d --name "$name" -p "$port:7" cpuburn -t 1 >/dev/null
	id=$(inspect "$name" .Id)
	pid=$(inspect "$name" .State.Pid)
	addr=$(nsenter -t "$pid" -n ip -o -4 addr show dev eth0 | awk '{ print $4 }')
	start_web
	profile=$BATS_TEST_TMPDIR/chromium
	mkdir "$profile"
	# CELL_WEB_SCREENSHOT=FILE keeps the page's picture (the lab notes' one)
	run timeout 120 /usr/bin/python3 "$BATS_TEST_DIRNAME/web-browser.py" \
		"$(sed -n 's|^cell web: ||p' "$BATS_TEST_TMPDIR/web.out")" "$id" "$profile" \
		"${CELL_WEB_SCREENSHOT:-$BATS_TEST_TMPDIR/page.png}" 3>&-
	assert_success
	assert_line "listed $name"
	assert_line --regexp '^cpu-graph [0-9.]+$'
	assert_line "detail ${id:0:12}"
	# the panel's addresses: eth0's as the kernel has it, and the port
	assert_line --regexp "^addresses eth0 $addr on the network cell, .* bridge cell0 10\.88\.0\.1/16; published: host $port -> 7/tcp\$"
	assert_line 'clicked pause'
	assert_line 'page-state paused'
	[ "$(freezer_state "$name")" = FROZEN ]
	[ "$(cell status "$name")" = paused ]
	# the screenshot is a PNG
	[ "$(head -c 8 "${CELL_WEB_SCREENSHOT:-$BATS_TEST_TMPDIR/page.png}" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	# no Chromium process is left
	! pgrep -f -- "--user-data-dir=$profile" >/dev/null
}

@test "web: --listen refuses a bad address and a port in use, with one line and 125; SIGINT ends it with 0" {
	run -125 cell web --listen 127.0.0.1:99999
	assert_output --partial -- '--listen 127.0.0.1:99999'
	[ "${#lines[@]}" = 1 ]
	run -125 cell web --listen nowhere:80
	assert_output --partial -- '--listen nowhere:80'
	run -125 cell web extra
	start_web
	port=${URL##*:}
	run -125 cell web --listen "127.0.0.1:$port"
	assert_output --partial 'Address already in use'
	[ "${#lines[@]}" = 1 ]
	# the page and its script are built in
	run curl -sS "$URL/"
	assert_output --partial '<script src="/web.js">'
	run curl -sS "$URL/web.js"
	assert_output --partial 'X-Cell-Token'
	kill -INT "$WEB"
	rc=0
	wait "$WEB" || rc=$?
	WEB=
	[ "$rc" = 0 ]
	! curl -s "$URL/" >/dev/null
}

@test "inspect --graph: DOT of the processes, namespaces, cgroup, mounts and veth as the kernel shows them; SVG and PNG drawn by Graphviz" {
	name=w$(rand_token 6)
	cidr=$(rand_cidr)
	cell run --rootfs "$ROOTFS" -d --name "$name" --ip "$cidr" --pids-limit 77 sh -c 'sleep 1000 & sleep 1000' >/dev/null
	pid=$(inspect "$name" .State.Pid)
	id=$(inspect "$name" .Id)
	run cell inspect --graph "$name"
	assert_success
	assert_line 'digraph container {'
	# each process of the cgroup, with its PID inside, under its parent
	for p in $(cat "$(cgroup_dir "$name" pids)/cgroup.procs"); do
		inner=$(awk '/^NSpid:/ { print $NF }' /proc/$p/status)
		assert_output --partial "p$p [label=\""
		assert_output --partial "host PID $p, PID $inner inside"
		[ "$p" = "$pid" ] || assert_line "    p$pid -> p$p;"
	done
	for ns in pid mnt uts ipc net cgroup; do
		assert_output --partial "ns_$ns [shape=ellipse, label=\"$ns\\n$(stat -L -c %i /proc/$pid/ns/$ns)\""
	done
	assert_output --partial "cgroup /cell/ctr/\\l$id\\l"
	assert_output --partial "pids $(cat "$(cgroup_dir "$name" pids)/pids.current") / 77"
	assert_output --partial '/proc  proc'
	# the veth: the host's end is a real link of the host's
	link=$(inspect "$name" .Addresses.HostEnd.Name)
	ip link show "$link" >/dev/null
	assert_output --partial "label=\"$link\\n"
	assert_output --partial "label=\"eth0\\n$cidr\""
	command -v dot >/dev/null || fail "Graphviz's dot is missing: run make deps"
	cell inspect --graph -o "$BATS_TEST_TMPDIR/g.svg" "$name"
	grep -q '<svg' "$BATS_TEST_TMPDIR/g.svg"
	grep -q "host PID $pid, PID 1 inside" "$BATS_TEST_TMPDIR/g.svg"
	cell inspect --graph -o "$BATS_TEST_TMPDIR/g.png" "$name"
	[ "$(head -c 8 "$BATS_TEST_TMPDIR/g.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	run -125 cell inspect --graph -o "$BATS_TEST_TMPDIR/g.jpg" "$name"
	assert_output --partial -- '--output'
	[ ! -e "$BATS_TEST_TMPDIR/g.jpg" ]
	run -125 cell inspect --graph nosuch
	assert_output --partial 'no such container'
}

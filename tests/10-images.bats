#!/usr/bin/env bats
# Stage 10: cell's images in layers (image.c). What is checked is what the
# kernel and the real tools show: the container's root mount in
# /proc/PID/mountinfo (its lower directories), the layers' directories and
# their whiteouts (stat, xattrs), files read inside containers, the tar
# of a saved layer, and skopeo's and podman's reading of what cell saved.
# The images the registry serves are made here, offline, with tar, gzip,
# sha256sum and jq: an OCI layout that skopeo copies into Debian's
# docker-registry, started on 127.0.0.1 in the test's directory.

load helper

setup() {
	cell_store_setup
	T=$BATS_TEST_TMPDIR
	REG_PID=
}

teardown() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null || true
		wait "$REG_PID" 2>/dev/null || true
	fi
	[ -z "${PODMAN_DIR:-}" ] || podman_here system reset -f >/dev/null 2>&1 || true
	cell_store_teardown
}

# The layer directories of the store, one per line.
layer_dirs() { find "$LIB/layers" -mindepth 1 -maxdepth 1 -regextype posix-extended \
	-regex '.*/[0-9a-f]{64}' | sort; }
# The store's work directories (none once a command has ended).
work_dirs() { find "$LIB/layers" -mindepth 1 -maxdepth 1 -name '.tmp-*'; }

# A small root file system in DIR: busybox and the mount points.
small_tree() { # DIR
	mkdir -p "$1"/{bin,proc,sys,dev,etc,tmp,run}
	cp "$ROOTFS/bin/busybox" "$1/bin/"
	for l in sh cat ls echo; do ln -s busybox "$1/bin/$l"; done
}

# Adds DIR's tree as a gzip layer to the OCI layout LAYOUT; prints its
# digest, its diff_id and its size.
add_layer() { # LAYOUT DIR
	local tar=$T/layer.tar d diff
	tar -C "$2" --sort=name --owner=0 --group=0 --numeric-owner -cf "$tar" .
	diff=$(sha256sum <"$tar" | cut -c1-64)
	gzip -n -c "$tar" >"$tar.gz"
	d=$(sha256sum <"$tar.gz" | cut -c1-64)
	mkdir -p "$1/blobs/sha256"
	mv "$tar.gz" "$1/blobs/sha256/$d"
	echo "$d $diff $(stat -c %s "$1/blobs/sha256/$d")"
	rm -f "$tar"
}

# A blob of LAYOUT holding the JSON on stdin; prints its descriptor's
# digest and size.
add_json() { # LAYOUT
	local f=$T/blob.json d
	cat >"$f"
	d=$(sha256sum <"$f" | cut -c1-64)
	mv "$f" "$1/blobs/sha256/$d"
	echo "$d $(stat -c %s "$1/blobs/sha256/$d")"
}

# An OCI image in LAYOUT of the layers given as "digest diff_id size"
# triples, with CMD; prints its manifest's "digest size".
add_image() { # LAYOUT CMD LAYER...
	local layout=$1 cmd=$2 config layers=() diffs=() d diff size c
	shift 2
	for l in "$@"; do
		read -r d diff size <<<"$l"
		layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$size}")
		diffs+=("\"sha256:$diff\"")
	done
	c=$(printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh","-c","%s"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
		"$cmd" "$(IFS=,; echo "${diffs[*]}")" | add_json "$layout")
	read -r d size <<<"$c"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
		"$d" "$size" "$(IFS=,; echo "${layers[*]}")" | add_json "$layout"
}

# LAYOUT's index.json listing manifests, each "digest size ref".
write_index() { # LAYOUT MANIFEST...
	local layout=$1 m=() d size ref
	shift
	for x in "$@"; do
		read -r d size ref <<<"$x"
		m+=("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$d\",\"size\":$size,\"annotations\":{\"org.opencontainers.image.ref.name\":\"$ref\"}}")
	done
	printf '{"schemaVersion":2,"manifests":[%s]}' "$(IFS=,; echo "${m[*]}")" >"$layout/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
}

# Debian's docker-registry on 127.0.0.1, storing in the test's directory;
# sets REG (host:port) and REG_PID.
start_registry() {
	command -v docker-registry >/dev/null || skip "docker-registry is not installed: run make deps"
	command -v skopeo >/dev/null || skip "skopeo is not installed: run make deps"
	local port
	port=$((20000 + RANDOM % 20000))
	cat >"$T/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: error
		storage:
		  filesystem:
		    rootdirectory: $T/registry
		http:
		  addr: 127.0.0.1:$port
	EOF
	docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 3>&- &
	REG_PID=$!
	REG=127.0.0.1:$port
	wait_until curl -sf "http://$REG/v2/"
}

# Copies image REF of LAYOUT to the registry as NAME.
push() { # LAYOUT REF NAME
	skopeo copy -q --dest-tls-verify=false "oci:$1:$2" "docker://$REG/$3" >/dev/null
}

# The registry's file of blob DIGEST (hex).
registry_blob() { echo "$T/registry/docker/registry/v2/blobs/sha256/${1:0:2}/$1/data"; }

# The lower directories of the root mount of process PID, one per line.
lowers_of() { # PID
	awk '$5 == "/" { print }' "/proc/$1/mountinfo" | grep -o 'lowerdir=[^,]*' |
		sed 's/^lowerdir=//' | tr ':' '\n'
}

@test "image import DIR, run IMAGE: the overlay's lower layer is the layer's directory, named by its tar's sha256; the config's defaults apply" {
	tok=$(rand_token 10)
	cell image import -q -c 'CMD ["sh", "-c", "echo $TOKEN; pwd"]' -c "ENV TOKEN=$tok" \
		-c 'WORKDIR /etc' "$ROOTFS" "t/base:$tok" >"$T/id"
	[ "$(layer_dirs | wc -l)" = 1 ]
	layer=$(layer_dirs)
	# the directory is the tree, and its name the diff_id the config lists
	diff -r --no-dereference "$ROOTFS" "$layer"
	run cell image inspect "t/base:$tok"
	assert_success
	[ "$(jq -r '.[0].RootFS.diff_ids[0]' <<<"$output")" = "sha256:${layer##*/}" ]
	# the image's id is its config's sha256
	[ "$(jq -r '.[0].Id' <<<"$output")" = "$(cat "$T/id")" ]
	run cell run --rm "t/base:$tok"
	assert_success
	assert_output "$tok
/etc"
	# COMMAND replaces Cmd; -w and -e win over the image's
	run cell run --rm -w / -e "TOKEN=x$tok" "t/base:$tok" sh -c 'echo $TOKEN; pwd'
	assert_output "x$tok
/"
	cell run -d --name "c$tok" "t/base:$tok" sh -c 'while :; do sleep 1; done' >/dev/null
	pid=$(cell inspect "c$tok" | jq -r '.[0].State.Pid')
	[ "$(lowers_of "$pid")" = "$layer" ]
	[ "$(cell inspect "c$tok" | jq -r '.[0].ImageID')" = "sha256:$(cat "$T/id")" ]
	# --rootfs DIR is still the one lower layer
	cell run -d --name "r$tok" --rootfs "$ROOTFS" sh -c 'while :; do sleep 1; done' >/dev/null
	pid=$(cell inspect "r$tok" | jq -r '.[0].State.Pid')
	[ "$(lowers_of "$pid")" = "$ROOTFS" ]
}

@test "commit: a new layer on top; the container's change and deletions (a whiteout, an opaque directory) are what a new container sees" {
	tok=$(rand_token 10)
	cell image import -q -c 'CMD ["sh"]' "$ROOTFS" base >/dev/null
	base=$(layer_dirs)
	cell run --name "c$tok" base sh -c "echo $tok >/etc/added; rm /etc/hostname;
		rm -rf /usr/local/bin; mkdir /usr/local/bin; echo $tok >/usr/local/bin/only"
	cell commit -q "c$tok" "t/commit:$tok" >/dev/null
	[ "$(layer_dirs | wc -l)" = 2 ]
	top=$(layer_dirs | grep -vx "$base")
	# in the layer: overlayfs's whiteout (a 0:0 character device) and an
	# opaque directory (its xattr)
	[ "$(stat -c '%F %t:%T' "$top/etc/hostname")" = "character special file 0:0" ]
	[ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' \
		"$top/usr/local/bin")" = y ]
	run cell run --rm "t/commit:$tok" sh -c 'cat /etc/added; ls /usr/local/bin; ls /etc/hostname'
	assert_failure
	assert_line -n 0 "$tok"
	assert_line -n 1 only
	assert_output --partial "/etc/hostname: No such file or directory"
	# two lower layers, the new one on top
	cell run -d --name "d$tok" "t/commit:$tok" sh -c 'while :; do sleep 1; done' >/dev/null
	pid=$(cell inspect "d$tok" | jq -r '.[0].State.Pid')
	[ "$(lowers_of "$pid" | tr '\n' ' ')" = "$top $base " ]
	run cell image history "t/commit:$tok"
	assert_line -n 1 --regexp 'cell commit$'
	assert_line -n 2 --regexp "cell image import $ROOTFS\$"
	# saved, the layer is OCI's: .wh.NAME and .wh..wh..opq
	cell image save --format oci-dir -o "$T/saved" "t/commit:$tok" 2>/dev/null
	manifest=$(jq -r '.manifests[0].digest' "$T/saved/index.json")
	blob=$(jq -r '.layers[1].digest' "$T/saved/blobs/sha256/${manifest#sha256:}")
	run tar -tf "$T/saved/blobs/sha256/${blob#sha256:}"
	assert_line etc/.wh.hostname
	assert_line usr/local/bin/.wh..wh..opq
	assert_line usr/local/bin/only
	refute_line --partial 'greet'
}

@test "save: skopeo and podman load read the OCI archive; cell load reads it back, the same image" {
	command -v skopeo >/dev/null || skip "skopeo is not installed: run make deps"
	command -v podman >/dev/null || skip "podman is not installed: run make deps"
	tok=$(rand_token 10)
	small_tree "$T/tree"
	echo "$tok" >"$T/tree/etc/token"
	cell image import -q -c 'CMD ["cat", "/etc/token"]' "$T/tree" "t/saved:$tok" >"$T/id"
	cell image save -o "$T/image.tar" "t/saved:$tok" 2>/dev/null
	diff_id=$(cell image inspect "t/saved:$tok" | jq -r '.[0].RootFS.diff_ids[0]')
	run skopeo inspect "oci-archive:$T/image.tar"
	assert_success
	[ "$(jq -r '.Layers | join(" ")' <<<"$output")" = "$diff_id" ]
	[ "$(jq -r '.Digest' <<<"$output")" = "$(jq -r '.manifests[0].digest' \
		<(tar -xOf "$T/image.tar" index.json))" ]
	# podman's own store, in the test's directory (vfs: no mounts)
	PODMAN_DIR=$T/podman
	run podman_here load -i "$T/image.tar"
	assert_success
	run podman_here image inspect "t/saved:$tok"
	assert_success
	[ "$(jq -r '.[0].RootFS.Layers | join(" ")' <<<"$output")" = "$diff_id" ]
	[ "$(jq -r '.[0].Config.Cmd | join(" ")' <<<"$output")" = "cat /etc/token" ]
	# into another store: the same config, so the same id, and it runs
	LIB=$T/lib2
	cell image load -q -i "$T/image.tar" >"$T/id2"
	cmp "$T/id" "$T/id2"
	run cell run --rm "t/saved:$tok"
	assert_output "$tok"
}

podman_here() {
	TMPDIR=$T podman --root "$PODMAN_DIR/storage" --runroot "$PODMAN_DIR/run" \
		--tmpdir "$PODMAN_DIR/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend file "$@"
}

@test "pull by tag, by digest and through an index; two images sharing a base keep it once; a blob that does not match its digest is refused and nothing is kept" {
	start_registry
	tok=$(rand_token 10)
	small_tree "$T/base"
	mkdir -p "$T/one/etc" "$T/two/etc" "$T/bad/etc"
	echo "one $tok" >"$T/one/etc/app"
	echo "two $tok" >"$T/two/etc/app"
	echo "bad $tok" >"$T/bad/etc/app"
	L=$T/layout
	base=$(add_layer "$L" "$T/base")
	one=$(add_layer "$L" "$T/one")
	two=$(add_layer "$L" "$T/two")
	bad=$(add_layer "$L" "$T/bad")
	m1=$(add_image "$L" "cat /etc/app" "$base" "$one")
	m2=$(add_image "$L" "cat /etc/app" "$base" "$two")
	m3=$(add_image "$L" "cat /etc/app" "$base" "$bad")
	write_index "$L" "$m1 one" "$m2 two" "$m3 bad"
	push "$L" one t/app:one
	push "$L" two t/app:two
	push "$L" bad t/app:bad

	cell pull -q --tls-verify=false "$REG/t/app:one" >/dev/null
	run cell run --rm "$REG/t/app:one"
	assert_output "one $tok"
	# by digest: the manifest's sha256, checked
	read -r d2 _ <<<"$m2"
	cell pull -q --tls-verify=false "$REG/t/app@sha256:$d2" >/dev/null
	run cell run --rm "$REG/t/app@sha256:$d2"
	assert_output "two $tok"
	# the base once: three layers for two images of two each
	[ "$(layer_dirs | wc -l)" = 3 ]
	read -r _ base_diff _ <<<"$base"
	[ -d "$LIB/layers/$base_diff" ]
	run cell image ls
	assert_line --regexp "^$REG/t/app +one "
	assert_line --regexp "^$REG/t/app +<none> "

	# a blob whose content is not its digest's: refused, nothing kept
	read -r d3 _ <<<"$bad"
	printf x >>"$(registry_blob "$d3")"
	run -125 cell pull --tls-verify=false "$REG/t/app:bad"
	assert_output --partial "blob sha256:$d3: its content's sha256 is"
	[ "$(layer_dirs | wc -l)" = 3 ]
	[ -z "$(work_dirs)" ]
	run -125 cell image inspect "$REG/t/app:bad"
	[ "$(cell image ls -q | wc -l)" = 2 ]
}

@test "pull: an index is resolved to linux/amd64's manifest, and a manifest whose digest is not the one asked for is refused" {
	start_registry
	tok=$(rand_token 10)
	small_tree "$T/base"
	mkdir -p "$T/amd/etc" "$T/arm/etc"
	echo "amd64 $tok" >"$T/amd/etc/app"
	echo "arm64 $tok" >"$T/arm/etc/app"
	L=$T/layout
	base=$(add_layer "$L" "$T/base")
	read -r da sa < <(add_image "$L" "cat /etc/app" "$base" "$(add_layer "$L" "$T/amd")")
	read -r dr sr < <(add_image "$L" "cat /etc/app" "$base" "$(add_layer "$L" "$T/arm")")
	# an index listing arm64's manifest first
	ix=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"arm64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}}]}' \
		"$dr" "$sr" "$da" "$sa" | add_json "$L")
	read -r di si <<<"$ix"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"multi"}}]}' \
		"$di" "$si" >"$L/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
	skopeo copy -q --all --dest-tls-verify=false "oci:$L:multi" "docker://$REG/t/multi:1" >/dev/null
	cell pull -q --tls-verify=false "$REG/t/multi:1" >/dev/null
	run cell run --rm "$REG/t/multi:1"
	assert_output "amd64 $tok"
	# a digest that is not the manifest's content: refused
	bogus=$(printf %064d 0 | tr 0 e)
	run -125 cell pull --tls-verify=false "$REG/t/multi@sha256:$bogus"
	[ "$(cell image ls -q | wc -l)" = 1 ]
	[ -z "$(work_dirs)" ]
}

@test "image rm: refused while a container uses the image; then the image and the layers only it held go, a shared one stays" {
	tok=$(rand_token 10)
	cell image import -q -c 'CMD ["sh"]' "$ROOTFS" base >/dev/null
	cell run --name "c$tok" base sh -c "echo $tok >/etc/a"
	cell commit -q "c$tok" "t/one:$tok" >/dev/null
	cell rm "c$tok" >/dev/null
	[ "$(layer_dirs | wc -l)" = 2 ]
	cell run -d --name "u$tok" "t/one:$tok" sh -c 'while :; do sleep 1; done' >/dev/null
	run -125 cell image rm "t/one:$tok"
	assert_output "cell: image t/one:$tok is in use by container u$tok: remove the container first"
	[ "$(layer_dirs | wc -l)" = 2 ]
	cell image inspect "t/one:$tok" >/dev/null
	cell rm -f "u$tok" >/dev/null
	run cell image rm "t/one:$tok"
	assert_success
	# the base's layer stays: image base holds it
	[ "$(layer_dirs | wc -l)" = 1 ]
	run -125 cell image inspect "t/one:$tok"
	assert_output "cell: no such image: t/one:$tok"
	# a second name: rm removes the name, the image stays
	cell image import -q "$ROOTFS" "other:$tok" >/dev/null
	cell image rm base >/dev/null
	[ "$(layer_dirs | wc -l)" = 1 ]
	cell image rm "other:$tok" >/dev/null
	[ "$(layer_dirs | wc -l)" = 0 ]
}

@test "image import TAR: a gzip tar's layer is named by the sha256 of its uncompressed stream; an entry that climbs out of the layer is refused" {
	tok=$(rand_token 10)
	small_tree "$T/tree"
	echo "$tok" >"$T/tree/etc/token"
	tar -C "$T/tree" -czf "$T/tree.tgz" .
	cell image import -q -c 'CMD ["cat", "/etc/token"]' "$T/tree.tgz" "t/tgz:$tok" >/dev/null
	[ "$(layer_dirs)" = "$LIB/layers/$(gzip -dc "$T/tree.tgz" | sha256sum | cut -c1-64)" ]
	run cell run --rm "t/tgz:$tok"
	assert_output "$tok"
	# ../ in a name, and a name below a symbolic link that leads out
	mkdir -p "$T/out"
	python3 - "$T/evil.tar" "$T/out" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    i = tarfile.TarInfo("etc/../../../../../../../..%s/dotdot" % sys.argv[2]); i.size = 1
		    t.addfile(i, io.BytesIO(b"x"))
	EOF
	run -125 cell image import "$T/evil.tar" evil
	assert_output --partial 'leaves the layer'
	python3 - "$T/evil2.tar" "$T/out" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    l = tarfile.TarInfo("link"); l.type = tarfile.SYMTYPE; l.linkname = sys.argv[2]
		    t.addfile(l)
		    i = tarfile.TarInfo("link/through"); i.size = 1
		    t.addfile(i, io.BytesIO(b"x"))
	EOF
	run -125 cell image import "$T/evil2.tar" evil
	[ -z "$(ls -A "$T/out")" ]
	[ "$(layer_dirs | wc -l)" = 1 ]
	[ -z "$(work_dirs)" ]
	[ "$(cell image ls -q | wc -l)" = 1 ]
}

@test "images: bad input is one line and 125, and leaves nothing" {
	run -125 cell run --rm no/such:image true
	assert_output "cell: no such image: no/such:image"
	run -125 cell image import "$T/nonexistent" x
	assert_output --partial "$T/nonexistent: No such file or directory"
	run -125 cell image import "$ROOTFS" 'Bad Name'
	assert_output --partial 'Bad Name: not an image name'
	run -125 cell pull 'Upper/Case:1'
	assert_output --partial 'not an image reference'
	run -125 cell image load -i "$T/nonexistent"
	assert_output --partial "$T/nonexistent"
	echo "not a tar" >"$T/junk"
	run -125 cell image load -i "$T/junk"
	[ "${#lines[@]}" = 1 ]
	run -125 cell image save -o "$T/x.tar" nosuch
	assert_output "cell: no such image: nosuch"
	run -125 cell image import -c 'CMD [1' "$ROOTFS" y
	assert_output --partial '--change CMD [1: not a valid CMD'
	run -125 cell pull --tls-verify=maybe x
	[ "$(cell image ls -q | wc -l)" = 0 ]
	[ -z "$(layer_dirs)" ]
	[ -z "$(work_dirs)" ]
	[ ! -e "$T/x.tar" ]
}

@test "pull: Ctrl-C while a blob is on its way removes the work directory" {
	port=$((20000 + RANDOM % 20000))
	# a server that answers the manifest and then never sends the blob
	python3 - "$port" "$T" >/dev/null 2>&1 3>&- <<-'EOF' &
		import hashlib, http.server, json, sys, time
		cfg = json.dumps({"architecture": "amd64", "os": "linux",
		    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64]}}).encode()
		man = json.dumps({"schemaVersion": 2,
		    "mediaType": "application/vnd.oci.image.manifest.v1+json",
		    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
		        "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(), "size": len(cfg)},
		    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
		        "digest": "sha256:" + "b" * 64, "size": 1000}]}).encode()
		class H(http.server.BaseHTTPRequestHandler):
		    def do_GET(self):
		        body = man if "/manifests/" in self.path else cfg
		        if "b" * 64 in self.path:
		            self.send_response(200); self.send_header("Content-Length", "1000")
		            self.end_headers(); self.wfile.write(b"x" * 10); self.wfile.flush()
		            time.sleep(30); return
		        self.send_response(200)
		        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		        self.send_header("Content-Length", str(len(body))); self.end_headers()
		        self.wfile.write(body)
		http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	EOF
	REG_PID=$!
	wait_until curl -s -o /dev/null "http://127.0.0.1:$port/v2/"
	# the program itself in the background (not the function cell's shell),
	# so that the signal reaches it
	"$CONTAINER" --root "$LIB" pull --tls-verify=false "127.0.0.1:$port/t/slow:1" \
		2>"$T/err" 3>&- &
	pull=$!
	wait_until bash -c "find '$LIB/layers' -name 'blob-*' 2>/dev/null | grep -q ."
	kill -INT "$pull"
	st=0
	wait "$pull" || st=$?
	[ "$st" = 125 ]
	grep -q interrupted "$T/err"
	[ -z "$(work_dirs)" ]
	[ -z "$(layer_dirs)" ]
}

@test "make clean-host removes an image store's work directory whose process is gone, and keeps a living one's and the layers" {
	had_lib=false had_layers=false
	[ -d /var/lib/cell ] && had_lib=true
	[ -d /var/lib/cell/layers ] && had_layers=true
	mkdir -p /var/lib/cell/layers
	sleep 0 &
	dead=$!
	wait "$dead"
	hex=$(printf '%08x' $((RANDOM * RANDOM)))
	gone=/var/lib/cell/layers/.tmp-$dead-$hex
	kept=/var/lib/cell/layers/.tmp-$$-$hex
	other=/var/lib/cell/layers/.tmp-x$dead-$hex
	layer=/var/lib/cell/layers/$(printf %064d 0 | tr 0 f)
	[ ! -e "$layer" ]
	mkdir -p "$gone/layer-0/etc" "$kept" "$other" "$layer"
	run bash "$CELL_TOP/labs/clean-host.sh"
	rmdir "$kept" "$other" "$layer"
	# what the test made for it goes too
	$had_layers || rmdir /var/lib/cell/layers
	$had_lib || rmdir /var/lib/cell
	assert_success
	assert_line "clean-host: removing $gone"
	assert_line "clean-host: keeping $kept: process $$ works in it"
	[ ! -e "$gone" ]
}

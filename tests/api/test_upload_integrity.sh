#!/usr/bin/env bash
# A blob is never stored under a digest its bytes do not match, and a
# failed upload leaves nothing behind.
#
#  1. A PATCH whose driver flush fails (a real full tmpfs, when the suite
#     runs as root; the fault driver failing writer_close after holding
#     the bytes back) must not leave a hash state that counts the bytes
#     which never reached storage: appending other bytes until the size
#     matches and closing with the digest of the original bytes must not
#     answer 201, and `berth check` must find every blob intact.  After a
#     storage error no saved state is trusted, by this server or another.
#  2. A monolithic POST ?digest= that fails leaves nothing under _uploads;
#     one cut short by a crash is found by `berth check` and removed by
#     --repair (and by the purger once it is old); temporaries of killed
#     writes are swept; a stored blob of the wrong size is replaced when
#     its content is pushed again.
#  3. A PATCH with Content-Range but no Content-Length (a chunked body)
#     is refused with 411 before any byte is appended.
source "$(dirname "$0")/../lib.sh"

alive() { kill -0 "$berth_pid" 2>/dev/null; }
# bcheck CONFIG [ARGS...]: `berth check` into $T/bcheck.out, exit in $rc
bcheck() {
	local cfg=$1; shift
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$@" "$cfg" > "$T/bcheck.out" 2>&1
	rc=$?
}
# range_end URL: the last byte the upload at URL holds, from GET status
range_end() {
	http GET "$1"
	header Range | sed 's/^0-//'
}
# start_upload URL REPO: POST, sets $up to the upload URL
start_upload() {
	http POST "$1/v2/$2/blobs/uploads/"
	up=$(upload_url)
}
# hijack DESC URL REPO FILE_A FILE_B: the attack after a failed flush:
# append bytes of FILE_B until the upload holds as many bytes as FILE_A,
# then close with FILE_A's digest; the close must not answer 201 and the
# blob must not be served
hijack() {
	local desc=$1 url=$2 repo=$3 a=$4 b=$5 have need
	have=$(( $(range_end "$up") + 1 ))
	need=$(( $(stat -c %s "$a") - have ))
	check "$desc: the failed PATCH left fewer bytes than it was sent ($have)" \
		test "$need" -gt 0
	tail -c "$need" "$b" > "$T/rest"
	expect_status "$desc: appending $need other bytes" 202 PATCH "$up" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/rest"
	http PUT "$(with_query "$up" "digest=$(sha256_of "$a")")"
	local got
	got=$(jq -r '.errors[0].code' < "$T/body" 2>/dev/null)
	if [ "$status" = 400 ] && [ "$got" = DIGEST_INVALID ]; then
		pass "$desc: closing with the digest of the bytes sent first answers 400 DIGEST_INVALID"
	else
		fail "$desc: closing with the digest of the bytes sent first answers 400 DIGEST_INVALID" \
			"got $status $got $(head -c 200 "$T/body")"
	fi
	expect_status "$desc: the blob is unknown" 404 HEAD "$url/v2/$repo/blobs/$(sha256_of "$a")"
}

head -c 60000 /dev/zero | tr '\0' A > "$T/a60k"
head -c 60000 /dev/zero | tr '\0' B > "$T/b60k"
head -c 1000 "$T/a60k" > "$T/a1000"
head -c 300000 /dev/urandom > "$T/r300k"

# files_under DIR: every file below DIR, the driver's hidden ones too
files_under() { find "$1" -type f 2>/dev/null; }
# fill_disk PAGES (on the tmpfs $mnt): fill the tmpfs so that exactly PAGES pages stay free
fill_disk() {
	rm -f "$mnt/pad" "$mnt/fill"
	head -c $(( $1 * 4096 )) /dev/zero > "$mnt/pad"
	dd if=/dev/zero of="$mnt/fill" bs=4096 status=none 2> /dev/null
	rm -f "$mnt/pad"
}
free_disk() { rm -f "$mnt/pad" "$mnt/fill"; }

# ---- 1a, 2a: a real full disk, a 4 MiB tmpfs (run when it can be mounted) ----
on_tmpfs() {
	port=$(free_port)
	write_config "$T/disk.yml" "$mnt/root" "$port"
	start_berth "$T/disk.yml" || return 1
	U=$berth_url
	V2=$mnt/root/docker/registry/v2

	start_upload "$U" disk/a
	# 60000 bytes fit the filesystem driver's write buffer, so they reach the
	# file only when the PATCH ends and the writer is closed; two free pages
	# take the first 8 KiB of them (one of them, on the old code, the hash
	# state saved before the close) and the rest fails with ENOSPC
	fill_disk 2
	expect_error "tmpfs: a PATCH whose flush meets a full disk answers 507" 507 UNKNOWN \
		PATCH "$up" -H 'Content-Type: application/octet-stream' --data-binary "@$T/a60k"
	free_disk
	hijack "tmpfs" "$U" disk/a "$T/a60k" "$T/b60k"
	check "tmpfs: the server survived" alive
	bcheck "$T/disk.yml"
	if [ "$rc" = 0 ] && ! grep -q 'does not match its digest' "$T/bcheck.out"; then
		pass "tmpfs: berth check finds no blob whose content does not match its digest"
	else fail "tmpfs: berth check clean" "$(head -5 "$T/bcheck.out")"; fi

	# ---- 2a: a monolithic POST that fails leaves nothing behind ----
	fill_disk 1
	expect_error "tmpfs: a monolithic POST on a full disk answers 507" 507 UNKNOWN \
		POST "$U/v2/disk/mono/blobs/uploads/?digest=$(sha256_of "$T/a60k")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/a60k"
	check "tmpfs: the failed monolithic POST left no file under _uploads" \
		test -z "$(files_under "$V2/repositories/disk/mono/_uploads")"
	expect_error "tmpfs: a monolithic POST failing in the middle of its body answers 507" 507 UNKNOWN \
		POST "$U/v2/disk/mono/blobs/uploads/?digest=$(sha256_of "$T/r300k")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/r300k"
	check "tmpfs: it left no file under _uploads either" \
		test -z "$(files_under "$V2/repositories/disk/mono/_uploads")"
	free_disk
	expect_status "tmpfs: space back: the monolithic POST succeeds" 201 \
		POST "$U/v2/disk/mono/blobs/uploads/?digest=$(sha256_of "$T/r300k")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/r300k"
	check "tmpfs: and leaves nothing under _uploads" \
		test -z "$(files_under "$V2/repositories/disk/mono/_uploads")"
	stop_berth
}
mnt=$T/disk
mkdir -p "$mnt"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m berth-integrity "$mnt" 2> /dev/null; then
	trap 'stop_berth; umount "$mnt" 2>/dev/null; cleanup_lib' EXIT
	on_tmpfs || exit 1
	umount "$mnt"
else
	echo "     note: cannot mount a tmpfs here (not root, or no permission): the real full disk is not exercised; the fault driver's sections below are"
fi

# ---- 1b: the fault driver holds the bytes back, and the close that
# should pass them on fails after half of them reached storage ----
ctl=$T/faults
: > "$ctl"
faults() { printf '%s\n' "$@" > "$ctl.new" && mv "$ctl.new" "$ctl"; }
port=$(free_port)
mkdir -p "$T/froot"
cat > "$T/fault.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  fault:
    driver: filesystem
    inner.rootdirectory: $T/froot
    controlfile: $ctl
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
start_berth "$T/fault.yml" || exit 1
U=$berth_url
start_upload "$U" fault/a
faults bufferwrites=1048576 failops=writer_close failnth=1 truncatewrites=true failcode=nospace
expect_error "fault: a PATCH whose close fails to pass on its bytes answers 507" 507 UNKNOWN \
	PATCH "$up" -H 'Content-Type: application/octet-stream' --data-binary "@$T/a60k"
faults ""
hijack "fault" "$U" fault/a "$T/a60k" "$T/b60k"

# the same with the failing close on a chunk at a later offset, whose
# start has a saved state
start_upload "$U" fault/b
head -c 20000 "$T/a60k" > "$T/a20k"
expect_status "fault: a first chunk" 202 PATCH "$up" -H 'Content-Range: 0-19999' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/a20k"
faults bufferwrites=1048576 failops=writer_close failnth=1 truncatewrites=true failcode=nospace
tail -c 40000 "$T/a60k" > "$T/a40k"
expect_error "fault: the second chunk's close fails" 507 UNKNOWN PATCH "$up" \
	-H 'Content-Range: 20000-59999' -H 'Content-Type: application/octet-stream' \
	--data-binary "@$T/a40k"
faults ""
hijack "fault, later chunk" "$U" fault/b "$T/a60k" "$T/b60k"

# a commit that fails while it holds bytes back, then a retried close
start_upload "$U" fault/c
faults bufferwrites=1048576 failops=writer_commit failnth=1 truncatewrites=true failcode=nospace
expect_error "fault: a PUT whose commit fails answers 507" 507 UNKNOWN \
	PUT "$(with_query "$up" "digest=$(sha256_of "$T/a60k")")" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/a60k"
faults ""
hijack "fault, failed commit" "$U" fault/c "$T/a60k" "$T/b60k"
FV2=$T/froot/docker/registry/v2
faults failops=writer_write failnth=1 truncatewrites=true failcode=nospace
expect_error "fault: a monolithic POST whose write fails half-way answers 507" 507 UNKNOWN \
	POST "$U/v2/fault/mono/blobs/uploads/?digest=$(sha256_of "$T/r300k")" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/r300k"
check "fault: it left no file under _uploads" \
	test -z "$(files_under "$FV2/repositories/fault/mono/_uploads")"
faults failops=writer_commit failnth=1 failcode=nospace
expect_error "fault: a monolithic POST whose commit fails answers 507" 507 UNKNOWN \
	POST "$U/v2/fault/mono/blobs/uploads/?digest=$(sha256_of "$T/r300k")" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/r300k"
check "fault: it left no file under _uploads" \
	test -z "$(files_under "$FV2/repositories/fault/mono/_uploads")"
faults ""

# a storage error taints the upload: a saved state is not trusted any
# more, even one that (as if the driver had lost bytes it confirmed)
# describes other bytes of the right length: not by this server (its
# memo; the rehash file is removed to show it), nor by another one on the
# same storage (the upload's rehash file)
head -c 1500 "$T/b60k" > "$T/b1500"
sed "s/127.0.0.1:$port/127.0.0.1:$(free_port)/" "$T/fault.yml" > "$T/fault2.yml"
start_extra_berth "$T/fault2.yml" || exit 1
for via in same other; do
	start_upload "$U" "fault/v-$via"
	vid=$(header Docker-Upload-UUID)
	expect_status "taint ($via server): an upload of 1500 other bytes" 202 PATCH "$up" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/b1500"
	start_upload "$U" "fault/t-$via"
	id=$(header Docker-Upload-UUID)
	expect_status "taint ($via server): a first chunk" 202 PATCH "$up" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/a1000"
	faults failops=writer_write failnth=1 truncatewrites=true failcode=nospace
	expect_error "taint ($via server): a PATCH whose write fails half-way answers 507" 507 UNKNOWN \
		PATCH "$up" -H 'Content-Type: application/octet-stream' --data-binary "@$T/a1000"
	faults ""
	check "taint ($via server): the upload holds 1500 bytes" test "$(range_end "$up")" = 1499
	tdir=$FV2/repositories/fault/t-$via/_uploads/$id
	check "taint ($via server): the upload's rehash file records the error" test -f "$tdir/rehash"
	[ $via = same ] && rm -f "$tdir/rehash"
	cp "$FV2/repositories/fault/v-$via/_uploads/$vid/hashstates/sha256/1500" \
		"$tdir/hashstates/sha256/1500"
	url=$U; [ $via = other ] && url=$extra_url
	expect_error "taint ($via server): the state of the other bytes is not trusted" 400 DIGEST_INVALID \
		PUT "$url/v2/fault/t-$via/blobs/uploads/$id?digest=$(sha256_of "$T/b1500")"
done
stop_extra_berth
check "fault: the server survived" alive
bcheck "$T/fault.yml"
if [ "$rc" = 0 ]; then pass "fault: berth check clean"
else fail "fault: berth check clean" "$(head -5 "$T/bcheck.out")"; fi

# the genuine content still goes in, under its digest, and reads back
for r in fault/a fault/b fault/c; do
	expect_status "fault: $r: the genuine 60000 bytes are accepted" 201 \
		POST "$U/v2/$r/blobs/uploads/?digest=$(sha256_of "$T/a60k")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$T/a60k"
done
expect_status "fault: the blob reads back" 200 GET "$U/v2/fault/a/blobs/$(sha256_of "$T/a60k")"
check "fault: identical to what was pushed" cmp "$T/body" "$T/a60k"
stop_berth

# ---- 2b: a monolithic POST cut short by a crash: berth check reports
# its leftover, --repair removes it ----
start_berth || exit 1
U=$berth_url
V2=$berth_root/docker/registry/v2
head -c 2000000 /dev/urandom > "$T/r2m"
curl -s -o /dev/null --limit-rate 200k -X POST -H 'Content-Type: application/octet-stream' \
	--data-binary "@$T/r2m" "$U/v2/crash/a/blobs/uploads/?digest=$(sha256_of "$T/r2m")" &
slow=$!
for i in $(seq 1 50); do
	[ -n "$(files_under "$V2/repositories/crash/a/_uploads")" ] && break
	sleep 0.1
done
sleep 0.5
stop_berth KILL
wait "$slow" 2> /dev/null
check "crash: the killed monolithic POST left its data" \
	test -n "$(files_under "$V2/repositories/crash/a/_uploads")"
start_berth "$berth_config" || exit 1
U=$berth_url
expect_status "crash: an upload in progress (kept)" 202 POST "$U/v2/crash/a/blobs/uploads/"
live=$(header Docker-Upload-UUID)
bcheck "$berth_config"
check "crash: berth check counts the leftover as a stale upload" \
	grep -q "2 uploads (1 stale)" "$T/bcheck.out"
bcheck "$berth_config" --repair
check "crash: berth check --repair removes it" grep -q "1 uploads removed" "$T/bcheck.out"
check "crash: nothing of it is left" \
	test "$(ls "$V2/repositories/crash/a/_uploads")" = "$live"
expect_status "crash: the upload in progress is kept" 204 GET "$U/v2/crash/a/blobs/uploads/$live"
stop_berth

# ---- 2c: the purger ages an upload without startedat by its files; a
# temporary left by a killed write is removed by the walk that meets it
# once it is an hour old ----
uploads=$V2/repositories/crash/a/_uploads
mkdir -p "$uploads/11111111-2222-4333-8444-000000000001" "$uploads/11111111-2222-4333-8444-000000000002"
printf 'old' > "$uploads/11111111-2222-4333-8444-000000000001/data~partial"
printf 'new' > "$uploads/11111111-2222-4333-8444-000000000002/data~partial"
touch -d '3 days ago' "$uploads/11111111-2222-4333-8444-000000000001/data~partial" \
	"$uploads/11111111-2222-4333-8444-000000000001"
printf 'half a link' > "$uploads/$live/startedat~tmp.999999.7"
printf 'a link being written' > "$uploads/$live/startedat~tmp.999999.8"
touch -d '2 hours ago' "$uploads/$live/startedat~tmp.999999.7"
A=$(sha256_of "$T/a1000")
sed 's/^  delete:$/  maintenance:\n    uploadpurging:\n      enabled: true\n      age: 24h\n      interval: 24h\n  delete:/' \
	"$berth_config" > "$T/purge.yml"
BERTH_LOG_LEVEL=info start_berth "$T/purge.yml" || exit 1
U=$berth_url
for i in $(seq 1 40); do
	[ ! -e "$uploads/11111111-2222-4333-8444-000000000001" ] && break
	sleep 0.1
done
check "purge: an upload without startedat, unchanged for 3 days, is removed" \
	test ! -e "$uploads/11111111-2222-4333-8444-000000000001"
check "purge: one changed a moment ago is kept" \
	test -e "$uploads/11111111-2222-4333-8444-000000000002/data~partial"
check "purge: the live upload is kept" test -f "$uploads/$live/startedat"
check "purge: an hour-old temporary in an upload is removed" \
	test ! -e "$uploads/$live/startedat~tmp.999999.7"
check "purge: a fresh one is kept" test -e "$uploads/$live/startedat~tmp.999999.8"
expect_status "a blob" 201 POST "$U/v2/crash/a/blobs/uploads/?digest=$A" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/a1000"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":1000},"layers":[]}' "$A" > "$T/m.json"
expect_status "a tag" 201 PUT "$U/v2/crash/a/manifests/v1" \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$T/m.json"
stop_berth
bdir=$V2/blobs/sha256/${A:7:2}/${A#sha256:}
tdir=$V2/repositories/crash/a/_manifests/tags/v1/current
for d in "$bdir" "$tdir"; do
	printf 'half' > "$d/data~tmp.999999.1"
	printf 'half' > "$d/link~tmp.999999.2"
	touch -d '2 hours ago' "$d/data~tmp.999999.1"
done
bcheck "$berth_config"
check "berth check: clean (temporaries are not problems)" test "$rc" = 0
check "berth check: the hour-old temporary in a blob directory is removed" test ! -e "$bdir/data~tmp.999999.1"
check "berth check: the hour-old temporary in a tag directory is removed" test ! -e "$tdir/data~tmp.999999.1"
check "berth check: fresh temporaries are kept" test -e "$bdir/link~tmp.999999.2" -a -e "$tdir/link~tmp.999999.2"

# ---- 2d: a stored blob whose size differs from the verified upload of
# its digest is corrupt: the upload replaces it ----
start_berth "$berth_config" || exit 1
U=$berth_url
R=$(sha256_of "$T/r300k")
expect_status "heal: a blob" 201 POST "$U/v2/heal/a/blobs/uploads/?digest=$R" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/r300k"
truncate -s 1000 "$V2/blobs/sha256/${R:7:2}/${R#sha256:}/data"
expect_status "heal: the same content pushed again after the stored blob was cut short" 201 \
	POST "$U/v2/heal/b/blobs/uploads/?digest=$R" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/r300k"
expect_status "heal: the blob reads" 200 GET "$U/v2/heal/a/blobs/$R"
check "heal: whole again" cmp "$T/body" "$T/r300k"

# ---- 3: a chunk must declare its length up front ----
start_upload "$U" chunk/a
expect_status "a first chunk" 202 PATCH "$up" -H 'Content-Range: 0-999' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/a1000"
expect_error "Content-Range with a chunked body (too long): 411" 411 BLOB_UPLOAD_INVALID \
	PATCH "$up" -H 'Content-Range: 1000-1009' -H 'Transfer-Encoding: chunked' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/a1000"
check "the 411 says Content-Range needs Content-Length" grep -q 'Content-Range needs Content-Length' "$T/body"
check "the upload still holds 1000 bytes" test "$(range_end "$up")" = 999
expect_error "Content-Range with a chunked body of the right length: 411" 411 BLOB_UPLOAD_INVALID \
	PATCH "$up" -H 'Content-Range: 1000-1999' -H 'Transfer-Encoding: chunked' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/a1000"
check "the upload still holds 1000 bytes" test "$(range_end "$up")" = 999
expect_error "a last chunk on PUT with a chunked body: 411" 411 BLOB_UPLOAD_INVALID \
	PUT "$(with_query "$up" "digest=$(sha256_of "$T/a1000")")" -H 'Content-Range: 1000-1999' \
	-H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' \
	--data-binary "@$T/a1000"
check "the upload still holds 1000 bytes" test "$(range_end "$up")" = 999
expect_status "a streamed PATCH (chunked, no Content-Range) still appends" 202 PATCH "$up" \
	-H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' \
	--data-binary "@$T/a1000"
check "the upload holds 2000 bytes" test "$(range_end "$up")" = 1999
cat "$T/a1000" "$T/a1000" > "$T/a2000"
expect_status "and closes" 201 PUT "$(with_query "$up" "digest=$(sha256_of "$T/a2000")")"
stop_berth

finish

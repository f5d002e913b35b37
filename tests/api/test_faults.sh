#!/usr/bin/env bash
# A misbehaving backend, through the fault driver wrapping the filesystem
# driver: 10% of driver calls failing (seeded), torn writes, slow calls,
# and a full disk (injected ENOSPC, and a real 4 MiB tmpfs when this
# machine can mount one).  The API must answer every failure with a 5xx
# and a JSON body naming an OCI code (never a hang, never an empty 500,
# never a crash), must never serve a manifest whose content is missing,
# and must work again -- without a restart -- once the faults stop: retried
# pushes succeed and `berth check` (re-hashing every blob) is clean.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/push.sh"

ctl=$T/faults
: > "$ctl"
port=$(free_port)
root=$T/root
mkdir -p "$root"
cfg=$T/faults.yml
cat > "$cfg" <<YAML
version: 0.1
log:
  level: error
storage:
  fault:
    driver: filesystem
    inner.rootdirectory: $root
    controlfile: $ctl
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
start_berth "$cfg" || exit 1
U=$berth_url
export PUSH_AUDIT=$T/audit PUSH_TIMEOUT=30
: > "$PUSH_AUDIT"

faults() { printf '%s\n' "$@" > "$ctl.new" && mv "$ctl.new" "$ctl"; }
alive() { kill -0 "$berth_pid" 2>/dev/null; }
bcheck() {
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$cfg" > "$T/bcheck.out" 2>&1
}

# audit_ok DESC: every answer so far was an answer (no 000: a hang, a
# reset or a crash), and every 5xx carried a JSON body with an OCI code
audit_ok() {
	local bad
	# (a HEAD answer has no body by definition)
	bad=$(awk '$1 == "000" || ($1 >= 500 && ($2 == "NOBODY" || $2 == "NOCODE") && $0 !~ / -I /)' "$PUSH_AUDIT" | head -5)
	if [ -z "$bad" ]; then pass "$1"; else fail "$1" "$bad"; fi
}

# tags_sound REPO TAG...: every tag answers 200 with a manifest whose blobs
# are all there (a 5xx is a failed read and may be retried), or a 5xx;
# never 404 for a tag whose push completed, never a manifest with missing
# content
tags_sound() {
	local repo=$1 tag st dg bst try; shift
	for tag in "$@"; do
		st=$(_pcurl -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$U/v2/$repo/manifests/$tag")
		case $st in
		200) ;;
		5??) continue ;;
		*) echo "$repo:$tag answers $st"; return 1 ;;
		esac
		for dg in $(jq -r '.config.digest, .layers[].digest' < "$P/$pk.body"); do
			for try in 1 2 3 4 5 6 7 8; do
				bst=$(_pcurl -o /dev/null -I "$U/v2/$repo/blobs/$dg")
				case $bst in 200) break ;; 5??) ;; *) echo "$repo:$tag: blob $dg answers $bst"; return 1 ;; esac
			done
			[ "$bst" = 200 ] || { echo "$repo:$tag: blob $dg still failing"; return 1; }
		done
	done
}
pk=$$

# ---- a clean image first ----
check "clean push through the fault driver" pimage "$U" f/base v1 "$T/base" mono "30000 200000"
done_tags=(v1)

# ---- 1: 10% of all driver calls fail (seeded) ----
faults failrate=0.1 seed=7
modes=(mono stream chunked put)
failed_pushes=()
for k in $(seq 1 12); do
	m=${modes[$((k % 4))]}
	if PUSH_CHUNK=65536 pimage "$U" f/base "k$k" "$T/k$k" "$m" "40000 150000" > /dev/null; then
		done_tags+=("k$k")
	else
		failed_pushes+=("$k")
	fi
	alive || break
	tags_sound f/base "${done_tags[@]}" > "$T/sound.out" 2>&1 || break
done
check "failrate 0.1: the server survived" alive
check "failrate 0.1: every tag is complete or a 5xx, at every step" test ! -s "$T/sound.out"
[ -s "$T/sound.out" ] && cat "$T/sound.out"
n5=$(awk '$1 >= 500' "$PUSH_AUDIT" | wc -l)
check "failrate 0.1: faults were injected ($n5 answers 5xx, ${#failed_pushes[@]} of 12 pushes failed)" test "$n5" -gt 0
audit_ok "failrate 0.1: every 5xx has a JSON body with an OCI code, no request hung"
for m in -G -I; do
	for k in $(seq 1 20); do
		_pcurl "$m" "$U/v2/f/base/tags/list" > /dev/null
		_pcurl "$m" "$U/v2/_catalog" > /dev/null
		_pcurl "$m" "$U/v2/f/base/blobs/sha256:$(sha256sum "$T/base/layer0" | cut -c1-64)" > /dev/null
	done
done
audit_ok "failrate 0.1: reads (tags, catalog, blobs) answer 200 or a 5xx with a body"
check "an injected failure is named in the error detail" grep -q 'injected IO failure' "$PUSH_AUDIT"

# ---- 2: torn writes: a failing writer_write writes half first ----
faults failops=writer_write failrate=0.3 truncatewrites=true seed=3
for k in $(seq 13 18); do
	m=${modes[$((k % 2 + 1))]} # stream and chunked
	if PUSH_CHUNK=65536 pimage "$U" f/base "k$k" "$T/k$k" "$m" "300000" > /dev/null; then
		done_tags+=("k$k")
	else
		failed_pushes+=("$k")
	fi
done
check "torn writes: the server survived" alive
check "torn writes: every tag is complete" tags_sound f/base "${done_tags[@]}"
audit_ok "torn writes: every 5xx has a JSON body with an OCI code"
check "torn writes: some writes were torn" grep -q 'injected IO failure of writer_write' "$PUSH_AUDIT"

# ---- 3: slow calls ----
faults latencyms=40
t0=$(date +%s%N)
check "slow backend (40 ms a call): a push still succeeds" pimage "$U" f/slow v1 "$T/slow" chunked "200000"
t1=$(date +%s%N)
check "slow backend: the push took the latency (> 1 s)" test $(( (t1 - t0) / 1000000 )) -gt 1000
faults latencyms=30 failrate=0.1 seed=5
for k in $(seq 19 22); do
	if pimage "$U" f/base "k$k" "$T/k$k" "${modes[$((k % 4))]}" "50000" > /dev/null; then
		done_tags+=("k$k")
	else
		failed_pushes+=("$k")
	fi
done
check "slow and failing: the server survived" alive
audit_ok "slow and failing: every answer came, every 5xx has a body"

# ---- heal without a restart ----
faults ""
for k in "${failed_pushes[@]}"; do
	check "healed: retrying push k$k succeeds" pimage "$U" f/base "k$k" "$T/k$k" chunked "1"
	done_tags+=("k$k")
done
for t in "${done_tags[@]}"; do
	d=$T/$t; [ "$t" = v1 ] && d=$T/base
	pverify "$U" f/base "$t" "$d" > "$T/verify.out" 2>&1 || { fail "healed: f/base:$t pulls identical" "$(cat "$T/verify.out")"; continue; }
done
pass "healed: all ${#done_tags[@]} tags checked for identical content"
if bcheck; then pass "healed: berth check clean ($(tail -1 "$T/bcheck.out"))"
else fail "healed: berth check clean" "$(head -20 "$T/bcheck.out")"; fi

# ---- the current link of a new tag fails after its index link was written ----
# (put_content calls of a manifest PUT whose data exists: revision link,
# tag index link, tag current link)
faults failops=put_content failnth=3
expect_error "tag write failing at its current link: 500 with a body" 500 UNKNOWN \
	PUT "$U/v2/f/base/manifests/torn" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary "@$T/base/manifest.json"
faults ""
http GET "$U/v2/f/base/tags/list"
check "the half-written tag is not listed" test "$(jq '.tags | index("torn")' < "$T/body")" = null
expect_status "and answers 404" 404 GET "$U/v2/f/base/manifests/torn"
expect_status "writing it again completes it" 201 PUT "$U/v2/f/base/manifests/torn" \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$T/base/manifest.json"

# ---- a failed read is an error, not an absence ----
faults failops=get_content failnth=1
expect_error "a failing read of a tag link: 500, not 404" 500 UNKNOWN GET "$U/v2/f/base/manifests/v1"
faults failops=get_content failnth=1
http HEAD "$U/v2/f/base/blobs/$(sha256_of "$T/base/layer0")"
check "a failing read of a layer link: 5xx, not 404 (got $status)" test "$status" -ge 500
faults ""
check "a manifest with one tag, to delete" pimage "$U" f/del only "$T/del" mono "1000"
D=$(sha256_of "$T/del/manifest.json")
# get_content calls of a manifest DELETE: the revision link, then each
# tag's current link (to remove the tags naming the manifest)
faults failops=get_content failnth=2
expect_error "manifest DELETE that cannot read a tag: 500, nothing deleted" 500 UNKNOWN \
	DELETE "$U/v2/f/del/manifests/$D"
faults ""
expect_status "the tag still resolves (no dangling tag)" 200 GET "$U/v2/f/del/manifests/only" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_status "the DELETE retried succeeds" 202 DELETE "$U/v2/f/del/manifests/$D"
expect_status "and takes the tag with it" 404 GET "$U/v2/f/del/manifests/only"
if bcheck; then pass "after the failed reads: berth check clean"
else fail "after the failed reads: berth check clean" "$(head -20 "$T/bcheck.out")"; fi

# ---- 4a: disk full, injected: ENOSPC on the 2nd write of an upload (of 512 KiB pieces) ----
head -c 1048576 /dev/urandom > "$T/full.bin"
fdg=$(sha256_of "$T/full.bin")
faults failops=writer_write failnth=2 failcode=nospace
expect_error "ENOSPC during a monolithic upload: 507 with a body" 507 UNKNOWN \
	POST "$U/v2/f/full/blobs/uploads/?digest=$fdg" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$T/full.bin"
check "the 507 names the lack of space" grep -q 'no space' "$T/body"
expect_status "nothing visible: the blob is unknown" 404 HEAD "$U/v2/f/full/blobs/$fdg"
check "nothing visible: no blob data" test ! -e "$root/docker/registry/v2/blobs/sha256/${fdg:7:2}/${fdg#sha256:}"
check "nothing visible: no layer link" test ! -e "$root/docker/registry/v2/repositories/f/full/_layers"
faults failops=put_content failnth=1 failcode=nospace
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[],"annotations":{"x":"full"}}' \
	"$(sha256_of "$T/base/config.json")" "$(stat -c %s "$T/base/config.json")" > "$T/full.json"
expect_error "ENOSPC writing a manifest: 507 with a body" 507 UNKNOWN \
	PUT "$U/v2/f/base/manifests/full" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary "@$T/full.json"
expect_status "nothing visible: the tag is unknown" 404 GET "$U/v2/f/base/manifests/full"
check "the server survived the full disk" alive
faults ""
check "space back: the upload succeeds" pblob "$U" f/full "$T/full.bin" mono
expect_status "space back: the manifest PUT succeeds" 201 PUT "$U/v2/f/base/manifests/full" \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$T/full.json"
if bcheck; then pass "after the full disk: berth check clean"
else fail "after the full disk: berth check clean" "$(head -20 "$T/bcheck.out")"; fi
stop_berth

# ---- 4b: disk full for real: a 4 MiB tmpfs ----
mnt=$T/small
mkdir -p "$mnt"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m berth-test "$mnt" 2> /dev/null; then
	trap 'umount "$mnt" 2>/dev/null; cleanup_lib' EXIT
	port=$(free_port)
	write_config "$T/small.yml" "$mnt" "$port"
	start_berth "$T/small.yml" || exit 1
	U=$berth_url
	head -c 2500000 /dev/urandom > "$T/a.bin"
	head -c 2500000 /dev/urandom > "$T/b.bin"
	check "tmpfs 4 MiB: a 2.5 MB blob fits" pblob "$U" small/r "$T/a.bin" mono
	bdg=$(sha256_of "$T/b.bin")
	expect_error "tmpfs full: the next 2.5 MB upload answers 507 with a body" 507 UNKNOWN \
		POST "$U/v2/small/r/blobs/uploads/?digest=$bdg" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$T/b.bin"
	check "tmpfs full: the 507 names the lack of space" grep -qi 'no space' "$T/body"
	expect_status "tmpfs full: the blob is unknown" 404 HEAD "$U/v2/small/r/blobs/$bdg"
	check "tmpfs full: no blob data" test ! -e "$mnt/docker/registry/v2/blobs/sha256/${bdg:7:2}/${bdg#sha256:}"
	check "tmpfs full: the server survived" alive
	expect_status "tmpfs full: the first blob still reads" 200 GET "$U/v2/small/r/blobs/$(sha256_of "$T/a.bin")"
	mount -o remount,size=16m "$mnt"
	check "space back (remounted at 16 MiB): the upload succeeds" pblob "$U" small/r "$T/b.bin" mono
	curl -s -o "$T/b.got" "$U/v2/small/r/blobs/$bdg"
	check "space back: the blob reads back identical" cmp "$T/b.got" "$T/b.bin"
	berth_config=$T/small.yml
	if BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$T/small.yml" > "$T/bcheck.out" 2>&1; then
		pass "space back: berth check clean"
	else fail "space back: berth check clean" "$(head -20 "$T/bcheck.out")"; fi
	stop_berth
	umount "$mnt"
else
	echo "     note: cannot mount a tmpfs here (not root, or no permission): the real full disk is not exercised; the injected ENOSPC above is"
fi

finish

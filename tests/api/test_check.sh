#!/usr/bin/env bash
# `berth check`: a clean registry checks clean; each kind of damage (a
# blob's data deleted, a byte flipped in a blob, a manifest's data deleted,
# garbage in a link) is reported exactly, by repository, with exit 1;
# --repair removes the dangling links and nothing else (never blob data);
# stale uploads are counted and removed; usage errors exit 2.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/push.sh"

start_berth || exit 1
U=$berth_url
V2=$berth_root/docker/registry/v2

# bcheck ARGS...: run `berth check ARGS... config`; $rc, problems in
# $T/problems (sorted, summary removed), summary in $summary
bcheck() {
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$@" "$berth_config" \
		> "$T/check.stdout" 2> "$T/check.stderr"
	rc=$?
	summary=$(tail -1 "$T/check.stdout")
	sed '$d' "$T/check.stdout" | sort > "$T/problems"
}

# expect_problems DESC WANT_RC LINE...: rc and exactly these problem lines
expect_problems() {
	local desc=$1 want=$2; shift 2
	printf '%s\n' "$@" | sed '/^$/d' | sort > "$T/want"
	if [ "$rc" = "$want" ] && cmp -s "$T/want" "$T/problems"; then pass "$desc"
	else fail "$desc" "exit $rc (want $want); got: $(cat "$T/problems") | want: $(cat "$T/want") | $summary $(head -c 300 "$T/check.stderr")"; fi
}

blob_path() { local h=${1#sha256:}; echo "$V2/blobs/sha256/${h:0:2}/$h/data"; }
dg_of() { echo "sha256:$(sha256sum "$1" | cut -c1-64)"; }
nblobs() { find "$V2/blobs" -name data -type f | wc -l; }
tree_list() { (cd "$berth_root" && find . -type f | sort); }

# ---- images: lib/a v1 and v2, lib/b v1 and an index over two images ----
A1=$(pimage "$U" lib/a v1 "$T/a1" mono "3000 70000")
A2=$(pimage "$U" lib/a v2 "$T/a2" chunked "5000 300000")
B1=$(pimage "$U" lib/b v1 "$T/b1" stream "4000")
B2=$(pimage "$U" lib/b "$(dg_of "$T/a1/manifest.json" | tr : -)" "$T/b2" put "2000")
check "images pushed" test -n "$A1" -a -n "$A2" -a -n "$B1" -a -n "$B2"
B2=$(dg_of "$T/b2/manifest.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s}]}' \
	"$B1" "$(stat -c %s "$T/b1/manifest.json")" "$B2" "$(stat -c %s "$T/b2/manifest.json")" > "$T/index.json"
expect_status "index pushed" 201 PUT "$U/v2/lib/b/manifests/multi" \
	-H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$T/index.json"
IDX=$(dg_of "$T/index.json")

# ---- clean ----
bcheck
expect_problems "clean registry: exit 0, no problems" 0
check "summary counts 2 repositories, 15 blobs, 5 manifests, 5 tags, 10 layer links" \
	grep -q "checked 2 repositories, 15 blobs, 5 manifests, 5 tags, 10 layer links, 0 uploads (0 stale), 0 interrupted tag writes: 0 problems" "$T/check.stdout"
check "no progress line when stderr is not a terminal" test ! -s "$T/check.stderr"
bcheck --fast
expect_problems "clean registry, --fast: exit 0" 0
check "--fast says blobs were not re-hashed" grep -q "blobs (not re-hashed)" "$T/check.stdout"
tree_list > "$T/tree.before"
bcheck --repair
expect_problems "clean registry, --repair: exit 0" 0
tree_list > "$T/tree.after"
check "--repair on a clean registry changes nothing" cmp "$T/tree.before" "$T/tree.after"
if command -v script > /dev/null; then
	BERTH_DRIVER_DIR=$BUILD/lib/berth script -qec "$BUILD/bin/berth check $berth_config" /dev/null > "$T/tty.out" 2>&1
	check "on a terminal: a progress line 'checked N repositories, M blobs'" \
		grep -qa $'\rchecked 2 repositories, 15 blobs' "$T/tty.out"
fi

# ---- usage and configuration errors: exit 2 ----
BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check > /dev/null 2>&1
check "no configuration file: exit 2" test $? = 2
BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$T/nonexistent.yml" > /dev/null 2>&1
check "missing configuration file: exit 2" test $? = 2
bcheck --bogus
check "unknown option: exit 2" test "$rc" = 2
bcheck --purge-uploads
check "--purge-uploads without --repair: exit 2" test "$rc" = 2
printf 'version: 0.1\nstorage:\n  nosuchdriver: {}\n' > "$T/bad.yml"
BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$T/bad.yml" > /dev/null 2> "$T/bad.err"
check "unloadable driver: exit 2" test $? = 2

# ---- 1: a layer blob's data deleted ----
L=$(dg_of "$T/a1/layer0")
before=$(nblobs)
rm -f "$(blob_path "$L")"
bcheck
expect_problems "deleted blob data: both the layer link and the manifest reported" 1 \
	"lib/a: layer $L: blob data missing" \
	"lib/a: manifest $A1 references blob $L: blob data missing"
bcheck --repair
expect_problems "--repair: the dangling layer link removed" 1 \
	"lib/a: layer $L: blob data missing (repaired: link removed)" \
	"lib/a: manifest $A1 references blob $L: blob data missing"
check "--repair removed the layer link directory" test ! -e "$V2/repositories/lib/a/_layers/sha256/${L#sha256:}"
check "--repair removed no blob data" test "$(nblobs)" = $((before - 1))
check "--repair kept the manifest's revision and tag" test -f "$V2/repositories/lib/a/_manifests/tags/v1/current/link"
bcheck
expect_problems "after --repair only the unrepairable reference is left" 1 \
	"lib/a: manifest $A1 references blob $L: blob data missing"
check "re-pushing the blob" pblob "$U" lib/a "$T/a1/layer0" mono
bcheck
expect_problems "re-pushed blob: clean again" 0

# ---- 2: a byte flipped in a blob ----
L=$(dg_of "$T/a2/layer1")
f=$(blob_path "$L")
orig=$(od -An -tx1 -j 1000 -N 1 "$f" | tr -d ' ')
printf "\\x$(printf %02x $(( 0x$orig ^ 0xff )))" | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
bcheck
got=$(sha256_of "$f")
expect_problems "flipped byte: the blob and the manifest using it reported" 1 \
	"blob $L: content does not match its digest (it hashes to $got)" \
	"lib/a: manifest $A2 references blob $L: content corrupt"
bcheck --fast
expect_problems "flipped byte: --fast does not re-hash" 0
bcheck --repair
expect_problems "flipped byte: --repair removes nothing" 1 \
	"blob $L: content does not match its digest (it hashes to $got)" \
	"lib/a: manifest $A2 references blob $L: content corrupt"
check "--repair kept the corrupt blob's data" test -f "$f"
check "--repair kept its layer link" test -f "$V2/repositories/lib/a/_layers/sha256/${L#sha256:}/link"
printf "\\x$orig" | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
bcheck
expect_problems "byte restored: clean again" 0

# ---- 3: a manifest's data deleted (tagged, and a child of an index) ----
rm -f "$(blob_path "$B1")"
bcheck
expect_problems "deleted manifest data: revision, tag and index reported" 1 \
	"lib/b: manifest $B1: manifest data missing" \
	"lib/b: tag v1 -> $B1: manifest missing" \
	"lib/b: index $IDX references manifest $B1: manifest missing"
expect_status "the tag of the missing manifest answers 404" 404 GET "$U/v2/lib/b/manifests/v1"
bcheck --repair
expect_problems "--repair: revision link and tag removed" 1 \
	"lib/b: manifest $B1: manifest data missing (repaired: link removed)" \
	"lib/b: tag v1 -> $B1: manifest missing (repaired: link removed)" \
	"lib/b: index $IDX references manifest $B1: manifest missing"
check "--repair removed the tag" test ! -e "$V2/repositories/lib/b/_manifests/tags/v1"
check "--repair kept the index's tag" test -f "$V2/repositories/lib/b/_manifests/tags/multi/current/link"
http GET "$U/v2/lib/b/tags/list"
check "tags/list no longer shows v1" test "$(jq -c .tags < "$T/body")" = '["multi","sha256-'"$(dg_of "$T/a1/manifest.json" | cut -c8-)"'"]'
check "re-pushing the manifest" pput "$U" lib/b v1 "$T/b1/manifest.json"
bcheck
expect_problems "re-pushed manifest: clean again" 0

# ---- 4: garbage in links ----
echo garbage > "$V2/repositories/lib/a/_manifests/tags/v2/current/link"
L=$(dg_of "$T/a2/layer0")
printf 'sha256:xyz' > "$V2/repositories/lib/a/_layers/sha256/${L#sha256:}/link"
R=$(dg_of "$T/b2/layer0")
printf '%s' "$L" > "$V2/repositories/lib/b/_layers/sha256/${R#sha256:}/link"
bcheck
expect_problems "garbage links: each reported, and what they break" 1 \
	"lib/a: tag v2: current link is not a valid digest" \
	"lib/a: layer link $L: not a valid digest" \
	"lib/a: manifest $A2 references blob $L: not linked in the repository" \
	"lib/b: layer link $R: names $L instead" \
	"lib/b: manifest $B2 references blob $R: not linked in the repository"
expect_status "the garbage tag answers 404, not 500" 404 GET "$U/v2/lib/a/manifests/v2"
bcheck --repair
expect_problems "--repair removes the garbage links" 1 \
	"lib/a: tag v2: current link is not a valid digest (repaired: link removed)" \
	"lib/a: layer link $L: not a valid digest (repaired: link removed)" \
	"lib/a: manifest $A2 references blob $L: not linked in the repository" \
	"lib/b: layer link $R: names $L instead (repaired: link removed)" \
	"lib/b: manifest $B2 references blob $R: not linked in the repository"
check "re-pushing the layers" pblob "$U" lib/a "$T/a2/layer0" mono
check "re-pushing the other layer" pblob "$U" lib/b "$T/b2/layer0" mono
check "re-tagging v2" pput "$U" lib/a v2 "$T/a2/manifest.json"
bcheck
expect_problems "garbage repaired and re-pushed: clean again" 0

# ---- 5: uploads: counted; stale ones (or all, with --purge-uploads) removed ----
expect_status "an upload in progress" 202 POST "$U/v2/lib/a/blobs/uploads/"
live=$(header Docker-Upload-UUID)
old=11111111-2222-4333-8444-555555555555
mkdir -p "$V2/repositories/lib/b/_uploads/$old"
printf '2001-02-03T04:05:06Z' > "$V2/repositories/lib/b/_uploads/$old/startedat"
printf 'partial' > "$V2/repositories/lib/b/_uploads/$old/data"
bcheck
expect_problems "uploads are not problems" 0
check "summary: 2 uploads, 1 stale" grep -q "2 uploads (1 stale), 0 interrupted tag writes: 0 problems" "$T/check.stdout"
bcheck --repair
expect_problems "--repair with uploads: exit 0" 0
check "--repair removed the stale upload" test ! -e "$V2/repositories/lib/b/_uploads/$old"
expect_status "--repair kept the live upload" 204 GET "$U/v2/lib/a/blobs/uploads/$live"
check "summary says 1 upload removed" grep -q "1 uploads removed" "$T/check.stdout"
bcheck --repair --purge-uploads
expect_problems "--repair --purge-uploads: exit 0" 0
expect_status "--purge-uploads removed the live upload too" 404 GET "$U/v2/lib/a/blobs/uploads/$live"

# ---- 6: a tag directory without a current link (a tag write or delete
# cut short by a crash): invisible, so not a problem; --repair removes it ----
mkdir -p "$V2/repositories/lib/a/_manifests/tags/torn/index/sha256/${A1#sha256:}"
printf '%s' "$A1" > "$V2/repositories/lib/a/_manifests/tags/torn/index/sha256/${A1#sha256:}/link"
http GET "$U/v2/lib/a/tags/list"
check "tags/list does not show a tag without a current link" test "$(jq -c .tags < "$T/body")" = '["v1","v2"]'
expect_status "such a tag answers 404" 404 GET "$U/v2/lib/a/manifests/torn"
bcheck
expect_problems "an interrupted tag write is not a problem" 0
check "summary counts 1 interrupted tag write" grep -q ", 1 interrupted tag writes: 0 problems" "$T/check.stdout"
bcheck --repair
expect_problems "--repair with an interrupted tag write: exit 0" 0
check "--repair removed the interrupted tag write" test ! -e "$V2/repositories/lib/a/_manifests/tags/torn"

# ---- everything still pulls ----
check "lib/a:v1 pulls identical" pverify "$U" lib/a v1 "$T/a1"
check "lib/a:v2 pulls identical" pverify "$U" lib/a v2 "$T/a2"
check "lib/b:v1 pulls identical" pverify "$U" lib/b v1 "$T/b1"
bcheck
expect_problems "final state: clean" 0

finish

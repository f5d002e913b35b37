#!/usr/bin/env bash
# Manifests cannot make the server parse or hold much more than they
# weigh: JSON that would become a huge tree is refused at PUT, GET and
# HEAD of the largest accepted manifest and the referrers API read the
# record written at PUT (not the manifest) with bounded memory, records
# missing (as Distribution leaves them) are rebuilt, referrers are
# paginated, and every descriptor's size must match what is stored.
source "$(dirname "$0")/../lib.sh"
start_berth || exit 1
U=$berth_url
V2=$berth_root/docker/registry/v2
OCI_M=application/vnd.oci.image.manifest.v1+json
OCI_I=application/vnd.oci.image.index.v1+json
SHAPES="python3 $TESTS_DIR/api/manifest_shapes.py"
R=limits/app
NEAR_4MIB=$((4 * 1024 * 1024 - 1024))
MIB=1024

# RSS of the server in KiB: now, and the peak since hwm_reset.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$berth_pid/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$berth_pid/status"; }
hwm_reset() { echo 5 > "/proc/$berth_pid/clear_refs"; }
# The sanitizers' allocators keep freed memory in quarantine: RSS says
# nothing there, so the memory bounds are only checked without them.
check_rss() { # DESC GROWTH_KIB BOUND_KIB
	if [ -n "${BERTH_SANITIZED:-}" ]; then
		pass "$1 (growth $(($2 / MIB)) MiB; not bounded under sanitizers)"
	elif [ "$2" -lt "$3" ]; then
		pass "$1 (growth $(($2 / MIB)) MiB, bound $(($3 / MIB)) MiB)"
	else
		fail "$1" "RSS grew by $(($2 / MIB)) MiB, bound $(($3 / MIB)) MiB"
	fi
}
rec_path() { echo "$V2/repositories/$1/_manifests/revisions/sha256/${2#sha256:}/berth-record"; }
# put_manifest FILE REF [TYPE]: PUT, sets status and body like http
put_manifest() {
	http PUT "$U/v2/$R/manifests/$2" -H "Content-Type: ${3:-$OCI_M}" \
		--data-binary "@$1"
}

printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$T/config"
printf '{}' > "$T/empty"
head -c 5000 /dev/urandom > "$T/layer"
cfg=$(push_blob $R "$T/config"); csize=$(stat -c %s "$T/config")
empty=$(push_blob $R "$T/empty")
layer=$(push_blob $R "$T/layer")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":5000}]}' \
	$OCI_M "$cfg" "$csize" "$layer" > "$T/child.json"
child=$(sha256_of "$T/child.json"); chsize=$(stat -c %s "$T/child.json")
put_manifest "$T/child.json" child
check "a small image manifest is accepted" test "$status" = 201

# --- JSON complexity is bounded at PUT ---
$SHAPES pad target=$NEAR_4MIB config="$cfg" csize="$csize" > "$T/pad.json"
hwm_reset; base=$(rss_kib)
expect_error "4 MiB manifest padded with \"x\":[{},{},...] is refused" 400 MANIFEST_INVALID \
	PUT "$U/v2/$R/manifests/pad" -H "Content-Type: $OCI_M" --data-binary "@$T/pad.json"
check "the refusal says the JSON is too complex" \
	bash -c "jq -r '.errors[0].detail' < '$T/body' | grep -q 'manifest JSON too complex'"
check_rss "the refused PUT holds no more than its parse budget" $(($(hwm_kib) - base)) $((96 * MIB))
expect_error "the padded manifest was not stored" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/pad"

$SHAPES deep depth=40 config="$cfg" csize="$csize" > "$T/deep.json"
expect_error "a manifest nested 40 deep is refused" 400 MANIFEST_INVALID \
	PUT "$U/v2/$R/manifests/deep" -H "Content-Type: $OCI_M" --data-binary "@$T/deep.json"
check "the refusal names the depth" \
	bash -c "jq -r '.errors[0].detail' < '$T/body' | grep -q 'nested more than 32 levels'"
$SHAPES deep depth=20 config="$cfg" csize="$csize" > "$T/deep20.json"
expect_status "a manifest nested 20 deep is accepted" 201 \
	PUT "$U/v2/$R/manifests/deep20" -H "Content-Type: $OCI_M" --data-binary "@$T/deep20.json"

# --- the largest accepted manifest: bounded GET and HEAD ---
$SHAPES index target=$NEAR_4MIB child="$child" csize="$chsize" ctype=$OCI_M > "$T/big.json"
big=$(sha256_of "$T/big.json"); bigsize=$(stat -c %s "$T/big.json")
put_manifest "$T/big.json" big $OCI_I
check "a real-world shaped index of $((bigsize / 1024)) KiB is accepted" test "$status" = 201
check "its record was written at PUT" \
	test "$(head -1 "$(rec_path $R "$big")" | jq -c '[.mediaType, .size]')" = "[\"$OCI_I\",$bigsize]"

# parallel_get N METHOD URL: N requests at once, bodies in $T/par.<i>,
# headers in $T/parh.<i>
parallel_get() {
	local n=$1 method=$2 url=$3 i pids=()
	local -a m=()
	[ "$method" = HEAD ] && m=(-I)
	for i in $(seq 1 "$n"); do
		curl -s "${m[@]}" -o "$T/par.$i" -D "$T/parh.$i" "$url" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
}
# same_all N FILE: every $T/par.<i> equals FILE
same_all() {
	local i
	for i in $(seq 1 "$1"); do cmp -s "$T/par.$i" "$2" || return 1; done
}
hdr_all() { # N NAME VALUE: every $T/parh.<i> has the header
	local i
	for i in $(seq 1 "$1"); do
		grep -qi "^$2: $3"$'\r'"\$" "$T/parh.$i" || return 1
	done
}

curl -s -o /dev/null "$U/v2/$R/manifests/big" # warm: the record is read once
hwm_reset; base=$(rss_kib)
parallel_get 16 GET "$U/v2/$R/manifests/big"
check_rss "16 parallel GETs of the largest accepted manifest" $(($(hwm_kib) - base)) $((64 * MIB))
check "every GET returned the stored bytes" same_all 16 "$T/big.json"
check "every GET has the index media type" hdr_all 16 Content-Type "$OCI_I"
hwm_reset; base=$(rss_kib)
parallel_get 16 HEAD "$U/v2/$R/manifests/big"
check_rss "16 parallel HEADs of the largest accepted manifest" $(($(hwm_kib) - base)) $((64 * MIB))
check "every HEAD has the length" hdr_all 16 Content-Length "$bigsize"
check "every HEAD has the digest" hdr_all 16 Docker-Content-Digest "$big"

# --- ten large referrers: read from their records ---
$SHAPES index target=$NEAR_4MIB child="$child" csize="$chsize" ctype=$OCI_M \
	subject="$child" ssize="$chsize" salt=r count=10 out="$T/ref"
for i in $(seq 1 10); do
	put_manifest "$T/ref$i.json" "$(sha256_of "$T/ref$i.json")" $OCI_I
	[ "$status" = 201 ] || fail "PUT large referrer $i" "$status $(head -c 300 "$T/body")"
done
hwm_reset; base=$(rss_kib)
start=$(date +%s%N)
expect_status "referrers of a subject with 10 referrers of 4 MiB" 200 GET "$U/v2/$R/referrers/$child"
ms=$((($(date +%s%N) - start) / 1000000))
check_rss "the referrers answer reads no referrer" $(($(hwm_kib) - base)) $((16 * MIB))
check "the referrers answer takes under a second (${ms} ms)" test "$ms" -lt 1000
check "ten descriptors, each with its artifactType and annotations" test \
	"$(jq -c '[.manifests[] | [.mediaType, .artifactType, (.annotations["org.example.salt"] | startswith("r"))]] | unique' < "$T/body")" = \
	"[[\"$OCI_I\",\"application/vnd.example.bundle\",true]]"
check "ten descriptors with their sizes" test \
	"$(jq '[.manifests[] | select(.size > 4000000)] | length' < "$T/body")" = 10

# --- descriptor sizes must match what is stored ---
sed "s/\"size\":5000/\"size\":5001/" "$T/child.json" > "$T/badsize.json"
expect_error "a layer descriptor with the wrong size is refused" 400 MANIFEST_INVALID \
	PUT "$U/v2/$R/manifests/badsize" -H "Content-Type: $OCI_M" --data-binary "@$T/badsize.json"
check "the refusal names the digest and both sizes" bash -c \
	"jq -r '.errors[0].detail' < '$T/body' | grep -q '$layer gives size 5001, but the stored blob has 5000 bytes'"
expect_error "nothing stored for it" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/badsize"
sed "s/\"size\":$csize/\"size\":$((csize - 1))/" "$T/child.json" > "$T/badcfg.json"
expect_error "a config descriptor with the wrong size is refused" 400 MANIFEST_INVALID \
	PUT "$U/v2/$R/manifests/badcfg" -H "Content-Type: $OCI_M" --data-binary "@$T/badcfg.json"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
	$OCI_I $OCI_M "$child" $((chsize + 7)) > "$T/badchild.json"
expect_error "an index entry with the wrong size is refused" 400 MANIFEST_INVALID \
	PUT "$U/v2/$R/manifests/badchild" -H "Content-Type: $OCI_I" --data-binary "@$T/badchild.json"
check "the refusal names the child manifest and both sizes" bash -c \
	"jq -r '.errors[0].detail' < '$T/body' | grep -q 'manifest $child gives size $((chsize + 7)), but the stored manifest has $chsize bytes'"

# --- what the referrers list of a manifest is bounded ---
$SHAPES artifact config="$empty" csize=2 subject="$child" ssize="$chsize" \
	annbytes=70000 > "$T/fat.json"
expect_error "a referrer with 70 KB of annotations is refused" 400 MANIFEST_INVALID \
	PUT "$U/v2/$R/manifests/$(sha256_of "$T/fat.json")" -H "Content-Type: $OCI_M" \
	--data-binary "@$T/fat.json"
check "the refusal gives the limit" bash -c \
	"jq -r '.errors[0].detail' < '$T/body' | grep -q 'at most 65536 bytes'"
$SHAPES artifact config="$empty" csize=2 annbytes=70000 subject="$child" ssize="$chsize" |
	jq -c 'del(.subject)' > "$T/fat-nosubject.json"
expect_status "without a subject the same annotations are accepted" 201 \
	PUT "$U/v2/$R/manifests/fat" -H "Content-Type: $OCI_M" --data-binary "@$T/fat-nosubject.json"

# --- pagination: n, the artifactType filter, the 4 MiB bound ---
S2=$(sha256_of "$T/deep20.json"); s2size=$(stat -c %s "$T/deep20.json")
all=()
$SHAPES artifact config="$empty" csize=2 subject="$S2" ssize="$s2size" \
	artifactType=application/vnd.example.a salt=pa count=3 out="$T/p"
$SHAPES artifact config="$empty" csize=2 subject="$S2" ssize="$s2size" \
	artifactType=application/vnd.example.b+json salt=pb count=2 out="$T/pb"
mv "$T/pb1.json" "$T/p4.json"; mv "$T/pb2.json" "$T/p5.json"
for i in 1 2 3 4 5; do
	all+=("$(sha256_of "$T/p$i.json")")
	put_manifest "$T/p$i.json" "${all[-1]}"
	[ "$status" = 201 ] || fail "PUT small referrer $i" "$status"
done
sorted=$(printf '%s\n' "${all[@]}" | sort | jq -Rsc 'split("\n") | map(select(. != ""))')
# walk_pages URL: follow the Link headers; sets got (every page's
# digests as one JSON array) and pages
walk_pages() {
	local url=$1
	got='[]' pages=0
	while [ -n "$url" ]; do
		http GET "$url"
		[ "$status" = 200 ] || { got="page $url: $status"; return 1; }
		pages=$((pages + 1))
		got=$(jq -c --argjson g "$got" '$g + [.manifests[].digest]' < "$T/body")
		url=$(header Link | sed -n 's/^<\(.*\)>; rel="next"$/\1/p')
		[ -n "$url" ] && url=$U$url
	done
	return 0
}
http GET "$U/v2/$R/referrers/$S2?n=2"
check "a page of n=2 holds two descriptors" test "$(jq '.manifests | length' < "$T/body")" = 2
check "and a Link to the next page" bash -c "[[ '$(header Link)' == '</v2/$R/referrers/$S2?last=sha256:'*'&n=2>; rel=\"next\"' ]]"
walk_pages "$U/v2/$R/referrers/$S2?n=2"
check "following the links gives every referrer once, in digest order" test "$got" = "$sorted"
check "in three pages" test "$pages" = 3
http GET "$U/v2/$R/referrers/$S2?n=1&artifactType=application/vnd.example.b%2Bjson"
check "a filtered page's Link keeps the filter" bash -c \
	"[[ '$(header Link)' == *'&n=1&artifactType=application%2Fvnd.example.b%2Bjson>; rel=\"next\"' ]]"
walk_pages "$U/v2/$R/referrers/$S2?n=1&artifactType=application/vnd.example.b%2Bjson"
check "the filtered pages hold the two of that type" test \
	"$got" = "$(printf '%s\n' "${all[3]}" "${all[4]}" | sort | jq -Rsc 'split("\n") | map(select(. != ""))')"
expect_error "last must be a digest" 400 DIGEST_INVALID GET "$U/v2/$R/referrers/$S2?last=nope"
expect_error "n must be a number" 400 PAGINATION_NUMBER_INVALID GET "$U/v2/$R/referrers/$S2?n=x"

S3=$(sha256_of "$T/badsize.json") # any digest: the subject need not exist
all=()
$SHAPES artifact config="$empty" csize=2 subject="$S3" ssize=1 \
	annbytes=60000 salt=b count=75 out="$T/b"
for i in $(seq 1 75); do
	all+=("$(sha256_of "$T/b$i.json")")
	put_manifest "$T/b$i.json" "${all[-1]}"
	[ "$status" = 201 ] || fail "PUT referrer b$i" "$status $(head -c 200 "$T/body")"
done
http GET "$U/v2/$R/referrers/$S3"
check "75 referrers of 60 KB: the first page stays within 4 MiB" \
	test "$(stat -c %s "$T/body")" -le $((4 * 1024 * 1024))
check "and has a Link to the rest" test -n "$(header Link)"
walk_pages "$U/v2/$R/referrers/$S3"
check "the pages hold all 75, in digest order" test "$got" = \
	"$(printf '%s\n' "${all[@]}" | sort | jq -Rsc 'split("\n") | map(select(. != ""))')"
check "in two pages" test "$pages" = 2

# --- revisions without a record, as Distribution writes them ---
sig=$(printf '%s\n' "${all[@]}" | sort | head -1) # the first in digest order
cp "$(rec_path $R "$child")" "$T/child.record"
cp "$(rec_path $R "$sig")" "$T/sig.record"
stop_berth
rm -f "$(rec_path $R "$child")" "$(rec_path $R "$sig")"
# a padded manifest stored behind Berth's back (Distribution accepts it)
padg=$(sha256_of "$T/pad.json")
mkdir -p "$V2/blobs/sha256/${padg:7:2}/${padg#sha256:}" \
	"$V2/repositories/$R/_manifests/revisions/sha256/${padg#sha256:}"
cp "$T/pad.json" "$V2/blobs/sha256/${padg:7:2}/${padg#sha256:}/data"
printf '%s' "$padg" > "$V2/repositories/$R/_manifests/revisions/sha256/${padg#sha256:}/link"
start_berth "$berth_config" || exit 1
U=$berth_url
expect_status "a manifest without a record is served" 200 GET "$U/v2/$R/manifests/$child"
check "with its bytes" cmp "$T/body" "$T/child.json"
check "and its media type" test "$(header Content-Type)" = "$OCI_M"
check "its record is written back, as the PUT wrote it" cmp "$(rec_path $R "$child")" "$T/child.record"
expect_status "referrers without a record" 200 GET "$U/v2/$R/referrers/$S3?n=1"
check "are listed from the manifest" test \
	"$(jq -c '.manifests[0] | [.digest, .artifactType, (.annotations["org.example.payload"] | length)]' < "$T/body")" = \
	"[\"$sig\",\"application/vnd.example\",60000]"
check "and get their record back" cmp "$(rec_path $R "$sig")" "$T/sig.record"
hwm_reset; base=$(rss_kib)
expect_status "a stored manifest over the parse limits is still served" 200 GET "$U/v2/$R/manifests/$padg"
check "with its bytes" cmp "$T/body" "$T/pad.json"
check "as application/json" test "$(header Content-Type)" = application/json
check_rss "within the parse budget" $(($(hwm_kib) - base)) $((96 * MIB))
check "with a warning in the log" grep -q "$padg.*served as application/json" "$T/berth-$berth_port.log"
check "and a record, so the next read does not parse it" \
	test "$(head -1 "$(rec_path $R "$padg")" | jq -r .mediaType)" = application/json
hwm_reset; base=$(rss_kib)
parallel_get 16 GET "$U/v2/$R/manifests/$padg"
check_rss "16 parallel GETs of it" $(($(hwm_kib) - base)) $((64 * MIB))
check "every GET returned the stored bytes" same_all 16 "$T/pad.json"

# read-only: served, but nothing written
stop_berth
rm -f "$(rec_path $R "$child")"
cat > "$T/ro.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $berth_root
  maintenance:
    readonly:
      enabled: true
http:
  addr: 127.0.0.1:$(free_port)
YAML
start_berth "$T/ro.yml" || exit 1
expect_status "read-only: a manifest without a record is served" 200 GET "$berth_url/v2/$R/manifests/$child"
check "read-only: with its media type" test "$(header Content-Type)" = "$OCI_M"
check "read-only: no record is written" test ! -e "$(rec_path $R "$child")"
stop_berth

# --- berth check reads records too ---
bcheck() { # ARGS...: output in $T/bcheck.out
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$@" "$berth_config" \
		> "$T/bcheck.out" 2>&1
}
bcheck --fast
check "berth check accepts the records next to revision links" \
	bash -c "! grep -q 'unexpected file' '$T/bcheck.out'"
check "and reports the stored manifest over the parse limits" \
	grep -q "$padg: not a valid manifest: manifest JSON too complex" "$T/bcheck.out"
printf '{"version":1,"mediaType":"%s","size":%s}\n' $OCI_M "$bigsize" > "$(rec_path $R "$big")"
bcheck --fast
check "a record that does not match its manifest is reported" \
	grep -q "manifest $big: its record does not match it$" "$T/bcheck.out"
bcheck --fast --repair
check "--repair rewrites it" grep -q "manifest $big: its record does not match it (repaired: record rewritten)" "$T/bcheck.out"
check "as the PUT wrote it" \
	test "$(head -1 "$(rec_path $R "$big")" | jq -c '[.mediaType, .size]')" = "[\"$OCI_I\",$bigsize]"
bcheck --fast
check "then it checks clean" bash -c "! grep -q 'record does not match' '$T/bcheck.out'"

finish

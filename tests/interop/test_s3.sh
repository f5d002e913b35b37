#!/usr/bin/env bash
# tests/interop/test_s3.sh - the S3 storage driver end to end against a
# real S3 implementation (OpenStack Swift with s3api, which checks SigV4
# signatures and the 5 MiB minimum part size):
#   1. the driver conformance suite (berth-driver-test --short);
#   2. a registry served from S3: skopeo push/pull round trips, blob GETs
#      redirected (307) to presigned URLs that work, and the bucket holding
#      Distribution's layout under rootdirectory; one upload continued
#      by two servers on the bucket (tests/upload_handoff.sh);
#   3. start-up failures: wrong credentials, missing bucket, unreachable
#      endpoint make `berth serve` exit non-zero at once, naming the problem.
# Needs: skopeo, jq, curl; installs Swift (apt) if missing.
source "$(dirname "$0")/common.sh"
source "$TESTS_DIR/emulators/swift.sh"
source "$TESTS_DIR/upload_handoff.sh"

cleanup_s3() { swift_stop; cleanup_interop; }
trap cleanup_s3 EXIT

SWIFT_PORT=${SWIFT_PORT:-$(free_port)}
if ! swift_start "$T/swift"; then
	fail "Swift S3 endpoint starts"
	finish; exit 1
fi
pass "Swift S3 endpoint starts"

ROOT=/berth-test-$$
port=$(free_port)

# s3_config FILE PORT [KEY=VALUE...]: a server config whose storage is the
# S3 driver; KEY=VALUE pairs override driver options.
s3_config() {
	local file=$1 p=$2; shift 2
	declare -A o=(
		[accesskey]="\"$S3_ACCESS_KEY\"" [secretkey]=$S3_SECRET_KEY
		[region]=$S3_REGION [regionendpoint]=$S3_ENDPOINT
		[forcepathstyle]=true [bucket]=$S3_BUCKET [rootdirectory]=$ROOT
		[chunksize]=5242880 [redirectexpiry]=10m)
	local kv
	for kv in "$@"; do o[${kv%%=*}]=${kv#*=}; done
	{
		printf 'version: 0.1\nlog:\n  level: %s\nstorage:\n  s3:\n' "${BERTH_LOG_LEVEL:-warn}"
		for k in "${!o[@]}"; do printf '    %s: %s\n' "$k" "${o[$k]}"; done
		printf '  delete:\n    enabled: true\n  redirect:\n    disable: false\n'
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$p"
	} > "$file"
}

s3_config "$T/s3.yml" "$port"

# ---- 1. conformance ----
conf=$BUILD/bin/berth-driver-test
if [ -x "$conf" ]; then
	start=$(date +%s%N)
	if "$conf" --short "$BUILD/lib/berth/storage-s3.so" "$T/s3.yml" > "$T/conformance.out" 2>&1; then
		pass "conformance suite ($(grep -Ec '^ok' "$T/conformance.out") cases, $(( ($(date +%s%N) - start) / 1000000 )) ms)"
	else
		fail "conformance suite" "$(grep -v '^ok' "$T/conformance.out" | tail -15)"
	fi
else
	fail "conformance suite" "$conf not built"
fi

# ---- 2. registry on S3 ----
if ! start_berth "$T/s3.yml"; then
	fail "berth serves from S3" "$(tail -5 "$T"/berth-*.log)"
	finish; exit 1
fi
pass "berth serves from S3"
reg=127.0.0.1:$port

layout=$T/oci
make_image "$layout" small base:64K extra:200K > /dev/null
make_image "$layout" big base:64K big:12M > /dev/null   # > chunksize: multipart
for tag in small big; do
	check "skopeo push $tag" sk copy -q \
		"oci:$layout:$tag" "docker://$reg/interop/s3img:$tag"
	want=$(layout_digest "$layout" "$tag")
	got=$(sk inspect --raw "docker://$reg/interop/s3img:$tag" | sha256sum | cut -c1-64)
	[ "sha256:$got" = "$want" ] && pass "manifest $tag round trip" ||
		fail "manifest $tag round trip" "want $want got sha256:$got"
	rm -rf "$T/pulled"
	check "skopeo pull $tag" sk copy -q \
		"docker://$reg/interop/s3img:$tag" "oci:$T/pulled:$tag"
	ok=1
	for dg in $(layout_blobs "$layout" "$want"); do
		cmp -s "$(layout_blob "$layout" "$dg")" "$(layout_blob "$T/pulled" "$dg")" || ok=0
	done
	[ $ok = 1 ] && pass "pulled blobs of $tag identical" || fail "pulled blobs of $tag identical"
done

# blob GET and HEAD redirect to working presigned URLs
bigdg=$(jq -r '.layers[1].digest' "$(layout_blob "$layout" "$(layout_digest "$layout" big)")")
http GET "http://$reg/v2/interop/s3img/blobs/$bigdg"
loc=$(header Location)
if [ "$status" = 307 ] && [[ $loc == *X-Amz-Signature=* ]]; then
	pass "blob GET redirects (307) to a presigned URL"
else
	fail "blob GET redirects (307) to a presigned URL" "status $status location $loc"
fi
got=$(curl -sSL "http://$reg/v2/interop/s3img/blobs/$bigdg" | sha256sum | cut -c1-64)
[ "sha256:$got" = "$bigdg" ] && pass "redirected blob content matches its digest" ||
	fail "redirected blob content matches its digest" "got sha256:$got"
code=$(curl -s -o /dev/null -w '%{http_code}' -I -L "http://$reg/v2/interop/s3img/blobs/$bigdg")
[ "$code" = 200 ] && pass "blob HEAD (following redirects) answers 200" ||
	fail "blob HEAD (following redirects) answers 200" "got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -r 100-199 -L "http://$reg/v2/interop/s3img/blobs/$bigdg")
[ "$code" = 206 ] && pass "range GET through the redirect answers 206" ||
	fail "range GET through the redirect answers 206" "got $code"

# the bucket holds Distribution's layout under rootdirectory
keys=$(s3_curl -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -c1-64)" \
	"$S3_ENDPOINT/$S3_BUCKET?list-type=2&max-keys=1000&prefix=${ROOT#/}%2Fdocker%2Fregistry%2Fv2%2F" |
	grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g')
hex=${bigdg#sha256:}
echo "$keys" | grep -qx "${ROOT#/}/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data" &&
	pass "blob stored at docker/registry/v2/blobs/sha256/<xx>/<hex>/data" ||
	fail "blob stored at docker/registry/v2/blobs/sha256/<xx>/<hex>/data" "$(echo "$keys" | head -5)"
echo "$keys" | grep -q "^${ROOT#/}/docker/registry/v2/repositories/interop/s3img/_manifests/tags/big/current/link$" &&
	pass "tag link at repositories/<name>/_manifests/tags/<tag>/current/link" ||
	fail "tag link at repositories/<name>/_manifests/tags/<tag>/current/link" "$(echo "$keys" | grep tags | head -3)"
echo "$keys" | grep -q '~' && fail "no writer state left in the bucket" "$(echo "$keys" | grep '~')" ||
	pass "no writer state left in the bucket"

# ---- 2b. one upload continued by two servers on the bucket: each
# server's memo of the multipart upload and hash state must give way to
# what the bucket holds (chunks of 6 MiB: a 5 MiB part and a 1 MiB tail) ----
s3_config "$T/s3-b.yml" "$(free_port)"
if start_extra_berth "$T/s3-b.yml"; then
	# s3_gone REPO ID: no key and no multipart upload below the upload
	s3_gone() {
		local prefix empty
		prefix=$(printf '%s' "${ROOT#/}/docker/registry/v2/repositories/$1/_uploads/$2/" | jq -sRr @uri)
		empty=$(printf '' | sha256sum | cut -c1-64)
		! s3_curl -H "x-amz-content-sha256: $empty" \
			"$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=$prefix" | grep -q '<Key>' &&
		! s3_curl -H "x-amz-content-sha256: $empty" \
			"$S3_ENDPOINT/$S3_BUCKET?uploads&prefix=$prefix" | grep -q '<UploadId>'
	}
	handoff_checks "$berth_url" "$extra_url" $((6 << 20)) s3_gone
	stop_extra_berth
else
	fail "a second server on the same bucket starts"
fi
stop_berth

# ---- 3. start-up failures ----
# expect_startup_failure DESC PATTERN KEY=VALUE...: berth serve must exit
# non-zero within 15 s and say PATTERN.
expect_startup_failure() {
	local desc=$1 pat=$2; shift 2
	local p cfg t0 rc
	p=$(free_port)
	cfg=$T/bad-$p.yml
	s3_config "$cfg" "$p" "$@"
	t0=$(date +%s)
	BERTH_DRIVER_DIR=$BUILD/lib/berth timeout 15 "$BUILD/bin/berth" serve "$cfg" > "$T/bad.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eqi "$pat" "$T/bad.log"; then
		pass "$desc ($(($(date +%s) - t0)) s)"
	else
		fail "$desc" "exit $rc: $(tail -3 "$T/bad.log")"
	fi
}
expect_startup_failure "wrong secret key: serve exits naming the credentials" \
	'accesskey|secretkey|SignatureDoesNotMatch' secretkey=wrong-secret
expect_startup_failure "missing bucket: serve exits naming the bucket" \
	'bucket.*does not exist' bucket=no-such-bucket-$$
expect_startup_failure "unreachable endpoint: serve exits naming the endpoint" \
	'unreachable' regionendpoint=http://127.0.0.1:$(free_port)
expect_startup_failure "unknown option: serve exits naming it" \
	'bogusoption' bogusoption=1

finish

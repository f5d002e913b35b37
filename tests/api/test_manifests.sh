#!/usr/bin/env bash
# Manifest endpoints: PUT, GET, HEAD and DELETE of OCI and Docker image
# manifests, indexes and manifest lists, by tag and by digest (sha256 and
# sha512), and every error path the spec names.
source "$(dirname "$0")/../lib.sh"
start_berth || exit 1
U=$berth_url
OCI_M=application/vnd.oci.image.manifest.v1+json
OCI_I=application/vnd.oci.image.index.v1+json
DOCKER_M=application/vnd.docker.distribution.manifest.v2+json
DOCKER_L=application/vnd.docker.distribution.manifest.list.v2+json

# sha512_of FILE: "sha512:<hex>"
sha512_of() { echo "sha512:$(sha512sum "$1" | cut -c1-128)"; }

# blobs: a config and two layers in repository app/one
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$T/config"
head -c 4000 /dev/urandom > "$T/layer1"
head -c 9000 /dev/urandom > "$T/layer2"
R=app/one
cfg=$(push_blob $R "$T/config")
l1=$(push_blob $R "$T/layer1")
l2=$(push_blob $R "$T/layer2")
check "blobs pushed" test "$(curl -s -o /dev/null -w '%{http_code}' -I "$U/v2/$R/blobs/$l2")" = 200

# image_manifest MEDIATYPE CONFIG_MT [extra json members]: print a manifest
image_manifest() {
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":4000},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":9000}]%s}' \
		"$1" "$2" "$cfg" "$(stat -c %s "$T/config")" "$l1" "$l2" "${3:-}"
}

# --- OCI image manifest by tag ---
image_manifest $OCI_M application/vnd.oci.image.config.v1+json > "$T/oci.json"
oci=$(sha256_of "$T/oci.json")
expect_status "PUT OCI manifest by tag" 201 PUT "$U/v2/$R/manifests/v1" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
check "PUT Location names the digest" \
	bash -c "[[ '$(header Location)' == *'/v2/$R/manifests/$oci' ]]"
check "PUT Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$oci"
check "PUT without subject has no OCI-Subject" test -z "$(header OCI-Subject)"

expect_status "GET by tag" 200 GET "$U/v2/$R/manifests/v1" -H "Accept: $OCI_M"
check "GET by tag returns the pushed bytes" cmp "$T/body" "$T/oci.json"
check "GET Content-Type is the manifest's media type" test "$(header Content-Type)" = "$OCI_M"
check "GET Docker-Content-Digest is the sha256 of the body" \
	test "$(header Docker-Content-Digest)" = "$(sha256_of "$T/body")"
check "GET ETag is the quoted digest" test "$(header ETag)" = "\"$oci\""
check "GET Content-Length" test "$(header Content-Length)" = "$(stat -c %s "$T/oci.json")"
check "GET carries the API version header" \
	test "$(header Docker-Distribution-API-Version)" = "registry/2.0"

expect_status "GET by digest" 200 GET "$U/v2/$R/manifests/$oci"
check "GET by digest returns the pushed bytes" cmp "$T/body" "$T/oci.json"
check "GET by digest Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$oci"

expect_status "HEAD by tag" 200 HEAD "$U/v2/$R/manifests/v1" -H "Accept: $OCI_M"
check "HEAD has no body" bash -c "! grep -q schemaVersion '$T/body'"
check "HEAD Content-Length" test "$(header Content-Length)" = "$(stat -c %s "$T/oci.json")"
check "HEAD Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$oci"
check "HEAD Content-Type" test "$(header Content-Type)" = "$OCI_M"
expect_status "HEAD by digest" 200 HEAD "$U/v2/$R/manifests/$oci"

expect_status "GET with a foreign Accept still returns the stored type" 200 GET \
	"$U/v2/$R/manifests/v1" -H "Accept: $DOCKER_M"
check "stored type kept" test "$(header Content-Type)" = "$OCI_M"

# OCI without mediaType member: inferred from the content type
sed 's/"mediaType":"application\/vnd.oci.image.manifest.v1+json",//' "$T/oci.json" > "$T/oci-nomt.json"
expect_status "PUT OCI manifest without mediaType member" 201 PUT "$U/v2/$R/manifests/nomt" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci-nomt.json"
expect_status "GET it back" 200 GET "$U/v2/$R/manifests/nomt"
check "its Content-Type is the OCI manifest type" test "$(header Content-Type)" = "$OCI_M"

# --- Docker schema 2 manifest ---
image_manifest $DOCKER_M application/vnd.docker.container.image.v1+json > "$T/docker.json"
dm=$(sha256_of "$T/docker.json")
expect_status "PUT Docker schema 2 manifest" 201 PUT "$U/v2/$R/manifests/docker" \
	-H "Content-Type: $DOCKER_M" --data-binary "@$T/docker.json"
expect_status "GET Docker manifest" 200 GET "$U/v2/$R/manifests/docker" -H "Accept: $DOCKER_M"
check "Docker manifest Content-Type" test "$(header Content-Type)" = "$DOCKER_M"
check "Docker manifest bytes" cmp "$T/body" "$T/docker.json"
check "Docker manifest digest" test "$(header Docker-Content-Digest)" = "$dm"

# --- retag: the tag moves to the new manifest ---
expect_status "PUT another manifest under v1" 201 PUT "$U/v2/$R/manifests/v1" \
	-H "Content-Type: $DOCKER_M" --data-binary "@$T/docker.json"
expect_status "GET v1 after retag" 200 GET "$U/v2/$R/manifests/v1"
check "v1 now names the Docker manifest" test "$(header Docker-Content-Digest)" = "$dm"
expect_status "old manifest still there by digest" 200 GET "$U/v2/$R/manifests/$oci"
expect_status "PUT OCI manifest back under v1" 201 PUT "$U/v2/$R/manifests/v1" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"

# --- OCI index and Docker manifest list ---
osz=$(stat -c %s "$T/oci.json"); dsz=$(stat -c %s "$T/docker.json")
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux"}}]}' \
	$OCI_I $OCI_M "$oci" "$osz" $DOCKER_M "$dm" "$dsz" > "$T/index.json"
idx=$(sha256_of "$T/index.json")
expect_status "PUT OCI index" 201 PUT "$U/v2/$R/manifests/multi" \
	-H "Content-Type: $OCI_I" --data-binary "@$T/index.json"
check "index Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$idx"
expect_status "GET OCI index" 200 GET "$U/v2/$R/manifests/multi" -H "Accept: $OCI_I"
check "index Content-Type" test "$(header Content-Type)" = "$OCI_I"
check "index bytes" cmp "$T/body" "$T/index.json"

printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}}]}' \
	$DOCKER_L $DOCKER_M "$dm" "$dsz" > "$T/list.json"
expect_status "PUT Docker manifest list" 201 PUT "$U/v2/$R/manifests/list" \
	-H "Content-Type: $DOCKER_L" --data-binary "@$T/list.json"
expect_status "GET Docker manifest list" 200 GET "$U/v2/$R/manifests/list" -H "Accept: $DOCKER_L"
check "list Content-Type" test "$(header Content-Type)" = "$DOCKER_L"
check "list bytes" cmp "$T/body" "$T/list.json"

# --- PUT by digest ---
image_manifest $OCI_M application/vnd.oci.image.config.v1+json ',"annotations":{"k":"bydigest"}' > "$T/bydg.json"
bydg=$(sha256_of "$T/bydg.json")
expect_status "PUT by digest" 201 PUT "$U/v2/$R/manifests/$bydg" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/bydg.json"
check "PUT by digest Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$bydg"
expect_status "GET the manifest pushed by digest" 200 GET "$U/v2/$R/manifests/$bydg"
check "... identical" cmp "$T/body" "$T/bydg.json"
check "PUT by digest creates no tag" \
	bash -c "! curl -s '$U/v2/$R/tags/list' | jq -e '.tags | index(\"$bydg\")'"

# sha512
image_manifest $OCI_M application/vnd.oci.image.config.v1+json ',"annotations":{"k":"sha512"}' > "$T/s512.json"
s512=$(sha512_of "$T/s512.json")
expect_status "PUT by sha512 digest" 201 PUT "$U/v2/$R/manifests/$s512" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/s512.json"
check "sha512 Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$s512"
check "sha512 Location" bash -c "[[ '$(header Location)' == *'/manifests/$s512' ]]"
expect_status "GET by sha512 digest" 200 GET "$U/v2/$R/manifests/$s512"
check "sha512 manifest bytes" cmp "$T/body" "$T/s512.json"
check "sha512 GET digest header" test "$(header Docker-Content-Digest)" = "$s512"
expect_error "the sha256 of the sha512 manifest is not stored" 404 MANIFEST_UNKNOWN GET \
	"$U/v2/$R/manifests/$(sha256_of "$T/s512.json")"

# --- errors on PUT ---
expect_error "PUT by digest with the wrong digest" 400 DIGEST_INVALID PUT \
	"$U/v2/$R/manifests/$(sha256_of "$T/docker.json")" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/bydg.json"
expect_error "PUT by malformed digest" 400 DIGEST_INVALID PUT \
	"$U/v2/$R/manifests/sha256:1234" -H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_error "PUT with an invalid tag" 400 TAG_INVALID PUT \
	"$U/v2/$R/manifests/-bad" -H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_error "PUT with a tag of 129 characters" 400 TAG_INVALID PUT \
	"$U/v2/$R/manifests/$(printf 'a%.0s' $(seq 1 129))" -H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_error "PUT malformed JSON" 400 MANIFEST_INVALID PUT "$U/v2/$R/manifests/bad" \
	-H "Content-Type: $OCI_M" --data-binary '{"schemaVersion":2,'
check "malformed JSON: the detail says why" bash -c "jq -r '.errors[0].detail' < '$T/body' | grep -qi json"
expect_error "PUT empty body" 400 MANIFEST_INVALID PUT "$U/v2/$R/manifests/bad" \
	-H "Content-Type: $OCI_M" --data-binary ''
expect_error "PUT schemaVersion 1" 400 MANIFEST_INVALID PUT "$U/v2/$R/manifests/bad" \
	-H "Content-Type: $OCI_M" --data-binary '{"schemaVersion":1,"config":{}}'
expect_error "PUT mediaType disagreeing with Content-Type" 400 MANIFEST_INVALID PUT \
	"$U/v2/$R/manifests/bad" -H "Content-Type: $DOCKER_M" --data-binary "@$T/oci.json"
expect_error "PUT with an unknown media type" 400 MANIFEST_INVALID PUT "$U/v2/$R/manifests/bad" \
	-H 'Content-Type: application/vnd.example+json' \
	--data-binary '{"schemaVersion":2,"mediaType":"application/vnd.example+json"}'
expect_error "PUT a descriptor with an unsupported digest algorithm" 400 DIGEST_INVALID PUT \
	"$U/v2/$R/manifests/bad" -H "Content-Type: $OCI_M" \
	--data-binary "$(sed "s/$l1/sha384:$(printf 'a%.0s' $(seq 1 96))/" "$T/oci.json")"
expect_error "the bad tag was never created" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/bad"

# unknown blob: 400 MANIFEST_BLOB_UNKNOWN and nothing stored
head -c 100 /dev/urandom > "$T/absent"
absent=$(sha256_of "$T/absent")
sed "s/$l2/$absent/" "$T/oci.json" > "$T/missing.json"
expect_error "manifest referencing an unknown blob" 400 MANIFEST_BLOB_UNKNOWN PUT \
	"$U/v2/$R/manifests/missing" -H "Content-Type: $OCI_M" --data-binary "@$T/missing.json"
check "the detail names the missing blob" \
	test "$(jq -r '.errors[0].detail' < "$T/body")" = "$absent"
expect_error "nothing stored: tag is unknown" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/missing"
expect_error "nothing stored: digest is unknown" 404 MANIFEST_UNKNOWN GET \
	"$U/v2/$R/manifests/$(sha256_of "$T/missing.json")"
check "nothing stored: no blob data for the manifest" test ! -e \
	"$berth_root/docker/registry/v2/blobs/sha256/$(sha256_of "$T/missing.json" | cut -c8-9)/$(sha256_of "$T/missing.json" | cut -c8-)/data"

# a blob of another repository is not enough
other=$(push_blob app/other "$T/absent")
expect_error "blob only in another repository" 400 MANIFEST_BLOB_UNKNOWN PUT \
	"$U/v2/$R/manifests/missing" -H "Content-Type: $OCI_M" --data-binary "@$T/missing.json"

# index referencing an unknown child manifest
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s},{"mediaType":"%s","digest":"%s","size":10}]}' \
	$OCI_I $OCI_M "$oci" "$osz" $OCI_M "$absent" > "$T/badindex.json"
expect_error "index referencing an unknown child" 400 MANIFEST_BLOB_UNKNOWN PUT \
	"$U/v2/$R/manifests/badindex" -H "Content-Type: $OCI_I" --data-binary "@$T/badindex.json"
check "the detail names the missing child" \
	test "$(jq -r '.errors[0].detail' < "$T/body")" = "$absent"
expect_error "nothing stored for the bad index" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/badindex"
# a manifest of another repository is not a child here
image_manifest $OCI_M application/vnd.oci.image.config.v1+json ',"annotations":{"k":"elsewhere"}' > "$T/else.json"
push_blob app/else "$T/config" > /dev/null; push_blob app/else "$T/layer1" > /dev/null
push_blob app/else "$T/layer2" > /dev/null
expect_status "manifest pushed to another repository" 201 PUT "$U/v2/app/else/manifests/x" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/else.json"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
	$OCI_I $OCI_M "$(sha256_of "$T/else.json")" "$(stat -c %s "$T/else.json")" > "$T/cross.json"
expect_error "index child only in another repository" 400 MANIFEST_BLOB_UNKNOWN PUT \
	"$U/v2/$R/manifests/cross" -H "Content-Type: $OCI_I" --data-binary "@$T/cross.json"
expect_error "manifest of another repository is unknown here by digest" 404 MANIFEST_UNKNOWN GET \
	"$U/v2/$R/manifests/$(sha256_of "$T/else.json")"

# oversized manifest (> 4 MiB)
python3 - "$T/big.json" "$cfg" <<'PY'
import json, sys
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sys.argv[2], "size": 10},
     "layers": [], "annotations": {"pad": "x" * (4 * 1024 * 1024 + 10)}}
open(sys.argv[1], "w").write(json.dumps(m))
PY
expect_error "manifest over 4 MiB" 413 SIZE_INVALID PUT "$U/v2/$R/manifests/big" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/big.json"
expect_error "manifest over 4 MiB, chunked (no Content-Length)" 413 SIZE_INVALID PUT \
	"$U/v2/$R/manifests/big" -H "Content-Type: $OCI_M" -H 'Transfer-Encoding: chunked' \
	--data-binary "@$T/big.json"
expect_error "oversized manifest not stored" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/big"
expect_status "server still answers after the oversized PUT" 200 GET "$U/v2/$R/manifests/v1"

# --- errors on GET ---
expect_error "GET unknown tag" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/nope"
expect_error "GET unknown digest" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/$absent"
expect_status "HEAD unknown tag" 404 HEAD "$U/v2/$R/manifests/nope"
expect_error "GET malformed digest" 400 DIGEST_INVALID GET "$U/v2/$R/manifests/sha256:xyz"
expect_error "GET in an unknown repository" 404 MANIFEST_UNKNOWN GET "$U/v2/no/such/manifests/v1"
expect_error "GET blob digest as a manifest" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/$l1"
expect_error "upper-case repository name" 400 NAME_INVALID GET "$U/v2/App/one/manifests/v1"
expect_error "upper-case repository name on PUT" 400 NAME_INVALID PUT "$U/v2/App/manifests/v1" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_error "repository name with .." 400 NAME_INVALID GET "$U/v2/app/%2e%2e/one/manifests/v1" --path-as-is
expect_error "repository name ../ (raw)" 400 NAME_INVALID PUT "$U/v2/app/../x/manifests/v1" --path-as-is \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_error "repository name with a trailing separator" 400 NAME_INVALID GET "$U/v2/app-/manifests/v1"

# --- DELETE ---
expect_status "PUT the same manifest under a second tag" 201 PUT "$U/v2/$R/manifests/v1-alias" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_status "DELETE by digest" 202 DELETE "$U/v2/$R/manifests/$oci"
expect_error "deleted manifest: GET by digest 404" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/$oci"
expect_error "deleted manifest: tag v1 is gone" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/v1"
expect_error "deleted manifest: tag v1-alias is gone" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/v1-alias"
check "deleted tags are not listed" \
	test "$(curl -s "$U/v2/$R/tags/list" | jq -c '[.tags[] | select(startswith("v1"))]')" = '[]'
expect_status "other tags survive" 200 GET "$U/v2/$R/manifests/docker"
expect_status "blobs survive a manifest delete" 200 HEAD "$U/v2/$R/blobs/$l1"
expect_error "DELETE the same digest again" 404 MANIFEST_UNKNOWN DELETE "$U/v2/$R/manifests/$oci"
expect_status "re-PUT after delete" 201 PUT "$U/v2/$R/manifests/v1" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_status "re-PUT manifest readable" 200 GET "$U/v2/$R/manifests/$oci"

expect_status "DELETE by tag" 202 DELETE "$U/v2/$R/manifests/docker"
expect_error "deleted tag is unknown" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/docker"
expect_status "the manifest stays by digest" 200 GET "$U/v2/$R/manifests/$dm"
expect_error "DELETE unknown tag" 404 MANIFEST_UNKNOWN DELETE "$U/v2/$R/manifests/docker"
expect_error "DELETE unknown digest" 404 MANIFEST_UNKNOWN DELETE "$U/v2/$R/manifests/$absent"
expect_error "DELETE with a malformed digest" 400 DIGEST_INVALID DELETE "$U/v2/$R/manifests/sha256:1"
expect_status "DELETE sha512 manifest" 202 DELETE "$U/v2/$R/manifests/$s512"
expect_error "sha512 manifest gone" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/$s512"

# --- a second server with delete disabled (same storage) ---
port2=$(free_port)
cat > "$T/nodelete.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $berth_root
http:
  addr: 127.0.0.1:$port2
YAML
U1=$U
first_pid=$berth_pid
berth_pid=
start_berth "$T/nodelete.yml" || exit 1
second_pid=$berth_pid
U2=$berth_url
expect_error "delete disabled: DELETE by digest 405" 405 UNSUPPORTED DELETE "$U2/v2/$R/manifests/$oci"
expect_error "delete disabled: DELETE by tag 405" 405 UNSUPPORTED DELETE "$U2/v2/$R/manifests/v1"
expect_status "delete disabled: manifest still there" 200 GET "$U2/v2/$R/manifests/v1"
check "delete disabled: same digest" test "$(header Docker-Content-Digest)" = "$oci"
stop_berth

# --- a read-only server ---
port3=$(free_port)
cat > "$T/readonly.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $berth_root
  delete:
    enabled: true
  maintenance:
    readonly:
      enabled: true
http:
  addr: 127.0.0.1:$port3
YAML
start_berth "$T/readonly.yml" || exit 1
U3=$berth_url
expect_error "read-only: PUT manifest 405" 405 UNSUPPORTED PUT "$U3/v2/$R/manifests/ro" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/oci.json"
expect_error "read-only: DELETE manifest 405" 405 UNSUPPORTED DELETE "$U3/v2/$R/manifests/$oci"
expect_status "read-only: GET works" 200 GET "$U3/v2/$R/manifests/v1"
stop_berth
berth_pid=$first_pid
U=$U1
: "$second_pid"

# --- the layout on disk is Distribution's ---
V2=$berth_root/docker/registry/v2
check "tag current link holds the digest" \
	test "$(cat "$V2/repositories/$R/_manifests/tags/v1/current/link")" = "$oci"
check "tag index link exists" test -f "$V2/repositories/$R/_manifests/tags/v1/index/sha256/${oci#sha256:}/link"
check "revision link exists" test -f "$V2/repositories/$R/_manifests/revisions/sha256/${oci#sha256:}/link"
check "manifest stored as a blob" cmp "$V2/blobs/sha256/${oci:7:2}/${oci#sha256:}/data" "$T/oci.json"

finish

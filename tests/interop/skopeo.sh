#!/usr/bin/env bash
# skopeo against the server: push an OCI image (one layer large enough to
# stream), pull it back byte for byte, the same as Docker schema 2, then
# inspect, list tags and delete the way skopeo does it (by digest).
source "$(dirname "$0")/common.sh"
start_registry || exit 1
U=$berth_url

make_image "$T/src" v1 base:512K big:21M top:3000K
want=$(layout_digest "$T/src" v1)

# --- OCI image manifest ---
check "push OCI image" sk copy "oci:$T/src:v1" "docker://$REG/interop/skopeo:v1"
check "server digest of the tag is the layout's" \
	test "$(reg_digest interop/skopeo v1)" = "$want"
check "pull back into an OCI layout" sk copy "docker://$REG/interop/skopeo:v1" "oci:$T/pull:v1"
check "pulled manifest digest and every blob identical" pulled_same "$T/src" v1 "$T/pull" v1
check "pull by digest" sk copy "docker://$REG/interop/skopeo@$want" "oci:$T/pull-dg:v1"
check "pulled by digest: identical" pulled_same "$T/src" v1 "$T/pull-dg" v1
check "raw manifest bytes are the pushed ones" \
	cmp <(sk inspect --raw "docker://$REG/interop/skopeo:v1") "$(layout_blob "$T/src" "$want")"

# --- Docker schema 2 (skopeo converts the manifest) ---
check "push as Docker schema 2" sk copy --format v2s2 \
	"oci:$T/src:v1" "docker://$REG/interop/skopeo:v2s2"
sk inspect --raw "docker://$REG/interop/skopeo:v2s2" > "$T/v2s2.json"
check "v2s2 manifest has the Docker media type" test \
	"$(jq -r .mediaType "$T/v2s2.json")" = application/vnd.docker.distribution.manifest.v2+json
check "v2s2 server digest is the sha256 of its bytes" \
	test "$(reg_digest interop/skopeo v2s2)" = "$(sha256_of "$T/v2s2.json")"
check "pull v2s2 into a dir" sk copy "docker://$REG/interop/skopeo:v2s2" "dir:$T/dir-v2s2"
check "v2s2 manifest pulled unchanged" cmp "$T/dir-v2s2/manifest.json" "$T/v2s2.json"
check "v2s2 blobs all present and hash to their digests" dir_blobs_ok "$T/dir-v2s2"
check "v2s2 layers are the OCI layers" test \
	"$(jq -r '.layers[].digest' "$T/v2s2.json")" = \
	"$(jq -r '.layers[].digest' "$(layout_blob "$T/src" "$want")")"

# --- inspect ---
sk inspect "docker://$REG/interop/skopeo:v1" > "$T/inspect.json" 2> "$T/inspect.err"
check "inspect: digest" test "$(jq -r .Digest "$T/inspect.json")" = "$want"
check "inspect: 3 layers" test "$(jq '.Layers | length' "$T/inspect.json")" = 3
check "inspect: architecture from the config" test "$(jq -r .Architecture "$T/inspect.json")" = amd64
check "inspect --config: the pushed config" cmp \
	<(sk inspect --config --raw "docker://$REG/interop/skopeo:v1") \
	"$(layout_blob "$T/src" "$(jq -r .config.digest "$(layout_blob "$T/src" "$want")")")"

# --- tags ---
check "retag by copying within the registry" sk copy \
	"docker://$REG/interop/skopeo:v1" "docker://$REG/interop/skopeo:latest"
check "list-tags" test "$(sk list-tags "docker://$REG/interop/skopeo" | jq -c '.Tags | sort')" \
	= '["latest","v1","v2s2"]'

# --- delete (skopeo resolves the tag, then DELETEs by digest) ---
check "delete the v2s2 tag" sk delete "docker://$REG/interop/skopeo:v2s2"
expect_status "deleted manifest: GET by tag is 404" 404 GET "$U/v2/interop/skopeo/manifests/v2s2" \
	-H 'Accept: application/vnd.docker.distribution.manifest.v2+json'
expect_status "deleted manifest: GET by digest is 404" 404 GET \
	"$U/v2/interop/skopeo/manifests/$(sha256_of "$T/v2s2.json")" \
	-H 'Accept: application/vnd.docker.distribution.manifest.v2+json'
check "list-tags after delete" test \
	"$(sk list-tags "docker://$REG/interop/skopeo" | jq -c '.Tags | sort')" = '["latest","v1"]'
check "other manifest still pulls" sk copy "docker://$REG/interop/skopeo:v1" "oci:$T/pull2:v1"
check "and is identical" pulled_same "$T/src" v1 "$T/pull2" v1
check "delete v1 (same digest as latest)" sk delete "docker://$REG/interop/skopeo:v1"
expect_status "v1 is 404" 404 GET "$U/v2/interop/skopeo/manifests/v1" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_status "latest (same manifest) is 404 too" 404 GET "$U/v2/interop/skopeo/manifests/latest" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
check "pull of a deleted image fails" bash -c "! skopeo --policy '$T/policy.json' copy \
	--src-tls-verify=false docker://$REG/interop/skopeo:v1 oci:$T/gone:v1"

finish

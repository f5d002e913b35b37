#!/usr/bin/env bash
# Image indexes: `docker manifest create/push` (daemonless) makes an index
# of two pushed images; skopeo copy --all pulls it back with both children.
# Then skopeo copy --all pushes an index from an OCI layout, byte for byte.
source "$(dirname "$0")/common.sh"
start_registry || exit 1
U=$berth_url

ARCH=amd64 make_image "$T/src" amd64 ishared:600K iamd:2M
ARCH=arm64 make_image "$T/src" arm64 ishared:600K iarm:1500K
make_index "$T/src" list amd64 arm64
d_amd=$(layout_digest "$T/src" amd64)
d_arm=$(layout_digest "$T/src" arm64)

check "push the amd64 image" sk copy "oci:$T/src:amd64" "docker://$REG/interop/index:amd64"
check "push the arm64 image" sk copy "oci:$T/src:arm64" "docker://$REG/interop/index:arm64"

# --- docker manifest create + push ---
check "docker manifest create" timeout 60 docker manifest create --insecure \
	"$REG/interop/index:multi" "$REG/interop/index:amd64" "$REG/interop/index:arm64"
check "docker manifest push" timeout 60 docker manifest push --insecure "$REG/interop/index:multi"
http GET "$U/v2/interop/index/manifests/multi" \
	-H 'Accept: application/vnd.oci.image.index.v1+json' \
	-H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json'
cp "$T/body" "$T/multi.json"
check "GET the index: 200" test "$status" = 200
check "it is an index or manifest list" bash -c \
	"jq -r .mediaType '$T/multi.json' | grep -Eq 'image.index.v1|manifest.list.v2'"
check "Content-Type is its media type" test "$(header Content-Type)" = "$(jq -r .mediaType "$T/multi.json")"
check "Docker-Content-Digest is the sha256 of the body" \
	test "$(header Docker-Content-Digest)" = "$(sha256_of "$T/multi.json")"
check "its children are the two images" test \
	"$(jq -r '.manifests[].digest' "$T/multi.json" | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "$d_amd" "$d_arm" | sort | tr '\n' ' ')"
check "children carry their platforms" test \
	"$(jq -r '.manifests[] | .platform.architecture + "=" + .digest' "$T/multi.json" | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "amd64=$d_amd" "arm64=$d_arm" | sort | tr '\n' ' ')"
check "skopeo copy --all pulls the index" sk copy --all \
	"docker://$REG/interop/index:multi" "oci:$T/pull:multi"
check "pulled index digest is the server's" test \
	"$(layout_digest "$T/pull" multi)" = "$(sha256_of "$T/multi.json")"
check "amd64 child and its blobs identical" same_blobs "$T/src" "$T/pull" "$d_amd"
check "arm64 child and its blobs identical" same_blobs "$T/src" "$T/pull" "$d_arm"
check "docker manifest inspect lists both" bash -c \
	"timeout 60 docker manifest inspect --insecure '$REG/interop/index:multi' | jq -e '.manifests | length == 2'"

# --- skopeo copy --all of an OCI layout index ---
want=$(layout_digest "$T/src" list)
check "skopeo copy --all pushes an index from a layout" sk copy --all \
	"oci:$T/src:list" "docker://$REG/interop/index2:list"
check "server digest of the index is the layout's" test "$(reg_digest interop/index2 list)" = "$want"
check "raw index bytes unchanged" cmp <(sk inspect --raw "docker://$REG/interop/index2:list") \
	"$(layout_blob "$T/src" "$want")"
expect_status "child manifest by digest in the new repository" 200 GET \
	"$U/v2/interop/index2/manifests/$d_arm" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
check "pull it back with --all" sk copy --all "docker://$REG/interop/index2:list" "oci:$T/pull2:list"
check "index, children and blobs identical" pulled_same "$T/src" list "$T/pull2" list
check "pull without --all picks the amd64 child" sk copy --override-arch amd64 --override-os linux \
	"docker://$REG/interop/index2:list" "oci:$T/pull3:one"
check "which is the amd64 image" pulled_same "$T/src" amd64 "$T/pull3" one
check "inspect --override-arch arm64 resolves to the arm64 child" test \
	"$(sk inspect --override-arch arm64 --override-os linux "docker://$REG/interop/index2:list" | jq -r .Architecture)" = arm64

finish

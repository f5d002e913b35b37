#!/usr/bin/env bash
# Image indexes: `docker manifest create/push` (daemonless) makes a list
# of two pushed images; skopeo copy --all pulls it back with both children.
# Then skopeo copy --all pushes an index from an OCI layout, byte for byte.
#
# The two images docker lists are pushed as Docker schema 2 manifests
# (skopeo --format v2s2): every docker that has `docker manifest` accepts
# those, while docker before 23 (Debian bookworm's docker.io 20.10, which
# tools/install-deps installs where no docker is) refuses to list OCI
# image manifests.  The OCI index path is the second half of the suite.
source "$(dirname "$0")/common.sh"
start_registry || exit 1
U=$berth_url

ARCH=amd64 make_image "$T/src" amd64 ishared:600K iamd:2M
ARCH=arm64 make_image "$T/src" arm64 ishared:600K iarm:1500K
make_index "$T/src" list amd64 arm64
d_amd=$(layout_digest "$T/src" amd64)
d_arm=$(layout_digest "$T/src" arm64)

check "push the amd64 image (Docker schema 2)" sk copy --format v2s2 \
	"oci:$T/src:amd64" "docker://$REG/interop/index:amd64"
check "push the arm64 image (Docker schema 2)" sk copy --format v2s2 \
	"oci:$T/src:arm64" "docker://$REG/interop/index:arm64"
v_amd=$(reg_digest interop/index amd64)
v_arm=$(reg_digest interop/index arm64)
check "the registry holds them as Docker schema 2" bash -c \
	"sk inspect --raw 'docker://$REG/interop/index:amd64' |
	 jq -e '.mediaType == \"application/vnd.docker.distribution.manifest.v2+json\"'"

# same_content SRC_DIGEST MANIFEST DIR: MANIFEST (a child skopeo wrote to
# the dir: copy DIR) names the config and layers of SRC_DIGEST in the
# source layout, and DIR holds them byte for byte.
same_content() {
	local want got dg
	want=$(jq -r '.config.digest, .layers[].digest' "$(layout_blob "$T/src" "$1")")
	got=$(jq -r '.config.digest, .layers[].digest' "$2")
	[ "$want" = "$got" ] || { echo "config/layers differ: $want vs $got"; return 1; }
	for dg in $want; do
		cmp "$(layout_blob "$T/src" "$dg")" "$3/${dg#sha256:}" || return 1
	done
}

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
check "its children are the two pushed images" test \
	"$(jq -r '.manifests[].digest' "$T/multi.json" | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "$v_amd" "$v_arm" | sort | tr '\n' ' ')"
check "children carry their platforms" test \
	"$(jq -r '.manifests[] | .platform.architecture + "=" + .digest' "$T/multi.json" | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "amd64=$v_amd" "arm64=$v_arm" | sort | tr '\n' ' ')"
check "skopeo copy --all pulls the index" sk copy --all \
	"docker://$REG/interop/index:multi" "dir:$T/pull"
check "pulled index is the server's, byte for byte" cmp "$T/pull/manifest.json" "$T/multi.json"
check "amd64 child: the pushed manifest, with the source's config and layers" \
	same_content "$d_amd" "$T/pull/${v_amd#sha256:}.manifest.json" "$T/pull"
check "arm64 child: the pushed manifest, with the source's config and layers" \
	same_content "$d_arm" "$T/pull/${v_arm#sha256:}.manifest.json" "$T/pull"
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

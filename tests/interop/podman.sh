#!/usr/bin/env bash
# podman (vfs storage under $T) against the server: pull an image skopeo
# pushed, push it to another repository (podman mounts the layers across
# repositories), push it as OCI, pull again; digests checked with skopeo.
source "$(dirname "$0")/common.sh"
start_registry || exit 1
U=$berth_url

make_image "$T/src" v1 pbase:700K pdata:4M
want=$(layout_digest "$T/src" v1)
check "skopeo pushes the image" sk copy "oci:$T/src:v1" "docker://$REG/interop/podman:v1"

check "podman pull" pm pull --tls-verify=false "$REG/interop/podman:v1"
check "pulled image has the pushed manifest digest" bash -c \
	"$(declare -f pm); T='$T'; pm image inspect --format '{{.Digest}}' '$REG/interop/podman:v1' | grep -qx '$want'"
check "podman tag" pm tag "$REG/interop/podman:v1" "$REG/interop/other:pushed"
check "podman push to another repository" pm push --tls-verify=false "$REG/interop/other:pushed"

# the layers arrived in interop/other (by mount or by upload) intact
for dg in $(jq -r '.layers[].digest, .config.digest' "$(layout_blob "$T/src" "$want")"); do
	expect_status "interop/other has blob ${dg:7:12}" 200 HEAD "$U/v2/interop/other/blobs/$dg"
done
other=$(reg_digest interop/other pushed)
check "pushed manifest is an image manifest" bash -c \
	"curl -s '$U/v2/interop/other/manifests/pushed' -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' | jq -e '.layers | length == 2'"
check "skopeo inspect of the podman push: digest" test \
	"$(sk inspect "docker://$REG/interop/other:pushed" | jq -r .Digest)" = "$other"
check "pull the podman push with skopeo" sk copy "docker://$REG/interop/other:pushed" "dir:$T/dir-other"
check "its blobs hash to their digests" dir_blobs_ok "$T/dir-other"
check "its layers are the source layers" test \
	"$(jq -r '.layers[].digest' "$T/dir-other/manifest.json")" = \
	"$(jq -r '.layers[].digest' "$(layout_blob "$T/src" "$want")")"

check "podman push --format oci" pm push --tls-verify=false --format oci \
	"$REG/interop/other:pushed" "$REG/interop/other:oci"
sk inspect --raw "docker://$REG/interop/other:oci" > "$T/oci.json"
check "the oci push is an OCI manifest" test \
	"$(jq -r .mediaType "$T/oci.json")" = application/vnd.oci.image.manifest.v1+json
check "its digest is the sha256 of its bytes" test \
	"$(reg_digest interop/other oci)" = "$(sha256_of "$T/oci.json")"

check "podman rmi" pm rmi -a -f
check "podman pull the oci push again" pm pull --tls-verify=false "$REG/interop/other:oci"
check "pulled digest matches the server's" bash -c \
	"$(declare -f pm); T='$T'; pm image inspect --format '{{.Digest}}' '$REG/interop/other:oci' | grep -qx '$(reg_digest interop/other oci)'"
check "podman pull by digest" pm pull --tls-verify=false "$REG/interop/podman@$want"
check "list-tags of the second repository" test \
	"$(sk list-tags "docker://$REG/interop/other" | jq -c '.Tags | sort')" = '["oci","pushed"]'

finish

# tests/interop/images.sh - deterministic OCI image layouts built by hand.
#
# Source it (tests/interop/common.sh does).  Everything here is byte-for-
# byte reproducible: layer contents come from a keyed stream cipher over
# zeros (so "random" data is the same on every run and every machine),
# tar runs with fixed order, times and owners, and gzip stores no name or
# time.  Two images that name the same layer get the same blob, which is
# how the tests exercise shared layers and cross-repository mounts.
#
#   make_image DIR TAG LAYER...     add an image manifest tagged TAG to the
#                                   OCI layout DIR (created if needed);
#                                   LAYER is NAME:SIZE (bytes, or with a K/M
#                                   suffix).  ARCH (default amd64) sets the
#                                   platform in the config.
#   make_index DIR TAG CHILDTAG...  add an image index tagged TAG whose
#                                   entries are the manifests of CHILDTAGs
#                                   (already in DIR), with their platforms
#   layout_digest DIR TAG           digest of the manifest/index tagged TAG
#   layout_blob DIR DIGEST          path of a blob in the layout
#   layout_blobs DIR DIGEST         every blob digest a manifest or index
#                                   references, recursively, itself included

# _size_bytes 20M -> 20971520
_size_bytes() {
	case $1 in
	*K) echo $(( ${1%K} * 1024 )) ;;
	*M) echo $(( ${1%M} * 1024 * 1024 )) ;;
	*) echo "$1" ;;
	esac
}

# _det_bytes KEY SIZE: SIZE pseudo-random bytes determined by KEY.
_det_bytes() {
	head -c "$2" /dev/zero |
		openssl enc -aes-256-ctr -nosalt -pbkdf2 -iter 1 -pass "pass:$1" 2>/dev/null |
		head -c "$2"
}

# _add_blob DIR FILE: move FILE into DIR/blobs/sha256, print "digest size".
_add_blob() {
	local dir=$1 file=$2 hex size
	hex=$(sha256sum "$file" | cut -c1-64)
	size=$(stat -c %s "$file")
	mkdir -p "$dir/blobs/sha256"
	mv -f "$file" "$dir/blobs/sha256/$hex"
	echo "sha256:$hex $size"
}

# _init_layout DIR
_init_layout() {
	mkdir -p "$1/blobs/sha256"
	[ -f "$1/oci-layout" ] || printf '{"imageLayoutVersion":"1.0.0"}' > "$1/oci-layout"
	[ -f "$1/index.json" ] ||
		printf '{"schemaVersion":2,"manifests":[]}' > "$1/index.json"
}

# _tag DIR TAG MEDIATYPE DIGEST SIZE [PLATFORM-JSON]: point TAG at a blob.
_tag() {
	local dir=$1 tag=$2 mt=$3 dg=$4 size=$5 plat=${6:-null}
	jq -c --arg tag "$tag" --arg mt "$mt" --arg dg "$dg" --argjson size "$size" \
		--argjson plat "$plat" '
		.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] != $tag))
		| .manifests += [{mediaType: $mt, digest: $dg, size: $size,
			annotations: {"org.opencontainers.image.ref.name": $tag}}
			+ (if $plat == null then {} else {platform: $plat} end)]' \
		"$dir/index.json" > "$dir/index.json.new"
	mv "$dir/index.json.new" "$dir/index.json"
}

make_image() {
	local dir=$1 tag=$2; shift 2
	local arch=${ARCH:-amd64} spec name size work layers=() diffids=() i=0
	_init_layout "$dir"
	work=$(mktemp -d "$dir/.work.XXXXXX")
	for spec in "$@"; do
		name=${spec%%:*}
		size=$(_size_bytes "${spec#*:}")
		mkdir -p "$work/l$i/data"
		_det_bytes "$name" "$size" > "$work/l$i/data/$name.bin"
		printf '%s\n' "$name" > "$work/l$i/data/$name.txt"
		tar -C "$work/l$i" --sort=name --mtime=@0 --owner=0 --group=0 \
			--numeric-owner --format=gnu --mode=u=rwX,go=rX -cf "$work/l$i.tar" data
		diffids+=("$(sha256_of "$work/l$i.tar")")
		gzip -n -6 < "$work/l$i.tar" > "$work/l$i.tar.gz"
		layers+=("$(_add_blob "$dir" "$work/l$i.tar.gz")")
		i=$((i + 1))
	done
	# config: the diff_ids of the layers plus the tag and platform, so every
	# image made with a different tag or arch has its own config blob
	printf '%s\n' "${diffids[@]}" | jq -R . | jq -cs --arg arch "$arch" --arg tag "$tag" '{
		created: "1970-01-01T00:00:00Z", architecture: $arch, os: "linux",
		config: {Env: ["PATH=/usr/bin", ("IMAGE=" + $tag)], Cmd: ["/data"]},
		rootfs: {type: "layers", diff_ids: .},
		history: [.[] | {created: "1970-01-01T00:00:00Z", created_by: "interop test layer"}]
		}' > "$work/config.json"
	local cfg
	cfg=$(_add_blob "$dir" "$work/config.json")
	printf '%s\n' "${layers[@]}" | jq -cRs --arg cfg "$cfg" '
		def desc(mt): split(" ") as $p | {mediaType: mt, digest: $p[0], size: ($p[1] | tonumber)};
		{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		 config: ($cfg | desc("application/vnd.oci.image.config.v1+json")),
		 layers: [split("\n")[] | select(. != "") | desc("application/vnd.oci.image.layer.v1.tar+gzip")]}' \
		| tr -d '\n' > "$work/manifest.json"
	local man
	man=$(_add_blob "$dir" "$work/manifest.json")
	_tag "$dir" "$tag" application/vnd.oci.image.manifest.v1+json ${man% *} ${man#* } \
		"{\"architecture\":\"$arch\",\"os\":\"linux\"}"
	rm -rf "$work"
}

make_index() {
	local dir=$1 tag=$2; shift 2
	local child entries='[]' e
	for child in "$@"; do
		e=$(jq -c --arg t "$child" '.manifests[]
			| select(.annotations["org.opencontainers.image.ref.name"] == $t)
			| {mediaType, digest, size, platform}' "$dir/index.json")
		[ -n "$e" ] || { echo "make_index: no tag $child in $dir" >&2; return 1; }
		entries=$(jq -c --argjson e "$e" '. + [$e]' <<< "$entries")
	done
	jq -cn --argjson m "$entries" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json", manifests: $m}' |
		tr -d '\n' > "$dir/.index.json.blob"
	local idx
	idx=$(_add_blob "$dir" "$dir/.index.json.blob")
	_tag "$dir" "$tag" application/vnd.oci.image.index.v1+json ${idx% *} ${idx#* }
}

layout_digest() {
	jq -r --arg t "$2" '.manifests[]
		| select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
		"$1/index.json" | head -1
}

layout_blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }

layout_blobs() {
	local dir=$1 dg=$2 f
	f=$(layout_blob "$dir" "$dg")
	echo "$dg"
	[ -f "$f" ] || return 0
	case $(jq -r '.mediaType // ""' "$f" 2>/dev/null) in
	*index*|*manifest.list*)
		for c in $(jq -r '.manifests[].digest' "$f"); do layout_blobs "$dir" "$c"; done ;;
	*manifest*)
		jq -r '.config.digest, .layers[].digest' "$f" ;;
	esac
}

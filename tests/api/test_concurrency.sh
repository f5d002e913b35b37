#!/usr/bin/env bash
# Many clients pushing the same blobs, manifests and tags at once: every
# request succeeds, every tag points at a complete manifest, every blob
# reads back with its digest, and no upload is left behind.
source "$(dirname "$0")/../lib.sh"
start_berth || exit 1
U=$berth_url
JOBS=16
REPOS=4

for i in 1 2 3 4 5; do head -c $((200000 * i)) /dev/urandom > "$T/layer$i"; done
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$T/config"

# push_one JOB: upload the config and five layers (streamed PATCH + PUT),
# then a manifest under tags "latest" and "job-JOB".
push_one() {
	local job=$1 repo=conc/r$(( $1 % REPOS )) f dg loc code layers=""
	for f in config layer1 layer2 layer3 layer4 layer5; do
		dg=$(sha256_of "$T/$f")
		loc=$(curl -s -o /dev/null -D - -X POST "$U/v2/$repo/blobs/uploads/" |
			sed -n 's/^[Ll]ocation: *\(.*\)\r$/\1/p')
		case "$loc" in http*) ;; *) loc=$U$loc ;; esac
		loc=$(curl -s -o /dev/null -D - -X PATCH --data-binary "@$T/$f" "$loc" |
			sed -n 's/^[Ll]ocation: *\(.*\)\r$/\1/p')
		case "$loc" in http*) ;; *) loc=$U$loc ;; esac
		code=$(curl -s -o /dev/null -w "%{http_code}" -X PUT "$(with_query "$loc" digest=$dg)")
		[ "$code" = 201 ] || { echo "job $job: blob $f PUT answered $code"; return 1; }
		[ "$f" = config ] && continue
		layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$dg\",\"size\":$(stat -c %s "$T/$f")}"
	done
	local m="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$(sha256_of "$T/config")\",\"size\":$(stat -c %s "$T/config")},\"layers\":[$layers],\"annotations\":{\"job\":\"$job\"}}"
	for tag in latest "job-$job"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
			-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
			--data-binary "$m" "$U/v2/$repo/manifests/$tag")
		[ "$code" = 201 ] || { echo "job $job: manifest $tag answered $code"; return 1; }
	done
}

pids=()
for j in $(seq 1 $JOBS); do push_one "$j" > "$T/job$j.out" 2>&1 & pids+=($!); done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
check "all $JOBS concurrent pushes succeed" test "$bad" = 0
[ "$bad" = 0 ] || cat "$T"/job*.out

# verify_repo REPO: every tag's manifest and each blob it names read back
# with the right digest.
verify_repo() {
	local repo=$1 tag m dg
	for tag in $(curl -s "$U/v2/$repo/tags/list" | jq -r '.tags[]'); do
		curl -s -o "$T/m" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
			-D "$T/mh" "$U/v2/$repo/manifests/$tag" || return 1
		dg=$(sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *\(.*\)\r$/\1/p' "$T/mh")
		[ "$dg" = "$(sha256_of "$T/m")" ] || { echo "$repo:$tag digest $dg"; return 1; }
		for dg in $(jq -r '.config.digest, .layers[].digest' < "$T/m"); do
			curl -s -o "$T/b" "$U/v2/$repo/blobs/$dg"
			[ "$(sha256_of "$T/b")" = "$dg" ] || { echo "$repo:$tag blob $dg"; return 1; }
		done
	done
}
for r in $(seq 0 $((REPOS - 1))); do
	check "repository conc/r$r: every tag complete and readable" verify_repo conc/r$r
	n=$(curl -s "$U/v2/conc/r$r/tags/list" | jq '.tags | length')
	check "repository conc/r$r has latest plus one tag per job" \
		test "$n" = $(( 1 + $(seq 1 $JOBS | awk -v r=$r -v R=$REPOS '$1 % R == r' | wc -l) ))
done
check "no upload left behind" \
	test -z "$(find "$berth_root" -path '*/_uploads/*' -print -quit)"
check "no temporary files left behind" \
	test -z "$(find "$berth_root" -name '*~*' -print -quit)"
finish

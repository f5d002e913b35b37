# requests.sh - small requests under load: manifest GET and blob HEAD with
# berth-load, CONNS concurrent keep-alive connections for LOAD_SECS
# seconds (req/s, p50, p99, errors), and each server's peak RSS under it.
# Also writes the small image (config, layer, manifest in $W/image) that
# lists.sh copies into 10,000 repositories.
# Sourced by bench.sh.

# push_small URL REPO FILE: a small blob, monolithic POST+PUT.
push_small() {
	local loc code
	loc=$(upload_start "$1" "$2")
	code=$(curl -s -o "$W/resp" -w '%{http_code}' -X PUT \
		-H 'Content-Type: application/octet-stream' --data-binary "@$3" \
		"$(with_q "$loc" "digest=sha256:$(sha256sum "$3" | cut -c1-64)")")
	[ "$code" = 201 ] || { echo "bench: PUT blob $1/$2: $code $(head -c 300 "$W/resp")" >&2; return 1; }
}

make_image() {
	local d=$W/image
	mkdir -p "$d"
	head -c 1024 /dev/urandom > "$d/layer"
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$(sha256sum "$d/layer" | cut -c1-64)" > "$d/config"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
		"$(sha256sum "$d/config" | cut -c1-64)" "$(stat -c %s "$d/config")" \
		"$(sha256sum "$d/layer" | cut -c1-64)" "$(stat -c %s "$d/layer")" > "$d/manifest"
	LAYER_DG=sha256:$(sha256sum "$d/layer" | cut -c1-64)
}

# load_rec FIGURE TARGET JSON: requests per second, p50, p99, errors.
load_rec() {
	local k
	for k in rps p50_ms p99_ms errors; do
		rec "${1}_$k" "$2" "$(jq -r ".$k" <<< "$3")"
	done
}

wl_requests() {
	local r t j code mt=application/vnd.oci.image.manifest.v1+json
	make_image
	for t in "${TARGETS[@]}"; do
		push_small "${URL[$t]}" bench/small "$W/image/config"
		push_small "${URL[$t]}" bench/small "$W/image/layer"
		code=$(curl -s -o "$W/resp" -w '%{http_code}' -X PUT -H "Content-Type: $mt" \
			--data-binary "@$W/image/manifest" "${URL[$t]}/v2/bench/small/manifests/v1")
		[ "$code" = 201 ] || { echo "bench: PUT manifest on $t: $code $(head -c 300 "$W/resp")" >&2; return 1; }
	done
	for r in $(seq 1 "$REPS"); do
		for t in "${TARGETS[@]}"; do
			hwm_reset "${PID[$t]}"
			j=$("$LOAD" -c "$CONNS" -d "$LOAD_SECS" -m GET -H "Accept: $mt" \
				"${URL[$t]}/v2/bench/small/manifests/v1")
			load_rec manifest_get "$t" "$j"
			j=$("$LOAD" -c "$CONNS" -d "$LOAD_SECS" -m HEAD \
				"${URL[$t]}/v2/bench/small/blobs/$LAYER_DG")
			load_rec blob_head "$t" "$j"
			rec rss_peak_requests_kib "$t" "$(hwm_kib "${PID[$t]}")"
		done
	done
}

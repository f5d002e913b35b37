# skopeo.sh - a real client: skopeo push and pull of a 20-layer image
# (wall time), and 16 concurrent skopeo pushes of 16 different 20-layer
# images.  Every repetition makes new images (mkimage.py: fresh random
# layers), so neither registry nor skopeo's blob cache has seen them.
# Sourced by bench.sh.

SK_LAYERS=20
SK_CONC=16

wl_skopeo() {
	local r t i t0 t1 fails
	local -a jobs
	for r in $(seq 1 "$REPS"); do
		rm -rf "$W/sk"
		python3 "$HERE/mkimage.py" "$W/sk/one" "$SK_LAYERS" "$SK_LAYER"
		jobs=()
		for i in $(seq 1 "$SK_CONC"); do
			python3 "$HERE/mkimage.py" "$W/sk/c$i" "$SK_LAYERS" "$SK_CONC_LAYER" &
			jobs+=($!)
		done
		for i in "${jobs[@]}"; do wait "$i"; done
		for t in "${TARGETS[@]}"; do
			t0=$(now)
			skopeo copy -q --dest-tls-verify=false "oci:$W/sk/one:v1" \
				"docker://${URL[$t]#http://}/bench/sk$r:v1"
			t1=$(now)
			rec skopeo_push_s "$t" "$(elapsed "$t0" "$t1")"
			t0=$(now)
			skopeo copy -q --src-tls-verify=false \
				"docker://${URL[$t]#http://}/bench/sk$r:v1" "oci:$W/sk/pull-$t:v1"
			t1=$(now)
			rec skopeo_pull_s "$t" "$(elapsed "$t0" "$t1")"
			jobs=()
			t0=$(now)
			for i in $(seq 1 "$SK_CONC"); do
				skopeo copy -q --dest-tls-verify=false "oci:$W/sk/c$i:v1" \
					"docker://${URL[$t]#http://}/bench/skc$r-$i:v1" \
					> "$W/sk/c$i-$t.log" 2>&1 &
				jobs+=($!)
			done
			fails=0
			for i in "${jobs[@]}"; do wait "$i" || fails=$((fails + 1)); done
			t1=$(now)
			[ "$fails" = 0 ] || { echo "bench: $fails concurrent skopeo pushes to $t failed:" >&2; cat "$W"/sk/c*-"$t".log >&2; return 1; }
			rec skopeo_push16_s "$t" "$(elapsed "$t0" "$t1")"
		done
	done
	rm -rf "$W/sk"
}

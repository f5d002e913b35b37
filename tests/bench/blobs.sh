# blobs.sh - a BLOB_MIB MiB random blob: pushed monolithically (one PUT,
# curl -T streams the file) and in CHUNK_MIB MiB chunks (PATCH with
# Content-Range, then an empty PUT), then pulled; nginx serves the same
# file as the reference for pulls.  Each repetition first measures the
# disk's synced write of a new file, kept until the end like the pushed
# blobs, as the reference for pushes.  Peak RSS of each server over the
# transfers of a repetition.  Every push is of content new to the
# registry: each repetition changes the blob's first bytes.
# Sourced by bench.sh.

# location URL: absolute Location of the response headers in $W/hdr.
location() {
	local loc
	loc=$(sed -n 's/^[Ll]ocation: *\(.*\)\r$/\1/p' "$W/hdr" | tail -1)
	case "$loc" in http*) echo "$loc" ;; *) echo "$1$loc" ;; esac
}
with_q() { case "$1" in *\?*) echo "$1&$2" ;; *) echo "$1?$2" ;; esac; }

# upload_start URL REPO: POST an upload; prints its Location.
upload_start() {
	local code
	code=$(curl -s -D "$W/hdr" -o "$W/resp" -w '%{http_code}' -X POST \
		"$1/v2/$2/blobs/uploads/")
	[ "$code" = 202 ] || { echo "bench: POST upload $1/$2: $code $(head -c 300 "$W/resp")" >&2; return 1; }
	location "$1"
}

# push_mono URL REPO FILE DIGEST
push_mono() {
	local loc code
	loc=$(upload_start "$1" "$2")
	code=$(curl -s -D "$W/hdr" -o "$W/resp" -w '%{http_code}' -H 'Expect:' \
		-H 'Content-Type: application/octet-stream' -T "$3" \
		"$(with_q "$loc" "digest=$4")")
	[ "$code" = 201 ] || { echo "bench: PUT $1/$2: $code $(head -c 300 "$W/resp")" >&2; return 1; }
}

# push_chunked URL REPO DIGEST: the chunk files in $W/chunks, in order, on
# one keep-alive connection (push_chunked.py); prints seconds.
push_chunked() {
	python3 "$HERE/push_chunked.py" "$1" "$2" "$3" "$W"/chunks/c*
}

# disk_write FILE: a synced write of BLOB_MIB MiB to the new FILE; MB/s.
disk_write() {
	local t0 t1
	sync
	t0=$(now)
	dd if=/dev/zero of="$1" bs=1M count="$BLOB_MIB" conv=fdatasync status=none
	t1=$(now)
	rate "$((BLOB_MIB << 20))" "$t0" "$t1"
}

# pull URL BYTES: GET to /dev/null; prints seconds, fails on a short body.
pull() {
	local out
	out=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$1")
	set -- $out "$2"
	[ "$1" = 200 ] && [ "$2" = "$4" ] || { echo "bench: pull: status $1, $2 of $4 bytes" >&2; return 1; }
	echo "$3"
}

# cpu_s PID: user + system CPU seconds the process has used so far.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# variant TAG: give the blob new first bytes; sets $dg.
variant() {
	printf '%-16s' "$1" | dd of="$W/blob" conv=notrunc status=none
	dg=sha256:$(openssl dgst -sha256 -r "$W/blob" | cut -c1-64)
}

wl_blobs() {
	local r t t0 t1 c0 s dg order bytes=$((BLOB_MIB << 20))
	say "  making a $BLOB_MIB MiB random blob"
	head -c "$bytes" /dev/urandom > "$W/blob"
	mkdir -p "$W/chunks" "$W/www"
	(cd "$W/chunks" && split -b "${CHUNK_MIB}M" -d -a 5 "$W/blob" c)
	ln "$W/blob" "$W/www/blob"
	start_nginx "$W/www"
	for r in $(seq 1 "$REPS"); do
		for t in "${TARGETS[@]}"; do hwm_reset "${PID[$t]}"; done
		rec disk_write_sync_MBps machine "$(disk_write "$W/disk$r")"
		# Pushes take turns going first: how fast the disk takes new
		# blocks drifts within a run, and whoever wrote first in every
		# repetition would be favoured.
		order=("${TARGETS[@]}")
		[ $((r % 2)) = 1 ] || order=("${TARGETS[1]}" "${TARGETS[0]}")
		variant "mono-$r"
		for t in "${order[@]}"; do
			sync
			c0=$(cpu_s "${PID[$t]}")
			t0=$(now)
			push_mono "${URL[$t]}" "bench/mono$r" "$W/blob" "$dg"
			t1=$(now)
			rec push_mono_MBps "$t" "$(rate "$bytes" "$t0" "$t1")"
			rec push_mono_cpu_s "$t" "$(awk -v a="$c0" -v z="$(cpu_s "${PID[$t]}")" 'BEGIN { printf "%.2f", z - a }')"
		done
		variant "chunked-$r"
		dd if="$W/blob" of="$W/chunks/c00000" bs="${CHUNK_MIB}M" count=1 status=none
		for t in "${order[@]}"; do
			sync
			s=$(push_chunked "${URL[$t]}" "bench/chunked$r" "$dg")
			rec push_chunked_MBps "$t" "$(awk -v b="$bytes" -v s="$s" 'BEGIN { printf "%.1f", b / s / 1e6 }')"
		done
		for t in "${TARGETS[@]}"; do
			if [ "$r" = 1 ]; then # correctness, once: the bytes come back
				s=sha256:$(curl -s "${URL[$t]}/v2/bench/chunked$r/blobs/$dg" |
					openssl dgst -sha256 -r | cut -c1-64)
				[ "$s" = "$dg" ] || { echo "bench: $t returned $s for $dg" >&2; return 1; }
			fi
			s=$(pull "${URL[$t]}/v2/bench/chunked$r/blobs/$dg" "$bytes")
			rec pull_MBps "$t" "$(awk -v b="$bytes" -v s="$s" 'BEGIN { printf "%.1f", b / s / 1e6 }')"
			rec rss_peak_transfer_kib "$t" "$(hwm_kib "${PID[$t]}")"
		done
		s=$(pull "${URL[nginx]}/blob" "$bytes")
		rec pull_MBps nginx "$(awk -v b="$bytes" -v s="$s" 'BEGIN { printf "%.1f", b / s / 1e6 }')"
	done
	rm -rf "$W/chunks" "$W"/disk*
}

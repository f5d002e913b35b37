# machine.sh - the machine's own limits, measured in the same run as the
# registries: what a registry could reach at best.
#   sha256_8k_MBps      openssl speed -evp sha256, 8 KiB blocks (one core)
#   cache_read_MBps     reading a BLOB_MIB MiB file back from the page cache
# The synced disk write is measured by blobs.sh, between the pushes it is
# the reference for: on a virtual disk, writing blocks the filesystem just
# freed can run several times faster than writing new ones, and a push
# writes new ones.
# Sourced by bench.sh.

wl_machine() {
	local r v t0 t1 f=$W/cachetest bytes=$((BLOB_MIB << 20))
	for r in $(seq 1 "$REPS"); do
		v=$(openssl speed -seconds "$SPEED_SECS" -bytes 8192 -evp sha256 \
			2>/dev/null | awk '$1 == "sha256" { sub(/k$/, "", $NF); printf "%.1f", $NF / 1000 }')
		rec sha256_8k_MBps machine "$v"
		dd if=/dev/zero of="$f" bs=1M count="$BLOB_MIB" status=none
		t0=$(now)
		dd if="$f" of=/dev/null bs=1M status=none
		t1=$(now)
		rec cache_read_MBps machine "$(rate "$bytes" "$t0" "$t1")"
		rm -f "$f"
	done
}

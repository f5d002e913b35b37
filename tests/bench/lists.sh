# lists.sh - tag list and catalog at LIST_COUNT entries: the first page
# (n=100) and a full walk following Link headers (n=100 per page), plus
# the first page of a repository with 100 tags and of the catalog with
# 100 repositories before the LIST_COUNT exist, to see whether the costs
# depend on the total.  The repositories and tags are written straight
# into each registry's root (mklayout.py; both read the same layout).
# Sourced by bench.sh; needs $W/image from requests.sh.

wl_lists() {
	local r t out
	# the first catalog page with 100 repositories, then with 10,000 in
	# the same parent directory (the same names come first in both)
	for t in "${TARGETS[@]}"; do
		python3 "$HERE/mklayout.py" "${ROOT[$t]}" "$W/image" --repos bench/many 100
	done
	sync
	for t in "${TARGETS[@]}"; do
		rec catalog_first_small_ms "$t" "$(python3 "$HERE/walk.py" first \
			"${URL[$t]}/v2/_catalog?n=100" 20 | awk '{ printf "%.3f", $1 * 1000 }')"
	done
	say "  writing $LIST_COUNT repositories and tags into each root"
	for t in "${TARGETS[@]}"; do
		python3 "$HERE/mklayout.py" "${ROOT[$t]}" "$W/image" --repos bench/many "$LIST_COUNT"
		python3 "$HERE/mklayout.py" "${ROOT[$t]}" "$W/image" --tags bench/tags-many "$LIST_COUNT"
		python3 "$HERE/mklayout.py" "${ROOT[$t]}" "$W/image" --tags bench/tags-few 100
	done
	sync
	for r in $(seq 1 "$REPS"); do
		for t in "${TARGETS[@]}"; do
			rec tags_first_100_ms "$t" "$(python3 "$HERE/walk.py" first \
				"${URL[$t]}/v2/bench/tags-few/tags/list?n=100" 20 | awk '{ printf "%.3f", $1 * 1000 }')"
			rec tags_first_many_ms "$t" "$(python3 "$HERE/walk.py" first \
				"${URL[$t]}/v2/bench/tags-many/tags/list?n=100" 20 | awk '{ printf "%.3f", $1 * 1000 }')"
			out=$(python3 "$HERE/walk.py" walk "${URL[$t]}/v2/bench/tags-many/tags/list?n=100")
			set -- $out
			rec tags_walk_s "$t" "$1"
			rec tags_walk_pages "$t" "$2"
			rec tags_walk_items "$t" "$3"
			rec catalog_first_many_ms "$t" "$(python3 "$HERE/walk.py" first \
				"${URL[$t]}/v2/_catalog?n=100" 20 | awk '{ printf "%.3f", $1 * 1000 }')"
			out=$(python3 "$HERE/walk.py" walk "${URL[$t]}/v2/_catalog?n=100")
			set -- $out
			rec catalog_walk_s "$t" "$1"
			rec catalog_walk_pages "$t" "$2"
			rec catalog_walk_items "$t" "$3"
		done
	done
}

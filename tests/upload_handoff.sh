# tests/upload_handoff.sh - one upload continued by two servers on the same
# storage.  Each server remembers where it left an upload (the hash state,
# and on S3 the multipart upload); these checks make the other server
# change the upload behind its back and assert that the first one notices.
# Source after tests/lib.sh; call handoff_checks URL_A URL_B CHUNK_BYTES
# [GONE_FN]: GONE_FN REPO ID (optional) succeeds when nothing of the
# upload is left in storage.

# handoff_patch URL_BASE UPLOAD_PATH FILE FROM: PATCH FILE as the bytes
# starting at FROM; sets $status and the headers (lib.sh http).
handoff_patch() {
	local size
	size=$(stat -c %s "$3")
	http PATCH "$1$2" -H 'Content-Type: application/octet-stream' \
		-H "Content-Range: $4-$(($4 + size - 1))" --data-binary "@$3"
}

# handoff_start URL REPO: POST a new upload; prints its path (no host).
handoff_start() {
	http POST "$1/v2/$2/blobs/uploads/"
	header Location | sed 's|^https\?://[^/]*||'
}

handoff_checks() {
	local A=$1 B=$2 chunk=$3 gone=${4:-}
	local d=$T/handoff repo=handoff/app
	mkdir -p "$d"
	head -c $((chunk * 4)) /dev/urandom > "$d/blob"
	local i
	for i in 0 1 2 3; do
		dd if="$d/blob" of="$d/c$i" bs="$chunk" skip=$i count=1 status=none
	done
	local dg
	dg=$(sha256_of "$d/blob")

	# 1. chunks alternate between the servers, each continues the other's
	local up
	up=$(handoff_start "$A" "$repo")
	handoff_patch "$A" "$up" "$d/c0" 0
	[ "$status" = 202 ] || fail "handoff: first chunk on server A" "status $status"
	handoff_patch "$B" "$up" "$d/c1" "$chunk"
	[ "$status" = 202 ] && pass "handoff: server B continues server A's upload" ||
		fail "handoff: server B continues server A's upload" "status $status: $(head -c 300 "$T/body")"
	# A remembers the upload at one chunk; storage holds two
	http GET "$A$up"
	check "handoff: server A's status shows server B's bytes" \
		test "$status $(header Range)" = "204 0-$((2 * chunk - 1))"
	handoff_patch "$A" "$up" "$d/c2" $((2 * chunk))
	[ "$status" = 202 ] && pass "handoff: server A appends after server B's chunk" ||
		fail "handoff: server A appends after server B's chunk" "status $status: $(head -c 300 "$T/body")"
	handoff_patch "$A" "$up" "$d/c3" $((2 * chunk))
	[ "$status" = 416 ] && pass "handoff: a chunk at a stale offset is refused (416)" ||
		fail "handoff: a chunk at a stale offset is refused (416)" "status $status"
	handoff_patch "$B" "$up" "$d/c3" $((3 * chunk))
	[ "$status" = 202 ] || fail "handoff: last chunk on server B" "status $status"
	http PUT "$A$(with_query "$up" "digest=$dg")"
	[ "$status" = 201 ] && pass "handoff: server A closes the upload with the right digest" ||
		fail "handoff: server A closes the upload with the right digest" "status $status: $(head -c 300 "$T/body")"
	curl -sL "$B/v2/$repo/blobs/$dg" -o "$d/got"
	check "handoff: the stored blob is the bytes sent" cmp -s "$d/blob" "$d/got"

	# 2. an upload cancelled on B is gone for A, which remembered it
	up=$(handoff_start "$A" "$repo")
	handoff_patch "$A" "$up" "$d/c0" 0
	local id=${up##*/}
	id=${id%%\?*}
	expect_status "handoff: server B cancels it" 204 DELETE "$B$up"
	handoff_patch "$A" "$up" "$d/c1" "$chunk"
	local code
	code=$(jq -r '.errors[0].code' < "$T/body" 2>/dev/null)
	[ "$status $code" = "404 BLOB_UPLOAD_UNKNOWN" ] &&
		pass "handoff: server A refuses a chunk for the cancelled upload" ||
		fail "handoff: server A refuses a chunk for the cancelled upload" "got $status $code"
	expect_error "handoff: ... and its status" 404 BLOB_UPLOAD_UNKNOWN GET "$A$up"
	if [ -n "$gone" ]; then
		check "handoff: nothing of the cancelled upload is left" "$gone" "$repo" "$id"
	fi

	# 3. a wrong digest after a handoff stores nothing
	up=$(handoff_start "$B" "$repo")
	handoff_patch "$B" "$up" "$d/c0" 0
	handoff_patch "$A" "$up" "$d/c1" "$chunk"
	local wrong
	wrong=$(sha256_of "$d/c0")
	http PUT "$B$(with_query "$up" "digest=$wrong")"
	code=$(jq -r '.errors[0].code' < "$T/body" 2>/dev/null)
	[ "$status $code" = "400 DIGEST_INVALID" ] &&
		pass "handoff: a wrong digest is refused after a handoff" ||
		fail "handoff: a wrong digest is refused after a handoff" "got $status $code"
	expect_status "handoff: ... and no blob is stored" 404 HEAD "$A/v2/$repo/blobs/$wrong"
}

# tests/push.sh - pushing images with curl alone, in every upload style the
# API offers, for the suites that corrupt, crash or starve the storage
# (tests/api/test_check.sh, test_faults.sh, tests/interop/crashloop.sh).
# Source it after tests/lib.sh.  Every function takes the registry URL
# from $1 rather than $berth_url, so concurrent clients can be pointed at
# a server that restarts, and returns non-zero on any unexpected answer
# (the last status and body are left in $P/<pid>.status, .body, keyed by
# the calling process, so clients running in parallel do not mix them).
#
#   pblob URL REPO FILE MODE [CHUNK]   upload FILE as a blob; MODE is mono
#                                      (POST ?digest=), stream (POST, PATCH
#                                      without Content-Range, PUT), chunked
#                                      (PATCHes of CHUNK bytes with
#                                      Content-Range, resuming from the
#                                      server's Range after a failure, and,
#                                      with PUSH_LOCFILE naming the upload
#                                      an earlier attempt left, from there)
#                                      or
#                                      put (POST, then PUT with the body)
#   pmanifest DIR CONFIG LAYER...      write DIR/manifest.json, an OCI image
#                                      manifest of those files
#   pput URL REPO REF FILE             PUT a manifest; prints its digest
#   pimage URL REPO TAG DIR MODE SIZES make DIR/config.json and one random
#                                      layer per size (bytes) in DIR (once:
#                                      a retry pushes the same files, and
#                                      chunked uploads resume), push them
#                                      with MODE, then the manifest tagged
#                                      TAG; prints the digest
#   pverify URL REPO REF DIR           the manifest REF is DIR/manifest.json
#                                      byte for byte and every blob it names
#                                      GETs back identical

P=${P:-$T/push}
mkdir -p "$P"

# _pcurl ARGS...: curl with a time limit; status into $P/$pk.status
# ($pk: the public function's process, also inside $(...) subshells)
_pcurl() {
	local st
	# shellcheck disable=SC2086  # PUSH_CURL_ARGS: extra words, e.g. --limit-rate 1M
	st=$(curl -s -m "${PUSH_TIMEOUT:-60}" ${PUSH_CURL_ARGS:-} -o "$P/$pk.body" -D "$P/$pk.hdr" \
		-w '%{http_code}' "$@") || true
	echo "${st:-000}" > "$P/$pk.status"
	# PUSH_AUDIT: one line per answer, "<status> <first OCI error code or
	# NOBODY> <curl arguments> | <body>", for suites that judge every answer
	if [ -n "${PUSH_AUDIT:-}" ]; then
		local code
		code=$(jq -r '.errors[0].code // "NOCODE"' < "$P/$pk.body" 2>/dev/null) || code=NOBODY
		[ -s "$P/$pk.body" ] || code=NOBODY
		echo "${st:-000} ${code:-NOBODY} $(echo "$*" | cut -c1-200) | $(head -c 300 "$P/$pk.body" | tr -d '\n\000')" >> "$PUSH_AUDIT"
	fi
	echo "${st:-000}"
}

# _phdr NAME: a header of the last _pcurl answer in this process
_phdr() {
	grep -i "^$1:" "$P/$pk.hdr" 2>/dev/null | tail -1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}

# _ploc URL: absolute Location of the last answer
_ploc() {
	local l
	l=$(_phdr Location)
	case $l in "") return 1 ;; http*) echo "$l" ;; *) echo "$1$l" ;; esac
}

_pq() { case $1 in *\?*) echo "$1&$2" ;; *) echo "$1?$2" ;; esac; }

pblob() {
	local pk=${pk:-$BASHPID}
	local url=$1 repo=$2 file=$3 mode=$4 chunk=${5:-65536}
	local dg size st loc off n
	dg="sha256:$(sha256sum "$file" | cut -c1-64)"
	size=$(stat -c %s "$file")
	case $mode in
	mono)
		st=$(_pcurl -X POST -H 'Content-Type: application/octet-stream' \
			--data-binary "@$file" "$url/v2/$repo/blobs/uploads/?digest=$dg")
		[ "$st" = 201 ] ;;
	put)
		st=$(_pcurl -X POST "$url/v2/$repo/blobs/uploads/")
		[ "$st" = 202 ] || return 1
		loc=$(_ploc "$url") || return 1
		st=$(_pcurl -X PUT -H 'Content-Type: application/octet-stream' \
			--data-binary "@$file" "$(_pq "$loc" "digest=$dg")")
		[ "$st" = 201 ] ;;
	stream)
		st=$(_pcurl -X POST "$url/v2/$repo/blobs/uploads/")
		[ "$st" = 202 ] || return 1
		loc=$(_ploc "$url") || return 1
		st=$(_pcurl -X PATCH -H 'Content-Type: application/octet-stream' \
			--data-binary "@$file" "$loc")
		[ "$st" = 202 ] || return 1
		loc=$(_ploc "$url") || return 1
		st=$(_pcurl -X PUT "$(_pq "$loc" "digest=$dg")")
		[ "$st" = 201 ] ;;
	chunked)
		local locf=${PUSH_LOCFILE:-$P/$pk.loc} r
		off=
		# resume an upload an earlier attempt left, from the server's Range
		if [ -n "${PUSH_LOCFILE:-}" ] && [ -s "$locf" ]; then
			loc=$(cat "$locf")
			st=$(_pcurl "$loc")
			r=$(_phdr Range)
			if [ "$st" = 204 ]; then
				case $r in 0-0) off=0 ;; 0-[0-9]*) off=$(( ${r#0-} + 1 )) ;; esac
			fi
			[ -n "$off" ] && [ "$off" -le "$size" ] && echo "$loc $off" >> "${PUSH_RESUMED:-/dev/null}"
		fi
		if [ -z "$off" ] || [ "$off" -gt "$size" ]; then
			st=$(_pcurl -X POST "$url/v2/$repo/blobs/uploads/")
			[ "$st" = 202 ] || return 1
			loc=$(_ploc "$url") || return 1
			echo "$loc" > "$locf"
			off=0
		fi
		pchunks "$url" "$loc" "$file" "$chunk" "$off" || return 1
		loc=$(cat "$locf")
		st=$(_pcurl -X PUT "$(_pq "$loc" "digest=$dg")")
		[ "$st" = 201 ] ;;
	*) echo "pblob: unknown mode $mode" >&2; return 2 ;;
	esac
}

# pchunks URL LOC FILE CHUNK FROM: PATCH FILE from byte FROM in CHUNK-sized
# pieces; after a failed PATCH, ask the upload's status and go on from the
# server's Range (up to 5 times).  The current Location is kept in
# $PUSH_LOCFILE (default $P/$pk.loc) after every chunk.
pchunks() {
	local pk=${pk:-$BASHPID}
	local url=$1 loc=$2 file=$3 chunk=$4 off=$5 size n st r tries=0
	size=$(stat -c %s "$file")
	while [ "$off" -lt "$size" ]; do
		n=$(( size - off < chunk ? size - off : chunk ))
		tail -c +$((off + 1)) "$file" | head -c "$n" > "$P/$pk.part"
		st=$(_pcurl -X PATCH -H 'Content-Type: application/octet-stream' \
			-H "Content-Range: $off-$((off + n - 1))" \
			--data-binary "@$P/$pk.part" "$loc")
		if [ "$st" = 202 ]; then
			loc=$(_ploc "$url") || return 1
			echo "$loc" > "${PUSH_LOCFILE:-$P/$pk.loc}"
			off=$((off + n))
			continue
		fi
		tries=$((tries + 1))
		[ "$tries" -le 5 ] || return 1
		# "0-0" means empty or one byte: try 0, and 1 after a 416 at 0
		if [ "$st" = 416 ] && [ "$off" = 0 ]; then off=1; continue; fi
		st=$(_pcurl "$loc")
		[ "$st" = 204 ] || return 1
		r=$(_phdr Range)
		case $r in 0-0) off=0 ;; 0-[0-9]*) off=$(( ${r#0-} + 1 )) ;; *) return 1 ;; esac
	done
	echo "$loc" > "${PUSH_LOCFILE:-$P/$pk.loc}"
}

pmanifest() {
	local dir=$1 config=$2 f first=1; shift 2
	{
		printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
		printf '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[' \
			"$(sha256sum "$config" | cut -c1-64)" "$(stat -c %s "$config")"
		for f in "$@"; do
			[ $first = 1 ] || printf ','
			first=0
			printf '{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}' \
				"$(sha256sum "$f" | cut -c1-64)" "$(stat -c %s "$f")"
		done
		printf ']}'
	} > "$dir/manifest.json"
}

pput() {
	local pk=${pk:-$BASHPID}
	local url=$1 repo=$2 ref=$3 file=$4 st
	st=$(_pcurl -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$file" "$url/v2/$repo/manifests/$ref")
	[ "$st" = 201 ] || return 1
	echo "sha256:$(sha256sum "$file" | cut -c1-64)"
}

pimage() {
	local pk=${pk:-$BASHPID}
	local url=$1 repo=$2 tag=$3 dir=$4 mode=$5 sizes=$6 s i=0 layers=()
	mkdir -p "$dir"
	if [ ! -f "$dir/config.json" ]; then
		printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"created":"%s"}' \
			"$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$dir/config.json"
		for s in $sizes; do
			head -c "$s" /dev/urandom > "$dir/layer$i"
			i=$((i + 1))
		done
	fi
	for f in "$dir"/layer*; do layers+=("$f"); done
	pblob "$url" "$repo" "$dir/config.json" mono || return 1
	for f in "${layers[@]}"; do
		PUSH_LOCFILE=$dir/.loc-${f##*/} pblob "$url" "$repo" "$f" "$mode" "${PUSH_CHUNK:-262144}" || return 1
	done
	pmanifest "$dir" "$dir/config.json" "${layers[@]}"
	pput "$url" "$repo" "$tag" "$dir/manifest.json"
}

pverify() {
	local pk=${pk:-$BASHPID}
	local url=$1 repo=$2 ref=$3 dir=$4 dg f
	curl -s -m 60 -o "$P/$pk.got" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"$url/v2/$repo/manifests/$ref" || return 1
	cmp -s "$P/$pk.got" "$dir/manifest.json" || { echo "manifest $repo:$ref differs"; return 1; }
	for f in "$dir/config.json" "$dir"/layer*; do
		dg="sha256:$(sha256sum "$f" | cut -c1-64)"
		curl -s -m 60 -o "$P/$pk.got" "$url/v2/$repo/blobs/$dg" || return 1
		cmp -s "$P/$pk.got" "$f" || { echo "blob $dg of $repo differs"; return 1; }
	done
}

#!/usr/bin/env bash
# Bad references: a digest of an algorithm Berth does not implement
# (md5:...), or a malformed one, anywhere a digest is named (blob GET, HEAD,
# DELETE; upload ?digest=; ?mount=), is 400 DIGEST_INVALID with the OCI
# JSON error body (HEAD: the status, no body), as CNCF Distribution
# answers; never 405 UNSUPPORTED, which means a method or an endpoint.
# An upload URL naming no upload (an unknown id, one that is no id at all,
# or a path such as ..%2f..%2fetc) is 404 BLOB_UPLOAD_UNKNOWN for every
# upload method.
source "$(dirname "$0")/../lib.sh"
start_berth || exit 1
U=$berth_url
R=bad/refs

printf 'a blob for the bad reference tests\n' > "$T/blob"
dg=$(push_blob "$R" "$T/blob")
expect_status "the blob is there" 200 HEAD "$U/v2/$R/blobs/$dg"

bad_digests=(md5:abc "md5:d41d8cd98f00b204e9800998ecf8427e" "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"
	"sha256:xyz" "sha256:${dg#sha256:}00" "sha256:$(tr a-f A-F <<< "${dg#sha256:}")"
	"sha256" "nocolon" "sha256:" ":abc" "SHA256:${dg#sha256:}")

# head_no_body PATH: a raw HEAD of PATH answers with a status line and
# headers, and not one byte after them (curl -I would not tell).
head_no_body() {
	python3 - "$berth_port" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("HEAD %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % sys.argv[2]).encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, sep, rest = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), len(rest))
sys.exit(0 if sep and head.startswith(b"HTTP/1.1 4") and not rest else 1)
PY
}

for bd in "${bad_digests[@]}"; do
	q=$(jq -rn --arg s "$bd" '$s | @uri')
	expect_error "GET blob $bd: 400 DIGEST_INVALID" 400 DIGEST_INVALID GET "$U/v2/$R/blobs/$q"
	check "GET blob $bd: JSON error body" jq -e '.errors[0].message' "$T/body"
	expect_status "HEAD blob $bd: 400" 400 HEAD "$U/v2/$R/blobs/$q"
	check "HEAD blob $bd: no body" head_no_body "/v2/$R/blobs/$q"
	expect_error "DELETE blob $bd: 400 DIGEST_INVALID" 400 DIGEST_INVALID DELETE "$U/v2/$R/blobs/$q"
	expect_error "monolithic POST ?digest=$bd: 400 DIGEST_INVALID" 400 DIGEST_INVALID POST \
		"$U/v2/$R/blobs/uploads/?digest=$q" --data-binary "@$T/blob"
	expect_error "POST ?mount=$bd: 400 DIGEST_INVALID" 400 DIGEST_INVALID POST \
		"$U/v2/$R/blobs/uploads/?mount=$q&from=$R"
	# a closing PUT with the bad digest: the upload stays usable
	expect_status "start an upload" 202 POST "$U/v2/$R/blobs/uploads/"
	up=$(upload_url)
	expect_error "closing PUT ?digest=$bd: 400 DIGEST_INVALID" 400 DIGEST_INVALID PUT \
		"$(with_query "$up" "digest=$q")" --data-binary "@$T/blob"
	expect_status "the upload is still there after it" 204 GET "$up"
	expect_status "and can be cancelled" 204 DELETE "$up"
done
expect_status "the blob is still there" 200 HEAD "$U/v2/$R/blobs/$dg"
expect_status "start another upload" 202 POST "$U/v2/$R/blobs/uploads/"
up=$(upload_url)
expect_error "closing PUT without digest: 400 DIGEST_INVALID" 400 DIGEST_INVALID PUT "$up"
expect_status "a good digest still mounts" 201 POST "$U/v2/other/repo/blobs/uploads/?mount=$dg&from=$R"

# --- upload URLs that name no upload ---
uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
bad_ids=("..%2f..%2fetc" "..%2F..%2Fetc%2Fpasswd" "%2e%2e%2f%2e%2e%2fetc" "nope" "$uuid"
	"${uuid}x" "${uuid^^}" "$uuid%2f.." "a%2fb" "%2e%2e" "$(head -c 300 /dev/zero | tr '\0' a)")
for id in "${bad_ids[@]}"; do
	short=${id:0:60}
	for m in GET PATCH PUT DELETE; do
		args=()
		[ "$m" = PUT ] && args=(--data-binary "@$T/blob")
		[ "$m" = PATCH ] && args=(--data-binary "@$T/blob")
		u="$U/v2/$R/blobs/uploads/$id"
		[ "$m" = PUT ] && u="$u?digest=$dg"
		expect_error "$m upload $short: 404 BLOB_UPLOAD_UNKNOWN" 404 BLOB_UPLOAD_UNKNOWN \
			"$m" "$u" --path-as-is "${args[@]}"
	done
	expect_status "HEAD upload $short: 404" 404 HEAD "$U/v2/$R/blobs/uploads/$id" --path-as-is
	check "HEAD upload $short: no body" head_no_body "/v2/$R/blobs/uploads/$id"
done
expect_status "the server still serves" 200 GET "$U/v2/"
finish

#!/usr/bin/env bash
# test_http_framing.sh - requests whose length could be read two ways
# (the primitives of request smuggling) are answered 400 or 501 and their
# connection closed, so what follows them is never taken for a request;
# nothing of their body is stored.  Also: HTTP/1.1 without Host, a NUL
# byte escaped into the path, and sound requests on the same connection
# (keep-alive and pipelining still work).  Every request is sent as raw
# bytes (tests/api/rawhttp.py): client libraries refuse to send these.
source "$(dirname "$0")/../lib.sh"

start_berth || { fail "server starts"; finish; exit 1; }
raw() { python3 "$TESTS_DIR/api/rawhttp.py" "$berth_port"; }

# the request that is smuggled behind each malformed one
SMUGGLED=$'GET /v2/_catalog HTTP/1.1\r\nHost: x\r\n\r\n'

# refused DESC WANT < REQUEST: the raw request gets exactly one answer,
# WANT, and the connection is closed.  (Fed by redirection, never by a
# pipe: a function in a pipeline runs in a subshell, whose pass and fail
# counts would be lost.)
refused() {
	local desc=$1 want=$2 out
	out=$(raw)
	if [[ $out == "statuses=$want closed=1 "* ]]; then
		pass "$desc: $want, connection closed, nothing smuggled"
	else
		fail "$desc: want one $want and a close" "$out"
	fi
}

refused "two different Content-Length headers" 400 < <(printf 'GET /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n%s' \
	"${#SMUGGLED}" "$SMUGGLED")
refused "the same Content-Length twice" 400 < <(printf 'POST /v2/f/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello%s' \
	"$SMUGGLED")
refused "Content-Length with Transfer-Encoding" 400 < <(printf 'POST /v2/f/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s' \
	"$SMUGGLED")
for te in 'chunked ' 'xchunked' 'gzip, chunked' 'chunked, chunked' 'identity'; do
	refused "Transfer-Encoding \"$te\"" 501 < <(printf 'POST /v2/f/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: %s\r\n\r\n5\r\nhello\r\n0\r\n\r\n%s' \
		"$te" "$SMUGGLED")
done
refused "two Transfer-Encoding headers" 501 < <(printf 'POST /v2/f/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s' \
	"$SMUGGLED")
refused "Transfer-Encoding in HTTP/1.0" 400 < <(printf 'POST /v2/f/app/blobs/uploads/ HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s' \
	"$SMUGGLED")
refused "white space before a header colon" 400 < <(printf 'POST /v2/f/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello%s' \
	"$SMUGGLED")
refused "HTTP/1.1 without Host" 400 < <(printf 'GET /v2/ HTTP/1.1\r\n\r\n')
refused "two Host headers" 400 < <(printf 'GET /v2/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')

# the refusals carry an OCI error body
printf 'GET /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked \r\n\r\n0\r\n\r\n' |
	python3 -c 'import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])));s.sendall(sys.stdin.buffer.read())
d=b""
while True:
    b=s.recv(65536)
    if not b: break
    d+=b
sys.stdout.buffer.write(d.split(b"\r\n\r\n",1)[1])' "$berth_port" > "$T/te-body"
check "an unknown transfer coding: JSON error UNSUPPORTED" \
	test "$(jq -r '.errors[0].code' < "$T/te-body")" = UNSUPPORTED

# an obfuscated chunked PATCH stores none of its framing
http POST "$berth_url/v2/f/app/blobs/uploads/"
up=$(upload_url)
path=${up#"$berth_url"}
refused "PATCH with Transfer-Encoding \"chunked \"" 501 < <(printf 'PATCH %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n' "$path")
http GET "$up"
check "the upload still holds nothing (Range $(header Range))" test "$(header Range)" = "0-0"
printf 'hello' > "$T/hello"
hello=$(sha256_of "$T/hello")
expect_status "the upload then completes with the right bytes" 201 PUT "$(with_query "$up" "digest=$hello")" \
	--data-binary "@$T/hello"

# a NUL escaped into the path never reaches the router as a shorter name
head -c 100 /dev/urandom > "$T/layer"
layer=$(push_blob f/app "$T/layer")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":100},"layers":[]}' \
	"$layer" > "$T/m.json"
expect_status "a manifest tagged v1" 201 PUT "$berth_url/v2/f/app/manifests/v1" \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$T/m.json"
for p in "/v2/f/app/manifests/v1%00.json" "/v2/f/app%00/x/manifests/v1" \
	"/v2/f/app/blobs/$layer%00" "/v2/f/app/manifests/v1?x=%00"; do
	out=$(printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$p" | raw)
	case $out in
	statuses=200*) case $p in
		*\?x=*) pass "%00 in a query argument does not disturb the path ($out)" ;;
		*) fail "GET $p is not served" "$out" ;;
		esac ;;
	statuses=4??*) pass "GET $p: ${out%% *}" ;;
	*) fail "GET $p answered" "$out" ;;
	esac
done

# sound requests keep their connection: keep-alive and pipelining
out=$(printf 'GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\nHEAD /v2/f/app/manifests/v1 HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/f/app/tags/list HTTP/1.1\r\nHost: x\r\n\r\n' | raw)
if [[ $out == "statuses=200,200,200 closed=0 "* ]]; then
	pass "three pipelined requests answered in order on a kept connection"
else
	fail "three pipelined requests answered on a kept connection" "$out"
fi
http POST "$berth_url/v2/f/app/blobs/uploads/"
up=$(upload_url)
out=$(printf 'PATCH %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n' \
	"${up#"$berth_url"}" | raw)
case $out in
statuses=202,200\ closed=0*) pass "a chunked body ends where its last chunk says; the next request follows ($out)" ;;
*) fail "a chunked body ends where its last chunk says" "$out" ;;
esac
http GET "$up"
check "and the upload holds exactly its 5 bytes (Range $(header Range))" test "$(header Range)" = "0-4"
# a body refused before it is read (a PATCH at a stale offset) is read
# and dropped, so the client still sending it gets the reply, and the
# connection serves the next request
{
	printf 'PATCH %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Range: 100-%d\r\nContent-Length: %d\r\n\r\n' \
		"${up#"$berth_url"}" $((100 + (1 << 20) - 1)) $((1 << 20))
	head -c $((1 << 20)) /dev/zero
	printf 'GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n'
} > "$T/stale-patch"
out=$(raw < "$T/stale-patch")
case $out in
statuses=416,200\ closed=0*) pass "a 1 MiB PATCH at a stale offset: 416 after its body, the next request follows ($out)" ;;
*) fail "a 1 MiB PATCH at a stale offset: 416 after its body, the next request follows" "$out" ;;
esac
http GET "$up"
check "and the upload still holds its 5 bytes (Range $(header Range))" test "$(header Range)" = "0-4"
out=$(printf 'GET /v2/ HTTP/1.0\r\n\r\n' | raw)
check "HTTP/1.0 without Host is answered ($out)" test "${out%% *}" = statuses=200

check "the server is alive" kill -0 "$berth_pid"
finish

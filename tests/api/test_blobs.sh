#!/usr/bin/env bash
# Blob endpoints: uploads in every form the spec and the clients use,
# downloads with Range, mounts, deletes, and every error path.
source "$(dirname "$0")/../lib.sh"
start_berth || exit 1
U=$berth_url

head -c 3000000 /dev/urandom > "$T/blob"
dg=$(sha256_of "$T/blob")
size=$(stat -c %s "$T/blob")

# --- /v2/ ---
expect_status "GET /v2/ answers 200" 200 GET "$U/v2/"
check "GET /v2/ carries the API version header" \
	test "$(header Docker-Distribution-API-Version)" = "registry/2.0"

# --- a TLS handshake on the plain port gets an HTTP answer, so clients
# that try HTTPS first (docker --insecure) fall back to HTTP ---
tls_answer() {
	exec 3<>"/dev/tcp/127.0.0.1/$berth_port" || return 1
	printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x0a\x00' >&3
	timeout 5 head -1 <&3 | tr -d '\r'
	exec 3<&-
}
check "TLS handshake on the plain port answers HTTP 400" \
	test "$(tls_answer)" = "HTTP/1.1 400 Bad Request"
expect_status "the server still serves after it" 200 GET "$U/v2/"

# --- monolithic POST ?digest= ---
expect_status "monolithic POST ?digest= creates the blob" 201 POST \
	"$U/v2/mono/app/blobs/uploads/?digest=$dg" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/blob"
check "201 has Location of the blob" \
	bash -c "[[ '$(header Location)' == *'/v2/mono/app/blobs/$dg' ]]"
check "201 has Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$dg"

expect_status "HEAD blob 200" 200 HEAD "$U/v2/mono/app/blobs/$dg"
check "HEAD has Content-Length" test "$(header Content-Length)" = "$size"
check "HEAD has Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "$dg"
expect_status "GET blob 200" 200 GET "$U/v2/mono/app/blobs/$dg"
check "GET returns identical bytes" cmp "$T/body" "$T/blob"

# --- Range ---
expect_status "Range bytes=0-99 answers 206" 206 GET "$U/v2/mono/app/blobs/$dg" -H 'Range: bytes=0-99'
check "206 body is the first 100 bytes" cmp "$T/body" <(head -c 100 "$T/blob")
check "206 Content-Range" test "$(header Content-Range)" = "bytes 0-99/$size"
expect_status "suffix Range bytes=-10" 206 GET "$U/v2/mono/app/blobs/$dg" -H 'Range: bytes=-10'
check "suffix range body" cmp "$T/body" <(tail -c 10 "$T/blob")
expect_status "open Range bytes=2999990-" 206 GET "$U/v2/mono/app/blobs/$dg" -H 'Range: bytes=2999990-'
check "open range length" test "$(stat -c %s "$T/body")" = 10
expect_status "Range beyond the end answers 416" 416 GET "$U/v2/mono/app/blobs/$dg" -H "Range: bytes=$size-"
check "416 Content-Range bytes */size" test "$(header Content-Range)" = "bytes */$size"

# --- streamed PATCH (docker / skopeo) then PUT ---
http POST "$U/v2/stream/app/blobs/uploads/"
check "POST starts an upload (202)" test "$status" = 202
loc=$(header Location); uuid=$(header Docker-Upload-UUID)
check "POST returns Location and Docker-Upload-UUID" test -n "$loc" -a -n "$uuid"
check "POST returns Range 0-0" test "$(header Range)" = "0-0"
case "$loc" in http*) ;; *) loc=$U$loc ;; esac
expect_status "streamed PATCH without Content-Range" 202 PATCH "$loc" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/blob"
check "PATCH reports the full Range" test "$(header Range)" = "0-$((size - 1))"
loc=$(header Location); case "$loc" in http*) ;; *) loc=$U$loc ;; esac
expect_status "GET upload status 204" 204 GET "$loc"
check "status Range" test "$(header Range)" = "0-$((size - 1))"
expect_status "PUT ?digest= closes the upload" 201 PUT "$(with_query "$loc" digest=$dg)"
expect_status "streamed blob is readable" 200 GET "$U/v2/stream/app/blobs/$dg"
check "streamed blob identical" cmp "$T/body" "$T/blob"
expect_error "closed upload is unknown" 404 BLOB_UPLOAD_UNKNOWN GET "$loc"

# --- chunked PATCH with Content-Range, last chunk on PUT ---
head -c 1000000 "$T/blob" > "$T/c1"
tail -c +1000001 "$T/blob" | head -c 1000000 > "$T/c2"
tail -c +2000001 "$T/blob" > "$T/c3"
http POST "$U/v2/chunked/app/blobs/uploads/"
loc=$(header Location); case "$loc" in http*) ;; *) loc=$U$loc ;; esac
expect_status "chunk 1 with Content-Range 0-999999" 202 PATCH "$loc" \
	-H 'Content-Range: 0-999999' -H 'Content-Type: application/octet-stream' --data-binary "@$T/c1"
expect_error "out-of-order chunk answers 416" 416 RANGE_INVALID PATCH "$loc" \
	-H 'Content-Range: 1000-1999' --data-binary "@$T/c2"
check "416 reports the current Range" test "$(header Range)" = "0-999999"
expect_status "chunk 2 in order" 202 PATCH "$loc" \
	-H 'Content-Range: 1000000-1999999' --data-binary "@$T/c2"
expect_status "PUT with the last chunk" 201 PUT "$(with_query "$loc" digest=$dg)" \
	-H "Content-Range: 2000000-$((size - 1))" --data-binary "@$T/c3"
expect_status "chunked blob readable" 200 GET "$U/v2/chunked/app/blobs/$dg"
check "chunked blob identical" cmp "$T/body" "$T/blob"

# --- digest mismatch on close: nothing stored ---
head -c 5000 /dev/urandom > "$T/other"
odg=$(sha256_of "$T/other")
http POST "$U/v2/bad/app/blobs/uploads/"
loc=$(header Location); case "$loc" in http*) ;; *) loc=$U$loc ;; esac
expect_status "PATCH some data" 202 PATCH "$loc" --data-binary "@$T/other"
wrong=sha256:$(printf '%064d' 1)
expect_error "digest mismatch on close" 400 DIGEST_INVALID PUT "$(with_query "$loc" digest=$wrong)"
expect_error "mismatched digest is not stored" 404 BLOB_UNKNOWN GET "$U/v2/bad/app/blobs/$wrong"
expect_error "real digest of the data is not stored either" 404 BLOB_UNKNOWN GET "$U/v2/bad/app/blobs/$odg"
expect_error "failed upload is gone" 404 BLOB_UPLOAD_UNKNOWN GET "$loc"
check "no blob file written for the wrong digest" \
	test ! -e "$berth_root/docker/registry/v2/blobs/sha256/00"

# --- monolithic with a mismatching digest ---
expect_error "monolithic POST digest mismatch" 400 DIGEST_INVALID POST \
	"$U/v2/bad/app/blobs/uploads/?digest=$wrong" --data-binary "@$T/other"

# --- sha512 ---
d512="sha512:$(sha512sum "$T/other" | cut -c1-128)"
expect_status "sha512 monolithic upload" 201 POST "$U/v2/sha/app/blobs/uploads/?digest=$d512" --data-binary "@$T/other"
expect_status "sha512 blob GET" 200 GET "$U/v2/sha/app/blobs/$d512"
check "sha512 blob identical" cmp "$T/body" "$T/other"
check "sha512 stored under blobs/sha512" test -f "$berth_root/docker/registry/v2/blobs/sha512/${d512:7:2}/${d512:7}/data"

# --- empty blob ---
edg=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
expect_status "empty blob upload" 201 POST "$U/v2/empty/app/blobs/uploads/?digest=$edg" -H 'Content-Length: 0' --data-binary ''
expect_status "empty blob HEAD" 200 HEAD "$U/v2/empty/app/blobs/$edg"
check "empty blob length 0" test "$(header Content-Length)" = 0

# --- cancel ---
http POST "$U/v2/cancel/app/blobs/uploads/"
loc=$(header Location); case "$loc" in http*) ;; *) loc=$U$loc ;; esac
http PATCH "$loc" --data-binary "@$T/other"
expect_status "DELETE cancels an upload" 204 DELETE "$loc"
expect_error "cancelled upload is unknown" 404 BLOB_UPLOAD_UNKNOWN GET "$loc"
check "cancelled upload left no directory" \
	test -z "$(ls "$berth_root/docker/registry/v2/repositories/cancel/app/_uploads" 2>/dev/null)"

# --- mounts ---
expect_status "cross-repository mount" 201 POST "$U/v2/mounted/app/blobs/uploads/?mount=$dg&from=mono/app"
check "mount Location" bash -c "[[ '$(header Location)' == *'/v2/mounted/app/blobs/$dg' ]]"
expect_status "mounted blob readable" 200 HEAD "$U/v2/mounted/app/blobs/$dg"
expect_status "mount of an unknown blob starts an upload" 202 POST \
	"$U/v2/mounted/app/blobs/uploads/?mount=sha256:$(printf '%064d' 7)&from=mono/app"
expect_status "mount from a repository without the blob starts an upload" 202 POST \
	"$U/v2/mounted2/app/blobs/uploads/?mount=$odg&from=mono/app"
expect_status "automatic mount without from" 201 POST "$U/v2/auto/app/blobs/uploads/?mount=$dg"

# --- blob not in this repository ---
expect_error "blob of another repository is unknown here" 404 BLOB_UNKNOWN GET "$U/v2/never/app/blobs/$dg"

# --- bad input ---
expect_error "invalid digest" 400 DIGEST_INVALID GET "$U/v2/mono/app/blobs/sha256:xyz"
expect_error "upper-case hex digest" 400 DIGEST_INVALID GET "$U/v2/mono/app/blobs/sha256:$(printf '%064d' 0 | tr 0 A)"
expect_error "upper-case repository name" 400 NAME_INVALID GET "$U/v2/Mono/app/blobs/$dg"
expect_error "../ in repository name" 400 NAME_INVALID POST "$U/v2/a/../b/blobs/uploads/" --path-as-is
expect_error "unknown upload id" 404 BLOB_UPLOAD_UNKNOWN PATCH "$U/v2/mono/app/blobs/uploads/1b4e28ba-2fa1-11d2-883f-0016d3cca427" --data-binary x
expect_error "malformed upload id" 404 BLOB_UPLOAD_UNKNOWN GET "$U/v2/mono/app/blobs/uploads/not-an-upload-id"
expect_status "encoded slashes in an upload id find nothing" 404 GET "$U/v2/mono/app/blobs/uploads/..%2f..%2fetc"
http POST "$U/v2/mono/app/blobs/uploads/"
expect_error "PUT without digest" 400 DIGEST_INVALID PUT "$(upload_url)"
expect_error "wrong method" 405 UNSUPPORTED POST "$U/v2/mono/app/blobs/$dg"

# --- delete ---
expect_status "DELETE blob" 202 DELETE "$U/v2/auto/app/blobs/$dg"
expect_error "deleted blob unknown in that repository" 404 BLOB_UNKNOWN GET "$U/v2/auto/app/blobs/$dg"
expect_status "still present in the other repository" 200 HEAD "$U/v2/mono/app/blobs/$dg"
expect_error "DELETE of an unknown blob" 404 BLOB_UNKNOWN DELETE "$U/v2/auto/app/blobs/$dg"

# --- the same downloads with http.sendfile forced each way: clients on
# loopback get a buffered copy by default (api/blobs.c), so sendfile is
# otherwise never exercised here ---
for mode in always never; do
	p=$(free_port)
	write_config "$T/sf-$mode.yml" "$berth_root" "$p"
	printf '  sendfile: %s\n' "$mode" >> "$T/sf-$mode.yml" # http: is last
	if ! start_extra_berth "$T/sf-$mode.yml"; then
		fail "server with http.sendfile: $mode starts"
		continue
	fi
	expect_status "sendfile $mode: GET blob 200" 200 GET "$extra_url/v2/mono/app/blobs/$dg"
	check "sendfile $mode: body is the blob" cmp "$T/body" "$T/blob"
	expect_status "sendfile $mode: Range answers 206" 206 GET "$extra_url/v2/mono/app/blobs/$dg" -H 'Range: bytes=1000-2999999'
	check "sendfile $mode: 206 body is the range" cmp "$T/body" <(tail -c +1001 "$T/blob" | head -c 2999000)
	expect_status "sendfile $mode: HEAD 200" 200 HEAD "$extra_url/v2/mono/app/blobs/$dg"
	check "sendfile $mode: HEAD Content-Length" test "$(header Content-Length)" = "$size"
	stop_extra_berth
done

# --- no bad request is answered with a 5xx ---
check "server log has no 5xx" bash -c "! grep -q ' 50[0-9] ' '$T'/berth-*.log"

finish

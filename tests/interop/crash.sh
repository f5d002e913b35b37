#!/usr/bin/env bash
# kill -9 during chunked uploads: between PATCHes, and while a PATCH is
# still streaming.  After a restart on the same storage the upload must
# still be there, report (with Range) how much of it the server kept, take
# the rest from that offset, and commit to a blob with the right digest.
source "$(dirname "$0")/common.sh"

port=$(free_port)
root=$T/root
mkdir -p "$root"
cfg=$T/crash.yml
write_config "$cfg" "$root" "$port"
# Distribution signs its upload state with http.secret; without a fixed one
# a restarted instance cannot resume (only matters for the reference run)
[ -n "${BERTH_SERVER_CMD:-}" ] && sed -i 's/^http:$/http:\n  secret: crash-test-secret/' "$cfg"
start_berth "$cfg" || exit 1
U=$berth_url
repo=interop/crash

MiB=1048576
head -c $((5 * MiB)) /dev/urandom > "$T/blob"
dg=$(sha256_of "$T/blob")

# part FROM LEN: bytes [FROM, FROM+LEN) of the blob into $T/part
part() { tail -c +$(($1 + 1)) "$T/blob" | head -c "$2" > "$T/part"; }

# absolute URL of the last response's Location
loc_of() {
	local l
	l=$(header Location)
	case $l in http*) echo "$l" ;; *) echo "$berth_url$l" ;; esac
}

# patch LOC FROM LEN: PATCH that slice with Content-Range; sets status, loc
patch() {
	part "$2" "$3"
	http PATCH "$1" -H 'Content-Type: application/octet-stream' \
		-H "Content-Range: $2-$(($2 + $3 - 1))" --data-binary "@$T/part"
	[ "$status" = 202 ] && loc=$(loc_of)
}

# resume_offset LOC: GET the upload; sets off to the next offset (N+1 of
# the Range "0-N"), or empty if the status or header is wrong
resume_offset() {
	http GET "$1"
	local r
	r=$(header Range)
	off=
	[ "$status" = 204 ] || return 0
	case $r in 0-[0-9]*) off=$(( ${r#0-} + 1 )) ;; esac
}

# with_digest LOC: LOC plus ?digest= / &digest=
with_digest() { case $1 in *\?*) echo "$1&digest=$dg" ;; *) echo "$1?digest=$dg" ;; esac; }

# restart: kill -9 and start again on the same configuration and root
restart() {
	stop_berth KILL
	start_berth "$cfg"
}

# eq DESC WANT GOT: pass if equal; else show the last response
eq() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1" "want '$2', got '$3'; last response $status, Range '$(header Range)': $(head -c 200 "$T/body")"; fi
}

blob_ok() {
	curl -s "$U/v2/$repo/blobs/$dg" -o "$T/got" && cmp -s "$T/got" "$T/blob"
}

# (CNCF Distribution 2.8 fails parts 2 and 4: its upload state token pins
# the offset of the last completed PATCH, and it does not check the start
# of Content-Range.)

# --- 1: kill -9 between PATCHes ---
expect_status "POST starts an upload" 202 POST "$U/v2/$repo/blobs/uploads/"
loc=$(loc_of)
for i in 0 1 2; do
	patch "$loc" $((i * MiB)) $MiB
	eq "PATCH chunk $i: 202" 202 "$status"
	eq "PATCH chunk $i: Range 0-$(((i + 1) * MiB - 1))" "0-$(((i + 1) * MiB - 1))" "$(header Range)"
done
check "restart after kill -9" restart
resume_offset "$loc"
eq "GET upload after restart: 204 with Range 0-$((3 * MiB - 1))" $((3 * MiB)) "$off"
check "upload UUID header present" test -n "$(header Docker-Upload-UUID)"
part "${off:-0}" $((5 * MiB - ${off:-0}))
http PUT "$(with_digest "$loc")" -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: ${off:-0}-$((5 * MiB - 1))" --data-binary "@$T/part"
eq "PUT ?digest= with the last chunk: 201" 201 "$status"
eq "201 Docker-Content-Digest" "$dg" "$(header Docker-Content-Digest)"
check "GET blob: same sha256" blob_ok
expect_status "finished upload is gone" 404 GET "$loc"

# --- 2: kill -9 while a PATCH is streaming ---
repo=interop/crash2
expect_status "POST starts a second upload" 202 POST "$U/v2/$repo/blobs/uploads/"
loc=$(loc_of)
patch "$loc" 0 $MiB
eq "first chunk: 202" 202 "$status"
part $MiB $((3 * MiB))
cp "$T/part" "$T/slow"
curl -s -o /dev/null -X PATCH --limit-rate 1M -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: $MiB-$((4 * MiB - 1))" --data-binary "@$T/slow" "$loc" &
curl_pid=$!
sleep 1.2
check "slow PATCH still streaming when the server is killed" kill -0 "$curl_pid"
check "restart after kill -9 mid-PATCH" restart
wait "$curl_pid" 2>/dev/null
resume_offset "$loc"
if [ -n "$off" ]; then pass "GET upload after restart: 204 with a Range"
else fail "GET upload after restart: 204 with a Range" \
	"got $status, Range '$(header Range)': $(head -c 200 "$T/body")"; fi
check "kept at least the first chunk, at most what was sent" \
	test "${off:-0}" -ge $MiB -a "${off:-0}" -le $((4 * MiB))
echo "     (server kept $((${off:-0})) bytes)"
if [ "${off:-0}" -lt $((4 * MiB)) ] && [ -n "$off" ]; then
	patch "$loc" "$off" $((4 * MiB - off))
	eq "PATCH from the reported offset: 202" 202 "$status"
	eq "Range now 0-$((4 * MiB - 1))" "0-$((4 * MiB - 1))" "$(header Range)"
fi
part $((4 * MiB)) $MiB
http PUT "$(with_digest "$loc")" -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: $((4 * MiB))-$((5 * MiB - 1))" --data-binary "@$T/part"
eq "PUT ?digest= with the last chunk: 201" 201 "$status"
check "GET blob: same sha256" blob_ok

# --- 3: kill -9 right after POST, then a monolithic PUT ---
repo=interop/crash3
expect_status "POST starts a third upload" 202 POST "$U/v2/$repo/blobs/uploads/"
loc=$(loc_of)
check "restart after kill -9" restart
expect_status "empty upload survives the restart" 204 GET "$loc"
http PUT "$(with_digest "$loc")" -H 'Content-Type: application/octet-stream' --data-binary "@$T/blob"
eq "monolithic PUT into it: 201" 201 "$status"
check "GET blob: same sha256" blob_ok
# --- 4: after a restart, a chunk at a stale offset is refused ---
repo=interop/crash4
expect_status "POST starts a fourth upload" 202 POST "$U/v2/$repo/blobs/uploads/"
loc=$(loc_of)
patch "$loc" 0 $((2 * MiB))
eq "first 2 MiB: 202" 202 "$status"
check "restart after kill -9" restart
part $MiB $MiB
http PATCH "$loc" -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: $MiB-$((2 * MiB - 1))" --data-binary "@$T/part"
eq "PATCH at a stale offset: 416" 416 "$status"
resume_offset "$loc"
eq "the stale PATCH changed nothing" $((2 * MiB)) "$off"
part $((2 * MiB)) $((3 * MiB))
http PUT "$(with_digest "$loc")" -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: $((2 * MiB))-$((5 * MiB - 1))" --data-binary "@$T/part"
eq "PUT ?digest= with the rest: 201" 201 "$status"
check "GET blob: same sha256" blob_ok

expect_status "nothing left of the killed uploads" 404 GET "$U/v2/interop/crash/blobs/uploads/00000000-0000-0000-0000-000000000000"

finish

#!/usr/bin/env bash
# kill -9 in the middle of concurrent pushes, CRASH_ITERATIONS times
# (default 5; `make test-long` runs 50).  Each iteration starts the server
# on the same storage, runs six clients at once -- curl monolithic,
# streamed and chunked image pushes, skopeo, a storm of manifest PUTs,
# tag and manifest deletes, and a large manifest PUT slowed down with
# --limit-rate -- and kills the server with SIGKILL at a random moment
# (every third iteration while the slow manifest PUT is streaming).  Then:
#
#  - right after the restart, before any retry, `berth check` (re-hashing
#    every blob) finds no problem and every listed tag resolves to a
#    complete manifest: a crash never leaves a visible inconsistency;
#  - the clients retry; the chunked pushes resume from the Range the
#    server reports (or start over when the upload is gone);
#  - every push that completed pulls back byte-identical, every delete
#    that was answered stays deleted, and `berth check` is still clean.
source "$(dirname "$0")/common.sh"
source "$TESTS_DIR/push.sh"

N=${CRASH_ITERATIONS:-5}
port=$(free_port)
root=$T/root
mkdir -p "$root"
cfg=$T/crashloop.yml
write_config "$cfg" "$root" "$port"
R=127.0.0.1:$port
U=http://$R
seed=${CRASH_SEED:-$$}
RANDOM=$seed
echo "     (seed $seed; CRASH_SEED=$seed repeats this run's kill times)"

bcheck() {
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" check "$cfg" > "$T/bcheck.out" 2>&1
}

# every tag of every repository resolves to a manifest whose blobs GET 200
# (one curl for all the tags of a repository, then each distinct manifest)
tags_complete() {
	local repo tag st dg blob bad=0
	for repo in $(curl -s "$U/v2/_catalog?n=10000" | jq -r '.repositories[]'); do
		: > "$T/tc.cfg"
		for tag in $(curl -s "$U/v2/$repo/tags/list?n=10000" | jq -r '.tags[]?'); do
			printf 'url = "%s"\noutput = "/dev/null"\n' "$U/v2/$repo/manifests/$tag" >> "$T/tc.cfg"
		done
		[ -s "$T/tc.cfg" ] || continue
		curl -s -K "$T/tc.cfg" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
			-H 'Accept: application/vnd.oci.image.index.v1+json' \
			-w '%{http_code} %header{docker-content-digest} %{url}\n' > "$T/tc.out"
		while read -r st dg tag; do
			[ "$st" = 200 ] || { echo "$tag is listed but answers $st"; bad=1; }
		done < "$T/tc.out"
		for dg in $(awk '$1 == 200 {print $2}' "$T/tc.out" | sort -u); do
			curl -s -o "$T/tc.json" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
				"$U/v2/$repo/manifests/$dg"
			for blob in $(jq -r '.config.digest?, .layers[]?.digest' < "$T/tc.json"); do
				[ "$blob" = null ] && continue
				[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$U/v2/$repo/blobs/$blob")" = 200 ] ||
					{ echo "$repo@$dg references $blob, which is missing"; bad=1; }
			done
		done
	done
	return $bad
}

# ---- a base image the manifest storm and the slow PUT refer to ----
start_berth "$cfg" || exit 1
base=$(pimage "$U" crash/base v1 "$T/base" mono "20000")
check "base image pushed" test -n "$base"
stop_berth TERM

# big manifest: the base image with a 1 MiB annotation
big_manifest() { # OUT NONCE
	[ -f "$T/pad" ] || head -c 786432 /dev/zero | base64 -w0 > "$T/pad"
	jq -c --arg n "$2" --rawfile pad "$T/pad" \
		'.annotations = {"nonce": $n, "pad": $pad}' "$T/base/manifest.json" > "$1"
}

# ---- the clients (each runs in the background, logs what it did) ----
c_mono() { PUSH_CURL_ARGS="--limit-rate 3M" pimage "$U" crash/mono "i$1" "$T/it$1/mono" mono "400000 2000000" > /dev/null; }
c_stream() { PUSH_CURL_ARGS="--limit-rate 3M" pimage "$U" crash/stream "i$1" "$T/it$1/stream" stream "1500000 500000" > /dev/null; }
c_chunked() {
	PUSH_CHUNK=262144 PUSH_RESUMED=$T/it$1/resumed PUSH_CURL_ARGS="--limit-rate 3M" \
		pimage "$U" crash/chunked "i$1" "$T/it$1/chunked" chunked "3000000" > /dev/null
}
c_skopeo() {
	[ -d "$T/it$1/oci" ] || make_image "$T/it$1/oci" v1 "it$1-$RANDOM-a:1M" "it$1-b:300K" > /dev/null
	sk copy --dest-compress=false "oci:$T/it$1/oci:v1" "docker://$R/crash/skopeo:i$1" > "$T/it$1/skopeo.log" 2>&1
}
c_storm() { # PUT the base manifest under new tags; delete some tags and
	    # manifests; log every answered operation
	local i=$1 n st
	for n in $(seq 1 40); do
		st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X PUT \
			-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
			--data-binary "@$T/base/manifest.json" "$U/v2/crash/base/manifests/s$i-$n")
		[ "$st" = 201 ] && echo "put s$i-$n" >> "$T/it$i/storm"
		if [ $((n % 4)) = 0 ]; then
			st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X DELETE \
				"$U/v2/crash/base/manifests/s$i-$((n - 2))")
			[ "$st" = 202 ] && echo "deltag s$i-$((n - 2))" >> "$T/it$i/storm"
		fi
		if [ $((n % 10)) = 0 ]; then
			# a manifest of its own, pushed and deleted by digest
			jq -c --arg n "$i-$n" '.annotations = {"nonce": $n}' "$T/base/manifest.json" > "$T/it$i/del.json"
			local dg="sha256:$(sha256sum "$T/it$i/del.json" | cut -c1-64)"
			st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X PUT \
				-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
				--data-binary "@$T/it$i/del.json" "$U/v2/crash/del/manifests/d$i-$n")
			[ "$st" = 201 ] || continue
			st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X DELETE "$U/v2/crash/del/manifests/$dg")
			[ "$st" = 202 ] && echo "delman $dg d$i-$n" >> "$T/it$i/storm"
		fi
	done
}
c_slow() {
	big_manifest "$T/it$1/big.json" "$1"
	curl -s -m 60 --limit-rate 400k -o /dev/null -w '%{http_code}' -X PUT \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$T/it$1/big.json" "$U/v2/crash/base/manifests/big$1" > "$T/it$1/slow.status"
	[ "$(cat "$T/it$1/slow.status")" = 201 ]
}
clients=(mono stream chunked skopeo storm slow)

# verify_iteration I: what iteration I pushed pulls back identical
verify_iteration() {
	local i=$1 op tag dg rest
	pverify "$U" crash/mono "i$i" "$T/it$i/mono" || return 1
	pverify "$U" crash/stream "i$i" "$T/it$i/stream" || return 1
	pverify "$U" crash/chunked "i$i" "$T/it$i/chunked" || return 1
	[ "$(reg_digest crash/skopeo "i$i")" = "$(layout_digest "$T/it$i/oci" v1)" ] ||
		{ echo "skopeo image i$i: digest differs"; return 1; }
	rm -rf "$T/it$i/pulled"
	sk copy "docker://$R/crash/skopeo:i$i" "oci:$T/it$i/pulled:v1" > /dev/null 2>&1 ||
		{ echo "skopeo pull of i$i failed"; return 1; }
	pulled_same "$T/it$i/oci" v1 "$T/it$i/pulled" v1 || return 1
	curl -s -o "$T/got.json" "$U/v2/crash/base/manifests/big$i" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
	cmp -s "$T/got.json" "$T/it$i/big.json" || { echo "big$i differs"; return 1; }
	while read -r op tag rest; do
		case $op in
		put) # put and not deleted later: still there, the base manifest
			grep -qx "deltag $tag" "$T/it$i/storm" && continue
			[ "$(reg_digest crash/base "$tag")" = "$base" ] || { echo "tag $tag lost"; return 1; } ;;
		deltag)
			[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/v2/crash/base/manifests/$tag")" = 404 ] ||
				{ echo "deleted tag $tag is back"; return 1; } ;;
		delman)
			dg=$tag
			[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/v2/crash/del/manifests/$dg")" = 404 ] ||
				{ echo "deleted manifest $dg is back"; return 1; }
			[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/v2/crash/del/manifests/$rest")" = 404 ] ||
				{ echo "tag $rest of a deleted manifest is back"; return 1; } ;;
		esac
	done < "$T/it$i/storm"
}

t0=$(date +%s)
for i in $(seq 1 "$N"); do
	mkdir -p "$T/it$i"
	: > "$T/it$i/storm"
	start_berth "$cfg" || { fail "iteration $i: server starts"; break; }
	declare -A pid=()
	for c in "${clients[@]}"; do
		( "c_$c" "$i" ) > /dev/null 2>&1 &
		pid[$c]=$!
	done
	if [ $((i % 3)) = 2 ]; then
		mode="during the slow manifest PUT"
		ms=$((700 + RANDOM % 1200))
	else
		mode="at random"
		ms=$((150 + RANDOM % 1350))
	fi
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	inflight=()
	for c in "${clients[@]}"; do kill -0 "${pid[$c]}" 2>/dev/null && inflight+=("$c"); done
	stop_berth KILL
	echo "     iteration $i: kill -9 after ${ms} ms ($mode); in flight: ${inflight[*]:-nothing}"
	for c in "${clients[@]}"; do wait "${pid[$c]}" 2>/dev/null; done

	start_berth "$cfg" || { fail "iteration $i: restart after kill -9"; break; }
	if bcheck; then pass "iteration $i: berth check right after the crash: no problems"
	else fail "iteration $i: berth check right after the crash: no problems" "$(grep -v '^checked' "$T/bcheck.out" | head -20; tail -1 "$T/bcheck.out")"; fi
	check "iteration $i: every listed tag resolves to complete content after the crash" tags_complete

	# retry every client (the storm and the slow PUT start over)
	for c in "${clients[@]}"; do
		tries=0
		until ( "c_$c" "$i" ) > "$T/it$i/$c.retry" 2>&1; do
			tries=$((tries + 1))
			[ $tries -lt 3 ] || break
		done
		[ $tries -lt 3 ] || fail "iteration $i: retrying $c succeeds" "$(tail -3 "$T/it$i/$c.retry")"
	done
	[ -s "$T/it$i/resumed" ] && echo "     iteration $i: chunked upload resumed at $(awk '{print $2}' "$T/it$i/resumed" | tr '\n' ' ')"
	check "iteration $i: every completed push pulls back identical, deletes stay deleted" verify_iteration "$i"
	if bcheck; then pass "iteration $i: berth check after the retries: no problems"
	else fail "iteration $i: berth check after the retries: no problems" "$(grep -v '^checked' "$T/bcheck.out" | head -20)"; fi
	stop_berth TERM
done

start_berth "$cfg" || exit 1
for i in $(seq 1 "$N"); do
	verify_iteration "$i" > "$T/final.out" 2>&1 || { fail "final: iteration $i's pushes still pull identical" "$(cat "$T/final.out")"; continue; }
done
check "final: every listed tag resolves to complete content" tags_complete
echo "     ($N iterations in $(( $(date +%s) - t0 )) s; last check: $(tail -1 "$T/bcheck.out"))"
finish

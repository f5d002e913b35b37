#!/usr/bin/env bash
# Eight skopeo pushes at once into overlapping repositories: every image
# shares one layer, pairs share another, two clients race on the same tag
# of the same repository.  All must succeed, and every image must pull back
# intact afterwards.
source "$(dirname "$0")/common.sh"
start_registry || exit 1
U=$berth_url

for i in 0 1 2 3 4 5; do
	make_image "$T/img$i" v pshared:4M "pgroup$((i % 2)):1M" "pown$i:$((100 + i * 300))K"
	dg[$i]=$(layout_digest "$T/img$i" v)
done

repos=(a b c d)
declare -a pids img dst
for k in 0 1 2 3 4 5 6 7; do
	img[$k]=$((k % 6))
	tag=t$k
	[ "$k" = 0 ] || [ "$k" = 4 ] && tag=same
	dst[$k]=interop/par/${repos[k % 4]}:$tag
	( sk copy "oci:$T/img${img[$k]}:v" "docker://$REG/${dst[$k]}" > "$T/push$k.log" 2>&1
	  echo $? > "$T/push$k.rc" ) &
	pids[$k]=$!
done
for k in 0 1 2 3 4 5 6 7; do wait "${pids[$k]}"; done

for k in 0 1 2 3 4 5 6 7; do
	rc=$(cat "$T/push$k.rc" 2>/dev/null || echo none)
	if [ "$rc" = 0 ]; then pass "push $k (image ${img[$k]} to ${dst[$k]}) exits 0"
	else fail "push $k (image ${img[$k]} to ${dst[$k]}) exits 0" "rc $rc: $(tail -3 "$T/push$k.log")"; fi
done

for k in 1 2 3 5 6 7; do
	i=${img[$k]}
	check "${dst[$k]} has image $i's digest" test "$(reg_digest "${dst[$k]%:*}" "${dst[$k]#*:}")" = "${dg[$i]}"
	check "${dst[$k]} pulls back intact" sk copy "docker://$REG/${dst[$k]}" "oci:$T/pull$k:v"
	check "${dst[$k]} identical to image $i" pulled_same "$T/img$i" v "$T/pull$k" v
done

# the raced tag ends on one of the two images, whole
got=$(reg_digest interop/par/a same)
won=
[ "$got" = "${dg[0]}" ] && won=0
[ "$got" = "${dg[4]}" ] && won=4
check "raced tag a:same points at one of the two pushed images" test -n "$won"
check "a:same pulls back intact" sk copy "docker://$REG/interop/par/a:same" "oci:$T/pulla:v"
check "a:same identical to the winner" pulled_same "$T/img${won:-0}" v "$T/pulla" v
loser=$(( won == 0 ? 4 : 0 ))
check "the other image is still in a by digest" \
	sk copy "docker://$REG/interop/par/a@${dg[$loser]}" "oci:$T/pullb:v"
check "and identical" pulled_same "$T/img$loser" v "$T/pullb" v
for r in a b c d; do
	expect_status "shared layer present in $r" 200 HEAD \
		"$U/v2/interop/par/$r/blobs/$(jq -r '.layers[0].digest' "$(layout_blob "$T/img0" "${dg[0]}")")"
done
check "catalog lists the four repositories" bash -c \
	"curl -s '$U/v2/_catalog' | jq -e '[.repositories[] | select(startswith(\"interop/par/\"))] == [\"interop/par/a\",\"interop/par/b\",\"interop/par/c\",\"interop/par/d\"]'"

finish

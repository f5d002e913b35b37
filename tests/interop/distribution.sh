#!/usr/bin/env bash
# Storage compatibility with CNCF Distribution: both serve the same root
# directory in turn.  What one wrote, the other must serve unchanged:
# push to the server, pull through docker-registry; push through
# docker-registry, pull through the server.
source "$(dirname "$0")/common.sh"
start_registry || exit 1
root=$berth_root
cfg=$berth_config

make_image "$T/one" v1 dlbase:800K dlbig:6M
make_image "$T/two" v2 dlbase:800K dlother:2M
ARCH=arm64 make_image "$T/two" v2arm dlbase:800K dlarm:700K
make_index "$T/two" list v2 v2arm
one=$(layout_digest "$T/one" v1)

check "push to the server" sk copy "oci:$T/one:v1" "docker://$REG/interop/dist:v1"
check "push v2s2 to the server" sk copy --format v2s2 "oci:$T/one:v1" "docker://$REG/interop/dist:v2s2"
v2s2=$(reg_digest interop/dist v2s2)
stop_berth

start_distribution "$root" || exit 1
DREG=127.0.0.1:$dist_port
check "docker-registry serves the tag with the same digest" \
	test "$(curl -s -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"$dist_url/v2/interop/dist/manifests/v1" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *\([^\r]*\).*/\1/p')" = "$one"
check "pull through docker-registry" sk copy "docker://$DREG/interop/dist:v1" "oci:$T/pull1:v1"
check "identical manifest and blobs" pulled_same "$T/one" v1 "$T/pull1" v1
check "v2s2 manifest through docker-registry" test \
	"$(sk inspect "docker://$DREG/interop/dist:v2s2" | jq -r .Digest)" = "$v2s2"
check "docker-registry lists the tags" test \
	"$(sk list-tags "docker://$DREG/interop/dist" | jq -c '.Tags | sort')" = '["v1","v2s2"]'
check "docker-registry catalog" bash -c "curl -s '$dist_url/v2/_catalog' | jq -e '.repositories == [\"interop/dist\"]'"

check "push another image through docker-registry" sk copy "oci:$T/two:v2" "docker://$DREG/interop/dist2:v2"
check "push an index through docker-registry" sk copy --all "oci:$T/two:list" "docker://$DREG/interop/dist2:list"
check "push the first image to the second repository through docker-registry" sk copy "oci:$T/one:v1" "docker://$DREG/interop/dist2:v1"
check "delete v2s2 through docker-registry" sk delete "docker://$DREG/interop/dist:v2s2"
stop_distribution

start_registry "$cfg" || exit 1
check "the server serves what docker-registry wrote: v2" test \
	"$(reg_digest interop/dist2 v2)" = "$(layout_digest "$T/two" v2)"
check "pull it through the server" sk copy "docker://$REG/interop/dist2:v2" "oci:$T/pull2:v2"
check "identical manifest and blobs" pulled_same "$T/two" v2 "$T/pull2" v2
check "the index too" sk copy --all "docker://$REG/interop/dist2:list" "oci:$T/pull3:list"
check "index, children and blobs identical" pulled_same "$T/two" list "$T/pull3" list
check "and the mounted image" sk copy "docker://$REG/interop/dist2:v1" "oci:$T/pull4:v1"
check "identical" pulled_same "$T/one" v1 "$T/pull4" v1
check "server lists docker-registry's tags" test \
	"$(sk list-tags "docker://$REG/interop/dist2" | jq -c '.Tags | sort')" = '["list","v1","v2"]'
expect_status "the manifest docker-registry deleted is gone" 404 GET \
	"$berth_url/v2/interop/dist/manifests/v2s2" \
	-H 'Accept: application/vnd.docker.distribution.manifest.v2+json'
check "the first image still pulls" sk copy "docker://$REG/interop/dist:v1" "oci:$T/pull5:v1"
check "identical" pulled_same "$T/one" v1 "$T/pull5" v1
check "catalog has both repositories" bash -c \
	"curl -s '$berth_url/v2/_catalog' | jq -e '.repositories == [\"interop/dist\",\"interop/dist2\"]'"
check "push to the server on top of docker-registry's data" \
	sk copy "oci:$T/two:v2arm" "docker://$REG/interop/dist:arm"
stop_berth

start_distribution "$root" || exit 1
DREG=127.0.0.1:$dist_port
check "docker-registry reads the server's later write" \
	sk copy "docker://$DREG/interop/dist:arm" "oci:$T/pull6:v"
check "identical" pulled_same "$T/two" v2arm "$T/pull6" v

finish

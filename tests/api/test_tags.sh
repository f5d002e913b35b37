#!/usr/bin/env bash
# Tag listing and the catalog: sorted results, pagination with n and last,
# Link headers that lead through every page, and the error paths.
source "$(dirname "$0")/../lib.sh"
start_berth || exit 1
U=$berth_url
OCI_M=application/vnd.oci.image.manifest.v1+json

expect_status "empty registry: catalog 200" 200 GET "$U/v2/_catalog"
check "empty registry: no repositories" test "$(jq -c .repositories < "$T/body")" = '[]'

printf '{"architecture":"amd64","os":"linux"}' > "$T/config"
# push_image REPO TAG...: a config-only image tagged with every TAG
push_image() {
	local repo=$1 cfg tag; shift
	cfg=$(push_blob "$repo" "$T/config")
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[]}' \
		$OCI_M "$cfg" "$(stat -c %s "$T/config")" > "$T/m.json"
	for tag in "$@"; do
		curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H "Content-Type: $OCI_M" \
			--data-binary "@$T/m.json" "$U/v2/$repo/manifests/$tag"
	done
}

R=lib/tags
codes=$(push_image $R v2 v10 latest v1 A_upper 0.9 v1.0-rc_1 | sort -u)
check "all tags pushed" test "$codes" = 201

# --- tags/list ---
expect_status "tags/list" 200 GET "$U/v2/$R/tags/list"
check "tags/list Content-Type is JSON" bash -c "[[ '$(header Content-Type)' == application/json* ]]"
check "tags/list name" test "$(jq -r .name < "$T/body")" = "$R"
check "tags/list sorted in byte order" test "$(jq -c .tags < "$T/body")" = \
	'["0.9","A_upper","latest","v1","v1.0-rc_1","v10","v2"]'
check "no Link without n" test -z "$(header Link)"

expect_status "n=3" 200 GET "$U/v2/$R/tags/list?n=3"
check "n=3 first page" test "$(jq -c .tags < "$T/body")" = '["0.9","A_upper","latest"]'
check "n=3 Link header" test "$(header Link)" = "</v2/$R/tags/list?last=latest&n=3>; rel=\"next\""
expect_status "second page via last" 200 GET "$U/v2/$R/tags/list?n=3&last=latest"
check "second page" test "$(jq -c .tags < "$T/body")" = '["v1","v1.0-rc_1","v10"]'
check "second page Link" test "$(header Link)" = "</v2/$R/tags/list?last=v10&n=3>; rel=\"next\""
expect_status "last page" 200 GET "$U/v2/$R/tags/list?n=3&last=v10"
check "last page" test "$(jq -c .tags < "$T/body")" = '["v2"]'
check "no Link on the last page" test -z "$(header Link)"
expect_status "n equal to the remaining count" 200 GET "$U/v2/$R/tags/list?n=7"
check "n=7 all tags and no Link" test "$(jq '.tags | length' < "$T/body"):$(header Link)" = "7:"

# follow every Link from n=2 and collect the tags
follow() {
	local url="$U/v2/$R/tags/list?n=2" all="" link pages=0
	while [ -n "$url" ] && [ $pages -lt 20 ]; do
		curl -s -D "$T/fh" -o "$T/fb" "$url"
		all="$all$(jq -r '.tags[]' < "$T/fb" | tr '\n' ' ')"
		link=$(grep -i '^link:' "$T/fh" | sed 's/^[^<]*<\([^>]*\)>.*/\1/')
		url=${link:+$U$link}
		pages=$((pages + 1))
	done
	echo "$pages:$all"
}
check "following Link headers visits every tag once" \
	test "$(follow)" = "4:0.9 A_upper latest v1 v1.0-rc_1 v10 v2 "

expect_status "last alone" 200 GET "$U/v2/$R/tags/list?last=v1"
check "last alone: everything after" test "$(jq -c .tags < "$T/body")" = '["v1.0-rc_1","v10","v2"]'
expect_status "last after every tag" 200 GET "$U/v2/$R/tags/list?last=zzz"
check "last after every tag: empty" test "$(jq -c .tags < "$T/body")" = '[]'
expect_status "last need not be a tag" 200 GET "$U/v2/$R/tags/list?last=v15&n=5"
check "last between tags" test "$(jq -c .tags < "$T/body")" = '["v2"]'
expect_status "n=0" 200 GET "$U/v2/$R/tags/list?n=0"
check "n=0 gives an empty list" test "$(jq -c .tags < "$T/body")" = '[]'
check "n=0 has no Link" test -z "$(header Link)"

expect_error "n negative" 400 PAGINATION_NUMBER_INVALID GET "$U/v2/$R/tags/list?n=-1"
expect_error "n not a number" 400 PAGINATION_NUMBER_INVALID GET "$U/v2/$R/tags/list?n=abc"
expect_error "n empty" 400 PAGINATION_NUMBER_INVALID GET "$U/v2/$R/tags/list?n="
expect_error "n with a suffix" 400 PAGINATION_NUMBER_INVALID GET "$U/v2/$R/tags/list?n=3x"
expect_status "huge n" 200 GET "$U/v2/$R/tags/list?n=99999999999999999999"
check "huge n returns all" test "$(jq '.tags | length' < "$T/body")" = 7

expect_error "tags of an unknown repository" 404 NAME_UNKNOWN GET "$U/v2/no/such/tags/list"
expect_error "tags with an invalid name" 400 NAME_INVALID GET "$U/v2/Bad/tags/list"

# a repository with blobs but no tags exists and has no tags
push_blob lib/blobsonly "$T/config" > /dev/null
expect_status "repository without tags" 200 GET "$U/v2/lib/blobsonly/tags/list"
check "repository without tags: empty list" test "$(jq -c .tags < "$T/body")" = '[]'

# deleting a tag removes it from the list
expect_status "DELETE tag v2" 202 DELETE "$U/v2/$R/manifests/v2"
expect_status "tags after delete" 200 GET "$U/v2/$R/tags/list"
check "v2 no longer listed" test "$(jq -c .tags < "$T/body")" = \
	'["0.9","A_upper","latest","v1","v1.0-rc_1","v10"]'

# --- catalog ---
push_image lib/tags/nested x > /dev/null
push_image lib-dash y > /dev/null
push_image a z > /dev/null
push_image zeta/deep/er/repo z > /dev/null
# a started upload makes a repository too
curl -s -o /dev/null -X POST "$U/v2/uploadonly/blobs/uploads/"
# Walk order, component by component (as Distribution's catalog):
# "lib/..." comes before "lib-dash".
want='["a","lib/blobsonly","lib/tags","lib/tags/nested","lib-dash","uploadonly","zeta/deep/er/repo"]'
expect_status "catalog" 200 GET "$U/v2/_catalog"
check "catalog: every repository, in walk order, nested ones included" \
	test "$(jq -c .repositories < "$T/body")" = "$want"
check "catalog: no Link without n" test -z "$(header Link)"
expect_status "catalog n=2" 200 GET "$U/v2/_catalog?n=2"
check "catalog first page" test "$(jq -c .repositories < "$T/body")" = '["a","lib/blobsonly"]'
check "catalog Link" test "$(header Link)" = '</v2/_catalog?last=lib/blobsonly&n=2>; rel="next"'
expect_status "catalog page 2" 200 GET "$U/v2/_catalog?n=2&last=lib/blobsonly"
check "catalog second page" test "$(jq -c .repositories < "$T/body")" = '["lib/tags","lib/tags/nested"]'
expect_status "catalog page 3" 200 GET "$U/v2/_catalog?n=2&last=lib/tags/nested"
check "catalog third page" test "$(jq -c .repositories < "$T/body")" = '["lib-dash","uploadonly"]'
expect_status "catalog page 4" 200 GET "$U/v2/_catalog?n=2&last=uploadonly"
check "catalog last page" test "$(jq -c .repositories < "$T/body")" = '["zeta/deep/er/repo"]'
check "catalog last page has no Link" test -z "$(header Link)"
expect_status "catalog n=0" 200 GET "$U/v2/_catalog?n=0"
check "catalog n=0 empty" test "$(jq -c .repositories < "$T/body")" = '[]'
expect_error "catalog n invalid" 400 PAGINATION_NUMBER_INVALID GET "$U/v2/_catalog?n=x"
expect_error "catalog n negative" 400 PAGINATION_NUMBER_INVALID GET "$U/v2/_catalog?n=-5"
check "catalog: storage has no repository named after an internal directory" \
	bash -c "! curl -s '$U/v2/_catalog' | jq -r '.repositories[]' | grep -q _"

# catalog.maxentries caps a page, with or without n; Link leads on
cap_port=$(free_port)
write_config "$T/cap.yml" "$berth_root" "$cap_port" 'catalog:
  maxentries: 2'
start_extra_berth "$T/cap.yml" || exit 1
expect_status "maxentries: catalog without n" 200 GET "$extra_url/v2/_catalog"
check "maxentries: a page of 2 without n" test "$(jq -c .repositories < "$T/body")" = '["a","lib/blobsonly"]'
check "maxentries: Link to the rest" test "$(header Link)" = '</v2/_catalog?last=lib/blobsonly&n=2>; rel="next"'
expect_status "maxentries: catalog n=5" 200 GET "$extra_url/v2/_catalog?n=5"
check "maxentries: n above the cap gets 2" test "$(jq -c .repositories < "$T/body")" = '["a","lib/blobsonly"]'
expect_status "maxentries: catalog n=1" 200 GET "$extra_url/v2/_catalog?n=1"
check "maxentries: n below the cap is kept" test "$(jq -c .repositories < "$T/body")" = '["a"]'
stop_extra_berth

finish

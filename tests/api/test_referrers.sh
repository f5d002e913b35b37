#!/usr/bin/env bash
# Referrers API (OCI distribution spec v1.1): manifests with a subject,
# the OCI-Subject header on PUT, the index of referrers with descriptors,
# the artifactType filter, deletes, and the error paths.
source "$(dirname "$0")/../lib.sh"
start_berth || exit 1
U=$berth_url
OCI_M=application/vnd.oci.image.manifest.v1+json
OCI_I=application/vnd.oci.image.index.v1+json
EMPTY=application/vnd.oci.empty.v1+json
R=ref/app

# the subject: a plain image
printf '{"architecture":"amd64","os":"linux"}' > "$T/config"
printf '{}' > "$T/empty"
head -c 2000 /dev/urandom > "$T/sig"
head -c 3000 /dev/urandom > "$T/sbom"
cfg=$(push_blob $R "$T/config")
empty=$(push_blob $R "$T/empty")
sig=$(push_blob $R "$T/sig")
sbom=$(push_blob $R "$T/sbom")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[]}' \
	$OCI_M "$cfg" "$(stat -c %s "$T/config")" > "$T/subject.json"
subj=$(sha256_of "$T/subject.json")
ssize=$(stat -c %s "$T/subject.json")
expect_status "PUT the subject" 201 PUT "$U/v2/$R/manifests/v1" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/subject.json"

expect_status "no referrers yet" 200 GET "$U/v2/$R/referrers/$subj"
check "referrers Content-Type is the OCI index type" test "$(header Content-Type)" = "$OCI_I"
check "empty index" test "$(jq -c . < "$T/body")" = \
	"{\"schemaVersion\":2,\"mediaType\":\"$OCI_I\",\"manifests\":[]}"

# artifact ARTIFACT_TYPE LAYER_DIGEST LAYER_SIZE [extra members]: an
# artifact manifest with the empty config, referring to the subject
artifact() {
	printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"%s","config":{"mediaType":"%s","digest":"%s","size":2},"layers":[{"mediaType":"application/octet-stream","digest":"%s","size":%s}],"subject":{"mediaType":"%s","digest":"%s","size":%s}%s}' \
		$OCI_M "$1" $EMPTY "$empty" "$2" "$3" $OCI_M "$subj" "$ssize" "${4:-}"
}
artifact application/vnd.example.signature "$sig" 2000 ',"annotations":{"org.example.signer":"alice"}' > "$T/a1.json"
artifact application/vnd.example.sbom "$sbom" 3000 ',"annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}' > "$T/a2.json"
a1=$(sha256_of "$T/a1.json"); a2=$(sha256_of "$T/a2.json")

expect_status "PUT a signature by digest" 201 PUT "$U/v2/$R/manifests/$a1" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/a1.json"
check "PUT with a subject answers OCI-Subject" test "$(header OCI-Subject)" = "$subj"
expect_status "PUT an SBOM by tag" 201 PUT "$U/v2/$R/manifests/sbom" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/a2.json"
check "second OCI-Subject" test "$(header OCI-Subject)" = "$subj"

# an image whose artifactType comes from config.mediaType
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.example.config+json","digest":"%s","size":%s},"layers":[],"subject":{"mediaType":"%s","digest":"%s","size":%s}}' \
	$OCI_M "$cfg" "$(stat -c %s "$T/config")" $OCI_M "$subj" "$ssize" > "$T/a3.json"
a3=$(sha256_of "$T/a3.json")
expect_status "PUT a referrer without artifactType" 201 PUT "$U/v2/$R/manifests/$a3" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/a3.json"

expect_status "GET referrers" 200 GET "$U/v2/$R/referrers/$subj"
check "referrers index schemaVersion and mediaType" \
	test "$(jq -c '[.schemaVersion, .mediaType]' < "$T/body")" = "[2,\"$OCI_I\"]"
check "three referrers" test "$(jq '.manifests | length' < "$T/body")" = 3
check "no OCI-Filters-Applied without a filter" test -z "$(header OCI-Filters-Applied)"
check "signature descriptor" test "$(jq -c --arg d "$a1" '.manifests[] | select(.digest == $d)' < "$T/body")" = \
	"{\"mediaType\":\"$OCI_M\",\"digest\":\"$a1\",\"size\":$(stat -c %s "$T/a1.json"),\"artifactType\":\"application/vnd.example.signature\",\"annotations\":{\"org.example.signer\":\"alice\"}}"
check "SBOM descriptor size and annotations" \
	test "$(jq -c --arg d "$a2" '.manifests[] | select(.digest == $d) | [.size, .artifactType, .annotations["org.opencontainers.image.created"]]' < "$T/body")" = \
	"[$(stat -c %s "$T/a2.json"),\"application/vnd.example.sbom\",\"2024-01-01T00:00:00Z\"]"
check "artifactType falls back to config.mediaType" \
	test "$(jq -r --arg d "$a3" '.manifests[] | select(.digest == $d) | .artifactType' < "$T/body")" = \
	application/vnd.example.config+json
check "a descriptor without annotations has none" \
	test "$(jq -c --arg d "$a3" '.manifests[] | select(.digest == $d) | has("annotations")' < "$T/body")" = false

expect_status "filter by artifactType" 200 GET \
	"$U/v2/$R/referrers/$subj?artifactType=application/vnd.example.sbom"
check "filter keeps only the SBOM" test "$(jq -c '[.manifests[].digest]' < "$T/body")" = "[\"$a2\"]"
check "OCI-Filters-Applied: artifactType" test "$(header OCI-Filters-Applied)" = artifactType
expect_status "filter matching nothing" 200 GET \
	"$U/v2/$R/referrers/$subj?artifactType=application/vnd.example.none"
check "filter matching nothing: empty" test "$(jq '.manifests | length' < "$T/body")" = 0
check "filter matching nothing: header still set" test "$(header OCI-Filters-Applied)" = artifactType

# an index can refer to a subject too
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"application/vnd.example.bundle","manifests":[{"mediaType":"%s","digest":"%s","size":%s}],"subject":{"mediaType":"%s","digest":"%s","size":%s}}' \
	$OCI_I $OCI_M "$a1" "$(stat -c %s "$T/a1.json")" $OCI_M "$subj" "$ssize" > "$T/i1.json"
i1=$(sha256_of "$T/i1.json")
expect_status "PUT an index with a subject" 201 PUT "$U/v2/$R/manifests/$i1" \
	-H "Content-Type: $OCI_I" --data-binary "@$T/i1.json"
check "index OCI-Subject" test "$(header OCI-Subject)" = "$subj"
expect_status "GET referrers with the index" 200 GET "$U/v2/$R/referrers/$subj"
check "index listed with its media type" \
	test "$(jq -r --arg d "$i1" '.manifests[] | select(.digest == $d) | .mediaType + " " + .artifactType' < "$T/body")" = \
	"$OCI_I application/vnd.example.bundle"

# a subject that does not exist (yet) is accepted
other="sha256:$(printf 'b%.0s' $(seq 1 64))"
sed "s/$subj/$other/" "$T/a1.json" > "$T/dangling.json"
dg=$(sha256_of "$T/dangling.json")
expect_status "PUT a referrer of an absent subject" 201 PUT "$U/v2/$R/manifests/$dg" \
	-H "Content-Type: $OCI_M" --data-binary "@$T/dangling.json"
check "OCI-Subject for the absent subject" test "$(header OCI-Subject)" = "$other"
expect_status "referrers of the absent subject" 200 GET "$U/v2/$R/referrers/$other"
check "lists the referrer" test "$(jq -c '[.manifests[].digest]' < "$T/body")" = "[\"$dg\"]"

# unknown subject, other repository, errors
expect_status "unknown subject: 200" 200 GET "$U/v2/$R/referrers/sha256:$(printf 'c%.0s' $(seq 1 64))"
check "unknown subject: empty manifests" test "$(jq -c .manifests < "$T/body")" = '[]'
expect_status "referrers are per repository" 200 GET "$U/v2/ref/other/referrers/$subj"
check "other repository: empty" test "$(jq -c .manifests < "$T/body")" = '[]'
expect_error "malformed digest" 400 DIGEST_INVALID GET "$U/v2/$R/referrers/sha256:abc"
expect_error "not a digest" 400 DIGEST_INVALID GET "$U/v2/$R/referrers/latest"
expect_error "invalid repository name" 400 NAME_INVALID GET "$U/v2/Ref/referrers/$subj"
expect_error "POST is not allowed" 405 UNSUPPORTED POST "$U/v2/$R/referrers/$subj"

# deleting a referrer removes it from the list; the subject is untouched
expect_status "DELETE the signature" 202 DELETE "$U/v2/$R/manifests/$a1"
expect_status "referrers after the delete" 200 GET "$U/v2/$R/referrers/$subj"
check "signature no longer listed" test "$(jq -c --arg d "$a1" '[.manifests[] | select(.digest == $d)]' < "$T/body")" = '[]'
check "the others remain" test "$(jq '.manifests | length' < "$T/body")" = 3
expect_status "DELETE the SBOM by digest (also removes its tag)" 202 DELETE "$U/v2/$R/manifests/$a2"
expect_error "SBOM tag gone" 404 MANIFEST_UNKNOWN GET "$U/v2/$R/manifests/sbom"
expect_status "referrers after the second delete" 200 GET "$U/v2/$R/referrers/$subj"
check "two left, sorted by digest" test "$(jq -c '[.manifests[].digest]' < "$T/body")" = \
	"$(printf '%s\n' "$a3" "$i1" | sort | jq -Rsc 'split("\n") | map(select(. != ""))')"
expect_status "the subject still resolves" 200 GET "$U/v2/$R/manifests/v1"

finish

#!/usr/bin/env bash
# Access control and TLS over the HTTP API with curl: htpasswd over HTTPS,
# tokens from the built-in token service, forged and misdirected tokens,
# upload hijacking, mounts and the catalog, refused configurations, mutual
# TLS and certificate reload.  Every refused write also checks that
# nothing was stored.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../auth/pki.sh"

PKI=$T/pki
make_pki "$PKI" || { fail "test certificates" "$(tail -5 "$PKI/pki.log")"; finish; exit 1; }
C=(--cacert "$PKI/ca.crt")
head -c 3000 /dev/urandom > "$T/blob.bin"
head -c 2000 /dev/urandom > "$T/neg.bin"
BLOB=$(sha256_of "$T/blob.bin")
NEG=$(sha256_of "$T/neg.bin")

# base_config PORT ROOT: storage and HTTPS listener (append auth yourself).
base_config() {
	cat <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $2
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$1
  tls:
    certificate: $PKI/server.crt
    key: $PKI/server.key
YAML
}

# stored REPO DIGEST: the repository links the blob, or the blob exists.
blob_file() { echo "$berth_root/docker/registry/v2/blobs/sha256/${2:7:2}/${2:7}/data"; }
upload_count() {
	ls "$berth_root/docker/registry/v2/repositories/$1/_uploads" 2>/dev/null | wc -l
}

# push_mono REPO FILE [curl auth args...]: monolithic POST ?digest=.
push_mono() {
	local repo=$1 file=$2; shift 2
	http POST "$berth_url/v2/$repo/blobs/uploads/?digest=$(sha256_of "$file")" "${C[@]}" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$file" "$@"
}

# refused_push DESC STATUS CODE [curl auth args...]: a push of neg.bin to
# team/app is refused with STATUS CODE and leaves nothing behind.
refused_push() {
	local desc=$1 want=$2 code=$3; shift 3
	local before got
	before=$(upload_count team/app)
	push_mono team/app "$T/neg.bin" "$@"
	got=$(jq -r '.errors[0].code' < "$T/body" 2>/dev/null)
	if [ "$status" != "$want" ] || [ "$got" != "$code" ]; then
		fail "$desc" "want $want $code, got $status $got: $(head -c 300 "$T/body")"
	elif [ -e "$(blob_file x "$NEG")" ] || [ "$(upload_count team/app)" != "$before" ]; then
		fail "$desc" "something was stored"
	else
		pass "$desc"
	fi
}

# ---------------------------------------------------------------- htpasswd
port=$(free_port)
berth_root=$T/root-htpasswd
cfg=$T/htpasswd.yml
{ base_config "$port" "$berth_root"; cat <<YAML
auth:
  htpasswd:
    realm: berth-test
    path: $PKI/htpasswd
YAML
} > "$cfg"
start_tls_berth "$cfg" || { finish; exit 1; }
U=$berth_url
ALICE=(-u alice:alice-pw)

expect_error "htpasswd: /v2/ without credentials" 401 UNAUTHORIZED GET "$U/v2/" "${C[@]}"
check "htpasswd: Basic challenge with the realm" test "$(header WWW-Authenticate)" = 'Basic realm="berth-test"'
expect_error "htpasswd: wrong password" 401 UNAUTHORIZED GET "$U/v2/" "${C[@]}" -u alice:wrong
expect_error "htpasswd: unknown user" 401 UNAUTHORIZED GET "$U/v2/" "${C[@]}" -u mallory:alice-pw
expect_status "htpasswd: /v2/ with credentials" 200 GET "$U/v2/" "${C[@]}" "${ALICE[@]}"
refused_push "htpasswd: push without credentials" 401 UNAUTHORIZED
refused_push "htpasswd: push with a wrong password" 401 UNAUTHORIZED -u alice:alice-pwx
push_mono team/app "$T/blob.bin" "${ALICE[@]}"
check "htpasswd: push with credentials" test "$status" = 201
expect_status "htpasswd: pull with credentials" 200 GET "$U/v2/team/app/blobs/$BLOB" "${C[@]}" "${ALICE[@]}"
expect_error "htpasswd: pull without credentials" 401 UNAUTHORIZED GET "$U/v2/team/app/blobs/$BLOB" "${C[@]}"

# Another account cannot use alice's upload.
http POST "$U/v2/team/app/blobs/uploads/" "${C[@]}" "${ALICE[@]}"
loc=$(header Location)
case "$loc" in http*) ;; *) loc=$U$loc ;; esac
expect_error "upload hijack: PATCH by another account" 404 BLOB_UPLOAD_UNKNOWN PATCH "$loc" "${C[@]}" \
	-u bob:bob-pw -H 'Content-Type: application/octet-stream' --data-binary "@$T/neg.bin"
expect_error "upload hijack: PUT by another account" 404 BLOB_UPLOAD_UNKNOWN PUT "$(with_query "$loc" "digest=$NEG")" "${C[@]}" \
	-u bob:bob-pw -H 'Content-Type: application/octet-stream' --data-binary "@$T/neg.bin"
expect_error "upload hijack: status by another account" 404 BLOB_UPLOAD_UNKNOWN GET "$loc" "${C[@]}" -u bob:bob-pw
expect_error "upload hijack: cancel by another account" 404 BLOB_UPLOAD_UNKNOWN DELETE "$loc" "${C[@]}" -u bob:bob-pw
check "upload hijack: nothing was stored" test ! -e "$(blob_file x "$NEG")"
expect_status "the owner still finishes the upload" 201 PUT "$(with_query "$loc" "digest=$NEG")" "${C[@]}" "${ALICE[@]}" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/neg.bin"
rm -f "$(blob_file x "$NEG")"

# TLS: plain HTTP on the TLS port fails cleanly, the server keeps serving.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/v2/")
check "plain HTTP to the TLS port gets no HTTP answer" test "$code" = 000
expect_status "the server still serves HTTPS afterwards" 200 GET "$U/v2/" "${C[@]}" "${ALICE[@]}"
check "TLS 1.1 is refused" bash -c "! curl -s -o /dev/null --tls-max 1.1 --cacert '$PKI/ca.crt' '$U/v2/'"
check "the server certificate verifies for 127.0.0.1" curl -sf -o /dev/null "${C[@]}" "${ALICE[@]}" "$U/v2/"

# SIGHUP: a renewed certificate is used by new handshakes; a broken one
# is refused and the server goes on with the previous one.
mkdir -p "$T/renew"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=renewed" \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/renew/key" -out "$T/renew/crt" 2>/dev/null
cp "$PKI/server.crt" "$T/renew/orig.crt"; cp "$PKI/server.key" "$T/renew/orig.key"
exec 9< <(sleep 3 | curl -s -o /dev/null "${C[@]}" "${ALICE[@]}" -T - "$U/v2/" 2>/dev/null)
cp "$T/renew/crt" "$PKI/server.crt"; cp "$T/renew/key" "$PKI/server.key"
kill -HUP "$berth_pid"; sleep 0.3
check "after SIGHUP new handshakes use the renewed certificate" \
	curl -sf -o /dev/null --cacert "$T/renew/crt" "${ALICE[@]}" "$U/v2/"
check "and no longer the old one" bash -c "! curl -s -o /dev/null --cacert '$PKI/ca.crt' '$U/v2/'"
echo garbage > "$PKI/server.key"
kill -HUP "$berth_pid"; sleep 0.3
check "a broken key on SIGHUP keeps the previous certificate" \
	curl -sf -o /dev/null --cacert "$T/renew/crt" "${ALICE[@]}" "$U/v2/"
check "the server is still running" kill -0 "$berth_pid"
cp "$T/renew/orig.crt" "$PKI/server.crt"; cp "$T/renew/orig.key" "$PKI/server.key"
exec 9<&-
stop_berth

# ------------------------------------------------------ refused settings
refuses() {
	local desc=$1 cfgf=$2 want=$3
	if timeout 10 env BERTH_DRIVER_DIR="$BUILD/lib/berth" "$BUILD/bin/berth" serve "$cfgf" \
		> "$T/refused.log" 2>&1; then
		fail "$desc" "the server started (and exited 0)"
	elif ! grep -q -- "$want" "$T/refused.log"; then
		fail "$desc" "$(tail -3 "$T/refused.log")"
	else
		pass "$desc"
	fi
}
p2=$(free_port)
write_config "$T/plain-htpasswd.yml" "$T/root-plain" "$p2" "auth:
  htpasswd:
    realm: berth-test
    path: $PKI/htpasswd"
# on an address other machines reach (on loopback only it starts with a
# warning: tests/api/test_check_config.sh)
sed -i "s/addr: 127.0.0.1:/addr: 0.0.0.0:/" "$T/plain-htpasswd.yml"
refuses "htpasswd over plain HTTP is refused" "$T/plain-htpasswd.yml" "plain HTTP"
write_config "$T/crlf.yml" "$T/root-plain" "$p2" 'auth:
  htpasswd:
    realm: "berth\r\nX-Injected: 1"
    path: /dev/null
    allowinsecure: true'
refuses "a realm with CR/LF is refused at load" "$T/crlf.yml" "auth.htpasswd.realm"
write_config "$T/quote.yml" "$T/root-plain" "$p2" "auth:
  token:
    realm: 'https://x/token\",error=\"x'
    service: s
    issuer: i
    jwks: /dev/null"
refuses "a realm with a quote is refused at load" "$T/quote.yml" "auth.token.realm"

# allowinsecure: a test set-up over plain HTTP.
write_config "$T/insecure.yml" "$T/root-insecure" "$p2" "auth:
  htpasswd:
    realm: berth-test
    path: $PKI/htpasswd
    allowinsecure: true"
start_berth "$T/insecure.yml" || { finish; exit 1; }
expect_error "allowinsecure: plain HTTP asks for credentials" 401 UNAUTHORIZED GET "$berth_url/v2/"
expect_status "allowinsecure: and accepts them" 200 GET "$berth_url/v2/" -u alice:alice-pw
stop_berth

# ------------------------------------------------------------------ tokens
port=$(free_port)
berth_root=$T/root-token
cfg=$T/token.yml
REALM=https://127.0.0.1:$port/token
{ base_config "$port" "$berth_root"; cat <<YAML
auth:
  token:
    realm: $REALM
    service: berth-test
    issuer: berth-test-issuer
    rootcertbundle: $PKI/signer.crt
    builtin: true
    signingkey: $PKI/signer.key
    htpasswd: $PKI/htpasswd
    expiration: 5m
    acl:
      - {account: alice, name: "team/*", actions: [pull, push, delete]}
      - {account: bob, name: "team/*", actions: [pull]}
      - {account: "*", name: "\${account}/*", actions: [pull, push]}
      - {account: admin, type: registry, name: catalog, actions: ["*"]}
YAML
} > "$cfg"
start_tls_berth "$cfg" || { finish; exit 1; }
U=$berth_url

# jwt_claims TOKEN: the decoded claims.
jwt_claims() {
	local c; c=$(echo "$1" | cut -d. -f2 | tr -- '-_' '+/')
	while [ $(( ${#c} % 4 )) -ne 0 ]; do c="$c="; done
	echo "$c" | base64 -d
}
export -f jwt_claims

# token USER SCOPE...: a token from the built-in service.
token() {
	local user=$1 q="service=berth-test"; shift
	for s in "$@"; do q="$q&scope=$s"; done
	curl -s "${C[@]}" -u "$user:$user-pw" "$REALM?$q" | jq -r .token
}

expect_error "token: /v2/ without credentials" 401 UNAUTHORIZED GET "$U/v2/" "${C[@]}"
check "token: Bearer challenge names realm and service" \
	test "$(header WWW-Authenticate)" = "Bearer realm=\"$REALM\",service=\"berth-test\""
expect_error "token: pull without credentials" 401 UNAUTHORIZED GET "$U/v2/team/app/manifests/v1" "${C[@]}"
check "token: the challenge carries the scope" \
	test "$(header WWW-Authenticate)" = "Bearer realm=\"$REALM\",service=\"berth-test\",scope=\"repository:team/app:pull\""
expect_error "token service: wrong password" 401 UNAUTHORIZED GET "$REALM?service=berth-test" "${C[@]}" -u alice:nope
expect_status "token service: right password" 200 GET "$REALM?service=berth-test&scope=repository:team/app:pull,push&scope=repository:other/x:pull" \
	"${C[@]}" -u alice:alice-pw
check "token service: token, access_token, expires_in, issued_at" \
	jq -e '(.token|length)>0 and .access_token==.token and .expires_in==300 and (.issued_at|test("Z$"))' "$T/body"
claims=$(jwt_claims "$(jq -r .token "$T/body")")
check "token service: grants only what the access list allows" test \
	"$(echo "$claims" | jq -cS '.access')" = '[{"actions":["pull","push"],"name":"team/app","type":"repository"}]'

TA=$(token alice repository:team/app:pull,push)
TB=$(token bob repository:team/app:pull,push)
TADMIN=$(token admin registry:catalog:*)
expect_status "token: /v2/ with any valid token" 200 GET "$U/v2/" "${C[@]}" -H "Authorization: Bearer $TB"
push_mono team/app "$T/blob.bin" -H "Authorization: Bearer $TA"
check "token: alice pushes to team/app" test "$status" = 201
expect_status "token: bob pulls from team/app" 200 GET "$U/v2/team/app/blobs/$BLOB" "${C[@]}" -H "Authorization: Bearer $TB"
refused_push "token: pull-only bob cannot push (DENIED)" 403 DENIED -H "Authorization: Bearer $TB"
check "token: DENIED carries error=insufficient_scope" bash -c "grep -qi '^WWW-Authenticate:.*error=\"insufficient_scope\"' '$T/headers'"
expect_error "token: bob cannot delete" 403 DENIED DELETE "$U/v2/team/app/blobs/$BLOB" "${C[@]}" -H "Authorization: Bearer $TB"
expect_status "token: the blob is still there" 200 HEAD "$U/v2/team/app/blobs/$BLOB" "${C[@]}" -H "Authorization: Bearer $TB"

# Mount: carol may push to carol/*, but cannot read team/*.
TC=$(token carol repository:carol/x:pull,push repository:team/app:pull)
expect_status "mount from an unreadable repository falls back to an upload" 202 POST \
	"$U/v2/carol/x/blobs/uploads/?mount=$BLOB&from=team/app" "${C[@]}" -H "Authorization: Bearer $TC"
expect_status "and the blob was not linked" 404 HEAD "$U/v2/carol/x/blobs/$BLOB" "${C[@]}" -H "Authorization: Bearer $TC"
expect_status "automatic mount without from is not done under tokens" 202 POST \
	"$U/v2/carol/x/blobs/uploads/?mount=$BLOB" "${C[@]}" -H "Authorization: Bearer $TC"
TA2=$(token alice repository:team/copy:pull,push repository:team/app:pull)
expect_status "mount with pull on the source works" 201 POST \
	"$U/v2/team/copy/blobs/uploads/?mount=$BLOB&from=team/app" "${C[@]}" -H "Authorization: Bearer $TA2"

# Catalog.
expect_error "catalog without the catalog scope" 403 DENIED GET "$U/v2/_catalog" "${C[@]}" -H "Authorization: Bearer $TA"
check "the catalog challenge asks for registry:catalog:*" bash -c "grep -qi 'scope=\"registry:catalog:\\*\"' '$T/headers'"
TAC=$(token alice 'registry:catalog:*')
expect_error "alice is not granted the catalog" 403 DENIED GET "$U/v2/_catalog" "${C[@]}" -H "Authorization: Bearer $TAC"
expect_status "admin lists the catalog" 200 GET "$U/v2/_catalog" "${C[@]}" -H "Authorization: Bearer $TADMIN"

# Forged and misdirected tokens.
now=$(date +%s)
KID=$(kid_of "$PKI/signer.key")
HDR="{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"$KID\"}"
claims_json() { # ISS AUD EXP NAME
	printf '{"iss":"%s","sub":"alice","aud":"%s","exp":%s,"nbf":%s,"iat":%s,"access":[{"type":"repository","name":"%s","actions":["pull","push"]}]}' \
		"$1" "$2" "$3" $((now - 10)) $((now - 10)) "$4"
}
GOOD=$(mkjwt "$PKI/signer.key" "$HDR" "$(claims_json berth-test-issuer berth-test $((now + 300)) team/app)")
expect_status "a hand-signed token with the trusted key works (test sanity)" 200 \
	HEAD "$U/v2/team/app/blobs/$BLOB" "${C[@]}" -H "Authorization: Bearer $GOOD"
refused_push "expired token" 401 UNAUTHORIZED -H "Authorization: Bearer $(mkjwt "$PKI/signer.key" "$HDR" \
	"$(claims_json berth-test-issuer berth-test $((now - 600)) team/app)")"
refused_push "token for another service (audience)" 401 UNAUTHORIZED -H "Authorization: Bearer $(mkjwt "$PKI/signer.key" "$HDR" \
	"$(claims_json berth-test-issuer other-registry $((now + 300)) team/app)")"
refused_push "token from another issuer" 401 UNAUTHORIZED -H "Authorization: Bearer $(mkjwt "$PKI/signer.key" "$HDR" \
	"$(claims_json someone-else berth-test $((now + 300)) team/app)")"
refused_push "token signed by an untrusted key (trusted kid)" 401 UNAUTHORIZED -H "Authorization: Bearer $(mkjwt "$PKI/untrusted.key" "$HDR" \
	"$(claims_json berth-test-issuer berth-test $((now + 300)) team/app)")"
UKID=$(kid_of "$PKI/untrusted.key")
refused_push "token signed by an untrusted key (its own kid)" 401 UNAUTHORIZED -H "Authorization: Bearer $(mkjwt "$PKI/untrusted.key" \
	"{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"$UKID\"}" "$(claims_json berth-test-issuer berth-test $((now + 300)) team/app)")"
NONE_H=$(printf '{"alg":"none","kid":"%s"}' "$KID" | b64url)
NONE_C=$(claims_json berth-test-issuer berth-test $((now + 300)) team/app | b64url)
refused_push "alg none" 401 UNAUTHORIZED -H "Authorization: Bearer $NONE_H.$NONE_C."
# Tampered: bob's real token with a payload granting push.
bob_hdr=$(echo "$TB" | cut -d. -f1); bob_sig=$(echo "$TB" | cut -d. -f3)
evil=$(printf '{"iss":"berth-test-issuer","sub":"bob","aud":"berth-test","exp":%s,"nbf":%s,"access":[{"type":"repository","name":"team/app","actions":["pull","push"]}]}' \
	$((now + 300)) $((now - 10)) | b64url)
refused_push "tampered payload" 401 UNAUTHORIZED -H "Authorization: Bearer $bob_hdr.$evil.$bob_sig"
refused_push "scope for another repository" 403 DENIED -H "Authorization: Bearer $(mkjwt "$PKI/signer.key" "$HDR" \
	"$(claims_json berth-test-issuer berth-test $((now + 300)) team/other)")"
refused_push "Basic credentials are not a token" 401 UNAUTHORIZED -u alice:alice-pw

# Nothing from the request reaches the challenge header.
http GET "$U/v2/team/app%0d%0aX-Injected:%201/manifests/v1" "${C[@]}"
check "a CR/LF repository name is refused before any challenge" bash -c \
	"[ '$status' = 400 ] && ! grep -qi '^X-Injected' '$T/headers'"
http GET "$REALM?service=berth-test&scope=repository:team/app%0d%0aX-Injected:%201:pull" "${C[@]}" -u alice:alice-pw
check "a CR/LF scope gets no access and no injected header" bash -c \
	"[ '$status' = 200 ] && ! grep -qi '^X-Injected' '$T/headers' && \
	 [ \"\$(jwt_claims \"\$(jq -r .token '$T/body')\" | jq -c .access)\" = '[]' ]"
stop_berth

# ------------------------------------------------------------ mutual TLS
port=$(free_port)
berth_root=$T/root-mtls
cfg=$T/mtls.yml
{ base_config "$port" "$berth_root"; cat <<YAML
    clientcas:
      - $PKI/ca.crt
    clientauth: require-and-verify-client-cert
YAML
} > "$cfg"
start_tls_berth "$cfg" || { finish; exit 1; }
U=$berth_url
check "mTLS: without a client certificate the request fails" bash -c \
	"! curl -sf -o /dev/null --cacert '$PKI/ca.crt' '$U/v2/'"
check "mTLS: a certificate from another CA fails" bash -c \
	"! curl -sf -o /dev/null --cacert '$PKI/ca.crt' --cert '$PKI/other.crt' --key '$PKI/other.key' '$U/v2/'"
expect_status "mTLS: with the client certificate it succeeds" 200 GET "$U/v2/" "${C[@]}" \
	--cert "$PKI/client.crt" --key "$PKI/client.key"
check "mTLS: nothing was stored by refused clients" bash -c \
	"! curl -s -o /dev/null --cacert '$PKI/ca.crt' -X POST '$U/v2/x/blobs/uploads/' && [ ! -e '$berth_root/docker/registry/v2/repositories/x' ]"
stop_berth

# verify-client-cert-if-given: the handshake takes any certificate; each
# request is checked before it reaches an endpoint.
port=$(free_port)
berth_root=$T/root-mtls-if-given
cfg=$T/mtls-if-given.yml
{ base_config "$port" "$berth_root"; cat <<YAML
    clientcas:
      - $PKI/ca.crt
    clientauth: verify-client-cert-if-given
YAML
} > "$cfg"
start_tls_berth "$cfg" || { finish; exit 1; }
U=$berth_url
expect_status "mTLS if given: without a certificate the request passes" 200 GET "$U/v2/" "${C[@]}"
expect_status "mTLS if given: with the client certificate it passes" 200 GET "$U/v2/" "${C[@]}" \
	--cert "$PKI/client.crt" --key "$PKI/client.key"
expect_error "mTLS if given: a certificate from another CA is refused" 401 UNAUTHORIZED POST \
	"$U/v2/x/blobs/uploads/" "${C[@]}" --cert "$PKI/other.crt" --key "$PKI/other.key"
check "mTLS if given: nothing was stored for the refused client" test ! -e "$berth_root/docker/registry/v2/repositories/x"
stop_berth

finish

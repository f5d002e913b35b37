#!/usr/bin/env bash
# skopeo and podman against the server over verified HTTPS with access
# control: `login`, then push and pull, with htpasswd and with tokens from
# the built-in token service; a pull-only account cannot push.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/../auth/pki.sh"

PKI=$T/pki
make_pki "$PKI" || { fail "test certificates" "$(tail -5 "$PKI/pki.log")"; finish; exit 1; }
# containers/image reads CA certificates (*.crt) from a cert dir.
mkdir -p "$T/certs"
cp "$PKI/ca.crt" "$T/certs/ca.crt"
AUTH=$T/auth.json
SK=(timeout 180 skopeo --policy "$T/policy.json")
make_image "$T/src" v1 abase:300K adata:1M

serve() { # NAME AUTH_YAML
	local port; port=$(free_port)
	berth_root=$T/root-$1
	cat > "$T/$1.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $berth_root
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $PKI/server.crt
    key: $PKI/server.key
$(printf '%s\n' "$2" | sed "s/@PORT@/$port/g")
YAML
	start_tls_berth "$T/$1.yml" || return 1
	REG=127.0.0.1:$port
}

round_trip() { # LABEL USER REPO
	local l=$1 u=$2 repo=$3
	rm -f "$AUTH"
	check "$l: skopeo login" "${SK[@]}" login --authfile "$AUTH" --tls-verify=true \
		--cert-dir "$T/certs" -u "$u" -p "$u-pw" "$REG"
	check "$l: skopeo push over HTTPS" "${SK[@]}" copy --dest-authfile "$AUTH" \
		--dest-cert-dir "$T/certs" --dest-tls-verify=true "oci:$T/src:v1" "docker://$REG/$repo:v1"
	rm -rf "$T/pulled-$l"
	check "$l: skopeo pull over HTTPS" "${SK[@]}" copy --src-authfile "$AUTH" \
		--src-cert-dir "$T/certs" --src-tls-verify=true "docker://$REG/$repo:v1" "oci:$T/pulled-$l:v1"
	check "$l: pulled image is the pushed one" pulled_same "$T/src" v1 "$T/pulled-$l" v1
	check "$l: podman login" pm login --authfile "$AUTH.pm" --tls-verify=true \
		--cert-dir "$T/certs" -u "$u" -p "$u-pw" "$REG"
	check "$l: podman pull" pm pull --authfile "$AUTH.pm" --tls-verify=true \
		--cert-dir "$T/certs" "$REG/$repo:v1"
	check "$l: podman tag" pm tag "$REG/$repo:v1" "$REG/$repo-copy:v2"
	check "$l: podman push (mounts from $repo)" pm push --authfile "$AUTH.pm" --tls-verify=true \
		--cert-dir "$T/certs" "$REG/$repo-copy:v2"
	check "$l: skopeo sees the podman push" "${SK[@]}" inspect --authfile "$AUTH" \
		--cert-dir "$T/certs" --tls-verify=true "docker://$REG/$repo-copy:v2"
	check "$l: login with a wrong password fails" bash -c "! timeout 60 skopeo login \
		--authfile '$T/bad.json' --tls-verify=true --cert-dir '$T/certs' -u '$u' -p wrong '$REG'"
	check "$l: push without credentials fails" bash -c "! timeout 60 skopeo --policy '$T/policy.json' copy \
		--dest-authfile '$T/empty.json' --dest-cert-dir '$T/certs' 'oci:$T/src:v1' 'docker://$REG/$repo:anon'"
	check "$l: push without the CA fails verification" bash -c "timeout 60 skopeo --policy '$T/policy.json' copy \
		--dest-authfile '$AUTH' --dest-tls-verify=true 'oci:$T/src:v1' 'docker://$REG/$repo:noca' 2>&1 | grep -q x509"
}
printf '{"auths":{}}\n' > "$T/empty.json"

serve htpasswd "auth:
  htpasswd:
    realm: berth-interop
    path: $PKI/htpasswd" || { finish; exit 1; }
round_trip htpasswd alice team/app
pm rmi -a -f > /dev/null 2>&1
stop_berth

serve token "auth:
  token:
    realm: https://127.0.0.1:@PORT@/token
    service: berth-interop
    issuer: berth-interop-tokens
    builtin: true
    signingkey: $PKI/signer.key
    htpasswd: $PKI/htpasswd
    acl:
      - {account: alice, name: \"team/*\", actions: [pull, push]}
      - {account: bob, name: \"team/*\", actions: [pull]}" || { finish; exit 1; }
round_trip token alice team/app

rm -f "$AUTH"
check "token: bob logs in" "${SK[@]}" login --authfile "$AUTH" --cert-dir "$T/certs" -u bob -p bob-pw "$REG"
check "token: bob pulls" "${SK[@]}" copy --src-authfile "$AUTH" --src-cert-dir "$T/certs" \
	"docker://$REG/team/app:v1" "oci:$T/pulled-bob:v1"
"${SK[@]}" copy --dest-authfile "$AUTH" --dest-cert-dir "$T/certs" \
	"oci:$T/src:v1" "docker://$REG/team/app:bob" > "$T/bob-push.log" 2>&1
check "token: bob cannot push (denied)" bash -c "grep -qi 'denied' '$T/bob-push.log'"
check "token: bob's tag does not exist" bash -c "! timeout 60 skopeo inspect --authfile '$AUTH' \
	--cert-dir '$T/certs' 'docker://$REG/team/app:bob'"
finish

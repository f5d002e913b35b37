# tests/auth/pki.sh - certificates, keys, password files and hand-made
# tokens for the access-control and TLS suites.  Source after lib.sh.
#
#   make_pki DIR          a CA, a server certificate for 127.0.0.1, a client
#                         certificate, an unrelated CA and client, an RSA
#                         token signer with its certificate, an untrusted
#                         RSA key, and an htpasswd file (alice, bob, carol,
#                         admin; password "<name>-pw")
#   start_tls_berth CFG   start the server on an HTTPS config, wait for it
#   b64url                stdin to unpadded base64url
#   kid_of KEY            the libtrust key id of a key's public half
#   mkjwt KEY HDR CLAIMS  an RS256-signed token over the given JSON

make_pki() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=Berth Test CA" -keyout ca.key -out ca.crt
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=127.0.0.1" -keyout server.key -out server.csr
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 2 -extfile server.ext -out server.crt
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=client" -keyout client.key -out client.csr
		printf 'extendedKeyUsage=clientAuth\n' > client.ext
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 2 -extfile client.ext -out client.crt
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=Other CA" -keyout other.key -out other.crt
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=token signer" \
			-keyout signer.key -out signer.crt
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out untrusted.key
		for u in alice bob carol admin; do
			htpasswd -bB -C 5 $([ -f htpasswd ] || echo -c) htpasswd "$u" "$u-pw"
		done
	) > "$d/pki.log" 2>&1
}

start_tls_berth() {
	local cfg=$1 i
	berth_port=$(sed -n 's/^ *addr: *[0-9.]*:\([0-9]*\).*/\1/p' "$cfg" | head -1)
	berth_url=https://127.0.0.1:$berth_port
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BUILD/bin/berth" serve "$cfg" \
		>> "$T/berth-$berth_port.log" 2>&1 &
	berth_pid=$!
	for i in $(seq 1 100); do
		if curl -s -o /dev/null --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" \
			--key "$PKI/client.key" "$berth_url/v2/"; then return 0; fi
		kill -0 "$berth_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "berth did not start; log:" >&2
	cat "$T/berth-$berth_port.log" >&2
	return 1
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

kid_of() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null |
		openssl dgst -sha256 -binary | head -c 30 | base32 -w0 | tr -d '=' |
		sed 's/..../&:/g; s/:$//'
}

mkjwt() {
	local h c s
	h=$(printf '%s' "$2" | b64url)
	c=$(printf '%s' "$3" | b64url)
	s=$(printf '%s.%s' "$h" "$c" | openssl dgst -sha256 -sign "$1" -binary | b64url)
	echo "$h.$c.$s"
}

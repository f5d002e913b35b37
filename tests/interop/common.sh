# tests/interop/common.sh - what every interop suite shares: the test
# library, the image builder, wrappers for the real clients (skopeo,
# podman, docker manifest) pointed at the server under test, and a way to
# run CNCF Distribution beside it.
#
# Source it from a suite in tests/interop/; then start_berth and use $REG
# (127.0.0.1:<port>) in image references.  The clients run with their own
# policy, auth and storage files under $T, so nothing on the machine (or
# left by another run) changes what they do.

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/images.sh"

dist_pid=
cleanup_interop() {
	[ -n "$dist_pid" ] && kill "$dist_pid" 2>/dev/null && wait "$dist_pid" 2>/dev/null
	cleanup_lib
}
trap cleanup_interop EXIT

printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' > "$T/policy.json"
mkdir -p "$T/docker" "$T/containers"
printf '{}\n' > "$T/docker/config.json"
printf 'unqualified-search-registries = []\n' > "$T/containers/registries.conf"
export DOCKER_CONFIG=$T/docker
export CONTAINERS_REGISTRIES_CONF=$T/containers/registries.conf
# (not REGISTRY_AUTH_FILE: docker-registry reads REGISTRY_* variables as
# configuration overrides)

# sk ARGS...: skopeo with the test policy; TLS is off for every reference.
sk() {
	local cmd=$1; shift
	case $cmd in
	copy|sync) timeout 180 skopeo --policy "$T/policy.json" "$cmd" \
		--src-tls-verify=false --dest-tls-verify=false "$@" ;;
	*) timeout 60 skopeo --policy "$T/policy.json" "$cmd" --tls-verify=false "$@" ;;
	esac
}

# pm ARGS...: podman with vfs storage under $T (no daemon, no overlay).
pm() {
	timeout 180 podman --storage-driver vfs --root "$T/podman" --runroot "$T/podman-run" \
		--cgroup-manager cgroupfs --events-backend none "$@"
}

# reg_digest REPO REF: the Docker-Content-Digest the server answers for a
# manifest HEAD accepting every manifest type.
reg_digest() {
	curl -s -I "$berth_url/v2/$1/manifests/$2" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		-H 'Accept: application/vnd.oci.image.index.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' |
		sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *\([^\r]*\).*/\1/p'
}

# same_blobs SRC DST DIGEST: every blob DIGEST references (recursively) is
# present in layout DST with the same bytes as in layout SRC.
same_blobs() {
	local src=$1 dst=$2 dg n=0
	for dg in $(layout_blobs "$src" "$3"); do
		cmp -s "$(layout_blob "$src" "$dg")" "$(layout_blob "$dst" "$dg")" || {
			echo "blob $dg differs or is missing in $dst"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 1 ] || { echo "only $n blob(s) compared"; return 1; }
}

# pulled_same SRC TAG DST DTAG: the layout DST has DTAG at the same digest
# as TAG in SRC, with identical blobs.
pulled_same() {
	local want got
	want=$(layout_digest "$1" "$2")
	got=$(layout_digest "$3" "$4")
	[ -n "$want" ] && [ "$want" = "$got" ] || {
		echo "digest: want '$want', got '$got'"; return 1; }
	same_blobs "$1" "$3" "$want"
}

# dir_blobs_ok DIR: in a skopeo dir: copy, every blob file hashes to its
# name and the manifest's config and layers are all present.
dir_blobs_ok() {
	local d=$1 dg
	for dg in $(jq -r '.config.digest, .layers[].digest' "$d/manifest.json"); do
		[ -f "$d/${dg#sha256:}" ] || { echo "missing $dg"; return 1; }
		[ "$(sha256_of "$d/${dg#sha256:}")" = "$dg" ] || { echo "bad $dg"; return 1; }
	done
}

# wait_port PORT PID: wait (bounded) until something answers /v2/ on PORT;
# fail early if PID died.
wait_port() {
	local i
	for i in $(seq 1 200); do
		curl -s -o /dev/null "http://127.0.0.1:$1/v2/" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_distribution ROOT [PORT]: CNCF Distribution on ROOT; sets dist_pid,
# dist_port, dist_url.
start_distribution() {
	local root=$1
	dist_port=${2:-$(free_port)}
	dist_url=http://127.0.0.1:$dist_port
	cat > "$T/dist-$dist_port.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $root
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$dist_port
  secret: interop-test-secret
YAML
	/usr/bin/docker-registry serve "$T/dist-$dist_port.yml" \
		>> "$T/dist-$dist_port.log" 2>&1 &
	dist_pid=$!
	wait_port "$dist_port" "$dist_pid" && return 0
	echo "docker-registry did not start; log:" >&2
	cat "$T/dist-$dist_port.log" >&2
	return 1
}

stop_distribution() {
	[ -n "$dist_pid" ] || return 0
	kill "$dist_pid" 2>/dev/null
	wait "$dist_pid" 2>/dev/null
	dist_pid=
}

# start_registry: start_berth, then REG=127.0.0.1:<port> for image names.
start_registry() {
	start_berth "$@" || return 1
	REG=127.0.0.1:$berth_port
}

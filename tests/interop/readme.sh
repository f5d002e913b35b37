#!/usr/bin/env bash
# README examples: every ```sh block of README.md, run as written in a
# scratch directory of its own (with the repository's tools/ beside it)
# against a started Berth, with localhost:5000 / 127.0.0.1:5000 rewritten
# to the server's port.  Each block must exit 0 under `set -e -o pipefail`;
# then what the blocks pushed and pulled must be what tools/mkimage wrote.
# Blocks that are configuration, output or need other infrastructure are
# ```text or ```yaml and are not run.
source "$(dirname "$0")/common.sh"
start_registry || exit 1
repo=$(cd "$(dirname "$0")/../.." && pwd)

# podman with its storage under $T, no cgroup or journal needs (the
# README's commands run unchanged; only their environment is the test's)
mkdir -p "$T/containers"
cat > "$T/containers/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$T/podman"
runroot = "$T/podman-run"
CONF
cat > "$T/containers/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
CONF
export CONTAINERS_STORAGE_CONF=$T/containers/storage.conf
export CONTAINERS_CONF=$T/containers/containers.conf

# the ```sh blocks, one file each: $T/readme/block-N.sh
mkdir -p "$T/readme"
awk -v out="$T/readme/block-" '
	/^```sh[ \t]*$/ { n++; f = sprintf("%s%02d.sh", out, n); inb = 1; printf "" > f; next }
	/^```/ && inb { inb = 0; close(f); next }
	inb { print > f }
' "$repo/README.md"
blocks=("$T"/readme/block-*.sh)
check "README has runnable sh blocks" test -f "${blocks[0]}"

for b in "${blocks[@]}"; do
	n=$(basename "$b" .sh)
	sed -i -e "s/localhost:5000/localhost:$berth_port/g" \
		-e "s/127\.0\.0\.1:5000/127.0.0.1:$berth_port/g" "$b"
	dir=$T/readme/$n.d
	mkdir -p "$dir"
	ln -s "$repo/tools" "$dir/tools"
	first=$(grep -m1 -v '^[[:space:]]*$' "$b")
	if (cd "$dir" && timeout 300 bash -e -o pipefail "$b") > "$dir.log" 2>&1; then
		pass "README $n exits 0 ($first)"
	else
		fail "README $n exits 0 ($first)" "$(tail -5 "$dir.log")"
	fi
	# a block that pulled an image back: the same digest as pushed
	if [ -d "$dir/pulled" ] && [ -d "$dir/image" ]; then
		check "README $n: pulled image has the pushed digest" \
			pulled_same "$dir/image" v1 "$dir/pulled" v1
		check "README $n: the registry's digest is the image's" test \
			"$(reg_digest demo/app v1)" = "$(layout_digest "$dir/image" v1)"
	fi
	# a block that pushed with podman: the registry holds the image's config
	if grep -q '^podman push' "$b" && [ -d "$dir/image" ]; then
		want=$(jq -r .config.digest "$(layout_blob "$dir/image" "$(layout_digest "$dir/image" v1)")")
		check "README $n: podman pushed the image's config" test \
			"$(sk inspect --raw "docker://$REG/demo/app:podman" | jq -r .config.digest)" = "$want"
	fi
done
check "the skopeo and podman blocks both ran" test "$(grep -l 'podman push\|skopeo copy' "${blocks[@]}" | wc -l)" -ge 2
finish

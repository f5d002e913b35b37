#!/usr/bin/env bash
# One upload continued by two servers on the same filesystem root: each
# server's memo of the upload (hash state, size) must give way to what
# storage holds when the other server changed it (tests/upload_handoff.sh).
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/upload_handoff.sh"

start_berth || exit 1
root=$berth_root
# the second server: same root, its own port
write_config "$T/b.yml" "$root" "$(free_port)"
start_extra_berth "$T/b.yml" || exit 1

upload_gone() { [ ! -e "$root/docker/registry/v2/repositories/$1/_uploads/$2" ]; }
handoff_checks "$berth_url" "$extra_url" $((1 << 20)) upload_gone
finish

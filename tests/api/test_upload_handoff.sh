#!/usr/bin/env bash
# One upload continued by two servers on the same filesystem root: each
# server's memo of the upload (hash state, size) must give way to what
# storage holds when the other server changed it (tests/upload_handoff.sh).
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/upload_handoff.sh"

start_berth || exit 1
A=$berth_url
root=$berth_root
first_pid=$berth_pid
# the second server: same root, its own port
port_b=$(free_port)
write_config "$T/b.yml" "$root" "$port_b"
berth_pid=
start_berth "$T/b.yml" || exit 1
B=$berth_url
second_pid=$berth_pid
berth_pid=$first_pid

upload_gone() { [ ! -e "$root/docker/registry/v2/repositories/$1/_uploads/$2" ]; }
handoff_checks "$A" "$B" $((1 << 20)) upload_gone

kill "$second_pid" 2>/dev/null
wait "$second_pid" 2>/dev/null
finish

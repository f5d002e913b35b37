#!/usr/bin/env bash
# A storage driver built against the ABI 1.0 header as released
# (tests/fixtures/abi-1.0, storage-abi10.so: abi_minor 0, a 1.0-sized
# descriptor) loaded by `berth serve` through storage.<name>.driverpath:
# it starts, logs the driver's ABI, and serves pushes and pulls exactly
# as with a 1.1 driver -- the core falls back to 1.0 calls for everything
# 1.1 added.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/push.sh"

so=$BUILD/tests/fixtures/storage-abi10.so
if [ ! -f "$so" ]; then
	fail "the ABI 1.0 fixture $so is missing (make builds it)"
	finish
	exit
fi
port=$(free_port)
cfg=$T/abi10.yml
cat > "$cfg" <<YAML
version: 0.1
log:
  level: info
storage:
  abi10:
    driverpath: $so
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
start_berth "$cfg" || { fail "berth serve with the ABI 1.0 driver did not start"; finish; exit; }
U=$berth_url
log=$T/berth-$port.log

check "berth serve starts with a 1.0 driver from driverpath" kill -0 "$berth_pid"
check "push through the 1.0 driver (monolithic blobs)" pimage "$U" abi10/img v1 "$T/img1" mono "1000 300000"
PUSH_CHUNK=65536 check "push through the 1.0 driver (chunked blobs)" pimage "$U" abi10/img v2 "$T/img2" chunked "2000000"
check "pull of v1 is what was pushed" pverify "$U" abi10/img v1 "$T/img1"
check "pull of v2 is what was pushed" pverify "$U" abi10/img v2 "$T/img2"
tags=$(curl -s "$U/v2/abi10/img/tags/list" | jq -r '.tags | sort | join(",")')
if [ "$tags" = "v1,v2" ]; then pass "tags list through the 1.0 driver"; else fail "tags list: $tags"; fi
dg=$(jq -r '.layers[0].digest' < "$T/img1/manifest.json")
st=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$U/v2/abi10/img/blobs/$dg")
if [ "$st" = 202 ]; then pass "blob delete through the 1.0 driver"; else fail "blob DELETE answered $st"; fi
stop_berth
if grep -q 'abi10' "$log"; then pass "the server names the 1.0 driver in its log"; else fail "no line naming abi10 in the log" "$(head -5 "$log")"; fi

finish

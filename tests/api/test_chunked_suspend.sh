#!/usr/bin/env bash
# test_chunked_suspend.sh - a chunked body in many small chunks, written
# to a slow backend: libmicrohttpd hands the handler every chunk already
# buffered, also after the handler suspended the connection to wait for
# the previous piece's write.  Suspending the connection a second time
# corrupted the event thread's connection lists, and from then on resumes
# on that thread were lost: later requests on it hung for ever (seen as
# hung upload POSTs in test_abuse.sh under load).  Here the backend is
# slowed (fault driver, latencyms) so the write is always still running
# when the next chunks arrive; afterwards every request on new
# connections (spread over both event threads) must be answered.
source "$(dirname "$0")/../lib.sh"

port=$(free_port)
root=$T/root
mkdir -p "$root"
cat > "$T/slow.yml" <<YAML
version: 0.1
log:
  level: ${BERTH_LOG_LEVEL:-warn}
storage:
  fault:
    driver: filesystem
    inner.rootdirectory: $root
    latencyms: 30
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
start_berth "$T/slow.yml" || { fail "server starts"; finish; exit 1; }

# chunked_patch PATH MIB CHUNK: a chunked PATCH of MIB MiB in CHUNK-byte
# chunks, sent as fast as the socket takes them; prints the status.
chunked_patch() {
	python3 - "$berth_port" "$@" <<'PY'
import socket, sys
port, path, mib, chunk = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(b"PATCH %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n" % path.encode())
piece = b"%x\r\n" % chunk + b"a" * chunk + b"\r\n"
batch = piece * 64
try:
    for _ in range(mib * (1 << 20) // (chunk * 64)):
        s.sendall(batch)
    s.sendall(b"0\r\n\r\n")
    line = s.makefile("rb").readline().split()
    print(line[1].decode() if len(line) > 1 else "closed")
except OSError as e:
    print("error:" + type(e).__name__)
PY
}

for round in 1 2 3; do
	http POST "$berth_url/v2/chunks/app/blobs/uploads/"
	loc=$(header Location)
	loc=${loc#"$berth_url"}
	st=$(chunked_patch "$loc" 6 512)
	if [ "$st" = 202 ]; then
		pass "round $round: a 6 MiB PATCH in 512-byte chunks to a slow backend is stored"
	else
		fail "round $round: a 6 MiB PATCH in 512-byte chunks is stored" "got '$st'"
	fi
done

# every request on a new connection answered; the listener spreads them
# over the event threads, so one stuck thread hangs about half of them
hung=0
for i in $(seq 1 20); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		-X POST "$berth_url/v2/chunks/junk/blobs/uploads/")
	[ "$code" = 202 ] || hung=$((hung + 1))
done
if [ "$hung" -eq 0 ]; then
	pass "20 upload POSTs on new connections answered within 5s each"
else
	fail "20 upload POSTs on new connections answered within 5s each" "$hung not answered"
fi
if kill -0 "$berth_pid" 2>/dev/null; then
	pass "server alive afterwards"
else
	fail "server alive afterwards" "$(tail -5 "$T"/berth-*.log)"
fi
finish

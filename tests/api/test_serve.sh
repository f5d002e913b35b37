#!/usr/bin/env bash
# `berth serve`: its arguments (--help, unknown options), http.addr
# without a host listening on IPv4 and IPv6, the drain on SIGTERM
# (http.draintimeout: a streamed upload under way finishes and is
# stored whole while new connections are refused; past the timeout, or
# on a second signal, it is cut and nothing of it is visible), and
# SIGHUP re-reading the configuration (log.level applied, every other
# changed key named as needing a restart, a broken file leaves the
# server serving).
source "$(dirname "$0")/../lib.sh"

BERTH=$BUILD/bin/berth
SLOW=1
[ -n "${BERTH_SANITIZED:-}" ] && SLOW=3

# ---- arguments ----

# args DESC WANT_RC STDOUT_PATTERN ARGS...: exit status and what stdout
# holds (stderr must name no file: the option is not taken for one)
args() {
	local desc=$1 want=$2 pat=$3; shift 3
	"$BERTH" "$@" > "$T/args.out" 2> "$T/args.err"
	local rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$pat" "$T/args.out" "$T/args.err" &&
	   ! grep -qi "no such file\|cannot open\|cannot read" "$T/args.err"; then
		pass "$desc"
	else
		fail "$desc" "exit $rc (want $want): $(head -c 300 "$T/args.out") $(head -c 300 "$T/args.err")"
	fi
}
cd "$T" || exit 1
args "serve --help prints its usage" 0 "usage: berth serve" serve --help
args "serve -h prints its usage" 0 "usage: berth serve" serve -h
args "check --help prints its usage" 0 "usage: berth check" check --help
args "check-config --help prints its usage" 0 "usage: berth check-config" check-config --help
args "check-config -h prints its usage" 0 "usage: berth check-config" check-config -h
args "serve --bogus is refused (exit 2)" 2 "unknown option --bogus" serve --bogus
args "serve -x FILE is refused (exit 2)" 2 "unknown option -x" serve -x c.yml
args "serve with two files is refused (exit 2)" 2 "unexpected argument" serve a.yml b.yml
args "check-config --bogus is refused (exit 2)" 2 "unknown option --bogus" check-config --bogus
args "check --bogus is refused (exit 2)" 2 "unknown option --bogus" check --bogus c.yml
cd - > /dev/null || exit 1

# ---- helpers ----

# config FILE ROOT ADDR [extra http: lines]: a configuration at log level
# info
config() {
	cat > "$1" <<YAML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $2
http:
  addr: $3
${4:-}
YAML
}

# serve_bg CONFIG LOG: start a server; sets $pid
serve_bg() {
	BERTH_DRIVER_DIR=$BUILD/lib/berth "$BERTH" serve "$1" >> "$2" 2>&1 &
	pid=$!
	extra_pids+=("$pid")
}

# up URL: wait until URL answers (curl -gk); 0 if it did
up() {
	local i
	for i in $(seq 1 100); do
		curl -gks -o /dev/null "$1" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# code URL: the HTTP status, or curl's exit status as "curl:N"
code() {
	local c
	c=$(curl -gs -o /dev/null -m 5 -w '%{http_code}' "$1")
	local rc=$?
	[ "$rc" = 0 ] && echo "$c" || echo "curl:$rc"
}

# waited PID SECONDS: wait for PID at most SECONDS; $rc its exit status,
# $took the seconds it took; 1 if it had to be killed
waited() {
	local p=$1 max=$2 start=$SECONDS
	while kill -0 "$p" 2>/dev/null && [ $((SECONDS - start)) -lt "$max" ]; do
		sleep 0.1
	done
	took=$((SECONDS - start))
	if kill -0 "$p" 2>/dev/null; then
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		rc=killed
		return 1
	fi
	wait "$p"
	rc=$?
	return 0
}

port() { free_port; }

# ---- dual stack ----

P=$(port)
config "$T/dual.yml" "$T/dual" ":$P"
serve_bg "$T/dual.yml" "$T/dual.log"
if up "http://127.0.0.1:$P/v2/"; then
	c4=$(code "http://127.0.0.1:$P/v2/") c6=$(code "http://[::1]:$P/v2/")
	if [ "$c4" = 200 ] && [ "$c6" = 200 ]; then
		pass "http.addr :PORT answers on 127.0.0.1 and on [::1]"
	else
		fail "http.addr :PORT answers on 127.0.0.1 and on [::1]" \
			"IPv4 $c4, IPv6 $c6 (this test needs IPv6 loopback: ip -6 addr show lo); $(cat "$T/dual.log")"
	fi
else
	fail "http.addr :PORT starts" "$(cat "$T/dual.log")"
fi
kill "$pid"; wait "$pid" 2>/dev/null

P=$(port)
config "$T/v4.yml" "$T/dual" "0.0.0.0:$P"
serve_bg "$T/v4.yml" "$T/v4.log"
up "http://127.0.0.1:$P/v2/"
c4=$(code "http://127.0.0.1:$P/v2/") c6=$(code "http://[::1]:$P/v2/")
if [ "$c4" = 200 ] && [ "$c6" = curl:7 ]; then
	pass "http.addr 0.0.0.0:PORT listens on IPv4 only"
else
	fail "http.addr 0.0.0.0:PORT listens on IPv4 only" "IPv4 $c4, IPv6 $c6"
fi
kill "$pid"; wait "$pid" 2>/dev/null

P=$(port)
config "$T/v6.yml" "$T/dual" "\"[::]:$P\""
serve_bg "$T/v6.yml" "$T/v6.log"
up "http://[::1]:$P/v2/"
c4=$(code "http://127.0.0.1:$P/v2/") c6=$(code "http://[::1]:$P/v2/")
if [ "$c4" = curl:7 ] && [ "$c6" = 200 ]; then
	pass "http.addr [::]:PORT listens on IPv6 only"
else
	fail "http.addr [::]:PORT listens on IPv6 only" "IPv4 $c4, IPv6 $c6; $(cat "$T/v6.log")"
fi
kill "$pid"; wait "$pid" 2>/dev/null

# ---- drain on SIGTERM ----

head -c 256M /dev/urandom > "$T/big"
DG=$(sha256_of "$T/big")

# slow_put ROOT_URL RATE [FILE DIGEST]: start a monolithic upload of
# $T/big (or FILE) at RATE; sets $cpid, the status goes to $T/put.code
slow_put() {
	local loc
	loc=$(curl -ks -o /dev/null -D - -X POST "$1/v2/drain/blobs/uploads/" |
		sed -n 's/^[Ll]ocation: *\(.*\)\r$/\1/p')
	case "$loc" in http*) ;; *) loc=$1$loc ;; esac
	curl -ks -o /dev/null -w '%{http_code}' --limit-rate "$2" -X PUT \
		-H 'Content-Type: application/octet-stream' \
		--data-binary "@${3:-$T/big}" "$(with_query "$loc" "digest=${4:-$DG}")" \
		> "$T/put.code" 2> /dev/null &
	cpid=$!
	extra_pids+=("$cpid")
}

# the upload is under way when the server has received part of it
in_flight() {
	local i
	for i in $(seq 1 100); do
		[ -n "$(find "$1" -name 'data*' -path '*_uploads*' -size +1M 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

P=$(port)
R=$T/drain
config "$T/drain.yml" "$R" ":$P" "  draintimeout: 30s"
serve_bg "$T/drain.yml" "$T/drain.log"
up "http://127.0.0.1:$P/v2/" || fail "drain: server starts" "$(cat "$T/drain.log")"
# 256 MiB at 32 MiB/s: about 8 s, the signal comes after the first MiBs
slow_put "http://127.0.0.1:$P" 32M
in_flight "$R" || fail "drain: the upload is under way" "$(cat "$T/drain.log")"
kill -TERM "$pid"
sleep 0.3
c4=$(code "http://127.0.0.1:$P/v2/") c6=$(code "http://[::1]:$P/v2/")
if [ "$c4" = curl:7 ] && [ "$c6" = curl:7 ] && kill -0 "$cpid" 2>/dev/null; then
	pass "drain: new connections are refused while the upload goes on"
else
	fail "drain: new connections are refused while the upload goes on" \
		"IPv4 $c4, IPv6 $c6, upload running: $(kill -0 "$cpid" 2>/dev/null && echo yes || echo no)"
fi
wait "$cpid"
if [ "$(cat "$T/put.code")" = 201 ]; then
	pass "drain: the 256 MiB upload under way at SIGTERM completes (201)"
else
	fail "drain: the upload under way at SIGTERM completes (201)" \
		"got $(cat "$T/put.code"); $(tail -5 "$T/drain.log")"
fi
waited "$pid" $((10 * SLOW))
if [ "$rc" = 0 ] && grep -q "1 request under way" "$T/drain.log" &&
   grep -q "every request finished" "$T/drain.log"; then
	pass "drain: the server exits 0 once the upload is done, and says so"
else
	fail "drain: the server exits 0 once the upload is done" "exit $rc; $(tail -5 "$T/drain.log")"
fi
# the stored blob, read back after a restart, is the one sent
serve_bg "$T/drain.yml" "$T/drain2.log"
up "http://127.0.0.1:$P/v2/"
curl -s -o "$T/back" -D "$T/back.h" "http://127.0.0.1:$P/v2/drain/blobs/$DG"
if [ "$(sha256_of "$T/back")" = "$DG" ] &&
   grep -qi "^docker-content-digest: $DG" "$T/back.h"; then
	pass "drain: the blob read back after a restart has the digest sent"
else
	fail "drain: the blob read back has the digest sent" "$(head -3 "$T/back.h")"
fi
rm -f "$T/back"
kill "$pid"; wait "$pid" 2>/dev/null

# past http.draintimeout the upload is cut and nothing of it shows
P=$(port)
R=$T/cut
config "$T/cut.yml" "$R" ":$P" "  draintimeout: 1s"
serve_bg "$T/cut.yml" "$T/cut.log"
up "http://127.0.0.1:$P/v2/" || fail "cut: server starts" "$(cat "$T/cut.log")"
slow_put "http://127.0.0.1:$P" 4M
in_flight "$R" || fail "cut: the upload is under way" "$(cat "$T/cut.log")"
kill -TERM "$pid"
waited "$pid" $((4 * SLOW))
if [ "$rc" = 0 ] && grep -q "1 request under way cut short (http.draintimeout passed)" "$T/cut.log"; then
	pass "draintimeout 1s: a slow upload is cut, the server exits 0 in $took s"
else
	fail "draintimeout 1s: a slow upload is cut and the server exits" "exit $rc after $took s; $(tail -5 "$T/cut.log")"
fi
wait "$cpid"
serve_bg "$T/cut.yml" "$T/cut2.log"
up "http://127.0.0.1:$P/v2/"
expect_status "cut: the blob of the cut upload is not there after a restart" 404 \
	HEAD "http://127.0.0.1:$P/v2/drain/blobs/$DG"
kill "$pid"; wait "$pid" 2>/dev/null

# a second SIGTERM stops at once
P=$(port)
R=$T/second
config "$T/second.yml" "$R" ":$P" "  draintimeout: 60s"
serve_bg "$T/second.yml" "$T/second.log"
up "http://127.0.0.1:$P/v2/" || fail "second: server starts" "$(cat "$T/second.log")"
slow_put "http://127.0.0.1:$P" 4M
in_flight "$R" || fail "second: the upload is under way" "$(cat "$T/second.log")"
kill -TERM "$pid"
sleep 0.5
kill -TERM "$pid"
waited "$pid" $((3 * SLOW))
if [ "$rc" = 0 ] && grep -q "cut short (a second signal)" "$T/second.log"; then
	pass "a second SIGTERM during the drain stops at once (exit 0)"
else
	fail "a second SIGTERM during the drain stops at once" "exit $rc after $took s; $(tail -5 "$T/second.log")"
fi
wait "$cpid"

# with TLS (libmicrohttpd accepts there, not our accept loop): the same
# drain, on a dual-stack address
head -c 32M "$T/big" > "$T/small"
rm -f "$T/big"
SDG=$(sha256_of "$T/small")
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=localhost > /dev/null 2>&1
P=$(port)
R=$T/tls
config "$T/tls.yml" "$R" ":$P" "  draintimeout: 30s
  tls:
    certificate: $T/cert.pem
    key: $T/key.pem"
serve_bg "$T/tls.yml" "$T/tls.log"
up "https://127.0.0.1:$P/v2/" || fail "tls: server starts" "$(cat "$T/tls.log")"
tcode() {
	local c
	c=$(curl -gks -o /dev/null -m 5 -w '%{http_code}' "$1")
	local rc=$?
	[ "$rc" = 0 ] && echo "$c" || echo "curl:$rc"
}
c4=$(tcode "https://127.0.0.1:$P/v2/") c6=$(tcode "https://[::1]:$P/v2/")
if [ "$c4" = 200 ] && [ "$c6" = 200 ]; then
	pass "TLS on :PORT answers on 127.0.0.1 and on [::1]"
else
	fail "TLS on :PORT answers on 127.0.0.1 and on [::1]" "IPv4 $c4, IPv6 $c6; $(cat "$T/tls.log")"
fi
slow_put "https://127.0.0.1:$P" 8M "$T/small" "$SDG"
in_flight "$R" || fail "tls: the upload is under way" "$(cat "$T/tls.log")"
kill -TERM "$pid"
sleep 0.3
c4=$(tcode "https://127.0.0.1:$P/v2/") c6=$(tcode "https://[::1]:$P/v2/")
wait "$cpid"
waited "$pid" $((10 * SLOW))
if [ "$c4" = curl:7 ] && [ "$c6" = curl:7 ] && [ "$(cat "$T/put.code")" = 201 ] &&
   [ "$rc" = 0 ]; then
	pass "TLS drain: new connections refused, the upload under way completes, exit 0"
else
	fail "TLS drain: new connections refused, the upload completes, exit 0" \
		"IPv4 $c4, IPv6 $c6, upload $(cat "$T/put.code"), exit $rc; $(tail -4 "$T/tls.log")"
fi
sz=$(cat "$R"/docker/registry/v2/blobs/sha256/*/*/data 2>/dev/null | sha256sum | cut -c1-64)
[ "sha256:$sz" = "$SDG" ] && pass "TLS drain: the stored data has the digest sent" ||
	fail "TLS drain: the stored data has the digest sent" "got sha256:$sz"
rm -f "$T/small"

# ---- SIGHUP ----

P=$(port)
P2=$(port)
R=$T/hup
config "$T/hup.yml" "$R" "127.0.0.1:$P"
serve_bg "$T/hup.yml" "$T/hup.log"
up "http://127.0.0.1:$P/v2/" || fail "hup: server starts" "$(cat "$T/hup.log")"
sed -e 's/level: info/level: debug/' -e "s/:$P/:$P2/" \
	-e "s|rootdirectory: .*|rootdirectory: $T/elsewhere|" "$T/hup.yml" > "$T/hup.new"
mv "$T/hup.new" "$T/hup.yml"
kill -HUP "$pid"
sleep 0.5
# a request cut short is logged at debug level only
python3 - "$P" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PUT /v2/hup/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
s.close()
PY
sleep 0.5
if grep -q "SIGHUP: http.addr changed; restart to apply" "$T/hup.log" &&
   grep -q "SIGHUP: storage.filesystem.rootdirectory changed; restart to apply" "$T/hup.log" &&
   ! grep -q "SIGHUP: log.level changed" "$T/hup.log"; then
	pass "SIGHUP names http.addr and the storage root as needing a restart"
else
	fail "SIGHUP names http.addr and the storage root as needing a restart" "$(cat "$T/hup.log")"
fi
if grep -q "SIGHUP: log.level applied" "$T/hup.log" && grep -q "DEBUG" "$T/hup.log"; then
	pass "SIGHUP applies log.level (debug lines follow)"
else
	fail "SIGHUP applies log.level" "$(cat "$T/hup.log")"
fi
expect_status "after SIGHUP the server still serves on the old address" 200 \
	GET "http://127.0.0.1:$P/v2/"
printf 'version: 0.1\nhttp:\n  addr: [\n' > "$T/hup.yml"
kill -HUP "$pid"
sleep 0.5
if grep -q "SIGHUP: $T/hup.yml:[0-9]*:.*keeping the configuration in use" "$T/hup.log"; then
	pass "SIGHUP with a broken file logs file:line and keeps the configuration"
else
	fail "SIGHUP with a broken file logs file:line" "$(tail -3 "$T/hup.log")"
fi
expect_status "after a broken SIGHUP the server still serves" 200 \
	GET "http://127.0.0.1:$P/v2/"
kill -TERM "$pid"
waited "$pid" $((5 * SLOW))
[ "$rc" = 0 ] && pass "SIGTERM with nothing under way: exit 0" ||
	fail "SIGTERM with nothing under way: exit 0" "exit $rc"

finish

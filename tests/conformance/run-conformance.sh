#!/usr/bin/env bash
# tests/conformance/run-conformance.sh [BUILD] [--long]
#
# The storage driver conformance suite against the drivers Berth ships,
# and against deliberately broken drivers to prove the suite catches them:
#   - berth-driver-test --short must pass for storage-filesystem.so (fresh
#     root directory), storage-inmemory.so (no options) and storage-fault.so
#     in pass-through mode over the filesystem driver;
#   - each broken fixture driver (build/tests/fixtures/broken_*.so, the
#     filesystem driver -- or, for the ABI 1.1 members, the inmemory one --
#     with one behaviour altered) must FAIL, with the case that targets its
#     bug among the FAIL lines (the 1.1 ones: as the only FAIL line);
#   - the fault driver over inmemory with BERTH_FAULT_WRAPS=inmemory runs
#     the 1.1 cases, and refuses a wrapped driver lacking them;
#   - a driver whose reads hang must be reported by the per-case watchdog
#     instead of hanging the tool.
# With --long: only the full suite with --long (the 5 GiB stream) against
# the filesystem driver.
set -u
args=()
long=
for a in "$@"; do
	case $a in
	--long) long=1 ;;
	*) args+=("$a") ;;
	esac
done
[ ${#args[@]} -gt 0 ] && BUILD=${args[0]}
source "$(dirname "$0")/../lib.sh"

tool=$BUILD/bin/berth-driver-test
drivers=$BUILD/lib/berth
fixtures=$BUILD/tests/fixtures
export BERTH_DRIVER_DIR=$drivers
# A whole run of the tool must finish well within this (seconds).
run_limit=${CONFORMANCE_RUN_LIMIT:-600}

# fs_config FILE ROOT: a config whose storage.filesystem has rootdirectory ROOT
fs_config() {
	mkdir -p "$2"
	cat > "$1" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $2
YAML
}

# run_tool LOG ARGS...: run the tool under a time limit; sets $rc.
run_tool() {
	local log=$1; shift
	timeout -k 5 "$run_limit" "$tool" "$@" > "$log" 2>&1
	rc=$?
}

# failures LOG: the FAIL lines and the closing line, indented.
failures() {
	grep -E '^FAIL |^[0-9]+ passed' "$1" | head -12 | sed 's/^/     /'
}

# expect_conformant DESC LOG ARGS...: the tool must pass every case.
expect_conformant() {
	local desc=$1 log=$2; shift 2
	run_tool "$log" "$@"
	local closing
	closing=$(tail -1 "$log")
	if [ "$rc" -eq 0 ] && [[ $closing =~ ^[0-9]+\ passed,\ 0\ failed(,\ [0-9]+\ skipped)?$ ]]; then
		pass "$desc ($closing)"
	else
		fail "$desc: exit $rc" "$(failures "$log"; tail -3 "$log" | grep -v -E '^(ok|FAIL|skip) ' | sed 's/^/     /')"
	fi
}

# expect_caught DESC CASE SO [TOOL ARGS...]: the broken driver SO must
# fail, with CASE among the FAIL lines, and finish its run (no crash, no
# timeout; tool arguments default to --short).
# The fixtures wrapping the filesystem driver get $T/fs.yml; set
# CAUGHT_CONFIG= (empty) for those wrapping inmemory, which takes no
# options.  With CAUGHT_ONLY=1, CASE must be the only FAIL line.
expect_caught() {
	local desc=$1 case=$2 so=$3 log=$T/$(basename "$3" .so).log
	shift 3
	[ $# -gt 0 ] || set -- --short
	if [ ! -f "$so" ]; then
		fail "$desc: fixture $so is missing (make builds it)"
		return
	fi
	local cfg=${CAUGHT_CONFIG-$T/fs.yml} nfail
	run_tool "$log" "$@" "$so" ${cfg:+"$cfg"}
	nfail=$(grep -c '^FAIL ' "$log")
	# a crash (exit 128+signal) or a timeout is no catch: the tool must
	# get through its cases and end with its closing line
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && grep -q "^FAIL $case: " "$log" &&
		tail -1 "$log" | grep -qE '^[0-9]+ passed, [0-9]+ failed' &&
		{ [ -z "${CAUGHT_ONLY:-}" ] || [ "$nfail" -eq 1 ]; }; then
		pass "$desc: FAIL $case${CAUGHT_ONLY:+ (and no other case)}"
	else
		fail "$desc: want a non-zero exit with 'FAIL $case', got exit $rc" \
			"$(failures "$log")"
	fi
}

if [ ! -x "$tool" ]; then
	fail "berth-driver-test is not built ($tool)"
	finish
	exit
fi

if [ -n "$long" ]; then
	fs_config "$T/fs.yml" "$T/fs-root"
	run_limit=${CONFORMANCE_RUN_LIMIT:-7200}
	expect_conformant "filesystem driver, full suite with --long" "$T/long.log" \
		--long --timeout 600 "$drivers/storage-filesystem.so" "$T/fs.yml"
	sed -n '/stream-5g\|memory-bounded/p' "$T/long.log" | sed 's/^/     /'
	finish
	exit
fi

# ---- the tool itself ----
n=$("$tool" --list | wc -l)
if [ "$n" -ge 50 ]; then pass "--list shows $n cases"; else fail "--list shows only $n cases"; fi
if "$tool" --list --run 'walk-*' | awk '{print $1}' | grep -qv '^walk-'; then
	fail "--run 'walk-*' selects cases that do not match the glob"
elif [ "$("$tool" --list --run 'walk-*' | wc -l)" -ge 4 ]; then
	pass "--run with a glob selects the matching cases"
else
	fail "--run 'walk-*' selects fewer than 4 walk cases"
fi
# README.md states how many cases a normal run does: it must be true.
normal=$("$tool" --list | grep -vc '(--long)')
stated=$(grep -o 'runs [0-9]* cases' "$TESTS_DIR/../README.md" | grep -o '[0-9]*')
if [ "$stated" = "$normal" ]; then
	pass "README.md's case count is a normal run's ($normal)"
else
	fail "README.md says ${stated:-no number of} cases, a normal run does $normal"
fi
fs_config "$T/fs.yml" "$T/fs-root"
run_tool "$T/seed1.log" --short --seed 42 --run stat-file "$drivers/storage-filesystem.so" "$T/fs.yml"
run_tool "$T/seed2.log" --short --seed 42 --run stat-file "$drivers/storage-filesystem.so" "$T/fs.yml"
root1=$(grep -o 'root /[^,]*' "$T/seed1.log")
root2=$(grep -o 'root /[^,]*' "$T/seed2.log")
if grep -q 'seed 42,' "$T/seed1.log" && [ -n "$root1" ] && [ "$root1" = "$root2" ]; then
	pass "--seed is printed and reproduces the test root ($root1)"
else
	fail "--seed 42 twice: '$root1' vs '$root2'" "$(head -3 "$T/seed1.log")"
fi
if [ -z "$(ls -A "$T/fs-root")" ]; then
	pass "nothing left in the filesystem root after runs"
else
	fail "left in the filesystem root: $(cd "$T/fs-root" && find . | head -5 | tr '\n' ' ')"
fi
if "$tool" --short "$drivers/storage-filesystem.so" "$T/nonexistent.yml" > "$T/nocfg.log" 2>&1; then
	fail "a missing config file is accepted"
else
	pass "a missing config file is an error"
fi

# The tool loads with the server's loader, so both refuse the same
# descriptors (one check, berth_sdk_descriptor_check; the server's side
# is tests/unit/test_loader.c): reserved != 0, a claim without its member.
for f in reserved_set:"reserved = 1" claim_no_walk:"claims BERTH_CAP_NATIVE_WALK but has no walk"; do
	so=$fixtures/loader/${f%%:*}.so want=${f#*:}
	"$tool" --short "$so" > "$T/refuse.log" 2>&1
	rc=$?
	if [ "$rc" -eq 2 ] && grep -qF "$want" "$T/refuse.log"; then
		pass "the tool refuses ${f%%:*}.so as the server does ($want)"
	else
		fail "the tool on ${f%%:*}.so: exit $rc, want 2 with '$want'" "$(head -3 "$T/refuse.log")"
	fi
done

# ---- the shipped drivers must conform ----
expect_conformant "filesystem driver conforms" "$T/filesystem.log" \
	--short "$drivers/storage-filesystem.so" "$T/fs.yml"
if [ -z "$(ls -A "$T/fs-root")" ]; then
	pass "filesystem root is empty after the suite"
else
	fail "left in the filesystem root after the suite: $(cd "$T/fs-root" && find . | head -5 | tr '\n' ' ')"
fi
if [ -f "$drivers/storage-inmemory.so" ]; then
	expect_conformant "inmemory driver conforms" "$T/inmemory.log" \
		--short "$drivers/storage-inmemory.so"
else
	fail "inmemory driver is not built ($drivers/storage-inmemory.so)"
fi
if [ -f "$drivers/storage-fault.so" ]; then
	mkdir -p "$T/fault-root"
	cat > "$T/fault.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  fault:
    driver: filesystem
    inner.rootdirectory: $T/fault-root
YAML
	expect_conformant "fault driver in pass-through mode conforms" "$T/fault.log" \
		--short "$drivers/storage-fault.so" "$T/fault.yml"
	# holding written bytes back (bufferwrites) must not change what the
	# wrapped driver promises: sizes, resumed writers, invisible data
	mkdir -p "$T/fault-buffered-root"
	sed -e "s|$T/fault-root|$T/fault-buffered-root|" -e '$a\    bufferwrites: 65536' \
		"$T/fault.yml" > "$T/fault-buffered.yml"
	expect_conformant "fault driver holding 64 KiB of writes back conforms" "$T/fault-buffered.log" \
		--short "$drivers/storage-fault.so" "$T/fault-buffered.yml"
	# Claiming the ABI 1.1 capabilities of the driver it wraps (named by
	# the environment, as a descriptor is fixed at load): over inmemory
	# the 1.1 cases run through it, with and without held writes.
	printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  fault:\n    driver: inmemory\n' \
		> "$T/fault-mem.yml"
	sed '$a\    bufferwrites: 65536' "$T/fault-mem.yml" > "$T/fault-mem-buffered.yml"
	for f in fault-mem fault-mem-buffered; do
		BERTH_FAULT_WRAPS=inmemory run_tool "$T/$f.log" --short \
			"$drivers/storage-fault.so" "$T/$f.yml"
		if [ "$rc" -eq 0 ] && grep -q '^ok   batch-atomic ' "$T/$f.log" &&
			! grep -q '^skip \(batch\|stat-version\|writer-flush\|maintain\|writer-hints\|validate-config\)' "$T/$f.log"; then
			pass "$f: fault driver over inmemory runs the 1.1 cases ($(tail -1 "$T/$f.log"))"
		else
			fail "$f: fault driver over inmemory with BERTH_FAULT_WRAPS: exit $rc" "$(failures "$T/$f.log")"
		fi
	done
	# ... and refuses to wrap a driver lacking what it then claims.
	BERTH_FAULT_WRAPS=inmemory run_tool "$T/fault-claim.log" --short \
		"$drivers/storage-fault.so" "$T/fault.yml"
	if [ "$rc" -ne 0 ] && grep -q 'lacks ABI 1.1 capabilities' "$T/fault-claim.log"; then
		pass "fault driver claiming inmemory's 1.1 capabilities refuses to wrap filesystem"
	else
		fail "fault driver with BERTH_FAULT_WRAPS=inmemory over filesystem: exit $rc" \
			"$(head -5 "$T/fault-claim.log")"
	fi
else
	fail "fault driver is not built ($drivers/storage-fault.so)"
fi

# A driver built against the ABI 1.0 header as released (abi_minor 0, a
# 1.0-sized descriptor): it conforms, with every 1.1 case skipped.
abi10=$fixtures/storage-abi10.so
if [ -f "$abi10" ]; then
	expect_conformant "ABI 1.0 driver conforms" "$T/abi10.log" --short "$abi10"
	v11=$("$tool" --list | awk '/^(batch-|stat-version |writer-flush |maintain |writer-hints |validate-config )/ {print $1}')
	missing=
	for k in $v11; do
		grep -q "^skip $k: driver does not claim" "$T/abi10.log" || missing="$missing $k"
	done
	if [ -n "$v11" ] && [ -z "$missing" ] && grep -q '^ok   abi-head .*ABI 1\.0, ' "$T/abi10.log"; then
		pass "ABI 1.0 driver: loaded as 1.0, the $(echo $v11 | wc -w) ABI 1.1 cases skipped"
	else
		fail "ABI 1.0 driver: not skipped:${missing:- (none)}" "$(grep abi-head "$T/abi10.log")"
	fi
else
	fail "the ABI 1.0 fixture $abi10 is missing (make builds it)"
fi

# ---- broken drivers must be caught ----
expect_caught "delete removes siblings sharing a prefix" delete-only-subpaths "$fixtures/broken_delete_prefix.so"
expect_caught "writer data visible before commit" writer-invisible-before-commit "$fixtures/broken_visible_writer.so"
expect_caught "reader ignores its offset" reader-offsets "$fixtures/broken_offset.so"
expect_caught "re-put keeps the old tail" put-truncate "$fixtures/broken_truncate.so"
expect_caught "errors name another driver" error-names-driver "$fixtures/broken_error_name.so"
expect_caught "list returns grandchildren" list-children "$fixtures/broken_list_recursive.so"
expect_caught "unknown option silently dropped" config-unknown-key "$fixtures/broken_config.so"
expect_caught "close without commit loses the data" append-3-sessions "$fixtures/broken_resume.so"
# At normal size: the short stream is below the memory bound.
expect_caught "reader buffers the whole object" memory-bounded-stream \
	"$fixtures/broken_buffered_reader.so" --run memory-bounded-stream

# The edge rules of <berth/storage.h> (cases_rules.c), one broken driver
# each; the deadlocking ones under a short watchdog, alone.
expect_caught "put below an object destroys it" put-below-object "$fixtures/broken_put_below_object.so"
expect_caught "directory move reports OK, moves nothing" move-directory "$fixtures/broken_move_dir.so"
expect_caught "remove keeps uncommitted writer data" delete-discards-writer-data "$fixtures/broken_remove_keeps_writer.so"
expect_caught "second writer on a path blocks" writers-same-path "$fixtures/broken_writer_lock.so" \
	--short --timeout 3 --run writers-same-path
expect_caught "crash before writer_close leaves a torn record" writer-crash "$fixtures/broken_crash_torn.so"
expect_caught "reader of a removed object never ends" reader-after-remove "$fixtures/broken_reader_gone.so"
expect_caught "directory mtime in seconds" stat-directory-mtime "$fixtures/broken_dir_mtime.so"
expect_caught "walk of an object succeeds" walk-file "$fixtures/broken_walk_file.so"
expect_caught "walk refuses start_after outside the directory" walk-start-after-outside "$fixtures/broken_walk_start_after.so"
expect_caught "writer_size garbage after an error" writer-after-error "$fixtures/broken_writer_size_error.so"
expect_caught "list holds a lock over its callback" list-callback-reenters "$fixtures/broken_callback_lock.so" \
	--short --timeout 3 --run list-callback-reenters
expect_caught "walk holds a lock over its callback" walk-callback-reenters "$fixtures/broken_callback_lock.so" \
	--short --timeout 3 --run walk-callback-reenters

# The ABI 1.1 members (cases_v11.c), one broken driver each, failing
# that case and no other.  All but the last wrap inmemory.
CAUGHT_CONFIG= CAUGHT_ONLY=1 expect_caught "a failing op leaves earlier ops applied" \
	batch-atomic "$fixtures/broken_batch_partial.so"
CAUGHT_CONFIG= CAUGHT_ONLY=1 expect_caught "a batch of puts applied one at a time" \
	batch-concurrent "$fixtures/broken_batch_torn.so"
CAUGHT_CONFIG= CAUGHT_ONLY=1 expect_caught "version unchanged when replaced by the same bytes" \
	stat-version "$fixtures/broken_version_same.so"
CAUGHT_CONFIG= CAUGHT_ONLY=1 expect_caught "flush OK, flushed bytes lost at close" \
	writer-flush "$fixtures/broken_flush_lost.so"
CAUGHT_ONLY=1 expect_caught "validate_config creates the root directory" \
	validate-config "$fixtures/broken_validate_creates.so"

# A hung driver: the watchdog reports the case and exits non-zero quickly.
if [ -f "$fixtures/broken_hang.so" ]; then
	start=$(date +%s)
	timeout -k 5 60 "$tool" --short --timeout 2 --run stream-1m \
		"$fixtures/broken_hang.so" "$T/fs.yml" > "$T/hang.log" 2>&1
	rc=$? took=$(( $(date +%s) - start ))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$took" -le 20 ] &&
		grep -q '^FAIL stream-1m: timed out' "$T/hang.log" &&
		grep -qE '^0 passed, 1 failed$' "$T/hang.log"; then
		pass "a hung driver is reported by the watchdog (${took} s)"
	else
		fail "hung driver: exit $rc after ${took} s" "$(failures "$T/hang.log")"
	fi
else
	fail "fixture $fixtures/broken_hang.so is missing (make builds it)"
fi

finish

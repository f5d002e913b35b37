#!/usr/bin/env bash
# tests/fuzz/run.sh FUZZ_BUILD SECONDS TARGET... - run each libFuzzer
# target for SECONDS, starting from its committed corpus.  New inputs go
# to FUZZ_BUILD/corpus/<target> (the committed corpus stays as it is),
# crashes to FUZZ_BUILD/crashes/<target>-*.  Prints the executions per
# target and exits non-zero if any target found a crash.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$1 seconds=$2; shift 2
status=0
for t in "$@"; do
	bin=$build/tests/fuzz/fuzz-$t
	work=$build/corpus/$t
	mkdir -p "$work" "$build/crashes"
	log=$build/fuzz-$t.log
	args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=30
		-artifact_prefix="$build/crashes/$t-")
	[ -f "tests/fuzz/$t/$t.dict" ] && args+=(-dict="tests/fuzz/$t/$t.dict")
	# inputs the http target sends open connections and threads; keep
	# memory per input bounded rather than letting it drift
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		BERTH_DRIVER_DIR=$(cd "$build" && pwd)/lib/berth \
		"$bin" "${args[@]}" "$work" "tests/fuzz/$t/corpus" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ $rc -ne 0 ]; then
		echo "FAIL fuzz $t: exit $rc after ${execs:-?} executions (log: $log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_http:|artifact_prefix|Test unit written)' "$log" | head -5
		status=1
	else
		echo "ok   fuzz $t: ${execs:-?} executions in ${seconds}s, no crash"
	fi
done
exit $status

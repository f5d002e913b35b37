# tests/runner.sh - run test suites and add up their closing lines.
#
# Sourced by tests/run-all, tests/api/run and tests/interop/run.  Every
# suite prints "<name>: N passed, N failed" last; run_suite streams its
# output, reads that line and adds it to the totals.  A suite that exits
# non-zero without failing a test (a crash, a sanitizer report at exit, a
# timeout) or that prints no closing line counts as one more failure, so
# a broken suite can never look green.

total_passed=0
total_failed=0
broken=()
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}

# runner_build DIR: absolute build directory, exported as BUILD for suites
runner_build() {
	local b=${1:-build}
	[ -d "$b" ] || { echo "no build directory '$b' (run make first)" >&2; exit 2; }
	BUILD=$(cd "$b" && pwd)
	export BUILD
}

# run_suite NAME COMMAND...: run one suite under a time limit
run_suite() {
	local name=$1; shift
	local log rc line p f
	log=$(mktemp /tmp/berth-suite.XXXXXX)
	timeout -k 10 "$SUITE_TIMEOUT" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?\r?$' "$log" | tail -1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "FAIL $name: exited $rc without a closing 'N passed, N failed' line"
		total_failed=$((total_failed + 1)); broken+=("$name")
		return
	fi
	p=$(sed -E 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\2/' <<< "$line")
	f=$(sed -E 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\3/' <<< "$line")
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc after reporting no failure"
		total_failed=$((total_failed + 1)); broken+=("$name")
	elif [ "$rc" -eq 0 ] && [ "$f" -ne 0 ]; then
		echo "FAIL $name: exited 0 with $f failure(s)"
		broken+=("$name")
	elif [ "$f" -ne 0 ]; then
		broken+=("$name")
	fi
}

# run_dir LABEL DIR PATTERN...: run every executable suite in DIR whose
# name matches one of the patterns, in name order
run_dir() {
	local label=$1 dir=$2 s n=0; shift 2
	local -a files=()
	for pat in "$@"; do
		for s in "$dir"/$pat; do [ -f "$s" ] && files+=("$s"); done
	done
	for s in $(printf '%s\n' "${files[@]}" | sort -u); do
		run_suite "$label/$(basename "$s")" bash "$s"
		n=$((n + 1))
	done
	if [ "$n" -eq 0 ]; then
		echo "FAIL $label: no suites found in $dir"
		total_failed=$((total_failed + 1)); broken+=("$label")
	fi
}

# runner_finish [LABEL]: the closing line; exit status 1 on any failure
runner_finish() {
	[ ${#broken[@]} -eq 0 ] || echo "failing suites: ${broken[*]}"
	echo "${1:+$1: }$total_passed passed, $total_failed failed"
	[ "$total_failed" -eq 0 ] && [ ${#broken[@]} -eq 0 ]
}

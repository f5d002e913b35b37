#!/usr/bin/env bash
# tests/fuzz/replay.sh [BUILD] - run every committed fuzz corpus (seeds
# and the inputs that once crashed a target) through the target built
# with a plain main() (BUILD/tests/fuzz/replay-<target>): one check per
# target, under whatever sanitizers BUILD was compiled with.
cd "$(dirname "$0")/../.."
export BUILD=${1:-${BUILD:-build}}
source tests/lib.sh
suite=fuzz-replay
n=0
for dir in tests/fuzz/*/corpus; do
	t=$(basename "$(dirname "$dir")")
	bin=$BUILD/tests/fuzz/replay-$t
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		fail "$t corpus" "$bin is missing (run make)"
		continue
	fi
	count=$(find "$dir" -type f | wc -l)
	if out=$(BERTH_DRIVER_DIR=$BUILD/lib/berth "$bin" "$dir" 2>&1) &&
		grep -q "^replayed $count inputs" <<< "$out"; then
		pass "$t corpus: $count inputs replayed"
	else
		fail "$t corpus" "$(tail -15 <<< "$out")"
	fi
done
[ "$n" -gt 0 ] || fail "corpora" "no tests/fuzz/*/corpus directories"
finish

#!/usr/bin/env bash
# The committed fuzz corpora (tests/fuzz/<target>/corpus, seeds and crash
# regressions) replayed through every target: see tests/fuzz/replay.sh.
exec bash "$(dirname "$0")/../fuzz/replay.sh" "${BUILD:-build}"

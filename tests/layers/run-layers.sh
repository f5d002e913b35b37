#!/usr/bin/env bash
# tests/layers/run-layers.sh - the include rules between the core's
# layers, drivers and the SDK (tools/check-layers):
#  1. the tree keeps them: check-layers exits 0 on it;
#  2. the checker sees a broken rule: on a small synthetic tree with one
#     deliberate violation per kind (an endpoint asking for storage
#     paths, a driver reaching into the core, the registry knowing HTTP
#     or the application that owns it)
#     and files that keep the rules, it exits 1 and names each violation
#     by file, line and rule, and nothing else.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

check_layers=$PWD/tools/check-layers

# ---- 1. the tree ----
if "$check_layers" > "$T/tree.out" 2>&1; then
	pass "check-layers: the tree keeps the layering"
else
	fail "check-layers: the tree keeps the layering" "$(cat "$T/tree.out")"
fi

# ---- 2. a synthetic tree with deliberate violations ----
S=$T/synthetic
mkdir -p "$S/core/api" "$S/core/http" "$S/core/registry" "$S/drivers/d"
: > "$S/core/registry/layout.h"
: > "$S/core/registry/uploads.h"
: > "$S/core/http/request.h"
: > "$S/core/app.h"
cat > "$S/core/api/x.c" <<'C'
/* an endpoint that asks for a storage path */
#include "registry/layout.h"
C
cat > "$S/core/api/ok.c" <<'C'
#include <stdio.h>
#include "http/request.h"
#include "registry/uploads.h"
C
cat > "$S/drivers/d/d.c" <<'C'
#include <berth/storage.h>

#include "../../core/registry/layout.h"
C
cat > "$S/core/registry/y.c" <<'C'
#include "registry/layout.h"
#include "registry/uploads.h"
 #  include "http/request.h"
#include "app.h"
C

"$check_layers" "$S" > "$T/syn.out" 2>&1
rc=$?
check "synthetic violations: check-layers exits 1 (got $rc)" test "$rc" = 1
expect_line() {
	if grep -qFx -- "$2" "$T/syn.out"; then pass "$1"
	else fail "$1" "want: $2; got: $(cat "$T/syn.out")"; fi
}
expect_line "api/ including registry/layout.h is named with file, line and rule" \
	"core/api/x.c:2: core/api/ may not include core/registry/layout.h (endpoints ask the registry, never for storage paths)"
expect_line "a driver including a core header is named with file, line and rule" \
	"drivers/d/d.c:3: drivers/ may not include core/registry/layout.h (a driver sees only include/berth/ (the ABI) and its folder)"
expect_line "registry/ including http/request.h is named with file, line and rule" \
	"core/registry/y.c:3: core/registry/ may not include core/http/request.h (the registry knows no HTTP)"
expect_line "registry/ including the application's app.h is named" \
	"core/registry/y.c:4: core/registry/ may not include core/app.h (the registry is owned by the application, it does not know it)"
expect_line "the count of violations closes the report" \
	"check-layers: 4 include(s) break the layering"
n=$(wc -l < "$T/syn.out")
check "nothing else is reported ($n lines)" test "$n" = 5

# the same tree with its violations removed passes
sed -i '/layout.h/d' "$S/core/api/x.c" "$S/drivers/d/d.c"
sed -i '/http\/request.h/d; /app.h/d' "$S/core/registry/y.c"
if "$check_layers" "$S" > "$T/fixed.out" 2>&1; then
	pass "the synthetic tree without its violations: exit 0"
else
	fail "the synthetic tree without its violations: exit 0" "$(cat "$T/fixed.out")"
fi

finish

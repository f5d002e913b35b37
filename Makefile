# Berth - build, test and install.
#
#   make            build the server, drivers and tools
#   make run        install missing packages, build, serve with the default
#                   configuration (filesystem under ./data, 127.0.0.1:5000)
#   make test       install missing packages, build, run every test
#   make check-asan the unit and API tests under ASan + UBSan
#   make test-fresh .ci/run in a fresh Debian bookworm root (root, mmdebstrap;
#                   long, not part of make test)
#   make install PREFIX=/usr/local
#   make bench      Berth against CNCF Distribution and nginx (tests/bench)
#   make bench-quick  the same, small sizes, one repetition

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc

PKGS := libmicrohttpd jansson yaml-0.1 openssl uuid gnutls
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt

OPT ?= -O2
SAN ?=
CFLAGS_BASE := -std=gnu11 -g $(OPT) -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes \
	-fno-strict-aliasing -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(SAN)
# The core and its tests see core/ (headers named by layer: "http/...",
# "registry/..."); drivers and the SDK see only the public headers in
# include/, so nothing in them can reach into the core.
CORE_INC = -Icore
CFLAGS_PUB = $(CFLAGS_BASE) -Iinclude $(PKG_CFLAGS) $(CFLAGS)
CFLAGS_ALL = $(CFLAGS_PUB) $(CORE_INC)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CORE_SRC := $(filter-out core/main.c,$(wildcard core/*.c core/*/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/core/main.o
CORE_LIB := $(BUILD)/obj/libberthcore.a

DRIVERS := $(notdir $(wildcard drivers/*))
DRIVER_SO := $(DRIVERS:%=$(BUILD)/lib/berth/storage-%.so)

# The driver SDK: a static helper library (position-independent, so it
# links into driver .so files) and the conformance tool.
SDK_SRC := $(wildcard sdk/lib/*.c)
SDK_OBJ := $(SDK_SRC:%.c=$(BUILD)/obj/%.o)
SDK_LIB := $(BUILD)/lib/libberth-driver.a
SDK_LIBS := -lcurl -lxml2 -lcrypto
CONF_SRC := $(wildcard sdk/conformance/*.c)
CONF_OBJ := $(CONF_SRC:%.c=$(BUILD)/obj/%.o)
CONF_BIN := $(BUILD)/bin/berth-driver-test

UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(BUILD)/tests/unit-tests

.PHONY: all deps test-deps run test test-unit test-api test-interop \
	check-asan install clean bench bench-quick test-fresh

all: $(BUILD)/bin/berth $(DRIVER_SO) $(UNIT_BIN) $(if $(CONF_SRC),$(CONF_BIN))

deps:
	@tools/install-deps build

test-deps:
	@tools/install-deps test

# Objects: each records the headers it includes (-MMD -MP), so a header
# change rebuilds what uses it and nothing else.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP $(shell pkg-config --cflags libxml-2.0 2>/dev/null) \
		-DBERTH_VERSION='"$(VERSION)"' -fPIC -c -o $@ $<

# The SDK is built like a driver: public headers only.
$(SDK_OBJ): CORE_INC =

$(SDK_LIB): $(SDK_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The conformance tool links the parts of the core it uses and nothing
# more: the driver loader (with the host table and the log it writes to)
# and the configuration reader (storage.<name> of a config.yml, with the
# action names its access-list rows are checked against), on top
# of the SDK.  No HTTP, registry or API code.
CONF_CORE_OBJ := $(BUILD)/obj/core/storage/driver_loader.o \
	$(BUILD)/obj/core/common/log.o $(BUILD)/obj/core/config.o \
	$(BUILD)/obj/core/common/actions.o

$(CONF_BIN): $(CONF_OBJ) $(CONF_CORE_OBJ) $(SDK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -rdynamic -o $@ $^ \
		$(shell pkg-config --libs yaml-0.1 2>/dev/null) $(SDK_LIBS) -ldl -lpthread

$(CORE_LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The core uses the driver SDK's helpers that need nothing but libc (the
# descriptor check, base64), so the server links the static SDK without
# the SDK's libcurl and libxml2.
$(BUILD)/bin/berth: $(MAIN_OBJ) $(CORE_LIB) $(SDK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -rdynamic -o $@ $^ $(PKG_LIBS) -ldl -lpthread

# Each driver: every .c in its folder, hidden symbols but the entry point.
.SECONDEXPANSION:
$(BUILD)/lib/berth/storage-%.so: $$(wildcard drivers/$$*/*.c) $$(wildcard drivers/$$*/*.h) $(wildcard include/berth/*.h) $(if $(SDK_SRC),$(SDK_LIB))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PUB) $(shell pkg-config --cflags libxml-2.0 2>/dev/null) \
		-fPIC -fvisibility=hidden -shared -o $@ \
		$(filter %.c,$^) $(filter %.a,$^) $(LDFLAGS_ALL) -Wl,--as-needed $(if $(SDK_SRC),$(SDK_LIBS)) -lpthread

$(UNIT_BIN): $(UNIT_OBJ) $(CORE_LIB) $(SDK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -rdynamic -o $@ $^ $(PKG_LIBS) $(SDK_LIBS) -ldl -lpthread

run: deps all
	$(BUILD)/bin/berth serve $(CONFIG)

test: deps test-deps all
	tests/run-all $(BUILD)

test-unit: all
	$(UNIT_BIN)

test-api: all
	tests/api/run $(BUILD)

test-interop: all
	tests/interop/run $(BUILD)

check-asan: deps
	$(MAKE) BUILD=build-asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		BERTH_SANITIZED=1 tests/run-all build-asan --no-interop

# .ci/run on a machine with only Debian's base system and git: a chroot.
test-fresh:
	tools/test-fresh

DOC_DIR = $(DESTDIR)$(PREFIX)/share/doc/berth-driver

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/berth \
		$(DESTDIR)$(PREFIX)/include/berth $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/bin/berth $(DESTDIR)$(PREFIX)/bin/
	$(if $(CONF_SRC),install -m 755 $(CONF_BIN) $(DESTDIR)$(PREFIX)/bin/)
	$(if $(SDK_SRC),install -m 644 $(SDK_LIB) $(DESTDIR)$(PREFIX)/lib/)
	install -m 755 $(DRIVER_SO) $(DESTDIR)$(PREFIX)/lib/berth/
	install -m 644 include/berth/*.h $(DESTDIR)$(PREFIX)/include/berth/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
		sdk/berth-driver.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/berth-driver.pc
	# the driver guide, its examples and berth-storage(3), from the header
	install -d $(DOC_DIR)/examples/hello-driver $(DOC_DIR)/examples/inmemory \
		$(DOC_DIR)/examples/sqlite-driver $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 644 sdk/README.md $(DOC_DIR)/README.md
	install -m 644 sdk/examples/hello-driver/hello.c sdk/examples/hello-driver/Makefile \
		$(DOC_DIR)/examples/hello-driver/
	install -m 644 sdk/examples/sqlite-driver/sqlite.c sdk/examples/sqlite-driver/Makefile \
		$(DOC_DIR)/examples/sqlite-driver/
	install -m 644 drivers/inmemory/*.c drivers/inmemory/*.h $(DOC_DIR)/examples/inmemory/
	install -m 644 sdk/examples/inmemory.mk $(DOC_DIR)/examples/inmemory/Makefile
	sh sdk/man/gen-berth-storage.sh include/berth/storage.h $(VERSION) \
		> $(DESTDIR)$(PREFIX)/share/man/man3/berth-storage.3

clean:
	rm -rf $(BUILD) build-asan

# ---- benchmarks: the load generator and the driver script
LOAD_BIN := $(BUILD)/bin/berth-load

$(LOAD_BIN): tools/berth-load/berth-load.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(shell pkg-config --cflags libcurl) -o $@ $< \
		$(LDFLAGS_ALL) $(shell pkg-config --libs libcurl)

# The floor under idle RSS: no code, linked to exactly the libraries the
# server's binary names (its DT_NEEDED entries).
RSS_FLOOR_BIN := $(BUILD)/bin/berth-rss-floor

$(RSS_FLOOR_BIN): tests/bench/rss_floor.c $(BUILD)/bin/berth
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< $(LDFLAGS_ALL) -Wl,--no-as-needed \
		$$(readelf -d $(BUILD)/bin/berth | \
		   sed -n 's/.*(NEEDED).*\[\(.*\)\]$$/-l:\1/p')

bench bench-quick: deps $(BUILD)/bin/berth $(DRIVER_SO) $(LOAD_BIN) $(RSS_FLOOR_BIN)
	@tools/install-deps bench
	tests/bench/bench.sh $(if $(filter bench-quick,$@),--quick) $(BUILD)

# ---- unit test fixtures: small, deliberately odd storage drivers the
# loader tests load (tests/unit/test_loader.c finds them in
# $(BUILD)/tests/fixtures/loader).  Order-only, so they never end up on the
# unit test link line.
FIXTURE_SRC := $(wildcard tests/fixtures/loader/*.c)
FIXTURE_SO := $(FIXTURE_SRC:tests/fixtures/loader/%.c=$(BUILD)/tests/fixtures/loader/%.so)

$(BUILD)/tests/fixtures/loader/%.so: tests/fixtures/loader/%.c $(wildcard tests/fixtures/loader/*.h) $(wildcard include/berth/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PUB) -Wno-override-init -fPIC -shared -o $@ $< $(LDFLAGS_ALL)

$(UNIT_BIN): | $(FIXTURE_SO)

# ---- conformance: deliberately broken drivers the conformance suite must
# catch (tests/conformance/run-conformance.sh), and the long run.
BROKEN_SRC := $(wildcard tests/fixtures/drivers/*.c)
BROKEN_SO := $(BROKEN_SRC:tests/fixtures/drivers/%.c=$(BUILD)/tests/fixtures/%.so)

$(BUILD)/tests/fixtures/%.so: tests/fixtures/drivers/%.c $(wildcard tests/fixtures/drivers/*.h) $(wildcard include/berth/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PUB) -fPIC -fvisibility=hidden -shared -o $@ $< $(LDFLAGS_ALL) -ldl -lpthread

all: $(BROKEN_SO)

# A driver built against the ABI 1.0 header as released (the frozen copy
# in tests/fixtures/abi-1.0, seen instead of include/): a newer core and
# the conformance tool must load and use it as a 1.0 core did.
ABI10_SO := $(BUILD)/tests/fixtures/storage-abi10.so

$(ABI10_SO): tests/fixtures/abi-1.0/abi10_driver.c tests/fixtures/abi-1.0/berth/storage.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests/fixtures/abi-1.0 $(CFLAGS) -fPIC -fvisibility=hidden \
		-shared -o $@ $< $(LDFLAGS_ALL) -ldl -lpthread

all: $(ABI10_SO)
$(UNIT_BIN): | $(ABI10_SO)

.PHONY: test-long
test-long: all
	tests/conformance/run-conformance.sh $(BUILD) --long
	BUILD=$(BUILD) CRASH_ITERATIONS=50 bash tests/interop/crashloop.sh

# ---- fuzzing (tests/fuzz/<target>/fuzz_<target>.c).  Every build links
# each target with a replay main() (tests/fuzz/replay.c), so the
# committed corpora and crash regressions run in `make test` and under
# the sanitizers in `make check-asan`; `make fuzz` builds the libFuzzer
# binaries with clang in $(FUZZ_BUILD) and runs each for FUZZ_SECONDS.
FUZZ_TARGETS := $(patsubst tests/fuzz/%/,%,$(dir $(wildcard tests/fuzz/*/fuzz_*.c)))
FUZZ_REPLAY := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay-%)
FUZZ_CC ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

$(BUILD)/tests/fuzz/replay-%: tests/fuzz/$$*/fuzz_$$*.c tests/fuzz/replay.c $(CORE_LIB) $(SDK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -rdynamic -o $@ $< tests/fuzz/replay.c $(CORE_LIB) $(SDK_LIB) \
		$(LDFLAGS_ALL) $(PKG_LIBS) -ldl -lpthread

$(BUILD)/tests/fuzz/fuzz-%: tests/fuzz/$$*/fuzz_$$*.c $(CORE_LIB) $(SDK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -rdynamic -o $@ $< $(CORE_LIB) $(SDK_LIB) \
		$(LDFLAGS_ALL) $(PKG_LIBS) -ldl -lpthread

all: $(FUZZ_REPLAY)

.PHONY: fuzz fuzz-build fuzz-replay check-valgrind
fuzz-replay: all
	bash tests/fuzz/replay.sh $(BUILD)

fuzz-build: deps
	@tools/install-deps fuzz
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT=-O1 \
		SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		$(FUZZ_BUILD)/lib/berth/storage-inmemory.so \
		$(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/fuzz-%)

fuzz: fuzz-build
	bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- the unit tests under valgrind: every error and every lost block
# fails (no suppressions are needed).
check-valgrind: all
	@tools/install-deps fuzz
	valgrind --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect,possible $(UNIT_BIN)

# Header dependencies the compiler recorded (-MMD -MP).
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

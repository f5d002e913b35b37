# Installed as share/doc/berth-driver/examples/inmemory/Makefile: builds
# the in-memory reference driver (native walk, server move, append)
# against an installed Berth SDK, using nothing but pkg-config:
#
#   PKG_CONFIG_PATH=<prefix>/lib/pkgconfig make
#   berth-driver-test ./storage-inmemory.so

PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g -Wall -Wextra -Werror

SDK_CFLAGS = $(shell $(PKG_CONFIG) --cflags berth-driver)
SDK_LIBS = $(shell $(PKG_CONFIG) --libs berth-driver)
SRC = $(wildcard *.c)

storage-inmemory.so: $(SRC) $(wildcard *.h)
	$(CC) -std=gnu11 $(CFLAGS) $(SDK_CFLAGS) -shared -fPIC -fvisibility=hidden \
		-o $@ $(SRC) -Wl,--as-needed $(SDK_LIBS)

clean:
	rm -f storage-inmemory.so

.PHONY: clean

# nsnap — build, test, benchmark, install.
#
#   make            build/nsnap build/nsshow build/nsdiff (those that exist)
#   make check      unit + integration tests, everything under ASan + UBSan
#   make bench      speed and memory figures on a synthetic world
#   make demo       record a snapshot into the default store and show it
#   make deps       install the Debian packages the build needs
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
PKGS    := lmdb libxxhash jansson
DEBS    := build-essential pkg-config liblmdb-dev libxxhash-dev libcmocka-dev \
           libjansson-dev util-linux procps mount

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -llmdb -lxxhash -ljansson)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -Ilibcore -Istore
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 $(WARN) $(PKG_CFLAGS)
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all

LIB_SRC   := $(sort $(wildcard libcore/*.c store/*.c))
TOOLS     := $(basename $(notdir $(wildcard tools/*.c)))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# Release objects in build/obj, sanitized ones in build/asan/obj.
OBJ       := $(patsubst %.c,build/obj/%.o,$(LIB_SRC))
ASAN_OBJ  := $(patsubst %.c,build/asan/obj/%.o,$(LIB_SRC))
BINS      := $(addprefix build/,$(TOOLS))
ASAN_BINS := $(addprefix build/asan/,$(TOOLS))
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/%,$(UNIT_SRC))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/asan/%-replay,$(FUZZ_SRC))

# Objects are intermediate files of pattern rules: keep them, so that a
# second 'make check' rebuilds nothing.
.SECONDARY:

.PHONY: all check unit integration lint bench deps check-deps install clean fuzz demo
all: $(BINS)

# The main job: record a snapshot into the default store and show it.
demo: deps
	$(MAKE) all
	build/nsnap record --label demo
	build/nsshow --snapshot=latest

build/obj/%.o: %.c $(wildcard libcore/*.h store/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/asan/obj/%.o: %.c $(wildcard libcore/*.h store/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

build/libnsnap.a: $(OBJ)
	@mkdir -p build
	rm -f $@ && ar rcs $@ $^

build/asan/libnsnap.a: $(ASAN_OBJ)
	@mkdir -p build/asan
	rm -f $@ && ar rcs $@ $^

build/%: build/obj/tools/%.o build/libnsnap.a
	$(CC) $(CFLAGS) $< build/libnsnap.a $(PKG_LIBS) -o $@

build/asan/%: build/asan/obj/tools/%.o build/asan/libnsnap.a
	$(CC) $(CFLAGS) $(SANFLAGS) $< build/asan/libnsnap.a $(PKG_LIBS) -o $@

build/asan/test_%: build/asan/obj/tests/unit/test_%.o build/asan/libnsnap.a
	$(CC) $(CFLAGS) $(SANFLAGS) $< build/asan/libnsnap.a $(PKG_LIBS) $(CMOCKA_LIBS) -o $@

# The fuzz targets' corpus replay: the same entry point, driven by a small
# main() that feeds every corpus file (built with gcc, runs everywhere).
build/asan/fuzz_%-replay: build/asan/obj/tests/fuzz/fuzz_%.o build/asan/obj/tests/fuzz/replay_main.o build/asan/libnsnap.a
	$(CC) $(CFLAGS) $(SANFLAGS) $^ $(PKG_LIBS) -o $@

build/asan/obj/tests/fuzz/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

# libFuzzer builds need clang; not part of 'check'.
fuzz: $(LIB_SRC) $(FUZZ_SRC)
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); \
	  clang $(CPPFLAGS) -std=c11 -g -O1 -D_GNU_SOURCE $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined $$f $(LIB_SRC) $(PKG_LIBS) \
	    -o build/fuzz/$$n || exit 1; \
	done

check: check-deps unit integration lint

unit: $(UNIT_BINS) $(FUZZ_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	@set -e; for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f -replay); echo "== $$f"; \
	  $$f tests/fuzz/corpus/$${n#fuzz_}; done

# Every suite runs even when one fails; the target fails if any did.
INTEGRATION := run diff format ops foreign
integration: $(ASAN_BINS)
	@rc=0; for t in $(INTEGRATION); do \
	  [ -x tests/integration/$$t.sh ] || continue; \
	  echo "== tests/integration/$$t.sh"; \
	  NSNAP_BIN=build/asan tests/integration/$$t.sh || rc=1; \
	done; exit $$rc

# Everything mandoc says counts, down to style, except what depends on the
# pages installed on this machine (cross-references, its mandoc.db).
lint:
	@out=$$(mandoc -T lint -W style man/*.[0-9] 2>&1 | \
	  grep -v -e 'referenced manual not found' -e 'mandoc.db'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@echo "lint: manual pages clean"

bench: $(BINS)
	bench/run.sh

# Build needs DEBS; the tests also check DOT output with Graphviz and the
# manual pages with mandoc.
TEST_DEBS := graphviz mandoc

deps:
	@tests/install-debs $(DEBS)

check-deps: deps
	@tests/install-debs $(TEST_DEBS)

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in man/*.1; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/; done; true
	for m in man/*.5; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/; done; true
	for m in man/*.8; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done; true

clean:
	rm -rf build

# nsnap — build, test, benchmark, install.
#
#   make            build/nsnap build/nsshow build/nsdiff (those that exist)
#   make check      layering, unit + integration tests (everything under
#                   ASan + UBSan), manual pages
#   make layering   fail when a layer uses a symbol of a layer above it
#   make bench      speed and memory figures on a synthetic world
#   make bench-clickhouse  loading snapshots into ClickHouse
#   make demo       record a snapshot into the default store and show it
#   make deps       install the Debian packages the build needs
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/nsnap
DESTDIR ?=

CC      ?= cc
PKGS    := lmdb libxxhash jansson libsodium
DEBS    := build-essential pkg-config liblmdb-dev libxxhash-dev libcmocka-dev \
           libjansson-dev libsodium-dev util-linux procps mount

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -llmdb -lxxhash -ljansson -lsodium)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 $(WARN)
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all

# One version string for the three tools: what git says of this tree at
# build time (not of a repository it was unpacked into), else the release
# number.  Only tools/ objects see it.
VERSION := $(shell [ -e .git ] && git describe --always --dirty 2>/dev/null || echo 0.1)

# Three layers, each built seeing only its own headers and those below it:
# libcore (the model, capture, views, printers) knows nothing of storage,
# store (LMDB, the record encoding, interchange) nothing of the tools.
# A tools/*.c with a header of its own is a helper module of the tools;
# tools/TOOL_*.c is a module of program TOOL alone (nsnap_show.c: nsnap's);
# every other tools/*.c is a program.
CORE_SRC  := $(sort $(wildcard libcore/*.c))
STORE_SRC := $(sort $(wildcard store/*.c))
TLIB_SRC  := $(sort $(filter $(patsubst %.h,%.c,$(wildcard tools/*.h)),$(wildcard tools/*.c)))
TPRIV_SRC := $(sort $(filter-out $(TLIB_SRC),$(wildcard tools/*_*.c)))
LIB_SRC   := $(CORE_SRC) $(STORE_SRC)
TOOLS     := $(basename $(notdir $(filter-out $(TLIB_SRC) $(TPRIV_SRC),$(wildcard tools/*.c))))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
HEADERS   := $(wildcard libcore/*.h store/*.h tools/*.h)

# Include paths and package flags per layer (tests see everything).
LAYER_FLAGS = -Ilibcore -Istore -Itools $(PKG_CFLAGS)
build/obj/libcore/%.o build/asan/obj/libcore/%.o: LAYER_FLAGS = -Ilibcore
build/obj/store/%.o build/asan/obj/store/%.o: LAYER_FLAGS = -Ilibcore -Istore $(PKG_CFLAGS)
# One libcore module parses JSON: the runtimes' state files (podman's
# containers.json, docker's config.v2.json) are hostile input, better read
# by jansson, a complete parser, than by a scanner of our own.  It sees
# jansson alone; tests/check-layering allows its json_* symbols and no
# other libcore object's.
build/obj/libcore/workload_state.o build/asan/obj/libcore/workload_state.o: \
  LAYER_FLAGS = -Ilibcore $(shell pkg-config --cflags jansson 2>/dev/null)
build/obj/tools/%.o build/asan/obj/tools/%.o: LAYER_FLAGS += -DNSNAP_VERSION='"$(VERSION)"'

# Release objects in build/obj, sanitized ones in build/asan/obj; each
# build has one archive per layer.
CORE_OBJ       := $(patsubst %.c,build/obj/%.o,$(CORE_SRC))
STORE_OBJ      := $(patsubst %.c,build/obj/%.o,$(STORE_SRC))
TLIB_OBJ       := $(patsubst %.c,build/obj/%.o,$(TLIB_SRC))
CORE_ASAN_OBJ  := $(patsubst %.c,build/asan/obj/%.o,$(CORE_SRC))
STORE_ASAN_OBJ := $(patsubst %.c,build/asan/obj/%.o,$(STORE_SRC))
TLIB_ASAN_OBJ  := $(patsubst %.c,build/asan/obj/%.o,$(TLIB_SRC))
TPRIV_OBJ      := $(patsubst %.c,build/obj/%.o,$(TPRIV_SRC))
TPRIV_ASAN_OBJ := $(patsubst %.c,build/asan/obj/%.o,$(TPRIV_SRC))
TOOL_ASAN_OBJ  := $(patsubst %,build/asan/obj/tools/%.o,$(TOOLS)) $(TLIB_ASAN_OBJ) \
                  $(TPRIV_ASAN_OBJ)
LIBS           := build/libnsstore.a build/libnscore.a
ASAN_LIBS      := build/asan/libnsstore.a build/asan/libnscore.a
BINS      := $(addprefix build/,$(TOOLS))
ASAN_BINS := $(addprefix build/asan/,$(TOOLS))
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/%,$(UNIT_SRC))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/asan/%-replay,$(FUZZ_SRC))

# Objects are intermediate files of pattern rules: keep them, so that a
# second 'make check' rebuilds nothing.
.SECONDARY:

.PHONY: all check check-damage unit integration layering lint bench bench-clickhouse deps check-deps install clean fuzz demo FORCE
all: $(BINS)

# The main job: record a snapshot into the default store and show it.
demo: deps
	$(MAKE) all
	build/nsnap record --label demo
	build/nsshow --snapshot=latest

build/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LAYER_FLAGS) $(CFLAGS) -c $< -o $@

build/asan/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LAYER_FLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

# Rewritten only when the version changed, so that the tools are rebuilt
# then and only then.
build/version: FORCE
	@mkdir -p build
	@[ "$$(cat $@ 2>/dev/null)" = '$(VERSION)' ] || echo '$(VERSION)' >$@
$(patsubst %,build/obj/tools/%.o,$(TOOLS)) $(TLIB_OBJ) $(TPRIV_OBJ) $(TOOL_ASAN_OBJ): build/version

build/libnscore.a: $(CORE_OBJ)
build/libnsstore.a: $(STORE_OBJ)
build/asan/libnscore.a: $(CORE_ASAN_OBJ)
build/asan/libnsstore.a: $(STORE_ASAN_OBJ)
build/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# A program: its object, its own modules (tools/TOOL_*.c), the helpers.
$(foreach t,$(TOOLS),$(eval build/$(t): $(filter build/obj/tools/$(t)_%,$(TPRIV_OBJ))) \
  $(eval build/asan/$(t): $(filter build/asan/obj/tools/$(t)_%,$(TPRIV_ASAN_OBJ))))

build/%: build/obj/tools/%.o $(TLIB_OBJ) $(LIBS)
	$(CC) $(CFLAGS) $< $(filter $(TPRIV_OBJ),$^) $(TLIB_OBJ) $(LIBS) $(PKG_LIBS) -o $@

build/asan/%: build/asan/obj/tools/%.o $(TLIB_ASAN_OBJ) $(ASAN_LIBS)
	$(CC) $(CFLAGS) $(SANFLAGS) $< $(filter $(TPRIV_ASAN_OBJ),$^) $(TLIB_ASAN_OBJ) $(ASAN_LIBS) $(PKG_LIBS) -o $@

# The tests' own headers (fixtures, scratch directories) rebuild them too.
$(patsubst tests/unit/%.c,build/asan/obj/tests/unit/%.o,$(UNIT_SRC)): $(wildcard tests/unit/*.h)

build/asan/test_%: build/asan/obj/tests/unit/test_%.o $(ASAN_LIBS)
	$(CC) $(CFLAGS) $(SANFLAGS) $< $(ASAN_LIBS) $(PKG_LIBS) $(CMOCKA_LIBS) -o $@

# Test helpers that need the libraries (tests/integration/helpers/*.c
# that include a header of ours), built sanitized like the tools.
build/asan/docedit: tests/integration/helpers/docedit.c $(HEADERS) $(ASAN_LIBS)
	$(CC) $(CPPFLAGS) -Ilibcore -Istore $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS) $< \
	  $(ASAN_LIBS) $(PKG_LIBS) -o $@

# The fuzz targets' corpus replay: the same entry point, driven by a small
# main() that feeds every corpus file (built with gcc, runs everywhere).
build/asan/fuzz_%-replay: build/asan/obj/tests/fuzz/fuzz_%.o build/asan/obj/tests/fuzz/replay_main.o $(ASAN_LIBS)
	$(CC) $(CFLAGS) $(SANFLAGS) $^ $(PKG_LIBS) -o $@

build/asan/obj/tests/fuzz/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LAYER_FLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

# libFuzzer builds need clang; not part of 'check'.
fuzz: $(LIB_SRC) $(FUZZ_SRC)
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); \
	  clang $(CPPFLAGS) -Ilibcore -Istore -std=c11 -g -O1 $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined $$f $(LIB_SRC) $(PKG_LIBS) \
	    -o build/fuzz/$$n || exit 1; \
	done

check: check-deps layering unit integration lint

# The full damage sweep of a store (about 2,700 damaged stores x 8
# commands; 10-15 minutes on 2 cores); 'check' runs a sample of it.
check-damage: check-deps $(ASAN_BINS)
	NSNAP_BIN=build/asan DAMAGE_SWEEP=full tests/integration/damage.sh

# The layers as the linker sees them: no libcore object may use a symbol
# of store/, LMDB, jansson (but workload_state.o) or xxHash, no store
# object one of tools/.
layering: $(CORE_ASAN_OBJ) $(STORE_ASAN_OBJ) $(TOOL_ASAN_OBJ)
	@tests/check-layering core $(CORE_ASAN_OBJ) store $(STORE_ASAN_OBJ) \
	  tools $(TOOL_ASAN_OBJ)

unit: $(UNIT_BINS) $(FUZZ_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	@set -e; for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f -replay); echo "== $$f"; \
	  $$f tests/fuzz/corpus/$${n#fuzz_}; done

# Every suite runs even when one fails; the target fails if any did.
INTEGRATION := run diff format ops order cli messages foreign untrusted seal damage \
               workloads custody clickhouse
integration: $(ASAN_BINS) build/asan/docedit
	@rc=0; for t in $(INTEGRATION); do \
	  [ -x tests/integration/$$t.sh ] || continue; \
	  echo "== tests/integration/$$t.sh"; \
	  NSNAP_BIN=build/asan tests/integration/$$t.sh || rc=1; \
	done; exit $$rc

# Everything mandoc says counts, down to style, except what depends on the
# pages installed on this machine (cross-references, its mandoc.db).
# mandoc comes from Debian (check-deps); where it cannot, a SKIP line.
lint:
	@command -v mandoc >/dev/null || { tests/install-debs mandoc >/dev/null 2>&1; true; }
	@if ! command -v mandoc >/dev/null; then \
	  echo "SKIP: lint: mandoc cannot be installed"; exit 0; fi; \
	out=$$(mandoc -T lint -W style man/*.[0-9] 2>&1 | \
	  grep -v -e 'referenced manual not found' -e 'mandoc.db'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	echo "lint: manual pages clean"

# make bench's baseline for the cost of custody: nsnap without the content
# digest and the chain's links (store/custody.c, NSNAP_BENCH_UNCHAINED).
build/bench/nsnap-unchained: tools/nsnap.c $(filter tools/nsnap_%,$(TPRIV_SRC)) \
  $(TLIB_SRC) $(LIB_SRC) $(HEADERS) build/version
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ilibcore -Istore -Itools $(PKG_CFLAGS) $(CFLAGS) \
	  -DNSNAP_BENCH_UNCHAINED -DNSNAP_VERSION='"$(VERSION)"' \
	  $(filter %.c,$^) $(PKG_LIBS) -o $@

bench: $(BINS) build/bench/nsnap-unchained
	bench/run.sh
	@if command -v clickhouse-server >/dev/null; then bench/clickhouse.sh; \
	else echo "bench: no clickhouse-server: make bench-clickhouse installs it"; fi

# Rows per second into ClickHouse, bytes per snapshot there and in LMDB.
bench-clickhouse: $(BINS)
	@command -v clickhouse-server >/dev/null || tests/install-debs clickhouse-server clickhouse-client
	bench/clickhouse.sh

# Build needs DEBS; the tests also check DOT output with Graphviz and the
# manual pages with mandoc.
TEST_DEBS := graphviz mandoc

deps:
	@tests/install-debs $(DEBS)

check-deps: deps
	@tests/install-debs $(TEST_DEBS)

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in man/*.1; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/; done; true
	for m in man/*.5; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/; done; true
	for m in man/*.7; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man7/; done; true
	for m in man/*.8; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done; true
	install -d $(DESTDIR)$(DATADIR)/clickhouse
	install -m 0755 tools/clickhouse/load $(DESTDIR)$(DATADIR)/clickhouse/
	install -m 0644 tools/clickhouse/schema.sql tools/clickhouse/server.xml \
	  tools/clickhouse/users.xml $(DESTDIR)$(DATADIR)/clickhouse/

clean:
	rm -rf build

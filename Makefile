# strata - build, test, demo and benchmark.
#
#   make              build/strata
#   make check        unit + integration tests (TAP, under prove)
#   make check-asan   the same suites on an ASan+UBSan build
#   make demo         throwaway PostgreSQL + the example project
#   make bench        benchmark against the peers -> bench/REPORT.md
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
BUILD  ?= build
CC     ?= cc
PROVE_JOBS ?= 2

# Debian ships libpg_query without a pkg-config file.
PKGS    := libpq libprotobuf-c nettle inih
DEPS_OK := $(shell pkg-config --exists $(PKGS) 2>/dev/null && test -f /usr/include/pg_query.h && echo yes)

ifeq ($(DEPS_OK),yes)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
endif

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wstrict-prototypes \
           -Wold-style-definition -Wmissing-prototypes -Wpointer-arith \
           -Wvla -Wshadow -Wimplicit-fallthrough -fno-common
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -pthread $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
# libpg_query linked from Debian's static archive when present: only the
# parser strata calls comes in, and the dynamic loader has not to relocate
# the whole 2.7 MB library at every start (about 0.3 MiB less memory).
PG_QUERY_A := $(firstword $(wildcard /usr/lib/*/libpg_query.a /usr/lib/libpg_query.a))
LIBS    = $(if $(PG_QUERY_A),$(PG_QUERY_A),-lpg_query) $(PKG_LIBS)

SRC := $(wildcard src/*.c src/util/*.c src/core/*.c src/db/*.c src/sql/*.c src/schema/*.c src/lint/*.c src/cmd/*.c)
OBJ := $(SRC:%.c=$(BUILD)/%.o)
LIB_OBJ := $(filter-out $(BUILD)/src/main.o,$(OBJ))

UNIT_SRC := $(wildcard tests/unit/u-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps build check check-unit check-integration check-asan demo \
        bench install clean run-check run-demo run-bench

# The public targets first make sure the Debian packages are there, then
# run make again, so that pkg-config sees libraries installed just now.
all: deps
	@$(MAKE) --no-print-directory build

build: $(BUILD)/strata

# Install the Debian packages when a library or the server is missing.
deps:
	@if [ "$(DEPS_OK)" != yes ] || ! command -v pg_config >/dev/null || \
	   ! test -x "$$(pg_config --bindir 2>/dev/null)/initdb" || \
	   ! command -v prove >/dev/null || ! test -x /usr/sbin/pgbouncer || \
	   ! test -f /usr/include/cmocka.h; then \
		./scripts/install-deps.sh; \
	fi

$(BUILD)/strata: $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(LDFLAGS) $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests link what they use from an archive of everything but main.
$(BUILD)/libstrata.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/tests/u-%: tests/unit/u-%.c $(BUILD)/libstrata.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(BUILD)/libstrata.a $(LDFLAGS) $(LIBS) -lcmocka

PROVE = prove -j$(PROVE_JOBS) --exec tests/run-test.sh
T ?= $(wildcard tests/t/t*.sh)

check-unit: deps
	@$(MAKE) --no-print-directory $(UNIT_BIN)
	$(PROVE) $(UNIT_BIN)

check-integration: build
	STRATA=$(abspath $(BUILD)/strata) $(PROVE) $(T)

check: deps
	@$(MAKE) --no-print-directory run-check

run-check: $(BUILD)/strata $(UNIT_BIN)
	STRATA=$(abspath $(BUILD)/strata) $(PROVE) $(UNIT_BIN) $(T)

# AddressSanitizer + UndefinedBehaviorSanitizer build, same suites. A leak
# or a sanitizer report exits 99, which no test expects, so it fails.
check-asan:
	ASAN_OPTIONS=exitcode=99:detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" check

demo: deps
	@$(MAKE) --no-print-directory run-demo

run-demo: $(BUILD)/strata
	./scripts/demo.sh $(abspath $(BUILD)/strata)

bench: deps
	@$(MAKE) --no-print-directory run-bench

run-bench: $(BUILD)/strata
	./bench/run.sh $(abspath $(BUILD)/strata)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/strata $(DESTDIR)$(PREFIX)/bin/strata
	install -m 644 docs/strata.1 $(DESTDIR)$(PREFIX)/share/man/man1/strata.1

clean:
	rm -rf build

-include $(OBJ:.o=.d)

# mailops: one non-recursive Makefile.
#
#   make               build ./mailops (CC=clang works too)
#   make deps          install the Debian packages the build, tests and demo need
#   make demo          build, start private demo servers, open the console
#   make check         build and run every test; ends with "N passed, N failed"
#   make check-asan    the same under ASan + UBSan
#   make fuzz          build the libFuzzer harnesses (clang)
#   make bench         run the side-by-side benchmarks

CC ?= cc
ifeq ($(origin CC),default)
CC = cc
endif
BUILD ?= build
BIN ?= mailops
WERROR ?= -Werror
OPT ?= -O2 -g
SAN ?=

PKGS = ncursesw libmemcached libcares libevent libevent_openssl openssl gmime-3.0 jansson inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhashkit -ldb -lz -lm
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# make V=1 shows the commands.
V ?= 0
ifeq ($(V),0)
Q = @
SAY = @printf '  %-6s %s\n'
else
Q =
SAY = @true
endif

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 $(WERROR)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(PKG_CFLAGS) $(WARN) $(OPT) $(SAN) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

SRC_BACKEND := $(sort $(wildcard backend/*.c))
SRC_PLUGINS := $(sort $(wildcard plugins/*.c))
SRC_UI := $(sort $(filter-out ui/main.c,$(wildcard ui/*.c)))
OBJ_LIB := $(patsubst %.c,$(BUILD)/%.o,$(SRC_BACKEND) $(SRC_PLUGINS) $(SRC_UI))
OBJ_MAIN := $(BUILD)/ui/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(HELPER_SRC))

.PHONY: all deps demo check check-asan test-programs fuzz bench clean format

all: $(BIN)

$(BIN): $(OBJ_LIB) $(OBJ_MAIN)
	$(SAY) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(OBJ_MAIN) $(OBJ_LIB) $(PKG_LIBS)

# The compiler and its flags, in a stamp rewritten only when they change:
# every object depends on it, so `make CC=clang` after a gcc build (or a new
# OPT, SAN, CFLAGS) recompiles instead of linking the other compiler's objects.
FLAGS_STAMP = $(BUILD)/.flags
FLAGS_NOW = $(subst ','\'',$(CC) $(ALL_CFLAGS))

$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@if [ '$(FLAGS_NOW)' != "$$(cat $@ 2>/dev/null)" ]; then printf '%s\n' '$(FLAGS_NOW)' >$@; fi

.PHONY: FORCE
FORCE:

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(OBJ_LIB) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(SAY) TEST $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ_LIB) $(ALL_LDFLAGS) $(CMOCKA_LIBS) $(PKG_LIBS)

$(BUILD)/tests/%: tests/helpers/%.c $(OBJ_LIB) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(SAY) HELPER $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ_LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

test-programs: $(BIN) $(UNIT_BIN) $(HELPER_BIN)

# Debian packages: build, tests (real peers), demo. Only what is missing is installed.
DEB_PKGS = build-essential pkg-config clang libclang-rt-14-dev libncurses-dev libmemcached-dev \
	libhashkit-dev libdb5.3-dev libc-ares-dev libevent-dev libgmime-3.0-dev libjansson-dev \
	libinih-dev libcmocka-dev zlib1g-dev libssl-dev memcached tmux jq libxml2-utils dnsmasq-base bind9-dnsutils \
	db5.3-util m4 swaks man-db groff-base locales time procps netcat-openbsd openssl python3 perl \
	libcache-memcached-perl libcache-memcached-fast-perl libmemcached-tools \
	libio-socket-ssl-perl libmime-tools-perl libsisimai-perl pflogsumm

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing" $$missing; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

demo: deps
	@$(MAKE) --no-print-directory all
	@bash demo/run.sh

check: deps
	@$(MAKE) --no-print-directory test-programs
	@MAILOPS=$(CURDIR)/$(BIN) TESTBIN=$(CURDIR)/$(BUILD)/tests bash tests/run

ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan BIN=build/asan/mailops OPT="-O1 -g" SAN="$(ASAN_FLAGS)" test-programs
	@MAILOPS=$(CURDIR)/build/asan/mailops TESTBIN=$(CURDIR)/build/asan/tests MAILOPS_ASAN=1 \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1 \
		G_SLICE=always-malloc bash tests/run

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer

fuzz: $(FUZZ_BIN)

build/fuzz/lib.stamp: $(SRC_BACKEND) $(SRC_PLUGINS) $(SRC_UI) $(wildcard backend/*.h plugins/*.h ui/*.h)
	@$(MAKE) --no-print-directory CC=clang BUILD=build/fuzz/obj OPT="-O1 -g" SAN="$(FUZZ_FLAGS)" \
		$(patsubst %.c,build/fuzz/obj/%.o,$(SRC_BACKEND) $(SRC_PLUGINS) $(SRC_UI))
	@touch $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/lib.stamp
	clang -std=c11 -D_GNU_SOURCE $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o $@ $< \
		$(patsubst %.c,build/fuzz/obj/%.o,$(SRC_BACKEND) $(SRC_PLUGINS) $(SRC_UI)) $(PKG_LIBS)

bench: all
	@bash tests/bench/run

format:
	clang-format -i backend/*.[ch] plugins/*.[ch] ui/*.[ch] tests/unit/*.c tests/fuzz/*.c

clean:
	rm -rf build $(BIN)

-include $(OBJ_LIB:.o=.d) $(OBJ_MAIN:.o=.d)

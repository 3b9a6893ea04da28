# Makefile: thin wrapper over CMakePresets.json and the scripts, so a fresh
# Debian 12 machine goes from clone to results with one command.
#   make deps | build | test | demo | peers | bench | sanitize-test PRESET=tsan | clean
# Builds go to build/ (release preset), build-debug/, build-asan/, build-tsan/.

DEB_PKGS  := build-essential cmake pkg-config liblua5.4-dev libhwloc-dev libbenchmark-dev git \
             gnuplot-nox libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 libgc-dev
PRESET    ?= release
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
BENCH_ARGS ?=
SUDO      := $(if $(filter 0,$(shell id -u)),,sudo)

# $(call apt_missing,PKGS): installs those of PKGS that dpkg does not have,
# running apt-get update once and only when something is missing.
define apt_missing
	@if ! command -v dpkg-query >/dev/null; then \
	  echo "make: not a Debian system; make sure these are installed: $(1)"; exit 0; fi; \
	missing=; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "make: installing$$missing"; \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
endef

.PHONY: deps configure build test demo peers bench sanitize-test clean

deps:
	$(call apt_missing,$(DEB_PKGS))

configure: deps
	cmake --preset $(PRESET)

build: configure
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET) --output-on-failure -j 2

# The quickstart experiment, with Go's runtime as a peer: prints the table
# and where the result files (JSONL, CSV, summary, SVG plots) are.
demo: build peers
	build/rtlab run experiments/quickstart.lua --out results/quickstart

# The peer programs: Go's runtime (golang-go) and the Boehm collector
# (libgc-dev).  Off Debian, apt_missing only names the packages, so the
# Boehm peer is skipped when pkg-config cannot find bdw-gc; rtlab run then
# leaves its rows out and says how to install it.
peers:
	$(call apt_missing,golang-go libgc-dev)
	mkdir -p build/peers build/gocache
	cd experiments/peers/go && GOPROXY=off GOFLAGS=-buildvcs=false \
	  GOCACHE=$(CURDIR)/build/gocache go build -o $(CURDIR)/build/peers/rtlab-peer-go .
	@if pkg-config --exists bdw-gc; then \
	  echo "cc -O2 -std=gnu11 experiments/peers/boehm/main.c \$$(pkg-config --cflags --libs bdw-gc) -o build/peers/rtlab-peer-boehm"; \
	  cc -O2 -std=gnu11 experiments/peers/boehm/main.c $$(pkg-config --cflags --libs bdw-gc) \
	    -o build/peers/rtlab-peer-boehm; \
	else echo "make: pkg-config finds no bdw-gc (libgc-dev): skipping rtlab-peer-boehm"; fi

bench: build
	build/rtlab-micro $(BENCH_ARGS)

sanitize-test: PRESET = asan-ubsan
sanitize-test: build
	ctest --preset $(PRESET) -L conformance -j 2

clean:
	rm -rf build build-debug build-asan build-tsan

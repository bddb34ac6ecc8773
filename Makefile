# openstack-healthcheck: `make demo` runs the main job, `make test` runs every test.
# Each area keeps its own targets in mk/NN-area.mk and adds its test target to
# TEST_TARGETS; they run in file-name order (engine first: everything else calls it).

SHELL := /bin/bash
.DEFAULT_GOAL := build
CARGO ?= cargo
BIN := target/release/openstack-healthcheck
CACHE ?= /var/cache/openstack-healthcheck
export CACHE

TEST_TARGETS :=
BENCH_TARGETS :=
DIST_TARGETS :=

.PHONY: build deps test bench dist clean
build:
	$(CARGO) build --release --locked

# Everything the tests need on a fresh Debian 12 machine (apt packages, Python venv,
# the original scripts to compare against). Idempotent and cached under $(CACHE).
deps:
	bash tests/setup/install.sh

include $(sort $(wildcard mk/*.mk))

test: deps build
	@set -e; for t in $(TEST_TARGETS); do echo "=== make $$t"; $(MAKE) --no-print-directory $$t; done
	@echo "=== make test: all test targets passed: $(TEST_TARGETS)"

bench: deps build $(BENCH_TARGETS)

dist: build $(DIST_TARGETS)

clean:
	$(CARGO) clean

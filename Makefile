# openstack-healthcheck: `make demo` runs the main job, `make test` runs every test.
# Each area keeps its own targets in mk/NN-area.mk and adds its test target to
# TEST_TARGETS; they run in file-name order (the fast lint first, then the engine:
# everything else calls it).

SHELL := /bin/bash
.DEFAULT_GOAL := build
CARGO ?= cargo
# The release binary, the one definition of its path: scripts, playbooks and benchmarks
# read BIN from the environment (`make -s print-bin` prints it for those run by hand).
# Cargo builds for the explicit target named in .cargo/config.toml, hence the directory.
CARGO_TARGET := $(shell sed -n 's/^target = "\(.*\)"/\1/p' .cargo/config.toml)
BIN := $(CURDIR)/target/$(CARGO_TARGET)/release/openstack-healthcheck
export BIN
CACHE ?= /var/cache/openstack-healthcheck
export CACHE

TEST_TARGETS :=
BENCH_TARGETS :=
DIST_TARGETS :=

.PHONY: build print-bin deps test bench dist clean
build:
	$(CARGO) build --release --locked

print-bin:
	@echo '$(BIN)'

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

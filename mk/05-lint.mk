# Static checks of the source tree; `make lint` runs them all, first in `make test` (they
# take seconds where the suites take minutes).
# - lint-rust: rustfmt (the crate and the fuzz crate, a workspace of its own) and clippy on
#   every target, warnings as errors.
# - lint-shell: shellcheck on every shell script (by extension or #! line, see
#   tests/lint/sources.sh), following what they source (.shellcheckrc).
# - lint-python: pyflakes on our own Python outside the collection (bench/, tests/); the
#   collection's is ansible-test sanity's.
# - lint-layers: no import cycle between the top-level modules of src/ and none of the
#   forbidden edges (clap outside src/cli/, protocol clients reaching for verdicts, ...),
#   see tests/lint/layers.py; its own tests run first.
# - lint-test-binary: the Rust integration tests stay one test binary (tests/integration/):
#   cargo would make any other tests/*.rs or tests/*/main.rs a binary of its own, linked
#   on its own.
VENV_BIN ?= $(CACHE)/venv/bin
LINT_PYTHON ?= /usr/bin/python3
LINT_SOURCES := bash tests/lint/sources.sh

TEST_TARGETS += lint
.PHONY: lint lint-rust lint-shell lint-python lint-layers lint-test-binary
lint: lint-rust lint-shell lint-python lint-layers lint-test-binary

lint-rust:
	$(CARGO) fmt --all --check
	$(CARGO) fmt --check --manifest-path fuzz/Cargo.toml
	$(CARGO) clippy --locked --all-targets -- -D warnings

lint-shell:
	set -o pipefail; $(LINT_SOURCES) shell | xargs -r -d '\n' shellcheck -x

lint-python:
	set -o pipefail; $(LINT_SOURCES) python | xargs -r -d '\n' $(LINT_PYTHON) -m pyflakes

lint-layers:
	$(VENV_BIN)/pytest -q -p no:cacheprovider tests/lint
	$(LINT_PYTHON) tests/lint/layers.py

lint-test-binary:
	@extra=$$(ls tests/*.rs tests/*/main.rs 2>/dev/null | grep -vx tests/integration/main.rs); \
	if [ -n "$$extra" ]; then \
		echo "lint-test-binary: make these modules of tests/integration/main.rs: $$extra" >&2; \
		exit 1; \
	fi

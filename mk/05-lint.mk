# Static checks of the source tree. lint-layers: no import cycle between the top-level
# modules of src/ and none of the forbidden edges (clap outside src/cli/, protocol
# clients reaching for verdicts, ...), see tests/lint/layers.py; its own tests run first.
VENV_BIN ?= $(CACHE)/venv/bin
LINT_PYTHON ?= /usr/bin/python3

.PHONY: lint-layers
lint-layers:
	$(VENV_BIN)/pytest -q -p no:cacheprovider tests/lint
	$(LINT_PYTHON) tests/lint/layers.py

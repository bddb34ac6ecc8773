# Fuzz every target for a bounded time (FUZZ_SECONDS each): no parser may panic.
FUZZ_SECONDS ?= 15
TEST_TARGETS += fuzz
.PHONY: fuzz
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
	@set -e; cd fuzz; for t in $$(cargo +nightly fuzz list); do \
	  echo "--- fuzz $$t ($(FUZZ_SECONDS)s)"; \
	  cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 2>&1 | tail -3; \
	  test $${PIPESTATUS[0]} -eq 0; \
	done

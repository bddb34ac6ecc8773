# The check engine: Rust unit and integration tests (integration tests start real peers).
TEST_TARGETS += test-engine
.PHONY: test-engine
test-engine:
	$(CARGO) test --locked --release

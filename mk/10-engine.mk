# The check engine: Rust unit and integration tests (integration tests start real peers),
# built in the test-fast profile (Cargo.toml): release code without fat LTO.
TEST_TARGETS += test-engine
.PHONY: test-engine
test-engine:
	$(CARGO) test --locked --profile test-fast

# Small protocol probes (memcached, Redis, OVSDB, HAProxy): CPU against the reference
# clients on the same real servers. Their tests run in test-engine (cargo test).
BENCH_TARGETS += bench-small-protocols
.PHONY: bench-small-protocols
bench-small-protocols: build
	bash bench/small_protocols.sh

# oslo.messaging RPC ping: CPU and peak RSS of `probe rpc` against a Python oslo.messaging
# client doing the same ping on the same real server (its tests run with the engine's
# `cargo test`: tests/integration/probe_rpc.rs, tests/integration/probe_heartbeat.rs).
BENCH_TARGETS += bench-rpc
.PHONY: bench-rpc
bench-rpc: build
	bash bench/rpc.sh

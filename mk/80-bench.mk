# Benchmarks of the engine against kolla's and TripleO's scripts (results: BENCHMARKS.md).
BENCH_TARGETS += bench-engine
.PHONY: bench-engine
bench-engine: build
	python3 bench/engine.py --write
# kolla's MariaDB/RabbitMQ checks and ovs-appctl against our drop-ins (results: BENCHMARKS.md).
BENCH_TARGETS += bench-ovn-kolla
.PHONY: bench-ovn-kolla
bench-ovn-kolla: build
	bash bench/ovn_kolla.sh
# The host agent against the engines' HEALTHCHECK path: whole-host CPU per container check,
# Docker and podman, 20 containers of the e2e images (results: BENCHMARKS.md).
BENCH_TARGETS += bench-agent
.PHONY: bench-agent
bench-agent: build
	python3 bench/agent.py --containers 20 --write

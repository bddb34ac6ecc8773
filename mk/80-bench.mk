# Benchmarks of the engine against kolla's and TripleO's scripts (results: BENCHMARKS.md).
BENCH_TARGETS += bench-engine
.PHONY: bench-engine
bench-engine: build
	python3 bench/engine.py --write

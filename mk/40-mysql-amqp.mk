# MySQL/MariaDB and AMQP probes: CPU of `probe mysql`/`probe amqp` against the real
# clients on the same servers (their tests run with the engine's `cargo test`).
BENCH_TARGETS += bench-mysql-amqp
.PHONY: bench-mysql-amqp
bench-mysql-amqp: build
	bash bench/mysql_amqp.sh

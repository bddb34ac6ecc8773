# Monitoring: the binary as a Nagios plugin under a real Nagios Core, `--format prometheus`
# through promtool, and the host agent's textfile and /metrics on real Docker containers read
# by node_exporter and a Prometheus server (tests/monitoring/, pytest from the venv; the
# agent's test needs root and starts dockerd if none runs), and the shipped alert rules' own
# unit tests (promtool test rules, packaging/monitoring/prometheus/).
VENV_BIN ?= $(CACHE)/venv/bin
MONITORING_RULES := packaging/monitoring/prometheus/openstack-healthcheck.rules.yml

TEST_TARGETS += test-monitoring
.PHONY: test-monitoring test-monitoring-rules

test-monitoring: build test-monitoring-rules
	BIN=$(BIN) $(VENV_BIN)/pytest -q -p no:cacheprovider tests/monitoring

test-monitoring-rules:
	promtool check rules $(MONITORING_RULES)
	cd packaging/monitoring/prometheus/tests && promtool test rules openstack-healthcheck.rules.test.yml

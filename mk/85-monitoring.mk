# Monitoring: the binary as a Nagios plugin under a real Nagios Core, `--format prometheus`
# through promtool, the host agent's metrics scraped by Prometheus and read by
# node_exporter's textfile collector (tests/monitoring/, pytest from the venv), and the
# alert rules' own unit tests (promtool test rules).
VENV_BIN ?= $(CACHE)/venv/bin
MONITORING_RULES := monitoring/prometheus/openstack-healthcheck.rules.yml

TEST_TARGETS += test-monitoring
.PHONY: test-monitoring test-monitoring-rules

test-monitoring: build test-monitoring-rules
	BIN=$(BIN) $(VENV_BIN)/pytest -q -p no:cacheprovider tests/monitoring

test-monitoring-rules:
	promtool check rules $(MONITORING_RULES)
	cd monitoring/prometheus/tests && promtool test rules openstack-healthcheck.rules.test.yml

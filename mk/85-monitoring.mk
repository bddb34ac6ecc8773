# Monitoring: the binary as a Nagios plugin under a real Nagios Core and `--format prometheus`
# through promtool (tests/monitoring/, pytest from the venv), and the shipped alert rules'
# own unit tests (promtool test rules, packaging/monitoring/prometheus/).
VENV_BIN ?= $(CACHE)/venv/bin
MONITORING_RULES := packaging/monitoring/prometheus/openstack-healthcheck.rules.yml

TEST_TARGETS += test-monitoring
.PHONY: test-monitoring test-monitoring-rules

test-monitoring: build test-monitoring-rules
	BIN=$(BIN) $(VENV_BIN)/pytest -q -p no:cacheprovider tests/monitoring

test-monitoring-rules:
	promtool check rules $(MONITORING_RULES)
	cd packaging/monitoring/prometheus/tests && promtool test rules openstack-healthcheck.rules.test.yml

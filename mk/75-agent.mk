# The host agent (openstack-healthcheck agent): against real Docker and podman containers
# built from the e2e images, `agent --once` must give the verdict each container's own
# health test gives inside it (service up, stopped, back), in its own network namespace and
# on the host's, through kolla's names and TripleO's link chain, never reading a host file
# through a container's symlink, logging one line per change of state; see tests/e2e/agent.sh. AGENT_ENGINES narrows the engines.
TEST_TARGETS += test-agent

.PHONY: test-agent
AGENT_ENGINES ?= docker podman
test-agent: build
	bash tests/setup/dockerd.sh
	bash tests/e2e/agent.sh --engines "$(AGENT_ENGINES)"

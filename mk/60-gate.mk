# The container health gate: unit tests of the collection's container_health
# module and report filters, the module and playbooks/validate.yml against real Docker and
# podman containers (also on the state file of the real host agent, which the deploy playbook
# starts in a container on Docker: hence the build), and the molecule scenarios (default:
# localhost, no engine; docker: real containers). Everything started is labelled
# openstack-healthcheck.test=... and removed (the agent's container and image by their names).
GATE_VENV ?= $(CACHE)/venv
# A tree that makes collection/ importable as openstack.healthcheck (molecule.yml points here).
GATE_COLLECTIONS := target/collections

TEST_TARGETS += test-gate
.PHONY: test-gate test-gate-unit test-gate-docker test-molecule gate-collections

test-gate: test-gate-unit test-gate-docker test-molecule

gate-collections:
	@mkdir -p $(GATE_COLLECTIONS)/ansible_collections/openstack
	@ln -sfn ../../../../collection $(GATE_COLLECTIONS)/ansible_collections/openstack/healthcheck

test-gate-unit:
	$(GATE_VENV)/bin/pytest -q -p no:cacheprovider collection/tests/unit

test-gate-docker: build
	bash tests/setup/dockerd.sh
	$(GATE_VENV)/bin/pytest -q -p no:cacheprovider tests/containers

# molecule runs from the repository root (no galaxy.yml here, so it reads molecule/).
# reset first: with unmanaged instances molecule would otherwise remember an earlier
# run's "prepared" state and skip prepare.yml, which starts the docker scenario's containers.
test-molecule: build gate-collections
	bash tests/setup/dockerd.sh
	@set -e; for s in default docker; do \
	  PATH=$(GATE_VENV)/bin:$$PATH molecule reset -s $$s >/dev/null 2>&1; \
	  PATH=$(GATE_VENV)/bin:$$PATH molecule test -s $$s; \
	done

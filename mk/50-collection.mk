# The Ansible collection's quality gates: ansible-test sanity, ansible-lint (production
# profile), pytest unit tests, the real kolla-build rendering patched overrides, and the
# galaxy tarball. All tools come from the venv that `make deps` builds.
VENV_BIN ?= $(CACHE)/venv/bin
# ansible-test only runs inside .../ansible_collections/NAMESPACE/NAME, and lists files with
# git when inside a git checkout (so not under our ignored target/): a copy lives in /tmp,
# one per checkout.
COLLECTION_TREE := /tmp/openstack-healthcheck-collection-$(shell echo '$(CURDIR)' | md5sum | cut -c1-8)
COLLECTION_COPY := $(COLLECTION_TREE)/ansible_collections/openstack/healthcheck

TEST_TARGETS += test-collection test-collection-installed
DIST_TARGETS += dist-collection
.PHONY: test-collection test-collection-sanity test-collection-lint test-collection-unit test-kolla-build \
	test-services-data test-collection-installed test-collection-deploy generate dist-collection collection-tree

test-collection: test-services-data test-collection-unit test-collection-lint test-collection-sanity \
	test-kolla-build test-collection-deploy

# The binary is the one service list: the collection's services_data.py and docs/services.md's
# table are generated from `$(BIN) list --format json`, and the test fails while they differ.
generate: build
	python3 tests/collection/services_from_binary.py --bin $(BIN) --write

test-services-data: build collection-tree
	PYTHONPATH=$(COLLECTION_TREE) $(VENV_BIN)/pytest -q -p no:cacheprovider \
	  tests/collection/test_services_data.py

collection-tree:
	@rm -rf $(COLLECTION_TREE) && mkdir -p $(COLLECTION_COPY)
	@cp -a collection/. $(COLLECTION_COPY)/
	@rm -rf $(COLLECTION_COPY)/tests/output

test-collection-unit: collection-tree
	cd $(COLLECTION_COPY) && PYTHONPATH=$(COLLECTION_TREE) $(VENV_BIN)/pytest -q -p no:cacheprovider \
	  -W ignore::DeprecationWarning tests/unit

# ansible-test downloads a pip bootstrap from a host that is not reachable here: the script
# gives it a local stand-in.
test-collection-sanity: collection-tree
	PATH=$(VENV_BIN):$$PATH bash tests/collection/sanity.sh $(COLLECTION_COPY)

# The playbooks use the collection's real modules (from the copy), never mocks.
test-collection-lint: collection-tree
	PATH=$(VENV_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLLECTION_TREE) \
	  ansible-lint --profile production --strict collection playbooks

# Also builds a container from the rendered base Dockerfile (FROM the cached rootfs image)
# and runs kolla-ansible's check commands in it: Docker, and the binary (BIN) to install.
test-kolla-build: build collection-tree
	bash tests/setup/dockerd.sh
	PATH=$(VENV_BIN):$$PATH PYTHONPATH=$(COLLECTION_TREE) \
	  ANSIBLE_COLLECTIONS_PATH=$(COLLECTION_TREE) \
	  $(VENV_BIN)/pytest -q -p no:cacheprovider -W ignore::DeprecationWarning tests/kolla_build

# The deploy playbook in check mode and for real on the same bad inputs (both must fail alike,
# changing nothing) and on an empty host (check mode predicts the real run's changes).
test-collection-deploy: build collection-tree
	PATH=$(VENV_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLLECTION_TREE) \
	  $(VENV_BIN)/pytest -q -p no:cacheprovider tests/collection/test_deploy_check_mode.py

dist-collection:
	@mkdir -p dist
	PATH=$(VENV_BIN):$$PATH ansible-galaxy collection build collection --output-path dist --force

# The collection as users get it: the tarball installed with ansible-galaxy into a temporary
# collections path, then every command of its README and docs, the three playbooks by name
# (kolla_overrides on a TripleO override file, deploy into a temporary prefix, validate
# against a real Docker container that this run labels and removes).
test-collection-installed: build dist-collection
	bash tests/setup/dockerd.sh
	$(VENV_BIN)/pytest -q -p no:cacheprovider tests/collection/test_installed.py

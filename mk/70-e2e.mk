# End to end: real service containers, the demo, and the packages.
# `demo` is defined here whole (the Makefile only names the goal in its header).
TEST_TARGETS += test-e2e test-dist
# The collection tarball is mk/50-collection.mk's dist-collection (on main).
DIST_TARGETS += dist-deb dist-rpm

.PHONY: demo test-e2e test-dist dist-deb dist-rpm

# The main job, from a fresh Debian/Ubuntu machine as root: see demo/run.sh.
demo:
	bash demo/run.sh

# Service images from the cached rootfs: healthy -> broken -> healthy under docker and
# podman, plus the FROM scratch image. E2E_ENGINES narrows the engines.
E2E_ENGINES ?= docker podman
test-e2e: build
	bash tests/setup/dockerd.sh
	bash tests/e2e/run.sh --engines "$(E2E_ENGINES)"

dist-deb: build
	bash packaging/build-deb.sh

dist-rpm: build
	bash packaging/build-rpm.sh

# The .deb installs in a clean Debian container and its links work there; the .rpm
# holds the same layout. Then the deploy role installs the .deb in a throwaway container.
test-dist: dist-deb dist-rpm
	bash tests/setup/dockerd.sh
	bash tests/e2e/dist.sh
	bash tests/e2e/deploy_package.sh

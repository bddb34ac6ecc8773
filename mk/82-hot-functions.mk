# The functions typical checks run, which the release link places first in .text
# (mk/link/cc-hot-first, BENCHMARKS.md "Peak memory"). Regenerate the list after changes
# that move much code (a new dependency, a new kind of check) and commit it: this builds
# an unstripped copy of the release binary and traces the checks in bench/hot_functions.py.
HOT_FUNCTIONS_BUILD := $(CURDIR)/target/hot-functions
.PHONY: hot-functions
hot-functions: deps
	$(CARGO) build --release --locked --target-dir $(HOT_FUNCTIONS_BUILD) --config profile.release.strip=false
	python3 bench/hot_functions.py --binary $(HOT_FUNCTIONS_BUILD)/$(CARGO_TARGET)/release/openstack-healthcheck --write

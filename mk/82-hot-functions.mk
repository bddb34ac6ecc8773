# The functions typical checks run, which the release link places first in .text
# (mk/link/cc-hot-first, BENCHMARKS.md "Peak memory"). Regenerate the list after changes
# that move much code (a new dependency, a new kind of check) and commit it: this traces
# the checks of bench/hot_functions.py in the release binary, writes the list, and
# relinks (build.rs names the list as an input of the build).
.PHONY: hot-functions
hot-functions: deps build
	python3 bench/hot_functions.py --binary $(BIN) --write
	$(MAKE) --no-print-directory build

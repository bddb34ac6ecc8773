# The functions typical checks run, which the release link places first in .text
# (mk/link/cc-hot-first, BENCHMARKS.md "Peak memory"). Regenerate the list after changes
# that move much code (a new dependency, a new kind of check) and commit it:
#
#     make hot-functions
#
# traces the checks of bench/hot_functions.py in the release binary (against local
# HTTP/HTTPS servers, redis-server and memcached from `make deps`), rewrites
# mk/link/hot-functions.txt and relinks (build.rs names the list as an input of the
# build). A stale list never fails a build: names it has that the code no longer defines
# are ignored, code it does not name is laid out after it; checks only map more memory,
# which `make bench-engine` shows (it fails above the 2.5 MiB target).
.PHONY: hot-functions
hot-functions: deps build
	python3 bench/hot_functions.py --binary $(BIN) --write
	$(MAKE) --no-print-directory build

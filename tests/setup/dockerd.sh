#!/usr/bin/env bash
# Make sure a Docker engine answers: install Debian's docker.io if missing and start
# dockerd in the background when none runs (no systemd here). Idempotent; safe to
# call from several test targets (a lock serialises the start).
set -euo pipefail
CACHE=${CACHE:-/var/cache/openstack-healthcheck}
mkdir -p "$CACHE"
# Fast path without the lock: an engine that answers is all a caller needs.
if docker info >/dev/null 2>&1; then exit 0; fi
exec 8>"$CACHE/dockerd.lock"
flock 8
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
    echo ">>> apt-get install docker.io"
    export DEBIAN_FRONTEND=noninteractive
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends docker.io >/dev/null
fi
echo ">>> starting dockerd (log: /var/log/openstack-healthcheck-dockerd.log)"
# setsid: the daemon must outlive the make target that started it.
# 8>&-: the daemon must not inherit the lock, or it holds it for its whole life and
# every later caller waits forever in flock.
setsid dockerd >/var/log/openstack-healthcheck-dockerd.log 2>&1 </dev/null 8>&- &
for _ in $(seq 1 120); do
    if docker info >/dev/null 2>&1; then exit 0; fi
    sleep 0.5
done
echo "dockerd did not come up within 60s; last log lines:" >&2
tail -n 20 /var/log/openstack-healthcheck-dockerd.log >&2
exit 1

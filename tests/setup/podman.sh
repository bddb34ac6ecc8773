#!/usr/bin/env bash
# Make podman usable here (Debian 12, no systemd): runc as the runtime and rlimits capped
# below the host's (see shared/reference/ansible.md). Idempotent; leaves an existing
# runc configuration alone. Fails loudly with podman's own words when it cannot run.
set -euo pipefail
command -v podman >/dev/null || { echo "podman is not installed (tests/setup/packages/)" >&2; exit 1; }
conf=/etc/containers/containers.conf
if ! grep -qs '^runtime *= *"runc"' "$conf"; then
    mkdir -p /etc/containers
    [ -f "$conf" ] && cp "$conf" "$conf.orig-ohc"
    cat >"$conf" <<'CONF'
# Written by openstack-healthcheck's tests: crun is not installed and the host's
# rlimits are above what the hybrid cgroup setup here allows.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
fi
if ! out=$(podman info 2>&1); then
    echo "podman does not work here: $(tail -n 5 <<<"$out")" >&2
    exit 1
fi

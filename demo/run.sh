#!/usr/bin/env bash
# make demo — the whole product on this machine, step by step:
#  1 build the static binary            2 a Python venv with ansible-core
#  3 a container engine (docker or podman)
#  4 service images from a cached debootstrap rootfs (no registry)
#  5 playbooks/deploy.yml: install the binary and its links into a prefix
#  6 playbooks/kolla_overrides.yml: wire the checks into a kolla template override file
#  7 start a small "overcloud": keystone (Apache+WSGI), memcached, redis, mariadb, rabbitmq,
#    each with HEALTHCHECK /openstack/healthcheck
#  8 playbooks/validate.yml: the deployment gate passes, with its summary table
#  9 break redis inside its container: `ps` shows (unhealthy), the gate fails naming it
# Everything it starts is removed on exit. Run as root on Debian or Ubuntu.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
CACHE=${CACHE:-/var/cache/openstack-healthcheck}
export CACHE
PLAYBOOKS=${DEMO_PLAYBOOKS:-$repo/playbooks}
SERVICES=(keystone memcached redis mariadb rabbitmq)
BROKEN=redis
PREFIX=ohc-demo
LABEL=org.openstack-healthcheck.demo=1
GATE_TIMEOUT=${DEMO_GATE_TIMEOUT:-240}

step_no=0
t0=$SECONDS
step() { step_no=$((step_no + 1)); printf '\n\033[1m=== [%d] %s\033[0m  (%ds)\n' "$step_no" "$*" "$((SECONDS - t0))"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\n\033[31mdemo failed: %s\033[0m\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts containers)"
command -v apt-get >/dev/null || die "this demo needs Debian or Ubuntu (apt-get)"

# The collection's playbooks are the product: without them there is no demo.
missing=()
for p in deploy.yml kolla_overrides.yml validate.yml; do
    [ -f "$PLAYBOOKS/$p" ] || missing+=("$PLAYBOOKS/$p")
done
((${#missing[@]} == 0)) || die "missing playbook(s): ${missing[*]} (the collection's playbooks)"

work=$(mktemp -d /tmp/ohc-demo.XXXXXX)
engine=
started_dockerd=
cleanup() {
    local rc=$?
    if [ -n "$engine" ]; then
        mapfile -t ids < <("$engine" ps -aq --filter "label=$LABEL" 2>/dev/null || true)
        ((${#ids[@]} == 0)) || "$engine" rm -f "${ids[@]}" >/dev/null 2>&1 || true
    fi
    if [ -n "$started_dockerd" ] && [ -f /var/run/docker.pid ]; then
        kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
    fi
    rm -rf "$work"
    printf '\n=== cleaned up: demo containers%s, %s  (%ds in all)\n' \
        "${started_dockerd:+, the dockerd it started}" "$work" "$((SECONDS - t0))"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------------------------------
step "build the static binary (cargo build --release)"
command -v cargo >/dev/null || die "cargo is missing: install Rust (rustup or Debian's cargo) first"
cargo build --release --locked 2>&1 | tail -n 2 | sed 's/^/    /'
# The release binary: BIN from make, or the path make would give it.
BIN=${BIN:-$(make -s --no-print-directory -C "$repo" print-bin)}
[ -x "$BIN" ] || die "no binary at $BIN after cargo build"
info "$(stat -c %s "$BIN") bytes: $(file -b "$BIN" | cut -d, -f1-2)"

step "Python venv with ansible-core"
VENV=$CACHE/venv
if [ ! -x "$VENV/bin/ansible-playbook" ]; then
    VENV=$CACHE/demo-venv
    if [ ! -x "$VENV/bin/ansible-playbook" ]; then
        if ! { command -v python3 >/dev/null && python3 -m venv --help >/dev/null 2>&1; }; then
            apt_install python3 python3-venv
        fi
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q 'ansible-core>=2.16,<2.20'
    fi
fi
info "$("$VENV/bin/ansible-playbook" --version | sed -n 1p) in $VENV"
export ANSIBLE_COLLECTIONS_PATH=$work/collections ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
mkdir -p "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/openstack"
ln -s "$repo/collection" "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/openstack/healthcheck"
playbook() { "$VENV/bin/ansible-playbook" -i "$work/inventory" "$@"; }
printf '[overcloud]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n' "$VENV/bin/python" \
    >"$work/inventory"

step "container engine"
if docker info >/dev/null 2>&1; then
    engine=docker
elif command -v podman >/dev/null && ! command -v dockerd >/dev/null && podman info >/dev/null 2>&1; then
    engine=podman
else
    started_dockerd=1
    bash "$repo/tests/setup/dockerd.sh" || die "could not start dockerd (see above)"
    engine=docker
fi
info "$engine $("$engine" version --format '{{.Server.Version}}' 2>/dev/null || "$engine" --version)"

step "service images from the cached debootstrap rootfs (first run: a few minutes)"
command -v debootstrap >/dev/null || apt_install debootstrap
bash tests/images/build.sh --engine "$engine" --binary "$BIN" "${SERVICES[@]}" | sed 's/^/    /'

step "deploy the binary with playbooks/deploy.yml (into $work/prefix)"
playbook "$PLAYBOOKS/deploy.yml" -e "healthcheck_binary_src=$BIN" -e "healthcheck_prefix=$work/prefix" ||
    die "playbooks/deploy.yml failed"
info "$(find "$work/prefix" -type f | wc -l) file(s) and $(find "$work/prefix" -type l | wc -l) link(s) under the prefix:"
# sed, not head: with pipefail, head's early exit would fail the step (SIGPIPE).
find "$work/prefix" \( -type f -o -type l \) | sort | sed -n '1,6p' | sed "s|$work/prefix|    prefix|"

step "wire the checks into a kolla template override file (playbooks/kolla_overrides.yml)"
cp demo/template-overrides.j2 "$work/template-overrides.j2"
services_json=$(printf '"%s",' "${SERVICES[@]}")
playbook "$PLAYBOOKS/kolla_overrides.yml" -e "kolla_overrides_path=$work/template-overrides.j2" \
    -e "{\"kolla_overrides_services\": [${services_json%,}], \"kolla_overrides_healthcheck\": true, \
\"kolla_overrides_backup\": false}" || die "playbooks/kolla_overrides.yml failed"
diff -u demo/template-overrides.j2 "$work/template-overrides.j2" | sed 's/^/    /' || true

step "start the overcloud: ${SERVICES[*]}"
for s in "${SERVICES[@]}"; do
    # podman without systemd cannot schedule checks and logs so on every start: the gate
    # runs them instead, so that noise is dropped (any other error still shows).
    "$engine" run -d --name "$PREFIX-$s" --hostname "$PREFIX-$s" --label "$LABEL" "ohc-e2e-$s:latest" \
        2> >(grep -v 'systemd connection' >&2) >/dev/null
done
"$engine" ps --filter "label=$LABEL" --format 'table {{.Names}}\t{{.Status}}' | sed 's/^/    /'

gate() {
    playbook "$PLAYBOOKS/validate.yml" -e "{\"healthcheck_containers\": [\"$PREFIX-*\"]}" \
        -e "healthcheck_timeout=$1" -e "healthcheck_runtime=$engine" -e "healthcheck_run_checks=$([ "$engine" = podman ] && echo true || echo false)"
}

step "the deployment gate (playbooks/validate.yml) waits for every container to be healthy"
gate "$GATE_TIMEOUT" 2>&1 | sed 's/^/    /' || die "the gate did not pass on a healthy overcloud"
info "gate passed"

step "break $BROKEN inside its container (the service stops; the container keeps running)"
"$engine" exec "$PREFIX-$BROKEN" ohc-service stop
for _ in $(seq 1 60); do
    [ "$engine" = podman ] && podman healthcheck run "$PREFIX-$BROKEN" >/dev/null 2>&1
    "$engine" ps --filter "name=$PREFIX-$BROKEN" --format '{{.Status}}' | grep -q unhealthy && break
    sleep 1
done
"$engine" ps --filter "label=$LABEL" --format 'table {{.Names}}\t{{.Status}}' | sed 's/^/    /'
info "its last check said: $("$engine" inspect --format '{{with .State.Health}}{{range .Log}}{{.Output}}{{end}}{{end}}' \
    "$PREFIX-$BROKEN" | sed '/^$/d' | tail -n 1)"

step "the gate again: it must fail and name $PREFIX-$BROKEN with its check's reason"
if gate 20 >"$work/gate-fail.log" 2>&1; then
    sed 's/^/    /' "$work/gate-fail.log"
    die "the gate passed with $BROKEN broken"
fi
sed 's/^/    /' "$work/gate-fail.log"
grep -q "$PREFIX-$BROKEN" "$work/gate-fail.log" || die "the gate failed but did not name $PREFIX-$BROKEN"
printf '\n\033[1m=== demo done: the gate passed on a healthy overcloud and failed naming %s\033[0m\n' "$PREFIX-$BROKEN"

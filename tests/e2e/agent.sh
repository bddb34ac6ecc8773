#!/usr/bin/env bash
# The host agent against real containers: for each case, `openstack-healthcheck agent --once`
# must give the verdict that the container's own health test gives when the engine runs it
# inside (`docker exec` / `podman exec`), while the service is up, stopped, and back.
#
#   tests/e2e/agent.sh [--engines "docker podman"]
#
# Cases, under each engine, built from the e2e images (tests/images, cached rootfs):
#   netns     memcached in its own network namespace, the image's /openstack/healthcheck
#             (link chain /openstack/healthcheck -> .../memcached -> /usr/bin/openstack-healthcheck)
#   hostnet   memcached on the host network on a free port (its sysconfig mounted), kolla's
#             `healthcheck_listen memcached PORT` as a CMD-SHELL test, found through PATH; the
#             container gets CAP_SYS_PTRACE: memcached drops to its user itself, so its
#             /proc/PID/fd is readable only with that capability, which a container's root
#             lacks by default (the check inside then says "cannot tell"); the agent has it
#   kolla     keystone (Apache) in its own namespace, `healthcheck_curl http://localhost:5000/`
#   symlink   redis whose /etc/redis/redis.conf is an absolute symlink to a path that also
#             exists on the host with a decoy (wrong port and password): the agent must read
#             the container's file, never the host's
#   mysql     mariadb, the image's /openstack/healthcheck: the password from /root/.my.cnf and
#             the unix socket /run/mysqld/mysqld.sock, both reached inside the container's root
#   label     memcached without a health test, label openstack.healthcheck.check=memcached
#   foreign   health tests that are not ours (`/openstack/healthcheck || exit 1`, `true`):
#             reported with "healthy": null
# an agent left running through the phases (--interval 2) logs one line per change of state,
# not one per round; and `status` (table and --format json) on the state file; for podman also through its API
# socket (`podman system service`) instead of its command.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

engines="docker podman"
while [ $# -gt 0 ]; do
    case $1 in
    --engines) engines=$2; shift 2 ;;
    *) echo "usage: $0 [--engines \"docker podman\"]" >&2; exit 2 ;;
    esac
done
# The release binary: BIN from make, or the path make would give it.
binary=${BIN:-$(make -s --no-print-directory -C "$repo" print-bin)}
[ -x "$binary" ] || { echo "no binary at $binary: run 'make build' first" >&2; exit 1; }

RUN=ohc-agent-$$-$RANDOM
LABEL=org.openstack-healthcheck.agent-test=$RUN
work=$(mktemp -d)
state=$work/agent.json
# The path the redis case links its config to: inside the container the real config, on
# the host a decoy that must never be read.
decoy_dir=/tmp/$RUN
HEALTHY_TIMEOUT=${E2E_HEALTHY_TIMEOUT:-120}

cleanup() {
    for e in $engines; do
        mapfile -t ids < <("$e" ps -aq --filter "label=$LABEL" 2>/dev/null)
        [ ${#ids[@]} = 0 ] || "$e" rm -f "${ids[@]}" >/dev/null 2>&1 || true
    done
    rm -rf "$work" "$decoy_dir"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The agent's entry for container NAME in the state file: "healthy|reason|output".
agent_entry() {
    "$PY" - "$state" "$1" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
for c in state["containers"]:
    if c["name"] == sys.argv[2]:
        h = {True: "true", False: "false", None: "null"}[c["healthy"]]
        print("%s|%s|%s" % (h, c["reason"], c.get("output") or ""))
        break
else:
    print("missing||")
PY
}

# The container's own verdict: its health test run inside by the engine (true/false).
inside() {
    local engine=$1 name=$2
    shift 2
    if "$engine" exec "$name" "$@" >/dev/null 2>&1; then echo true; else echo false; fi
}

# Wait until the host-network memcached answers on PORT (WANT=up) or no longer does (down).
wait_port() {
    local port=$1 want=$2 timeout=$3
    local end=$((SECONDS + timeout))
    while ((SECONDS < end)); do
        if "$PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2); s.sendall(b"version\r\n"); assert s.recv(100).startswith(b"VERSION ")' "$port" 2>/dev/null; then
            [ "$want" = up ] && return 0
        else
            [ "$want" = down ] && return 0
        fi
        sleep 1
    done
    echo "    memcached on the host's port $port is still not $want after ${timeout}s" >&2
    return 1
}

# Wait for case C's service to be WANT (up or down) by its own client.
wait_case() {
    local engine=$1 c=$2 want=$3 timeout=$4
    if [ "$c" = hostnet ]; then
        wait_port "$port" "$want" "$timeout"
    else
        wait_selfcheck "$engine" "$p-$c" "$want" "$timeout"
    fi
}

run_agent() {
    if ! "$binary" agent --once --interval 60 --state-file "$state" >"$work/agent.out" 2>>"$work/agent.err"; then
        echo "    agent --once failed: $(cat "$work/agent.out")" >&2
        return 1
    fi
}

# compare ENGINE CASE NAME WANT CMD...: the agent's verdict equals the in-container one and
# WANT; a few rounds are allowed for a service that is still settling.
compare() {
    local engine=$1 case=$2 name=$3 want=$4
    shift 4
    local got agent mine
    for _ in 1 2 3 4 5; do
        run_agent || break
        got=$(agent_entry "$name")
        agent=${got%%|*}
        mine=$(inside "$engine" "$name" "$@")
        [ "$agent" = "$mine" ] && [ "$agent" = "$want" ] && break
        sleep 2
    done
    if [ "$agent" = "$mine" ] && [ "$agent" = "$want" ]; then
        pass "$engine $case: agent and in-container agree: $want (${got#*|})"
    else
        fail "$engine $case: wanted $want; agent said $agent (${got#*|}), in the container: $mine"
    fi
}

# cmd=(what case $1 runs inside its container): its health test, as the engine runs it.
test_of() {
    case $1 in
    netns | symlink | mysql) cmd=(/openstack/healthcheck) ;;
    hostnet) cmd=(/bin/sh -c "healthcheck_listen memcached $port") ;;
    kolla) cmd=(/bin/sh -c "healthcheck_curl http://localhost:5000/") ;;
    label) cmd=(/usr/bin/openstack-healthcheck memcached) ;;
    esac
}

# The long-running agent ($live) logged one line per change of a container's state over
# the phases (healthy, unhealthy, healthy again), not one per round, one for a test that is
# not ours, and one when a container goes away.
live_log_lines() {
    local engine=$1 c lines got gone_id
    gone_id=$("$engine" inspect -f '{{.Id}}' "$p-true")
    "$engine" rm -f "$p-true" >/dev/null
    sleep 5
    kill "$live"
    wait "$live" 2>/dev/null
    local log=$work/live-$engine.err
    for c in $cases; do
        lines=$(grep -F ": $p-$c ($engine): " "$log")
        got=$(sed -E 's/.*\): (healthy|unhealthy|not checked by the agent): .*/\1/' <<<"$lines" | paste -sd,)
        if [ "$got" = healthy,unhealthy,healthy ]; then
            pass "$engine $c: the running agent logged its 3 changes, not each round"
        else
            fail "$engine $c: change lines were $got, wanted healthy,unhealthy,healthy: $lines"
        fi
    done
    got=$(grep -cF ": $p-foreign ($engine): not checked by the agent: not ours" "$log")
    if [ "$got" = 1 ]; then
        pass "$engine foreign: one line for a test that is not ours"
    else
        fail "$engine foreign: $got lines for a test that is not ours: $(grep -F "$p-foreign" "$log")"
    fi
    if grep -qF "container ${gone_id:0:12} is gone" "$log"; then
        pass "$engine: a removed container is logged once as gone"
    else
        fail "$engine: no line for the removed container ${gone_id:0:12}: $(tail -n 3 "$log")"
    fi
}

start() {
    local engine=$1 name=$2
    shift 2
    "$engine" run -d --name "$name" --label "$LABEL" "$@" 2> >(grep -v 'systemd connection' >&2) >/dev/null ||
        fail "$engine $name: container did not start"
}

for engine in $engines; do
    say "$engine: engine and images"
    case $engine in
    docker) bash "$repo/tests/setup/dockerd.sh" ;;
    podman) bash "$repo/tests/setup/podman.sh" ;;
    esac || { fail "$engine: the engine does not run"; continue; }
    if ! bash "$repo/tests/images/build.sh" --engine "$engine" memcached keystone redis mariadb >/dev/null; then
        fail "$engine: building the images failed"
        continue
    fi
    p=$RUN-$engine
    port=$(free_port)
    printf 'PORT="%s"\nUSER="memcache"\nMAXCONN="64"\nCACHESIZE="16"\nOPTIONS="-l 127.0.0.1 -U 0"\n' "$port" >"$work/memcached-$engine"
    mkdir -p "$decoy_dir"
    printf 'bind 127.0.0.1\nport 1\nrequirepass host-decoy-never-read\n' >"$decoy_dir/redis.conf"

    say "$engine: starting the cases"
    start "$engine" "$p-netns" ohc-e2e-memcached:latest
    start "$engine" "$p-hostnet" --network host --cap-add SYS_PTRACE -v "$work/memcached-$engine:/etc/sysconfig/memcached:ro" \
        --health-cmd "healthcheck_listen memcached $port" ohc-e2e-memcached:latest
    start "$engine" "$p-kolla" --health-cmd "healthcheck_curl http://localhost:5000/" ohc-e2e-keystone:latest
    start "$engine" "$p-symlink" ohc-e2e-redis:latest
    start "$engine" "$p-mysql" ohc-e2e-mariadb:latest
    start "$engine" "$p-label" --no-healthcheck --label openstack.healthcheck.check=memcached ohc-e2e-memcached:latest
    start "$engine" "$p-foreign" --health-cmd "/openstack/healthcheck || exit 1" ohc-e2e-memcached:latest
    start "$engine" "$p-true" --health-cmd "true" ohc-e2e-memcached:latest
    # kolla's names in PATH, as the deploy role links them.
    for c in hostnet kolla; do
        for n in healthcheck_listen healthcheck_curl; do
            "$engine" exec "$p-$c" ln -sf /usr/bin/openstack-healthcheck "/usr/local/bin/$n"
        done
    done
    # The redis config moves behind an absolute symlink to the decoy's path.
    "$engine" exec "$p-symlink" sh -c "mkdir -p $decoy_dir && mv /etc/redis/redis.conf $decoy_dir/redis.conf && ln -s $decoy_dir/redis.conf /etc/redis/redis.conf"

    cases="netns hostnet kolla symlink mysql label"
    for c in $cases; do
        wait_case "$engine" "$c" up "$HEALTHY_TIMEOUT" || fail "$engine $c: the service never answered its own client"
    done
    # A long-running agent through the phases below, for its change lines.
    "$binary" agent --interval 2 --state-file "$work/live-$engine.json" >/dev/null 2>"$work/live-$engine.err" &
    live=$!
    for phase in up down back; do
        want=true
        if [ $phase = down ]; then
            want=false
            for c in $cases; do "$engine" exec "$p-$c" ohc-service stop; done
            for c in $cases; do wait_case "$engine" "$c" down 30 || fail "$engine $c: still answers after ohc-service stop"; done
        elif [ $phase = back ]; then
            for c in $cases; do "$engine" exec "$p-$c" ohc-service start; done
            for c in $cases; do wait_case "$engine" "$c" up "$HEALTHY_TIMEOUT" || fail "$engine $c: did not come back"; done
        fi
        say "$engine: services $phase"
        for c in $cases; do
            test_of "$c"
            compare "$engine" "$c ($phase)" "$p-$c" "$want" "${cmd[@]}"
        done
    done

    live_log_lines "$engine"

    # The decoy on the host was never what the agent read: the verdict names the container's port.
    out=$(agent_entry "$p-symlink")
    if [[ $out == true\|* ]] && [[ $out == *6379* ]] && [[ $out != *host-decoy* ]]; then
        pass "$engine symlink: the agent read the container's redis.conf through its absolute link, not the host's"
    else
        fail "$engine symlink: the agent's verdict does not come from the container's redis.conf: $out"
    fi
    # The services' passwords (redis.conf, /root/.my.cnf) never reach the state file.
    if grep -qE 'e2e-redis-secret|e2e-mariadb-secret|host-decoy' "$state"; then
        fail "$engine: a password from a container's config appears in the state file"
    else
        pass "$engine: no password from the containers' configs in the state file"
    fi
    for c in foreign true; do
        out=$(agent_entry "$p-$c")
        if [[ $out == null\|not\ ours* ]]; then
            pass "$engine $c: a health test that is not ours is left to the engine (${out#null|})"
        else
            fail "$engine $c: wanted healthy null (not ours), got $out"
        fi
    done
    # status: one row per container, and the state as JSON.
    table=$("$binary" status --state-file "$state")
    if grep -q "^$p-netns .* memcached .* healthy " <<<"$table" && grep -q "^$p-foreign .* - .* - " <<<"$table"; then
        pass "$engine status: the table shows the verdicts"
    else
        fail "$engine status: unexpected table: $table"
    fi
    if "$binary" status --format json --state-file "$state" | "$PY" -c '
import json, sys
a = json.load(sys.stdin); b = json.load(open(sys.argv[1]))
sys.exit(0 if a == b and a["checked_at"].endswith("Z") else 1)' "$state"; then
        pass "$engine status --format json: the state file as it is"
    else
        fail "$engine status --format json differs from the state file"
    fi
    if [ "$engine" = podman ]; then
        # podman's API service instead of its command: the command out of PATH, the socket named.
        sock=$work/podman.sock
        podman system service --time=120 "unix://$sock" >/dev/null 2>&1 &
        service=$!
        for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.2; done
        if env PATH=/usr/sbin:/sbin CONTAINER_HOST="unix://$sock" DOCKER_HOST=unix:///nonexistent.sock \
            "$binary" agent --once --state-file "$work/api.json" >/dev/null 2>&1 &&
            "$PY" - "$work/api.json" "$p-netns" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
c = [c for c in s["containers"] if c["name"] == sys.argv[2]]
sys.exit(0 if c and c[0]["healthy"] is True and not s["errors"] else 1)
PY
        then
            pass "podman API socket: the agent lists and inspects through podman system service"
        else
            fail "podman API socket: $(cat "$work/api.json" 2>/dev/null)"
        fi
        kill "$service" 2>/dev/null; wait "$service" 2>/dev/null
    fi
    mapfile -t ids < <("$engine" ps -aq --filter "label=$LABEL")
    [ ${#ids[@]} = 0 ] || "$engine" rm -f "${ids[@]}" >/dev/null 2>&1
    rm -rf "$decoy_dir"
done
# Without its capabilities the agent refuses to start, in one line, and writes nothing.
if command -v setpriv >/dev/null; then
    out=$(setpriv --bounding-set=-sys_admin,-sys_ptrace "$binary" agent --once --state-file "$work/nocaps.json" 2>&1)
    rc=$?
    if [ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] && [[ $out == *"missing capabilities CAP_SYS_PTRACE"*CAP_SYS_ADMIN* ]] &&
        [ ! -e "$work/nocaps.json" ]; then
        pass "agent without CAP_SYS_PTRACE and CAP_SYS_ADMIN refuses to start: $out"
    else
        fail "agent without its capabilities: exit $rc, output: $out"
    fi
else
    fail "setpriv (util-linux) is not installed"
fi
if [ -s "$work/agent.err" ]; then
    echo "--- the agent's change lines (stderr) of the last rounds:"
    tail -n 12 "$work/agent.err"
fi
summary

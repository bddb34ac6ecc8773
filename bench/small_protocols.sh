#!/usr/bin/env bash
# Whole-process CPU of our small-protocol probes against the clients they replace, on
# the same servers: `redis-cli ping`, `ovsdb-client list-dbs`, and `nc` piping the
# memcached `version` command and HAProxy's `show info`. Starts its own memcached,
# redis-server (with a password), ovsdb-server and haproxy on loopback ports and
# temp-dir sockets, measures user+sys CPU of every run with getrusage(RUSAGE_CHILDREN),
# prints a markdown table and writes it to target/bench/small_protocols.md.
#   N=50 runs of each command (override with N=...).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/openstack-healthcheck}
N=${N:-50}
OUT=target/bench/small_protocols.md
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }

dir=$(mktemp -d /tmp/ohc-bench-small-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.2
    rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# disown: the kill at exit is expected, not worth a "Killed" line from bash.
start() { local log=$1; shift; "$@" >"$dir/$log" 2>&1 & pids+=($!); disown; }
wait_healthy() {
    local what=$1; shift
    for _ in $(seq 100); do "$BIN" --timeout 2 probe "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "$what did not become healthy; log:" >&2; tail -n 20 "$dir"/*.log >&2; exit 1
}

mc_port=$(free_port)
start memcached.log memcached -l 127.0.0.1 -p "$mc_port" -U 0 -u nobody
wait_healthy memcached memcached "127.0.0.1:$mc_port"

redis_port=$(free_port)
pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$pw" >"$dir/redis.pw"
printf 'port %s\nbind 127.0.0.1\ndir %s\nrequirepass %s\nsave ""\n' "$redis_port" "$dir" "$pw" >"$dir/redis.conf"
start redis.log redis-server "$dir/redis.conf"
wait_healthy redis redis "127.0.0.1:$redis_port" --password-file "$dir/redis.pw"

ovsdb-tool create "$dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema
start ovsdb.log ovsdb-server --remote="punix:$dir/db.sock" --unixctl="$dir/ovsdb.ctl" --no-chdir "$dir/conf.db"
wait_healthy ovsdb-server ovsdb "unix:$dir/db.sock"

printf 'global\n    stats socket %s/stats.sock level user\n' "$dir" >"$dir/haproxy.cfg"
start haproxy.log haproxy -f "$dir/haproxy.cfg" -db
wait_healthy haproxy haproxy "unix:$dir/stats.sock"

# Each row: label, our command, the reference command (as the shell-based checks run it).
python3 - "$N" "$OUT" <<PY
import os, resource, statistics, subprocess, sys
runs, out = int(sys.argv[1]), sys.argv[2]
env = dict(os.environ, REDISCLI_AUTH="$pw")  # redis-cli reads the password from here, not argv

def cpu_ms(cmd):
    samples = []
    for _ in range(runs):
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = ru.ru_utime + ru.ru_stime
        rc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        if rc != 0:
            sys.exit(f"{cmd!r} failed (exit {rc}): the comparison would be meaningless")
        samples.append((ru.ru_utime + ru.ru_stime - before) * 1000)
    return statistics.median(samples), statistics.fmean(samples)

ours = "$BIN"
rows = [
    ("redis AUTH+PING", [ours, "probe", "redis", "127.0.0.1:$redis_port", "--password-file", "$dir/redis.pw"],
     ["redis-cli", "-h", "127.0.0.1", "-p", "$redis_port", "ping"]),
    ("OVSDB list_dbs", [ours, "probe", "ovsdb", "unix:$dir/db.sock"],
     ["ovsdb-client", "list-dbs", "unix:$dir/db.sock"]),
    ("memcached version", [ours, "probe", "memcached", "127.0.0.1:$mc_port"],
     ["sh", "-c", "printf 'version\\\\r\\\\n' | nc -N 127.0.0.1 $mc_port"]),
    ("HAProxy show info", [ours, "probe", "haproxy", "unix:$dir/stats.sock"],
     ["sh", "-c", "echo 'show info' | nc -N -U $dir/stats.sock"]),
]
lines = [f"| check | ours: CPU ms median (mean) | reference: CPU ms median (mean) | reference / ours |",
         "|---|---|---|---|"]
for label, mine, ref in rows:
    (om, oa), (rm, ra) = cpu_ms(mine), cpu_ms(ref)
    lines.append(f"| {label} | {om:.2f} ({oa:.2f}) | {rm:.2f} ({ra:.2f}) | {rm / om:.1f}x |")
table = "\n".join(lines)
os.makedirs(os.path.dirname(out), exist_ok=True)
open(out, "w").write(table + "\n")
print(table)
PY

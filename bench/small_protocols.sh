#!/usr/bin/env bash
# Whole-process CPU of our small-protocol probes against the clients they replace, on
# the same servers: TripleO's redis and memcached checks (their request piped through
# socat, config parsing left out), `redis-cli ping`, kolla's `ovsdb-client list-dbs`,
# and `nc` piping HAProxy's `show info`. Starts its own memcached,
# redis-server (with a password), ovsdb-server and haproxy on loopback ports and
# temp-dir sockets, measures user+sys CPU of every run with getrusage(RUSAGE_CHILDREN),
# prints a markdown table and writes it to target/bench/small_protocols.md.
#   N=50 runs of each command (override with N=...).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(make -s --no-print-directory print-bin)}
N=${N:-50}
OUT=target/bench/small_protocols.md
[ -x "$BIN" ] || { echo "no binary at $BIN: run 'make build' first" >&2; exit 1; }

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

# etcd: `probe etcd` against TripleO's etcdctl pipeline; a probe that cannot reach the
# etcd just started fails the benchmark rather than leaving the row out.
etcd_port=$(free_port); etcd_peer=$(free_port)
start etcd.log etcd --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" --initial-cluster "default=http://127.0.0.1:$etcd_peer"
wait_healthy etcd etcd "http://127.0.0.1:$etcd_port"

# The password reaches redis-cli and the shells only through the environment, never argv.
export BIN N OUT dir mc_port redis_port etcd_port REDISCLI_AUTH=$pw REDIS_PASS=$pw
python3 - <<'PY'
import os, resource, statistics, subprocess, sys
e = os.environ
runs, out, ours, d = int(e["N"]), e["OUT"], e["BIN"], e["dir"]
redis, mc = f"127.0.0.1:{e['redis_port']}", f"127.0.0.1:{e['mc_port']}"

def cpu_ms(cmd):
    samples = []
    for _ in range(runs):
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = ru.ru_utime + ru.ru_stime
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        if rc != 0:
            sys.exit(f"{cmd!r} failed (exit {rc}): the comparison would be meaningless")
        samples.append((ru.ru_utime + ru.ru_stime - before) * 1000)
    return statistics.median(samples), statistics.fmean(samples)

# TripleO's redis check without its redis.conf parsing: AUTH + PING through socat.
tripleo_redis = (r"""printf '*2\r\n$4\r\nAUTH\r\n$%s\r\n%s\r\n*1\r\n$4\r\nPING\r\n' "${#REDIS_PASS}" "$REDIS_PASS" """
                 f"| socat - TCP:{redis} | grep -q +PONG")
probe_redis = [ours, "probe", "redis", redis, "--password-file", f"{d}/redis.pw"]
rows = [
    ("redis AUTH+PING vs TripleO (socat)", probe_redis, ["bash", "-c", tripleo_redis]),
    ("redis AUTH+PING vs redis-cli", probe_redis, ["redis-cli", "-u", f"redis://{redis}", "ping"]),
    ("OVSDB list_dbs vs ovsdb-client", [ours, "probe", "ovsdb", f"unix:{d}/db.sock"],
     ["ovsdb-client", "list-dbs", f"unix:{d}/db.sock"]),
    ("memcached version vs TripleO (socat)", [ours, "probe", "memcached", mc],
     ["bash", "-c", f"echo version | socat - TCP:{mc} >/dev/null"]),
    ("HAProxy show info vs nc", [ours, "probe", "haproxy", f"unix:{d}/stats.sock"],
     ["sh", "-c", f"echo 'show info' | nc -N -U {d}/stats.sock"]),
]
etcd = f"http://127.0.0.1:{e['etcd_port']}"
rows.append(("etcd health vs TripleO (etcdctl)", [ours, "probe", "etcd", etcd],
             ["bash", "-c", f"ETCDCTL_API=3 etcdctl --endpoints {etcd} endpoint health 2>&1 | grep -q 'is healthy'"]))
lines = ["| check | ours: CPU ms median (mean) | reference: CPU ms median (mean) | reference / ours |",
         "|---|---|---|---|"]
for label, mine, ref in rows:
    (om, oa), (rm, ra) = cpu_ms(mine), cpu_ms(ref)
    lines.append(f"| {label} | {om:.2f} ({oa:.2f}) | {rm:.2f} ({ra:.2f}) | {rm / om:.1f}x |")
table = "\n".join(lines)
os.makedirs(os.path.dirname(out), exist_ok=True)
open(out, "w").write(table + "\n")
print(table)
PY

#!/usr/bin/env bash
# Whole-process CPU and peak RSS of `probe rpc` against the same ping made by a Python
# oslo.messaging client (bench/oslo_ping.py, what openstack-helm's worker probe runs),
# both against one real oslo.messaging RPC server (tests/rpc/oslo_rpc_server.py) on one
# real RabbitMQ, started here on loopback and free ports in a temporary directory as the
# tests do. Measured with bench/harness.py (getrusage of the children; /usr/bin/time -v
# for the RSS); prints a markdown table and writes it to target/bench/rpc.md for
# BENCHMARKS.md.   N=30 runs of each.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(make -s --no-print-directory print-bin)}
N=${N:-30}
OUT=target/bench/rpc.md
PY=/usr/bin/python3
[ -x "$BIN" ] || { echo "no binary at $BIN: run 'make build' first" >&2; exit 1; }

dir=$(mktemp -d /tmp/ohc-bench-rpc-XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_as() {
    local user=$1 log=$2; shift 2
    setsid setpriv --reuid "$user" --regid "$user" --clear-groups "$@" >"$log" 2>&1 &
    pids+=($!)
    disown
}

# --- RabbitMQ: own epmd, the nova user from a definitions file ----------------------------
pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$dir/mq/home" "$dir/mq/mnesia" "$dir/mq/log"
printf '{"users":[{"name":"nova","password":"%s","tags":""}],"vhosts":[{"name":"/"}],"permissions":[{"user":"nova","vhost":"/","configure":".*","write":".*","read":".*"}]}\n' \
    "$pw" >"$dir/mq/definitions.json"
echo "load_definitions = $dir/mq/definitions.json" >"$dir/mq/rabbitmq.conf"
echo '[].' >"$dir/mq/enabled_plugins"
chown -R rabbitmq: "$dir/mq"
mq_port=$(free_port) epmd_port=$(free_port) dist_port=$(free_port)
export HOME="$dir/mq/home" ERL_EPMD_PORT=$epmd_port RABBITMQ_NODENAME="ohc-bench-rpc-$$@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$mq_port RABBITMQ_DIST_PORT=$dist_port
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
export RABBITMQ_MNESIA_BASE="$dir/mq/mnesia" RABBITMQ_LOG_BASE="$dir/mq/log" RABBITMQ_CONFIG_FILE="$dir/mq/rabbitmq.conf"
export RABBITMQ_FEATURE_FLAGS_FILE="$dir/mq/feature_flags" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/mq/enabled_plugins"
start_as rabbitmq "$dir/epmd.log" epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1
start_as rabbitmq "$dir/rabbitmq.log" /usr/lib/rabbitmq/bin/rabbitmq-server

# --- The RPC server, and the config both clients read --------------------------------------
mkdir -p "$dir/nova"
(umask 077; printf '[DEFAULT]\ntransport_url = rabbit://nova:%s@127.0.0.1:%s/\nhost = bench\n' "$pw" "$mq_port" \
    >"$dir/nova/nova.conf")
ours=("$BIN" --timeout 10 probe rpc --config "$dir/nova/nova.conf" --topic conductor)
helm=("$PY" bench/oslo_ping.py --config-file "$dir/nova/nova.conf" --topic conductor --server bench)
for _ in $(seq 600); do "$BIN" --timeout 2 probe amqp "127.0.0.1:$mq_port" >/dev/null 2>&1 && break; sleep 0.2; done
setsid "$PY" tests/rpc/oslo_rpc_server.py --config-file "$dir/nova/nova.conf" --topic conductor \
    --service-name nova-conductor >"$dir/server.log" 2>&1 &
pids+=($!)
disown
for _ in $(seq 300); do "${ours[@]}" >/dev/null 2>&1 && break; sleep 0.2; done
"${ours[@]}" >/dev/null || { echo "the RPC server did not answer; logs:" >&2; tail -n 20 "$dir"/*.log >&2; exit 1; }

# --- Measure (same run, side by side) ----------------------------------------------------------
python3 - "$N" "$OUT" "$dir/table.md" "${#ours[@]}" "${ours[@]}" "${helm[@]}" <<'PY'
import sys
sys.path.insert(0, "bench")
from harness import measure
runs, out, table = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n = int(sys.argv[4])
ours_cmd, helm_cmd = sys.argv[5:5 + n], sys.argv[5 + n:]
ours = measure(ours_cmd, runs, expect=0)
helm = measure(helm_cmd, runs, expect=0)
lines = [
    "| check | ours: `probe rpc` | Python oslo.messaging client (openstack-helm style) | reference / ours |",
    "|---|---|---|---|",
    "| CPU ms per check, median (mean) | %.2f (%.2f) | %.1f (%.1f) | %.0fx |" % (
        ours["cpu_ms_median"], ours["cpu_ms_mean"], helm["cpu_ms_median"], helm["cpu_ms_mean"],
        helm["cpu_ms_median"] / ours["cpu_ms_median"]),
    "| wall ms per check, median | %.1f | %.1f | %.0fx |" % (
        ours["wall_ms_median"], helm["wall_ms_median"], helm["wall_ms_median"] / ours["wall_ms_median"]),
    "| peak RSS KiB | %d | %d | %.0fx |" % (
        ours["peak_rss_kib"], helm["peak_rss_kib"], helm["peak_rss_kib"] / ours["peak_rss_kib"]),
]
text = "\n".join(lines) + "\n"
print(text, end="")
open(table, "w").write(text)
import os
os.makedirs(os.path.dirname(out), exist_ok=True)
open(out, "w").write(text)
PY
echo "written to $OUT" >&2

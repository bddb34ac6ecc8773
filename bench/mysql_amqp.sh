#!/usr/bin/env bash
# Whole-process CPU of `probe mysql` / `probe amqp` against the real clients on the
# same servers: `mariadb --defaults-file=F -e 'select 1'` and
# `rabbitmq-diagnostics check_running`. Starts its own MariaDB and RabbitMQ on
# loopback and free ports in a temporary directory (as the tests do), measures
# user+sys CPU of every run with getrusage(RUSAGE_CHILDREN), prints a markdown table
# and writes it to target/bench/mysql_amqp.md for BENCHMARKS.md.
#   N=50 runs of each fast command, N_SLOW=5 of rabbitmq-diagnostics (0.4 s of CPU each).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(make -s --no-print-directory print-bin)}
N=${N:-50}
N_SLOW=${N_SLOW:-5}
OUT=target/bench/mysql_amqp.md
[ -x "$BIN" ] || { echo "no binary at $BIN: run 'make build' first" >&2; exit 1; }

dir=$(mktemp -d /tmp/ohc-bench-XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Start a server in its own process group (killed by the trap), as a service user.
start_as() {
    local user=$1 log=$2; shift 2
    setsid setpriv --reuid "$user" --regid "$user" --clear-groups "$@" >"$log" 2>&1 &
    pids+=($!)
    disown  # the trap kills it; no "Killed" job report
}
wait_healthy() {
    local what=$1; shift
    for _ in $(seq 600); do "$BIN" --timeout 2 "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "$what did not become healthy; log:" >&2; tail -n 20 "$dir"/*.log "$dir"/mq/log/*.log >&2; exit 1
}

# --- MariaDB: monitor user from an init file, password only in the option file ---------
pw_db=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$dir/db"
mariadb-install-db --no-defaults --user=mysql --auth-root-authentication-method=socket --skip-test-db \
    --datadir="$dir/db/data" >"$dir/db-install.log" 2>&1
for host in localhost 127.0.0.1; do
    printf "CREATE USER 'monitor'@'%s' IDENTIFIED BY '%s';\n" "$host" "$pw_db"
done >"$dir/db/init.sql"
chown -R mysql: "$dir/db"
db_port=$(free_port)
start_as mysql "$dir/mariadbd.log" mariadbd --no-defaults --datadir="$dir/db/data" --socket="$dir/db/sock" \
    --port="$db_port" --bind-address=127.0.0.1 --pid-file="$dir/db/pid" --init-file="$dir/db/init.sql" \
    --skip-name-resolve --innodb-buffer-pool-size=16M
(umask 077; printf '[client]\nuser=monitor\npassword=%s\nsocket=%s\n' "$pw_db" "$dir/db/sock" >"$dir/my.cnf")
wait_healthy mariadbd probe mysql "$dir/db/sock" --defaults-file "$dir/my.cnf"

# --- RabbitMQ: own epmd, user from a definitions file -------------------------------------
pw_mq=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$dir/mq/home" "$dir/mq/mnesia" "$dir/mq/log"
printf '{"users":[{"name":"monitor","password":"%s","tags":""}],"vhosts":[{"name":"/"}],"permissions":[{"user":"monitor","vhost":"/","configure":".*","write":".*","read":".*"}]}\n' \
    "$pw_mq" >"$dir/mq/definitions.json"
echo "load_definitions = $dir/mq/definitions.json" >"$dir/mq/rabbitmq.conf"
echo '[].' >"$dir/mq/enabled_plugins"
(umask 077; echo "$pw_mq" >"$dir/mq.pw")
chown -R rabbitmq: "$dir/mq"
mq_port=$(free_port) epmd_port=$(free_port) dist_port=$(free_port)
export HOME="$dir/mq/home" ERL_EPMD_PORT=$epmd_port RABBITMQ_NODENAME="ohc-bench-$$@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$mq_port RABBITMQ_DIST_PORT=$dist_port
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
export RABBITMQ_MNESIA_BASE="$dir/mq/mnesia" RABBITMQ_LOG_BASE="$dir/mq/log" RABBITMQ_CONFIG_FILE="$dir/mq/rabbitmq.conf"
export RABBITMQ_FEATURE_FLAGS_FILE="$dir/mq/feature_flags" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/mq/enabled_plugins"
start_as rabbitmq "$dir/epmd.log" epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1
start_as rabbitmq "$dir/rabbitmq.log" /usr/lib/rabbitmq/bin/rabbitmq-server
wait_healthy rabbitmq-server probe amqp "127.0.0.1:$mq_port" --user monitor --password-file "$dir/mq.pw"

# --- Measure ---------------------------------------------------------------------------------
# cpu_ms RUNS CMD...: "median mean" user+sys milliseconds per run (getrusage of the children
# around each run). No RSS: the spawner's own pages count in a child's peak RSS, which would
# drown a small binary.
cpu_ms() {
    python3 - "$@" <<'PY'
import resource, statistics, subprocess, sys
runs, cmd = int(sys.argv[1]), sys.argv[2:]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
samples = []
for _ in range(runs):
    before = cpu()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}")
    samples.append((cpu() - before) * 1000)
print(f"{statistics.median(samples):.2f} {statistics.mean(samples):.2f}")
PY
}

# row LABEL "OURS_MEDIAN OURS_MEAN" "REF_MEDIAN REF_MEAN": one table row, ratio of the medians.
row() {
    local label=$1 ours ref
    read -r -a ours <<<"$2"
    read -r -a ref <<<"$3"
    printf '| %s | %s (%s) | %s (%s) | %sx |\n' "$label" "${ours[0]}" "${ours[1]}" "${ref[0]}" "${ref[1]}" \
        "$(python3 -c "print(round(${ref[0]} / ${ours[0]}))")"
}

probe_db_socket=$(cpu_ms "$N" "$BIN" probe mysql "$dir/db/sock" --defaults-file "$dir/my.cnf")
probe_db_tcp=$(cpu_ms "$N" "$BIN" probe mysql "127.0.0.1:$db_port" --defaults-file "$dir/my.cnf")
client_db_socket=$(cpu_ms "$N" mariadb --defaults-file="$dir/my.cnf" -e 'select 1')
client_db_tcp=$(cpu_ms "$N" mariadb --defaults-file="$dir/my.cnf" --protocol=TCP -h 127.0.0.1 -P "$db_port" -e 'select 1')
probe_mq_login=$(cpu_ms "$N" "$BIN" probe amqp "127.0.0.1:$mq_port" --user monitor --password-file "$dir/mq.pw")
probe_mq_start=$(cpu_ms "$N" "$BIN" probe amqp "127.0.0.1:$mq_port")
diagnostics=$(cpu_ms "$N_SLOW" setpriv --reuid rabbitmq --regid rabbitmq --clear-groups env HOME="$HOME" \
    /usr/lib/rabbitmq/bin/rabbitmq-diagnostics -n "$RABBITMQ_NODENAME" check_running)
{
    echo "| check | ours: CPU ms median (mean) | reference: CPU ms median (mean) | reference / ours |"
    echo "|---|---|---|---|"
    row "MariaDB login + SELECT 1, socket, vs mariadb -e" "$probe_db_socket" "$client_db_socket"
    row "MariaDB login + SELECT 1, TCP, vs mariadb -e" "$probe_db_tcp" "$client_db_tcp"
    row "RabbitMQ login + vhost open vs rabbitmq-diagnostics check_running" "$probe_mq_login" "$diagnostics"
    row "RabbitMQ Connection.Start vs rabbitmq-diagnostics check_running" "$probe_mq_start" "$diagnostics"
} | tee "$dir/table.md"
mkdir -p "$(dirname "$OUT")"
cp "$dir/table.md" "$OUT"
echo "written to $OUT" >&2

#!/usr/bin/env bash
# Whole-process CPU and wall time of kolla's MariaDB/RabbitMQ checks and of ovs-appctl
# against our drop-ins, side by side in one run on the same local servers:
#   - healthcheck_rabbitmq: kolla's script (six rabbitmq-diagnostics) vs ours, on a broker
#     with its management plugin and kolla-ansible's definitions file;
#   - healthcheck_mariadb: kolla's script vs ours, on a one-node Galera;
#   - healthcheck.sh --connect --galera_online: ours vs the two `mariadb` client commands
#     MariaDB's script runs for it (the script itself is not in Debian's packages);
#   - probe unixctl ovsdb-server version vs ovs-appctl -t ovsdb-server version.
# Servers start on loopback and free ports in a temporary directory, as the tests do.
# Writes target/bench/ovn_kolla.md for BENCHMARKS.md.
#   N=30 runs of each fast command, N_SLOW=3 of kolla's RabbitMQ script (seconds each).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(make -s --no-print-directory print-bin)}
N=${N:-30}
N_SLOW=${N_SLOW:-3}
OUT=target/bench/ovn_kolla.md
KOLLA=${CACHE:-/var/cache/openstack-healthcheck}/originals/kolla
[ -x "$BIN" ] || { echo "no binary at $BIN: run 'make build' first" >&2; exit 1; }
[ -f "$KOLLA/healthcheck_rabbitmq" ] || { echo "no kolla scripts in $KOLLA: bash tests/setup/install.sh" >&2; exit 1; }

dir=$(mktemp -d /tmp/ohc-bench-kolla-XXXXXX)
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
wait_ok() {
    local what=$1; shift
    for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "$what did not become ready; logs:" >&2; tail -n 20 "$dir"/*.log >&2; exit 1
}
mkdir -p "$dir/bin"
for name in healthcheck_rabbitmq healthcheck_mariadb healthcheck.sh; do ln -s "$BIN" "$dir/bin/$name"; done

# --- MariaDB: a one-node Galera, monitor user from an init file ------------------------------
pw_db=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$dir/db" "$dir/home-db"
mariadb-install-db --no-defaults --user=mysql --auth-root-authentication-method=socket --skip-test-db \
    --datadir="$dir/db/data" >"$dir/db-install.log" 2>&1
for host in localhost 127.0.0.1; do
    printf "CREATE USER 'monitor'@'%s' IDENTIFIED BY '%s';\n" "$host" "$pw_db"
done >"$dir/db/init.sql"
chown -R mysql: "$dir/db"
db_port=$(free_port)
start_as mysql "$dir/mariadbd.log" mariadbd --no-defaults --datadir="$dir/db/data" --socket="$dir/db/sock" \
    --port="$db_port" --bind-address=127.0.0.1 --pid-file="$dir/db/pid" --init-file="$dir/db/init.sql" \
    --skip-name-resolve --innodb-buffer-pool-size=16M --binlog-format=ROW --wsrep-on=ON \
    --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-cluster-address=gcomm:// --wsrep-new-cluster \
    --wsrep-node-address=127.0.0.1 \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$(free_port);gcache.size=8M"
(umask 077
 printf '[mariadb-client]\nuser=monitor\npassword=%s\nsocket=%s\nport=%s\n' "$pw_db" "$dir/db/sock" "$db_port" >"$dir/healthcheck.cnf"
 printf '[client]\npassword=%s\nsocket=%s\n' "$pw_db" "$dir/db/sock" >"$dir/home-db/.my.cnf")
wait_ok mariadbd "$BIN" --timeout 2 probe mysql "$dir/db/sock" --defaults-file "$dir/healthcheck.cnf" --galera

# --- RabbitMQ: kolla-ansible's layout (management listener, definitions), own epmd ------------
pw_mq=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$dir/mq/home" "$dir/mq/mnesia" "$dir/mq/log"
printf '{"users":[{"name":"openstack","password":"%s","tags":"administrator"}],"vhosts":[{"name":"/"}],"permissions":[{"user":"openstack","vhost":"/","configure":".*","write":".*","read":".*"}]}\n' \
    "$pw_mq" >"$dir/mq/definitions.json"
mgmt_port=$(free_port)
printf 'management.listener.ip = 127.0.0.1\nmanagement.listener.port = %s\nmanagement.load_definitions = %s\n' \
    "$mgmt_port" "$dir/mq/definitions.json" >"$dir/mq/rabbitmq.conf"
echo '[rabbitmq_management].' >"$dir/mq/enabled_plugins"
chown -R rabbitmq: "$dir/mq"
# kolla's image has RabbitMQ's own CLI in PATH (Debian's /usr/sbin wrapper resets HOME).
printf '#!/bin/sh\nexec /usr/lib/rabbitmq/bin/rabbitmq-diagnostics "$@"\n' >"$dir/bin/rabbitmq-diagnostics"
chmod 755 "$dir/bin/rabbitmq-diagnostics"
epmd_port=$(free_port) mq_port=$(free_port) dist_port=$(free_port)
export HOME="$dir/mq/home" ERL_EPMD_PORT=$epmd_port RABBITMQ_NODENAME="ohc-bench-kolla-$$@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$mq_port RABBITMQ_DIST_PORT=$dist_port
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
export RABBITMQ_MNESIA_BASE="$dir/mq/mnesia" RABBITMQ_LOG_BASE="$dir/mq/log" RABBITMQ_CONFIG_FILE="$dir/mq/rabbitmq.conf"
export RABBITMQ_FEATURE_FLAGS_FILE="$dir/mq/feature_flags" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/mq/enabled_plugins"
start_as rabbitmq "$dir/epmd.log" epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1
start_as rabbitmq "$dir/rabbitmq.log" /usr/lib/rabbitmq/bin/rabbitmq-server
wait_ok "rabbitmq-server with management" "$dir/bin/healthcheck_rabbitmq"

# --- Open vSwitch: an ovsdb-server and its control socket -------------------------------------
mkdir -p "$dir/ovs"
ovsdb-tool create "$dir/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
setsid env OVS_RUNDIR="$dir/ovs" ovsdb-server "$dir/ovs/conf.db" --remote=punix:"$dir/ovs/db.sock" \
    --pidfile="$dir/ovs/ovsdb-server.pid" --no-chdir >"$dir/ovsdb-server.log" 2>&1 &
pids+=($!)
disown
export OVS_RUNDIR="$dir/ovs"
wait_ok ovsdb-server "$BIN" probe unixctl ovsdb-server version

# --- Measure -------------------------------------------------------------------------------------
# measure RUNS CMD...: "cpu_median cpu_mean wall_median" in milliseconds (CPU: user+sys of the
# children around each run, getrusage); every run must exit 0.
measure() {
    python3 - "$@" <<'PY'
import resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
cpus, walls = [], []
for _ in range(runs):
    before, start = cpu(), time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls.append((time.monotonic() - start) * 1000)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}")
    cpus.append((cpu() - before) * 1000)
print(f"{statistics.median(cpus):.2f} {statistics.mean(cpus):.2f} {statistics.median(walls):.1f}")
PY
}
row() {
    local label=$1 ours ref
    read -r -a ours <<<"$2"
    read -r -a ref <<<"$3"
    printf '| %s | %s (%s) | %s | %s (%s) | %s | %sx | %sx |\n' "$label" "${ours[0]}" "${ours[1]}" "${ours[2]}" \
        "${ref[0]}" "${ref[1]}" "${ref[2]}" \
        "$(python3 -c "print(round(${ref[0]} / ${ours[0]}, 1))")" "$(python3 -c "print(round(${ref[2]} / ${ours[2]}, 1))")"
}

ours_mq=$(measure "$N" "$dir/bin/healthcheck_rabbitmq")
kolla_mq=$(measure "$N_SLOW" setpriv --reuid rabbitmq --regid rabbitmq --clear-groups \
    env PATH="$dir/bin:$PATH" bash "$KOLLA/healthcheck_rabbitmq")
ours_db=$(HOME="$dir/home-db" MYSQL_USERNAME=monitor measure "$N" "$dir/bin/healthcheck_mariadb")
kolla_db=$(HOME="$dir/home-db" MYSQL_USERNAME=monitor measure "$N" bash "$KOLLA/healthcheck_mariadb")
ours_sh=$(measure "$N" "$dir/bin/healthcheck.sh" --defaults-file "$dir/healthcheck.cnf" --connect --galera_online)
client="mariadb --defaults-file=$dir/healthcheck.cnf --skip-ssl --protocol socket -B --skip-column-names"
script_clients=$(measure "$N" bash -c "$client -e 'select @@skip_networking' >/dev/null && \
    [ \"\$($client -e \"select VARIABLE_VALUE from information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='WSREP_LOCAL_STATE'\")\" = 4 ]")
ours_ctl=$(measure "$N" "$BIN" probe unixctl ovsdb-server version)
appctl=$(measure "$N" ovs-appctl -t ovsdb-server version)
{
    echo "| check | ours: CPU ms median (mean) | ours: wall ms | reference: CPU ms median (mean) | reference: wall ms | CPU ratio | wall ratio |"
    echo "|---|---|---|---|---|---|---|"
    row "healthcheck_rabbitmq vs kolla's script (six rabbitmq-diagnostics)" "$ours_mq" "$kolla_mq"
    row "healthcheck_mariadb vs kolla's script" "$ours_db" "$kolla_db"
    row "healthcheck.sh --connect --galera_online vs the script's two mariadb commands" "$ours_sh" "$script_clients"
    row "probe unixctl ovsdb-server version vs ovs-appctl" "$ours_ctl" "$appctl"
} | tee "$dir/table.md"
mkdir -p "$(dirname "$OUT")"
cp "$dir/table.md" "$OUT"
echo "written to $OUT" >&2

//! Galera roles and MariaDB's container checks on a real 3-node cluster (Debian's
//! mariadb-server and galera-4) on loopback, every node in its own temporary directory:
//! `probe mysql --galera=ready|alive|starting` through the states a cluster goes
//! through (all Synced; a node desynced, i.e. Donor/Desynced; a joiner held in its state
//! transfer; the last node left without quorum), side by side with kolla's
//! `healthcheck_mariadb` where it is the reference (Synced or not). MariaDB's
//! `healthcheck.sh` is not in Debian's package; its drop-in is checked against what the
//! script documents (kolla-ansible's `--connect --galera_online`, `--su-mysql`).

use crate::util;
use crate::util::mariadb::{start_mariadb_with_env, MariaDb};
use crate::util::servers::{chown, scratch_dir, signal, wait_ready};
use crate::util::*;
use nix::sys::signal::Signal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PASSWORD: &str = "Galera-pw-5Tq9";
const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

struct Node {
    db: MariaDb,
    /// The option file of the monitor user (socket, port, password).
    cnf: String,
    datadir: String,
}

/// Galera's ports of one node: group communication, IST, SST.
struct Ports {
    gcomm: u16,
    ist: u16,
    sst: u16,
}

fn galera_args(ports: &Ports, cluster: &str, bootstrap: bool) -> Vec<String> {
    let mut args = vec![
        "--wsrep-on=ON".to_string(),
        format!("--wsrep-provider={PROVIDER}"),
        format!("--wsrep-cluster-address={cluster}"),
        "--wsrep-cluster-name=ohc".into(),
        format!("--wsrep-node-address=127.0.0.1:{}", ports.gcomm),
        format!("--wsrep-sst-receive-address=127.0.0.1:{}", ports.sst),
        "--wsrep-sst-method=rsync".into(),
        "--binlog-format=ROW".into(),
        "--innodb-autoinc-lock-mode=2".into(),
        format!(
            "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{};ist.recv_addr=127.0.0.1:{};gcache.size=8M",
            ports.gcomm, ports.ist
        ),
    ];
    if bootstrap {
        args.push("--wsrep-new-cluster".into());
    }
    args
}

/// Start node `n`: the first bootstraps the cluster and creates the users (the others
/// receive them with their state transfer). `path` is the PATH its scripts see.
fn start_node(n: usize, ports: &Ports, cluster: &str, path: Option<&str>) -> Node {
    assert!(
        Path::new(PROVIDER).exists(),
        "{PROVIDER} missing: install galera-4 (bash tests/setup/install.sh)"
    );
    let dir = scratch_dir(&format!("galera-{n}"));
    let init = if n == 1 {
        format!(
            "CREATE USER 'monitor'@'localhost' IDENTIFIED BY '{PASSWORD}';\n\
             CREATE USER 'monitor'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';\n\
             CREATE USER 'haproxy'@'localhost';\n\
             CREATE USER 'mysql'@'localhost' IDENTIFIED VIA unix_socket;\n"
        )
    } else {
        "SELECT 1;\n".to_string()
    };
    let extra = galera_args(ports, cluster, n == 1);
    let env: Vec<(&str, &str)> = path.map(|p| ("PATH", p)).into_iter().collect();
    let db = start_mariadb_with_env(&dir, &dir.join("sock"), &init, &extra, &env);
    let cnf = db.defaults(
        "monitor.cnf",
        &format!(
            "[mariadb-client]\nuser=monitor\npassword={PASSWORD}\nsocket={}\nport={}\n",
            db.socket, db.port
        ),
    );
    chown(Path::new(&cnf), "mysql");
    let datadir = dir.join("data").to_string_lossy().into_owned();
    Node { db, cnf, datadir }
}

fn probe(node: &Node, role: &str) -> Run {
    run(&[
        "--timeout",
        "5",
        "probe",
        "mysql",
        &node.db.socket,
        "--defaults-file",
        &node.cnf,
        &format!("--galera={role}"),
        "--datadir",
        &node.datadir,
    ])
}

/// A HOME whose .my.cnf gives the client `lines` (kolla's script reads the client's
/// default option files; so does our drop-in).
fn home(node: &Node, tag: &str, lines: &str) -> PathBuf {
    let home = node.db.dir.join(format!("home-{tag}"));
    std::fs::create_dir_all(&home).unwrap();
    write_private(&home.join(".my.cnf"), &format!("[client]\n{lines}"));
    home
}

/// kolla's healthcheck_mariadb and ours with the same HOME and MYSQL_USERNAME.
fn kolla_side_by_side(node: &Node, home: &Path, username: Option<&str>) -> (bool, Run) {
    let env = |cmd: &mut Command| {
        cmd.env("HOME", home).env_remove("MYSQL_USERNAME");
        if let Some(u) = username {
            cmd.env("MYSQL_USERNAME", u);
        }
    };
    let mut original = command("bash");
    env(&mut original);
    let original = original
        .arg(util::original("kolla/healthcheck_mariadb"))
        .output()
        .unwrap()
        .status
        .success();
    let mut ours = command(link_to_bin(&node.db.dir.join("bin"), "healthcheck_mariadb"));
    env(&mut ours);
    (original, run_cmd(ours))
}

/// Our healthcheck.sh drop-in (the name kolla's image gives MariaDB's script).
fn healthcheck_sh(node: &Node, args: &[&str]) -> Run {
    let mut cmd = command(link_to_bin(&node.db.dir.join("bin"), "healthcheck.sh"));
    cmd.args(args).env_remove("HOME");
    run_cmd(cmd)
}

fn wait_synced(node: &Node, what: &str) {
    wait_ready(what, Duration::from_secs(120), &node.db.log(), || {
        probe(node, "ready").healthy()
    });
}

/// A directory whose `rsync` waits while `gate` exists: the joiner's state transfer
/// starts (its sst_in_progress marker is written) and then holds.
fn gated_rsync(dir: &Path, gate: &Path) -> String {
    let bin = dir.join("gated-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("rsync");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nwhile [ -e '{}' ]; do sleep 0.1; done\nexec /usr/bin/rsync \"$@\"\n",
            gate.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    chown(&bin, "mysql");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The cluster goes through its states in order (the nodes are shared, so one test).
#[test]
fn galera_roles_through_a_clusters_life() {
    let ports: Vec<Ports> = (0..3)
        .map(|_| Ports {
            gcomm: free_port(),
            ist: free_port(),
            sst: free_port(),
        })
        .collect();
    let cluster = format!(
        "gcomm://{}",
        ports
            .iter()
            .map(|p| format!("127.0.0.1:{}", p.gcomm))
            .collect::<Vec<_>>()
            .join(",")
    );
    let node1 = start_node(1, &ports[0], &cluster, None);
    wait_synced(&node1, "the bootstrap node Synced");
    let node2 = start_node(2, &ports[1], &cluster, None);
    wait_synced(&node2, "node 2 Synced after its state transfer");

    // Node 3 joins with its state transfer held: the server does not serve yet, its
    // data directory has the marker. Starting tolerates that; alive and ready do not.
    let gate_dir = scratch_dir("galera-gate");
    let gate = gate_dir.join("hold");
    std::fs::write(&gate, "").unwrap();
    let path = gated_rsync(&gate_dir, &gate);
    let node3 = start_node(3, &ports[2], &cluster, Some(&path));
    let marker = Path::new(&node3.datadir).join("sst_in_progress");
    util::wait_for(
        "node 3's state transfer to start",
        Duration::from_secs(60),
        || marker.exists(),
    );
    let r = probe(&node3, "starting");
    assert_healthy(&r, "Galera state transfer in progress");
    assert!(r.line().contains("sst_in_progress exists"), "{r:?}");
    assert!(!probe(&node3, "alive").healthy());
    assert!(!probe(&node3, "ready").healthy());
    std::fs::remove_file(&gate).unwrap();
    wait_synced(&node3, "node 3 Synced once its transfer runs");

    // All Synced: every role holds on every node; kolla's script agrees.
    for node in [&node1, &node2, &node3] {
        assert_healthy(&probe(node, "ready"), "Galera Synced (wsrep_local_state 4)");
        assert_healthy(&probe(node, "alive"), "Galera Primary component, Synced");
        assert_healthy(&probe(node, "starting"), "Galera Primary component, Synced");
    }
    let monitor_home = home(
        &node1,
        "monitor",
        &format!("password={PASSWORD}\nsocket={}\n", node1.db.socket),
    );
    let (original, ours) = kolla_side_by_side(&node1, &monitor_home, Some("monitor"));
    assert!(original, "kolla's healthcheck_mariadb on a Synced node");
    assert_healthy(
        &ours,
        "MariaDB Galera Cluster Node is synced (user monitor)",
    );
    // kolla's script meant `haproxy` by default but wrote ${MYSQL_USERNAME:=-haproxy}:
    // it logs in as "-haproxy" and calls a Synced node unhealthy. Ours uses haproxy.
    let bare_home = home(&node1, "bare", &format!("socket={}\n", node1.db.socket));
    let (original, ours) = kolla_side_by_side(&node1, &bare_home, None);
    assert!(
        !original,
        "kolla's default user is \"-haproxy\": it cannot log in"
    );
    assert_healthy(&ours, "synced (user haproxy)");
    // kolla-ansible's healthcheck.sh command line.
    let r = healthcheck_sh(
        &node1,
        &[
            "--defaults-file",
            &node1.cnf,
            "--connect",
            "--galera_online",
        ],
    );
    assert_healthy(
        &r,
        "connect (networking on, asked over the socket), galera_online (4)",
    );

    // Desynced (what a donor is): alive and starting hold, ready does not, nor kolla's.
    node2.db.sql("SET GLOBAL wsrep_desync=ON");
    let r = probe(&node2, "ready");
    assert_unhealthy(
        &r,
        "Galera node not Synced: wsrep_local_state 2 (Donor/Desynced)",
    );
    assert_healthy(
        &probe(&node2, "alive"),
        "Galera Primary component, Donor/Desynced (wsrep_local_state 2)",
    );
    assert_healthy(&probe(&node2, "starting"), "Donor/Desynced");
    let home2 = home(
        &node2,
        "monitor",
        &format!("password={PASSWORD}\nsocket={}\n", node2.db.socket),
    );
    let (original, ours) = kolla_side_by_side(&node2, &home2, Some("monitor"));
    assert!(!original, "kolla's healthcheck_mariadb on a desynced node");
    assert_unhealthy(&ours, "NOT synced: Donor/Desynced");
    let r = healthcheck_sh(
        &node2,
        &[
            "--defaults-file",
            &node2.cnf,
            "--connect",
            "--galera_online",
        ],
    );
    assert_unhealthy(
        &r,
        "healthcheck galera_online failed: wsrep_local_state is not 4 (Synced) (\"2\")",
    );
    node2.db.sql("SET GLOBAL wsrep_desync=OFF");
    wait_synced(&node2, "node 2 Synced again");

    // healthcheck.sh's own rules: connect passes on a refused login over TCP (the server
    // was reached), the SQL tests do not; --su-mysql logs in by unix_socket as mysql.
    let wrong = node1.db.defaults(
        "wrong.cnf",
        &format!(
            "[client]\nuser=monitor\npassword=Not-the-pw\nsocket={}\nport={}\n",
            node1.db.socket, node1.db.port
        ),
    );
    assert_healthy(
        &healthcheck_sh(&node1, &["--defaults-file", &wrong, "--connect"]),
        "refused the login (error 1045",
    );
    assert_unhealthy(
        &healthcheck_sh(&node1, &["--defaults-file", &wrong, "--innodb_initialized"]),
        "healthcheck innodb_initialized failed: login refused for monitor: error 1045",
    );
    let socket_only = node1.db.defaults(
        "socket.cnf",
        &format!(
            "[client]\nsocket={}\nport={}\n",
            node1.db.socket, node1.db.port
        ),
    );
    chown(Path::new(&socket_only), "mysql");
    let r = healthcheck_sh(
        &node1,
        &[
            "--su-mysql",
            "--defaults-file",
            &socket_only,
            "--connect",
            "--innodb_initialized",
            "--galera_ready",
        ],
    );
    assert_healthy(&r, "innodb_initialized (1), galera_ready (ON)");
    assert_unhealthy(
        &healthcheck_sh(&node1, &["--bogus"]),
        "healthcheck unknown option or test 'bogus'",
    );

    // Two nodes die: the last one has no quorum, non-Primary. Not alive, not ready.
    signal(node2.db.pid, Signal::SIGKILL);
    signal(node3.db.pid, Signal::SIGKILL);
    util::wait_for(
        "node 1 to lose its Primary component",
        Duration::from_secs(90),
        || !probe(&node1, "alive").healthy(),
    );
    let r = probe(&node1, "alive");
    assert_unhealthy(
        &r,
        "Galera node not in the Primary component: wsrep_cluster_status non-Primary",
    );
    assert_unhealthy(&probe(&node1, "ready"), "Galera node not Synced");
    assert_unhealthy(
        &probe(&node1, "starting"),
        "neither in the Primary component nor joining",
    );
    let (original, ours) = kolla_side_by_side(&node1, &monitor_home, Some("monitor"));
    assert!(
        !original,
        "kolla's healthcheck_mariadb on a non-Primary node"
    );
    assert!(!ours.healthy(), "{ours:?}");
}

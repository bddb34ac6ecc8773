//! `probe mysql` against a real MariaDB from Debian's packages, started by the test
//! on a loopback port and a socket in a temporary directory, once per test binary.

use crate::util;
use crate::util::fake::{fake_peer, Fake};
use crate::util::mariadb::{start_mariadb, MariaDb};
use crate::util::probes::assert_secret_absent;
use crate::util::servers::{scratch_dir, signal, wait_ready};
use crate::util::*;
use nix::sys::signal::Signal;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

const PASSWORD: &str = "Mon-pw-7f3Qz";
const ED25519_PASSWORD: &str = "Ed-pw-9kLw2";

/// The server every test shares (the stop/gone test starts its own).
fn shared() -> &'static MariaDb {
    static SERVER: OnceLock<MariaDb> = OnceLock::new();
    SERVER.get_or_init(|| start("mariadb", &[]))
}

/// Start a MariaDB with the test users (monitor by password, edmon by ed25519) and
/// `extra` options in a fresh directory, socket inside it; wait until monitor can log in.
fn start(tag: &str, extra: &[String]) -> MariaDb {
    let dir = scratch_dir(tag);
    let init = format!(
        "CREATE USER 'monitor'@'localhost' IDENTIFIED BY '{PASSWORD}';\n\
         CREATE USER 'monitor'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';\n\
         INSTALL SONAME 'auth_ed25519';\n\
         CREATE USER 'edmon'@'localhost' IDENTIFIED VIA ed25519 USING PASSWORD('{ED25519_PASSWORD}');\n\
         CREATE USER 'edmon'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('{ED25519_PASSWORD}');\n"
    );
    let server = start_mariadb(&dir, &dir.join("sock"), &init, extra);
    let file = server.defaults(
        "ready.cnf",
        &format!("[client]\nuser=monitor\npassword={PASSWORD}\n"),
    );
    wait_ready("mariadbd", Duration::from_secs(60), &server.log(), || {
        probe_mysql("2", &server.socket, &file, &[]).healthy()
    });
    server
}

/// `probe mysql TARGET --defaults-file FILE EXTRA...` with a deadline of `timeout` seconds.
fn probe_mysql(timeout: &str, target: &str, file: &str, extra: &[&str]) -> util::Run {
    run(&[&mysql_args(timeout, target, file)[..], extra].concat())
}

fn mysql_args<'a>(timeout: &'a str, target: &'a str, file: &'a str) -> [&'a str; 7] {
    [
        "--timeout",
        timeout,
        "probe",
        "mysql",
        target,
        "--defaults-file",
        file,
    ]
}

#[test]
fn healthy_over_socket_and_tcp() {
    let db = shared();
    let file = db.defaults(
        "good.cnf",
        &format!("[client]\nuser = monitor\npassword = \"{PASSWORD}\"\n"),
    );
    for target in [db.socket.as_str(), &db.tcp()] {
        let r = probe_mysql("5", target, &file, &[]);
        assert_healthy(&r, "logged in as monitor, SELECT 1 ok");
        assert!(r.line().contains("MariaDB 10."), "{r:?}");
    }
}

#[test]
fn address_and_credentials_from_the_defaults_file_and_its_includes() {
    let db = shared();
    let conf_d = db.dir.join("conf.d");
    std::fs::create_dir_all(&conf_d).unwrap();
    write_private(
        &conf_d.join("50-client.cnf"),
        &format!("[client]\npassword='{PASSWORD}'\n"),
    );
    let main = format!(
        "[mysqld]\nuser=nobody\n[client]\nuser=monitor\n[mysql]\nsocket={}\n!includedir {}\n",
        db.socket,
        conf_d.display()
    );
    let file = db.defaults("main.cnf", &main);
    let r = run(&["--timeout", "5", "probe", "mysql", "--defaults-file", &file]);
    assert_healthy(&r, &format!("unix:{}", db.socket));
    let tcp = format!(
        "[client]\nhost=127.0.0.1\nport={}\nuser=monitor\npassword={PASSWORD}\n",
        db.port
    );
    let file = db.defaults("tcp.cnf", &tcp);
    let r = run(&["--timeout", "5", "probe", "mysql", "--defaults-file", &file]);
    assert_healthy(&r, &db.tcp());
}

#[test]
fn wrong_password_is_refused_and_never_printed() {
    let db = shared();
    let wrong = "Wrong-pw-Zx81";
    let file = db.defaults(
        "wrong.cnf",
        &format!("[client]\nuser=monitor\npassword={wrong}\n"),
    );
    for target in [db.socket.as_str(), &db.tcp()] {
        let r = probe_mysql("5", target, &file, &[]);
        assert_unhealthy(&r, "login refused for monitor: error 1045");
        assert!(r.line().contains("using password: YES"), "{r:?}");
        assert_secret_absent(&mysql_args("5", target, &file), &r.line(), wrong);
    }
    // A correct login traced with HEALTHCHECK_DEBUG=1 does not print the password either.
    let good = db.defaults(
        "good-debug.cnf",
        &format!("[client]\nuser=monitor\npassword={PASSWORD}\n"),
    );
    let tcp = db.tcp();
    let r = probe_mysql("5", &tcp, &good, &[]);
    assert_secret_absent(&mysql_args("5", &tcp, &good), &r.line(), PASSWORD);
}

#[test]
fn no_password_is_refused() {
    let db = shared();
    let file = db.defaults("nopw.cnf", "[client]\nuser=monitor\n");
    assert_unhealthy(
        &probe_mysql("5", &db.socket, &file, &[]),
        "using password: NO",
    );
    let missing = db.dir.join("absent.cnf");
    let r = probe_mysql("5", &db.socket, missing.to_str().unwrap(), &[]);
    assert_unhealthy(&r, "cannot read defaults file");
    assert!(r.line().contains("not found"), "{r:?}");
    let r = run(&["--timeout", "5", "probe", "mysql", &db.socket]);
    assert_unhealthy(&r, "--defaults-file FILE is required");
}

#[test]
fn galera_flag_on_a_plain_server_is_unhealthy() {
    let db = shared();
    let file = db.defaults(
        "galera.cnf",
        &format!("[client]\nuser=monitor\npassword={PASSWORD}\n"),
    );
    let r = probe_mysql("5", &db.socket, &file, &["--galera"]);
    assert_unhealthy(&r, "not a Galera node (wsrep_local_state missing)");
}

/// MariaDB greets with mysql_native_password and switches to client_ed25519 for
/// this user: the switch and the Ed25519 signature both have to be right.
#[test]
fn auth_switch_to_ed25519() {
    let db = shared();
    let file = db.defaults(
        "ed.cnf",
        &format!("[client]\nuser=edmon\npassword={ED25519_PASSWORD}\n"),
    );
    for target in [db.socket.as_str(), &db.tcp()] {
        let r = probe_mysql("5", target, &file, &[]);
        assert_healthy(&r, "logged in as edmon, SELECT 1 ok");
        assert_secret_absent(&mysql_args("5", target, &file), &r.line(), ED25519_PASSWORD);
    }
    let wrong = db.defaults(
        "ed-wrong.cnf",
        "[client]\nuser=edmon\npassword=Not-the-ed-pw\n",
    );
    assert_unhealthy(
        &probe_mysql("5", &db.socket, &wrong, &[]),
        "login refused for edmon: error 1045",
    );
}

#[test]
fn stopped_then_gone_server() {
    let db = start("mariadb-stop", &[]);
    let file = db.defaults(
        "good.cnf",
        &format!("[client]\nuser=monitor\npassword={PASSWORD}\n"),
    );
    signal(db.pid, Signal::SIGSTOP);
    for target in [db.socket.as_str(), &db.tcp()] {
        let r = probe_mysql("1.5", target, &file, &[]);
        assert_unhealthy(&r, "timed out");
        assert!(
            r.elapsed < Duration::from_millis(1500 + 1500),
            "took {:?}",
            r.elapsed
        );
    }
    signal(db.pid, Signal::SIGCONT);
    signal(db.pid, Signal::SIGKILL);
    util::wait_for("mariadbd gone", Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", db.port)).is_err()
    });
    assert_unhealthy(
        &probe_mysql("5", &db.tcp(), &file, &[]),
        "connection refused",
    );
    let r = probe_mysql("5", &db.socket, &file, &[]);
    assert_unhealthy(&r, &format!("connect to unix:{}", db.socket));
}

#[test]
fn garbage_and_silent_peers() {
    let dir = scratch_dir("mysql-peers");
    let file = dir.join("c.cnf");
    write_private(&file, "[client]\nuser=monitor\npassword=x-unused-1\n");
    let file = file.to_str().unwrap();
    let against = |reply: &'static [u8], timeout: &str| {
        probe_mysql(
            timeout,
            &format!("127.0.0.1:{}", fake_peer(Fake::Greets(reply))),
            file,
            &[],
        )
    };
    let r = against(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
        "3",
    );
    assert_unhealthy(&r, "not a MySQL/MariaDB server greeting");
    let r = against(b"\xff\xff\xff\x00\x0a\x00junk", "3");
    assert_unhealthy(&r, "server announced a packet of 16777215 bytes");
    let r = against(b"", "1");
    assert_unhealthy(&r, "timed out after 1.0s waiting for the server greeting");
    assert!(r.elapsed < Duration::from_secs(3), "took {:?}", r.elapsed);
}

/// A one-node Galera cluster (bootstrapped with an empty gcomm:// address) is
/// Synced; desynced by its administrator it is Donor/Desynced, hence unhealthy.
#[test]
fn galera_node_synced_then_desynced() {
    let provider = "/usr/lib/galera/libgalera_smm.so";
    assert!(
        Path::new(provider).exists(),
        "{provider} missing: install galera-4 (bash tests/setup/install.sh)"
    );
    let galera: Vec<String> = [
        "--wsrep-on=ON",
        &format!("--wsrep-provider={provider}"),
        "--wsrep-cluster-address=gcomm://",
        "--wsrep-new-cluster",
        "--wsrep-node-address=127.0.0.1",
        "--binlog-format=ROW",
        &format!(
            "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{};gcache.size=8M",
            free_port()
        ),
    ]
    .map(String::from)
    .to_vec();
    let db = start("mariadb-galera", &galera);
    let file = db.defaults(
        "good.cnf",
        &format!("[client]\nuser=monitor\npassword={PASSWORD}\n"),
    );
    // A bootstrapped node answers queries while still Joined (state 3, which the probe
    // rightly calls unhealthy) and turns Synced moments later, later still on a loaded host.
    wait_ready("Galera Synced", Duration::from_secs(60), &db.log(), || {
        probe_mysql("5", &db.socket, &file, &["--galera"]).healthy()
    });
    let r = probe_mysql("5", &db.socket, &file, &["--galera"]);
    assert_healthy(&r, "SELECT 1 ok, Galera Synced (wsrep_local_state 4)");
    db.sql("SET GLOBAL wsrep_desync=ON");
    let r = probe_mysql("5", &db.socket, &file, &["--galera"]);
    assert_unhealthy(
        &r,
        "Galera node not Synced: wsrep_local_state 2 (Donor/Desynced)",
    );
    signal(db.pid, Signal::SIGKILL);
}

//! The small protocol probes (memcached, Redis, OVSDB, HAProxy stats socket, libvirt)
//! against the real servers from Debian packages, started here on loopback ports and
//! temp-dir sockets: up, wrong or missing secret, stopped (SIGSTOP), gone, fake peers.

use crate::util::fake::{fake_peer, Fake};
use crate::util::libvirtd::start_session_libvirtd;
use crate::util::ovsdb::ovsdb_tool;
use crate::util::probes::*;
use crate::util::servers::{pause, spawn};
use crate::util::*;

#[test]
fn memcached() {
    let port = free_port();
    let server = spawn(
        "memcached",
        &[
            "-l",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "0",
            "-u",
            "nobody",
        ],
    );
    wait_tcp("memcached", port);
    let address = format!("127.0.0.1:{port}");

    // The same over a unix socket (memcached -s), as some deployments run it.
    let dir = TempDir::new("memcached");
    let socket = dir.path().join("memcached.sock");
    let socket_text = socket.display().to_string();
    let _on_socket = spawn(
        "memcached",
        &["-s", &socket_text, "-a", "0700", "-u", "root"],
    );
    wait_unix("memcached socket", &socket);
    expect_healthy(
        &["memcached", &format!("unix:{socket_text}")],
        "memcached 1.",
    );

    expect_healthy(&["memcached", &address], "memcached 1.");
    stopped_then_gone(server, &["memcached", &address], "refused");

    rejects_fake_peers("memcached", |port| format!("127.0.0.1:{port}"));
    let error = fake_peer(Fake::Answers(b"ERROR\r\n"));
    expect_unhealthy(
        &["memcached", &format!("127.0.0.1:{error}")],
        "refused 'version': ERROR",
    );
}

#[test]
fn redis() {
    const PASSWORD: &str = "pw-Zq81-never-printed";
    let dir = TempDir::new("redis");
    let port = free_port();
    let config = dir.path().join("redis.conf");
    let settings = format!(
        "port {port}\nbind 127.0.0.1\ndir {}\nrequirepass {PASSWORD}\nsave \"\"\nappendonly no\ndaemonize no\n\
         user probe on >{PASSWORD} +ping\nunixsocket {}/redis.sock\n",
        dir.path().display(),
        dir.path().display()
    );
    std::fs::write(&config, settings).unwrap();
    let server = spawn("redis-server", &[config.to_str().unwrap()]);
    wait_tcp("redis-server", port);
    let address = format!("127.0.0.1:{port}");
    let good = secret_file(dir.path(), "good", PASSWORD);
    let bad = secret_file(dir.path(), "bad", "not-the-password");

    expect_healthy(&["redis", &address, "--password-file", &good], "PONG");
    let unix = format!("unix:{}/redis.sock", dir.path().display());
    expect_healthy(&["redis", &unix, "--password-file", &good], "PONG");
    expect_healthy(
        &[
            "redis",
            &address,
            "--user",
            "probe",
            "--password-file",
            &good,
        ],
        "as probe",
    );
    expect_unhealthy(&["redis", &address, "--password-file", &bad], "WRONGPASS");
    expect_unhealthy(&["redis", &address], "NOAUTH");
    expect_unhealthy(
        &["redis", &address, "--password-file", "/nonexistent/pw"],
        "cannot read secret file",
    );

    // The secret appears nowhere, even in the debug trace, whatever the outcome.
    for args in [
        vec!["probe", "redis", &address, "--password-file", &good],
        vec![
            "probe",
            "redis",
            &address,
            "--user",
            "nobody-such",
            "--password-file",
            &good,
        ],
    ] {
        let traced = run_debug(&args);
        assert!(
            !format!("{}{}", traced.stdout, traced.stderr).contains(PASSWORD),
            "secret leaked: {traced:?}"
        );
    }

    stopped_then_gone(
        server,
        &["redis", &address, "--password-file", &good],
        "refused",
    );
    rejects_fake_peers("redis", |port| format!("127.0.0.1:{port}"));
}

#[test]
fn ovsdb() {
    let dir = TempDir::new("ovsdb");
    let p = |name: &str| dir.path().join(name).display().to_string();
    let raft = |port: u16| format!("tcp:127.0.0.1:{port}");
    // Open_vSwitch standalone; OVN_Northbound a one-member cluster (its leader);
    // OVN_Southbound a member that joined a cluster nobody else is in: cut off.
    ovsdb_tool(&[
        "create",
        &p("conf.db"),
        "/usr/share/openvswitch/vswitch.ovsschema",
    ]);
    ovsdb_tool(&[
        "create-cluster",
        &p("nb.db"),
        "/usr/share/ovn/ovn-nb.ovsschema",
        &raft(free_port()),
    ]);
    ovsdb_tool(&[
        "join-cluster",
        &p("sb.db"),
        "OVN_Southbound",
        &raft(free_port()),
        &raft(free_port()),
    ]);
    let port = free_port();
    let socket = p("db.sock");
    let server = spawn(
        "ovsdb-server",
        &[
            &format!("--remote=punix:{socket}"),
            &format!("--remote=ptcp:{port}:127.0.0.1"),
            &format!("--unixctl={}", p("ctl")),
            "--no-chdir",
            &p("conf.db"),
            &p("nb.db"),
            &p("sb.db"),
        ],
    );
    wait_unix("ovsdb-server", std::path::Path::new(&socket));
    let unix = format!("unix:{socket}");
    let tcp = format!("tcp:127.0.0.1:{port}");

    expect_healthy(&["ovsdb", &unix], "Open_vSwitch");
    expect_healthy(
        &["ovsdb", &tcp, "--database", "Open_vSwitch"],
        "serves Open_vSwitch (standalone)",
    );
    expect_healthy(
        &["ovsdb", &unix, "--database", "OVN_Northbound"],
        "(clustered, leader)",
    );
    // list_dbs alone (kolla's `ovsdb-client list-dbs`) passes; the cluster status does not.
    expect_healthy(&["ovsdb", &unix], "OVN_Southbound");
    expect_unhealthy(
        &["ovsdb", &unix, "--database", "OVN_Southbound"],
        "not connected to its cluster",
    );
    expect_unhealthy(
        &["ovsdb", &tcp, "--database", "OVN_IC_Northbound"],
        "does not serve OVN_IC_Northbound",
    );
    expect_unhealthy(&["ovsdb", "ssl:127.0.0.1:6642"], "not supported");

    pause(&server);
    times_out(&["ovsdb", &unix]);
    stopped_then_gone(server, &["ovsdb", &tcp], "refused");
    expect_unhealthy(&["ovsdb", &unix], "connect to unix:");

    rejects_fake_peers("ovsdb", |port| format!("tcp:127.0.0.1:{port}"));
    let error = fake_peer(Fake::Answers(
        br#"{"id":1,"result":null,"error":"unknown method"}"#,
    ));
    expect_unhealthy(
        &["ovsdb", &format!("tcp:127.0.0.1:{error}")],
        "unknown method",
    );
}

#[test]
fn haproxy_stats_socket() {
    let dir = TempDir::new("haproxy");
    let socket = dir.path().join("stats.sock");
    let config = dir.path().join("haproxy.cfg");
    let port = free_port();
    let settings = format!(
        "global\n    stats socket {} level user\n    stats socket 127.0.0.1:{port} level user\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n",
        socket.display()
    );
    std::fs::write(&config, settings).unwrap();
    let server = spawn("haproxy", &["-f", config.to_str().unwrap(), "-db"]);
    wait_unix("haproxy stats socket", &socket);
    let unix = format!("unix:{}", socket.display());
    let tcp = format!("tcp:127.0.0.1:{port}");

    for address in [&unix, &tcp] {
        let up = expect_healthy(&["haproxy", address], "HAProxy 2.");
        assert!(
            up.line().contains(&format!("pid {}", server.0.id())),
            "{up:?}"
        );
    }

    pause(&server);
    times_out(&["haproxy", &unix]);
    stopped_then_gone(server, &["haproxy", &tcp], "refused");

    rejects_fake_peers("haproxy", |port| format!("tcp:127.0.0.1:{port}"));
    let denied = fake_peer(Fake::Answers(b"Permission denied\n\n"));
    expect_unhealthy(
        &["haproxy", &format!("tcp:127.0.0.1:{denied}")],
        "Permission denied",
    );
}

#[test]
fn libvirt() {
    // libvirtd as an unprivileged user (session mode): no /dev/kvm, no libvirt-qemu
    // user, no system paths needed; the socket lands in our runtime dir.
    let dir = TempDir::new("libvirt");
    let runtime = dir.path().join("run");
    let server = start_session_libvirtd(dir.path(), &runtime, &dir.path().join("home"));
    let socket = runtime.join("libvirt-sock");
    let address = format!("unix:{}", socket.display());

    expect_healthy(&["libvirt", &address], "libvirt daemon 9.");
    // The daemon answers, but refuses to open a driver it does not have: its own words.
    expect_unhealthy(
        &["libvirt", &address, "--uri", "qemu:///system"],
        "unexpected qemu URI path",
    );

    stopped_then_gone(server, &["libvirt", &address], "connect to unix:");
    expect_unhealthy(&["libvirt", "unix:/nonexistent/libvirt-sock"], "not found");
    rejects_fake_peers("libvirt", |port| format!("tcp:127.0.0.1:{port}"));
}

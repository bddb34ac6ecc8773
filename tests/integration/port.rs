//! `probe port`: established TCP (IPv4, IPv6), UDP, and every state that must not count,
//! side by side with kolla's `healthcheck_port` and TripleO's common.sh `healthcheck_port`.

use crate::util::procpeers::{
    established, prefix_ports, side_by_side, start, wait_for_state, SideBySide,
};
use crate::util::{self, procpeers};
use crate::util::{free_port, run};

#[test]
fn established_ipv4_both_ends_like_the_originals() {
    let port = free_port();
    let (server, client) = established("127.0.0.1", port);
    for peer in [&client, &server] {
        let SideBySide {
            ours,
            line,
            kolla,
            tripleo,
        } = side_by_side("port", &peer.marker, port);
        assert!(ours, "{line}");
        assert!(line.contains("has an established connection"), "{line}");
        assert!(line.contains(&format!("pid {}", peer.pid())), "{line}");
        assert!(kolla && tripleo, "the originals agree here");
    }
}

#[test]
fn established_ipv6() {
    let port = free_port();
    let (_server, client) = established("::1", port);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("port", &client.marker, port);
    assert!(ours, "{line}");
    assert!(line.contains("[::1]"), "{line}");
    assert!(kolla && tripleo);
}

#[test]
fn several_ports_one_matches() {
    let port = free_port();
    let (_server, client) = established("127.0.0.1", port);
    let other = free_port().to_string();
    let r = run(&["probe", "port", &client.marker, &other, &port.to_string()]);
    assert!(r.healthy(), "{}", r.line());
    let r = run(&["probe", "port", &client.marker, &other]);
    assert!(!r.healthy(), "{}", r.line());
    assert!(
        r.line()
            .contains(&format!("no established connection on port {other}")),
        "{}",
        r.line()
    );
}

#[test]
fn close_wait_does_not_count_originals_pass_it() {
    let port = free_port();
    let _server = start(
        "s",
        "tcp-listen",
        &["127.0.0.1", &port.to_string(), "close"],
        None,
    );
    let client = start("c", "tcp-connect", &["127.0.0.1", &port.to_string()], None);
    wait_for_state(port, "08", 1);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("port", &client.marker, port);
    assert!(!ours, "{line}");
    assert!(line.contains("(1 in CLOSE_WAIT)"), "{line}");
    assert!(
        kolla,
        "kolla's ss -ntp shows CLOSE-WAIT rows and ignores the state"
    );
    assert!(tripleo, "TripleO's /proc/net/tcp scan ignores the state");
}

#[test]
fn listen_only_is_not_a_connection() {
    let port = free_port();
    let server = start("s", "tcp-listen", &["127.0.0.1", &port.to_string()], None);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("port", &server.marker, port);
    assert!(!ours, "{line}");
    assert!(line.contains("1 in LISTEN"), "{line}");
    assert!(
        !kolla,
        "kolla's ss -ntp (no -l) shows no listeners: right here"
    );
    assert!(tripleo, "TripleO counts the LISTEN row");
    let listen = run(&["probe", "listen", &server.marker, &port.to_string()]);
    assert!(listen.healthy(), "{}", listen.line());
}

#[test]
fn prefix_port_is_not_the_port() {
    let (short, long) = prefix_ports();
    let (_server, client) = established("127.0.0.1", long);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("port", &client.marker, short);
    assert!(!ours, "{line}");
    assert!(kolla, "kolla's unanchored ':{short}' matches ':{long}'");
    assert!(
        !tripleo,
        "TripleO compares fixed-width hex ports: right here"
    );
    let SideBySide { ours, line, .. } = side_by_side("port", &client.marker, long);
    assert!(ours, "{line}");
}

#[test]
fn time_wait_inode_zero_matches_nothing() {
    let port = free_port();
    let _server = start(
        "s",
        "tcp-listen",
        &["127.0.0.1", &port.to_string(), "close"],
        None,
    );
    // Connections closed at both ends leave TIME_WAIT rows (inode 0) on the port.
    for _ in 0..3 {
        drop(std::net::TcpStream::connect(("127.0.0.1", port)).unwrap());
    }
    wait_for_state(port, "06", 1);
    // A process with plenty of unrelated sockets: some inode contains the digit 0.
    let bystander = start("b", "many-sockets", &["30"], None);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("port", &bystander.marker, port);
    assert!(!ours, "{line}");
    assert!(!kolla, "kolla needs the pid on the row: right here");
    assert!(
        tripleo,
        "TripleO greps fd links for the substring '0' (the TIME_WAIT inode)"
    );
}

#[test]
fn udp_bound_counts() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let peer = start("u", "udp-bind", &["127.0.0.1", &port.to_string()], None);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("port", &peer.marker, port);
    assert!(ours, "{line}");
    assert!(line.contains("udp socket bound to 127.0.0.1"), "{line}");
    assert!(!kolla, "kolla's ss -ntp is TCP only");
    assert!(tripleo, "TripleO reads /proc/net/udp too");
}

#[test]
fn no_such_process_and_bad_ports() {
    let r = run(&["probe", "port", "ohc-no-such-process-anywhere", "5672"]);
    assert!(!r.healthy());
    assert!(
        r.line()
            .contains("no process matching 'ohc-no-such-process-anywhere'"),
        "{}",
        r.line()
    );
    let r = run(&["probe", "port", "x", "56721000"]);
    assert!(!r.healthy());
    assert!(r.line().contains("not a port number"), "{}", r.line());
}

#[test]
fn other_users_fds_cannot_tell() {
    let user = procpeers::test_user();
    let port = free_port();
    let (_server, client) = established("127.0.0.1", port);
    let r = procpeers::run_as(
        Some(user),
        &["probe", "port", &client.marker, &port.to_string()],
    );
    assert!(!r.healthy(), "{}", r.line());
    let expected = format!(
        "cannot tell: /proc/{0}/fd of pid {0} (user root) unreadable",
        client.pid()
    );
    assert!(r.line().contains(&expected), "{}", r.line());
    // Nothing at all on another port: "no" is certain even without reading the fds.
    let idle = free_port().to_string();
    let r = procpeers::run_as(Some(user), &["probe", "port", &client.marker, &idle]);
    assert!(
        r.line().contains("has no established connection"),
        "{}",
        r.line()
    );
    // The peer's own user (root here) sees it.
    let r = procpeers::run_as(None, &["probe", "port", &client.marker, &port.to_string()]);
    assert!(r.healthy(), "{}", r.line());
}

#[test]
fn json_verdict() {
    let r = run(&[
        "--format",
        "json",
        "probe",
        "port",
        "ohc-no-such-process-anywhere",
        "1",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON line");
    assert_eq!(v["healthy"], false);
    assert_eq!(v["check"], "port");
}

#[test]
fn mixed_users_a_readable_holder_is_enough() {
    let user = procpeers::test_user();
    let port = free_port();
    let p = port.to_string();
    let server = start("s", "tcp-listen", &["127.0.0.1", &p], None);
    // Two clients match the pattern (an ERE alternation): root's (unreadable to the test
    // user) and the test user's own.
    let theirs = start("c", "tcp-connect", &["127.0.0.1", &p], None);
    let mine = start("c", "tcp-connect", &["127.0.0.1", &p], Some(user));
    wait_for_state(port, "01", 3);
    let both = format!("{}|{}", theirs.marker, mine.marker);
    let r = procpeers::run_as(Some(user), &["probe", "port", &both, &p]);
    assert!(r.healthy(), "{}", r.line());
    assert!(
        r.line().contains(&format!("pid {}", mine.pid())),
        "{}",
        r.line()
    );
    // Root's server holds the port's sockets; the test user's matching process holds none:
    // the answer depends on the fds we may not read.
    let idle = start("b", "many-sockets", &["1"], Some(user));
    let server_or_idle = format!("{}|{}", server.marker, idle.marker);
    let r = procpeers::run_as(Some(user), &["probe", "port", &server_or_idle, &p]);
    assert!(!r.healthy(), "{}", r.line());
    assert!(
        r.line().contains(&format!(
            "cannot tell: /proc/{0}/fd of pid {0}",
            server.pid()
        )),
        "{}",
        r.line()
    );
}

/// The hint of the last owner (src/proc/hint.rs) is only where to look first: a planted or
/// stale hint never changes a verdict, and a healthy run leaves the owner's pid behind.
#[test]
fn hints_never_change_a_verdict() {
    let state = util::TempDir::new("hints");
    let port = free_port();
    let (server, client) = established("127.0.0.1", port);
    let check = |marker: &str, port: u16| {
        let mut cmd = util::command(util::bin());
        cmd.args(["probe", "port", marker, &port.to_string()])
            .env("HEALTHCHECK_STATE_DIR", state.path());
        util::run_cmd(cmd)
    };
    // Healthy, and the owner is remembered.
    assert!(check(&client.marker, port).healthy());
    let hints: Vec<_> = std::fs::read_dir(state.path()).unwrap().flatten().collect();
    assert_eq!(hints.len(), 1, "one hint file after a healthy run");
    let hint = hints[0].path();
    assert_eq!(
        std::fs::read_to_string(&hint).unwrap().trim(),
        client.pid().to_string()
    );
    // A hint pointing at a process that matches nothing or holds nothing: still healthy.
    for planted in [
        server.pid().to_string(),
        "1".into(),
        "999999999".into(),
        "garbage".into(),
    ] {
        std::fs::write(&hint, &planted).unwrap();
        let r = check(&client.marker, port);
        assert!(r.healthy(), "hint {planted}: {}", r.line());
    }
    // The remembered owner on another port does not make that port healthy.
    std::fs::write(&hint, client.pid().to_string()).unwrap();
    let r = check(&client.marker, free_port());
    assert!(!r.healthy(), "{}", r.line());
}

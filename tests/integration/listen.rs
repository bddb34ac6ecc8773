//! `probe listen`: TCP LISTEN and bound UDP, exact ports, side by side with kolla's
//! `healthcheck_listen` and TripleO's common.sh `healthcheck_listen`.

use crate::util::procpeers::{established, prefix_ports, side_by_side, start, SideBySide};
use crate::util::{self, free_port, procpeers};

#[test]
fn tcp_listener_ipv4_and_ipv6() {
    for host in ["127.0.0.1", "::1"] {
        let port = free_port();
        let server = start("s", "tcp-listen", &[host, &port.to_string()], None);
        let SideBySide {
            ours,
            line,
            kolla,
            tripleo,
        } = side_by_side("listen", &server.marker, port);
        assert!(ours, "{line}");
        assert!(
            line.contains("listens on") && line.contains("(tcp)"),
            "{line}"
        );
        assert!(kolla && tripleo, "the originals agree here ({host})");
    }
}

#[test]
fn client_is_not_a_listener() {
    let port = free_port();
    let (_server, client) = established("127.0.0.1", port);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("listen", &client.marker, port);
    assert!(!ours, "{line}");
    assert!(
        line.contains("does not listen on port") && line.contains("(another process does)"),
        "{line}"
    );
    assert!(!kolla && !tripleo, "the originals agree here");
}

#[test]
fn prefix_port_is_not_the_port() {
    let (short, long) = prefix_ports();
    let server = start("s", "tcp-listen", &["127.0.0.1", &long.to_string()], None);
    let SideBySide {
        ours,
        line,
        kolla,
        tripleo,
    } = side_by_side("listen", &server.marker, short);
    assert!(!ours, "{line}");
    assert!(kolla, "kolla's unanchored ':{short}' matches ':{long}'");
    assert!(!tripleo, "lsof -iTCP:{short} is exact: right here");
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
    } = side_by_side("listen", &peer.marker, port);
    assert!(ours, "{line}");
    assert!(line.contains("(udp)"), "{line}");
    assert!(kolla, "ss -lnp lists bound UDP sockets too");
    assert!(!tripleo, "TripleO's lsof -iTCP looks at TCP only");
}

#[test]
fn other_users_fds_cannot_tell() {
    let user = procpeers::test_user();
    let port = free_port();
    let server = start("s", "tcp-listen", &["127.0.0.1", &port.to_string()], None);
    let r = procpeers::run_as(
        Some(user),
        &["probe", "listen", &server.marker, &port.to_string()],
    );
    assert!(!r.healthy(), "{}", r.line());
    assert!(
        r.line().contains("cannot tell:")
            && r.line().contains("run the check as root or as that user"),
        "{}",
        r.line()
    );
}

/// Root without CAP_SYS_PTRACE (a container's default) may list another user's fd directory
/// but not read its links: the check must say "cannot tell", not "does not listen".
#[test]
fn root_without_ptrace_cannot_tell() {
    let user = procpeers::test_user();
    let port = free_port();
    let server = start(
        "s",
        "tcp-listen",
        &["127.0.0.1", &port.to_string()],
        Some(user),
    );
    let mut cmd = util::command("setpriv");
    cmd.args([
        "--inh-caps=-sys_ptrace",
        "--bounding-set=-sys_ptrace",
        "--",
        util::bin(),
    ])
    .args(["probe", "listen", &server.marker, &port.to_string()])
    .env("HEALTHCHECK_NO_HINTS", "1");
    let r = util::run_cmd(cmd);
    assert!(!r.healthy(), "{}", r.line());
    assert!(r.line().contains("cannot tell:"), "{}", r.line());
    // With the capability, root reads it and the verdict is healthy.
    let r = procpeers::run_as(
        None,
        &["probe", "listen", &server.marker, &port.to_string()],
    );
    assert!(r.healthy(), "{}", r.line());
}

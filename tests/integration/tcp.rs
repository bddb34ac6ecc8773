//! The TCP connect probe against real listeners: TCP (IPv4, IPv6), unix and abstract
//! sockets, closed ports, and a malformed address.
use crate::util::*;

use std::net::TcpListener;
use std::os::unix::net::UnixListener;

#[test]
fn accepting_listeners_are_healthy() {
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = v4.local_addr().unwrap().to_string();
    let r = run(&["probe", "tcp", &addr]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.line().contains(&format!("connected to {addr}")), "{r:?}");

    let v6 = TcpListener::bind("[::1]:0").unwrap();
    let r = run(&["probe", "tcp", &v6.local_addr().unwrap().to_string()]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn unix_and_abstract_sockets() {
    let dir = TempDir::new("tcp-unix");
    let path = dir.path().join("svc.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    let r = run(&["probe", "tcp", &format!("unix:{}", path.display())]);
    assert_eq!(r.code, 0, "{r:?}");

    use std::os::linux::net::SocketAddrExt;
    let name = format!("ohc-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let _abstract = UnixListener::bind_addr(&addr).unwrap();
    let r = run(&["probe", "tcp", &format!("@{name}")]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&["probe", "tcp", "@ohc-nobody-listens-here"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("connection refused"), "{r:?}");
}

#[test]
fn closed_port_and_bad_address_are_unhealthy() {
    let port = free_port();
    let r = run(&["probe", "tcp", &format!("127.0.0.1:{port}")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.line()
            .contains(&format!("connect to 127.0.0.1:{port}: connection refused")),
        "{r:?}"
    );
    let r = run(&["probe", "tcp", "127.0.0.1"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("has no port"), "{r:?}");
}

/// A unix stream listener with a backlog of 0 that never accepts, its queue filled: a
/// connect to it blocks. Returns the listener and the clients that fill its queue.
fn full_backlog(
    addr: &nix::sys::socket::UnixAddr,
) -> (std::os::fd::OwnedFd, Vec<std::os::fd::OwnedFd>) {
    use nix::sys::socket::{self, AddressFamily, Backlog, SockFlag, SockType};
    let stream = || {
        socket::socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .unwrap()
    };
    let listener = stream();
    socket::bind(std::os::fd::AsRawFd::as_raw_fd(&listener), addr).unwrap();
    socket::listen(&listener, Backlog::new(0).unwrap()).unwrap();
    let mut queued = Vec::new();
    loop {
        let client = socket::socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            None,
        )
        .unwrap();
        match socket::connect(std::os::fd::AsRawFd::as_raw_fd(&client), addr) {
            Ok(()) => queued.push(client),
            Err(nix::errno::Errno::EAGAIN) => break,
            Err(e) => panic!("filling the backlog: {e}"),
        }
        assert!(queued.len() < 64, "the backlog never fills");
    }
    (listener, queued)
}

#[test]
fn a_unix_listener_with_a_full_backlog_is_cut_at_the_deadline() {
    let dir = TempDir::new("tcp-backlog");
    let path = dir.path().join("stuck.sock");
    let addr = nix::sys::socket::UnixAddr::new(&path).unwrap();
    let (_listener, _queued) = full_backlog(&addr);
    let abstract_name = format!("ohc-stuck-{}", std::process::id());
    let abstract_addr = nix::sys::socket::UnixAddr::new_abstract(abstract_name.as_bytes()).unwrap();
    let (_abstract_listener, _abstract_queued) = full_backlog(&abstract_addr);
    for target in [
        format!("unix:{}", path.display()),
        format!("@{abstract_name}"),
    ] {
        let r = run(&["--timeout", "1", "probe", "tcp", &target]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(
            r.line().contains("timed out after 1.0s connecting to")
                && r.line().contains("listen backlog is full"),
            "the check itself must say why, before the watchdog: {r:?}"
        );
        assert!(r.elapsed < std::time::Duration::from_millis(2000), "{r:?}");
    }
}

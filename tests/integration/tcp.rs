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

//! A real etcd (Debian's etcd-server) for the tests: a single member on free loopback
//! ports, its data in the test's directory.

use super::servers::spawn;
use super::{free_port, http_get, wait_for, wait_tcp, Child, TempDir};
use std::time::Duration;

/// Start a single-member etcd on free loopback ports with `extra` flags; returns it and its client port.
pub fn start_etcd(dir: &TempDir, extra: &[&str]) -> (Child, u16) {
    let (client, peer) = (free_port(), free_port());
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let data = dir.path().join("etcd").display().to_string();
    let mut args = vec![
        "--data-dir",
        &data,
        "--listen-client-urls",
        &client_url,
        "--advertise-client-urls",
        &client_url,
        "--listen-peer-urls",
        &peer_url,
        "--initial-advertise-peer-urls",
        &peer_url,
    ];
    let cluster = format!("default={peer_url}");
    args.extend(["--initial-cluster", &cluster]);
    args.extend_from_slice(extra);
    let mut child = spawn("etcd", &args);
    wait_tcp("etcd", client);
    // The port opens before the member has elected itself leader; until then /health says
    // false. Wait for the server's own word (read by the test, not by the code under test).
    wait_for(
        "etcd to report itself healthy",
        Duration::from_secs(30),
        || String::from_utf8_lossy(&http_get(client, "/health").1).contains(r#""health":"true""#),
    );
    // Ours exits at once when another process holds one of its ports (free_port only
    // keeps this process from handing a port out twice): then whoever answered above is
    // not the etcd this test will stop.
    if let Ok(Some(status)) = child.0.try_wait() {
        panic!("etcd on port {client} exited ({status}): the port was taken by another process");
    }
    (child, client)
}

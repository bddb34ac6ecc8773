//! etcd and the HAProxy monitor URI against the real servers: the /health evaluation
//! today (the body fetched by the test itself), and the whole `probe etcd` / `probe
//! haproxy http://...` once `checks::http` is merged. Until then the `probe_*` tests
//! here FAIL on purpose with "not implemented yet".

use crate::util::etcd::start_etcd;
use crate::util::fake::{fake_peer, Fake};
use crate::util::probes::*;
use crate::util::servers::spawn;
use crate::util::{free_port, http_get, wait_tcp, TempDir};
use openstack_healthcheck::checks::etcd::evaluate;

/// A backend quota this small raises etcd's NOSPACE alarm at the first write,
/// after which etcd reports `{"health":"false"}` with HTTP 503.
const TINY_QUOTA: &[&str] = &["--quota-backend-bytes", "16384"];

fn raise_nospace_alarm(client: u16) {
    let status = std::process::Command::new("etcdctl")
        .args([
            "--endpoints",
            &format!("http://127.0.0.1:{client}"),
            "--command-timeout=5s",
            "put",
            "k",
            "v",
        ])
        .env("ETCDCTL_API", "3")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run etcdctl (run `make deps`)");
    assert!(
        !status.success(),
        "the put should have exceeded the tiny quota"
    );
}

#[test]
fn health_replies_of_the_real_etcd_are_judged_right() {
    let dir = TempDir::new("etcd-eval");
    let (_etcd, client) = start_etcd(&dir, &[]);
    let (status, body) = http_get(client, "/health");
    assert_eq!(
        evaluate(status, &body),
        Ok("etcd reports health true".to_string()),
        "{:?}",
        String::from_utf8_lossy(&body)
    );

    let full = TempDir::new("etcd-full");
    let (_etcd_full, full_client) = start_etcd(&full, TINY_QUOTA);
    raise_nospace_alarm(full_client);
    let (status, body) = http_get(full_client, "/health");
    let verdict = evaluate(status, &body).unwrap_err();
    assert!(verdict.contains("etcd reports unhealthy"), "{verdict}");
}

#[test]
fn probe_etcd_end_to_end() {
    let dir = TempDir::new("etcd");
    let (etcd, client) = start_etcd(&dir, &[]);
    let url = format!("http://127.0.0.1:{client}");

    expect_healthy(&["etcd", &url], "health true");
    stopped_then_gone(etcd, &["etcd", &url], "refused");

    let full = TempDir::new("etcd-full");
    let (_etcd_full, full_client) = start_etcd(&full, TINY_QUOTA);
    raise_nospace_alarm(full_client);
    expect_unhealthy(
        &["etcd", &format!("http://127.0.0.1:{full_client}")],
        "etcd reports unhealthy",
    );

    let html = fake_peer(Fake::Answers(
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<html>",
    ));
    expect_unhealthy(
        &["etcd", &format!("http://127.0.0.1:{html}")],
        "not an etcd health reply",
    );
}

#[test]
fn probe_haproxy_monitor_uri_end_to_end() {
    let dir = TempDir::new("haproxy-http");
    let (up_port, failing_port) = (free_port(), free_port());
    let config = dir.path().join("haproxy.cfg");
    let settings = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         frontend up\n    bind 127.0.0.1:{up_port}\n    monitor-uri /healthz\n\
         frontend failing\n    bind 127.0.0.1:{failing_port}\n    monitor-uri /healthz\n    monitor fail if TRUE\n"
    );
    std::fs::write(&config, settings).unwrap();
    let _haproxy = spawn("haproxy", &["-f", config.to_str().unwrap(), "-db"]);
    wait_tcp("haproxy", up_port);
    // The test's own GET shows what HAProxy answers, so a failure below is the probe's.
    assert_eq!(http_get(up_port, "/healthz").0, 200);
    assert_eq!(http_get(failing_port, "/healthz").0, 503);

    expect_healthy(
        &["haproxy", &format!("http://127.0.0.1:{up_port}/healthz")],
        "",
    );
    expect_unhealthy(
        &[
            "haproxy",
            &format!("http://127.0.0.1:{failing_port}/healthz"),
        ],
        "503",
    );
}

//! The HTTP check against real peers on loopback: scripted HTTP servers in threads
//! (statuses, chunked, garbage, silence, dripping, endless headers, proxies), Python's
//! http.server (a real process we can SIGSTOP), `openssl s_server` for HTTPS with a CA,
//! client certificates, and kolla's own `healthcheck_curl` side by side.
use crate::util;
use crate::util::fake::{serve, serve_on};
use crate::util::servers::{self, spawn_cmd};
use crate::util::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server that records each request head in the returned slot, then replies `reply`.
fn recording(reply: &'static [u8]) -> (u16, Arc<Mutex<String>>) {
    let seen = Arc::new(Mutex::new(String::new()));
    let slot = Arc::clone(&seen);
    let port = serve(move |mut c| {
        *slot.lock().unwrap() = read_head(&mut c);
        let _ = c.write_all(reply);
    });
    (port, seen)
}

/// Read a request head (up to the blank line) and return it.
fn read_head(conn: &mut TcpStream) -> String {
    let mut reader = BufReader::new(conn);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

/// Reply with `reply` after reading the request.
fn answer(mut conn: TcpStream, reply: &[u8]) {
    read_head(&mut conn);
    let _ = conn.write_all(reply);
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

fn probe(url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["probe", "http", url];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn statuses_below_400_are_healthy() {
    let ok = serve(|c| answer(c, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    let r = probe(&url(ok, "/"), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.line()
            .contains(&format!("HTTP 200 OK from 127.0.0.1:{ok} in ")),
        "{r:?}"
    );

    // A redirect passes and is not followed (its target is a closed port).
    let redirect = serve(|c| {
        answer(
            c,
            b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n",
        )
    });
    let r = probe(&url(redirect, "/"), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.line().contains("HTTP 302 Found"), "{r:?}");

    for (reply, status) in [
        (
            &b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"[..],
            "HTTP 404 Not Found",
        ),
        (
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
            "HTTP 500 Internal Server Error",
        ),
        (
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
            "HTTP 503 Service Unavailable",
        ),
    ] {
        let port = serve(move |c| answer(c, reply));
        let r = probe(&url(port, "/"), &[]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.line().ends_with(status), "{r:?}");
    }
}

#[test]
fn chunked_and_close_delimited_bodies() {
    let chunked = serve(|c| {
        answer(c, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nheal\r\n3\r\nthy\r\n0\r\n\r\n")
    });
    assert_eq!(probe(&url(chunked, "/"), &[]).code, 0);
    let until_close = serve(|c| answer(c, b"HTTP/1.0 200 OK\r\n\r\nbody until close"));
    assert_eq!(probe(&url(until_close, "/"), &[]).code, 0);
    let truncated = serve(|c| answer(c, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"));
    let r = probe(&url(truncated, "/"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("after 5 of 100 body bytes"), "{r:?}");
}

#[test]
fn request_carries_host_agent_and_path() {
    let (port, seen) = recording(b"HTTP/1.1 204 No Content\r\n\r\n");
    let r = probe(&url(port, "/healthcheck?x=1"), &["-H", "X-Probe: yes"]);
    assert_eq!(r.code, 0, "{r:?}");
    let head = seen.lock().unwrap().clone();
    assert!(
        head.starts_with("GET /healthcheck?x=1 HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!("Host: 127.0.0.1:{port}\r\n")),
        "{head}"
    );
    assert!(
        head.contains("User-Agent: curl-healthcheck\r\n") && head.contains("Connection: close\r\n"),
        "{head}"
    );
    assert!(head.contains("X-Probe: yes\r\n"), "{head}");
}

#[test]
fn ipv6_literal() {
    let port = serve_on("[::1]:0", |c| {
        answer(c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    });
    let r = probe(&format!("http://[::1]:{port}/"), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.line().contains(&format!("from [::1]:{port}")), "{r:?}");
}

#[test]
fn refused_connection_names_the_address() {
    let port = free_port();
    let r = probe(&url(port, "/"), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.line()
            .contains(&format!("connect to 127.0.0.1:{port}: connection refused")),
        "{r:?}"
    );
}

/// A peer that misbehaves in time must be cut at the deadline (`--timeout 1`).
fn assert_cut_at_deadline(port: u16, expect: &str) {
    let r = run(&["--timeout", "1", "probe", "http", &url(port, "/")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.elapsed < Duration::from_millis(2500),
        "took {:?}: {r:?}",
        r.elapsed
    );
    assert!(r.line().contains(expect), "{r:?}");
}

#[test]
fn silent_peer_times_out() {
    let port = serve(|mut c| {
        read_head(&mut c);
        std::thread::sleep(Duration::from_secs(30));
    });
    assert_cut_at_deadline(
        port,
        "timed out after 1.0s waiting for the reply (0 bytes received)",
    );
}

#[test]
fn dripping_peer_is_cut_at_the_deadline() {
    let port = serve(|mut c| {
        read_head(&mut c);
        for b in b"HTTP/1.1 200 OK\r\n"
            .iter()
            .chain(b"X-Slow: ".iter())
            .chain(std::iter::repeat(&b'z'))
        {
            if c.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert_cut_at_deadline(port, "timed out after 1.0s waiting for the reply (");
}

#[test]
fn endless_headers_and_garbage_are_refused() {
    let endless = serve(|mut c| {
        read_head(&mut c);
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\n");
        while c
            .write_all(b"X-More: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
            .is_ok()
        {}
    });
    let r = probe(&url(endless, "/"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.line().contains("reply headers longer than 16 KiB"),
        "{r:?}"
    );

    let garbage = serve(|c| answer(c, b"\x00\x01\xffSSH-2.0-garbage\r\n\r\n"));
    let r = probe(&url(garbage, "/"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("not an HTTP reply"), "{r:?}");

    let closed = serve(drop);
    let r = probe(&url(closed, "/"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
}

/// Start a real server process that will listen on 127.0.0.1:`port`, and wait
/// until it accepts; it is killed when the returned `Child` is dropped.
fn start_peer(what: &str, mut cmd: Command, port: u16) -> Child {
    let child = spawn_cmd(&mut cmd);
    wait_tcp(what, port);
    child
}

/// Python's http.server as a real process serving `dir`, on a free port.
fn python_http_server(dir: &Path) -> (Child, u16) {
    let port = free_port();
    (servers::python_http_server(dir, "127.0.0.1", port), port)
}

#[test]
fn stopped_server_times_out() {
    let dir = TempDir::new("http-stop");
    let (server, port) = python_http_server(dir.path());
    assert_eq!(
        probe(&url(port, "/"), &[]).code,
        0,
        "server answers before SIGSTOP"
    );
    let pid = nix::unistd::Pid::from_raw(server.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    // The kernel still completes the handshake (backlog): only the reply never comes.
    assert_cut_at_deadline(port, "timed out after 1.0s");
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).unwrap();
}

/// Our binary with the given environment (HEALTHCHECK_* from the caller's cleared).
fn run_env(argv0: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = command(argv0);
    cmd.args(args).envs(env.iter().copied());
    run_cmd(cmd)
}

#[test]
fn proxy_variables_are_ignored_unless_asked_for() {
    let ok = serve(|c| answer(c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    let dead = format!("http://127.0.0.1:{}", free_port());
    let proxies = [
        ("http_proxy", dead.as_str()),
        ("https_proxy", dead.as_str()),
        ("ALL_PROXY", dead.as_str()),
    ];
    let target = url(ok, "/");
    let args = ["probe", "http", target.as_str()];
    let r = run_env(Path::new(bin()), &args, &proxies);
    assert_eq!(r.code, 0, "proxy variables must be ignored: {r:?}");
    let with_proxy: Vec<_> = proxies
        .iter()
        .copied()
        .chain([("HEALTHCHECK_USE_PROXY", "1")])
        .collect();
    let r = run_env(Path::new(bin()), &args, &with_proxy);
    assert_eq!(r.code, 1, "the dead proxy must be used: {r:?}");
    assert!(r.line().contains("connection refused"), "{r:?}");
}

#[test]
fn http_proxy_gets_the_absolute_url() {
    let (proxy, seen) = recording(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let proxy_url = format!("http://127.0.0.1:{proxy}");
    let env = [
        ("http_proxy", proxy_url.as_str()),
        ("HEALTHCHECK_USE_PROXY", "1"),
    ];
    let r = run_env(
        Path::new(bin()),
        &["probe", "http", "http://service.invalid:8774/v2"],
        &env,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        seen.lock()
            .unwrap()
            .starts_with("GET http://service.invalid:8774/v2 HTTP/1.1\r\n"),
        "{seen:?}"
    );
}

/// Certificates made with openssl: a CA, a server cert for 127.0.0.1/localhost, a
/// client cert, and a second unrelated CA.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = TempDir::new("http-pki");
        util::make_test_pki(dir.path());
        Pki { dir }
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `openssl s_server -www` on a free port; `extra` adds e.g. client-cert checks.
    fn s_server(&self, extra: &[&str]) -> (Child, u16) {
        let port = free_port();
        let mut cmd = Command::new("openssl");
        cmd.args([
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "-cert",
            &self.file("server.pem"),
            "-key",
            &self.file("server.key"),
        ])
        .args(extra);
        (start_peer("openssl s_server", cmd, port), port)
    }
}

#[test]
fn https_default_is_like_curl_k_and_cacert_verifies() {
    let pki = Pki::new();
    let (_server, port) = pki.s_server(&[]);
    let https = format!("https://127.0.0.1:{port}/");
    let r = probe(&https, &[]);
    assert_eq!(
        r.code, 0,
        "self-signed chain accepted without --verify: {r:?}"
    );
    assert!(r.line().contains("HTTP 200"), "{r:?}");

    let r = probe(&https, &["--cacert", &pki.file("ca.pem")]);
    assert_eq!(r.code, 0, "verified against the right CA: {r:?}");
    let r = probe(
        &format!("https://localhost:{port}/"),
        &["--cacert", &pki.file("ca.pem")],
    );
    assert_eq!(r.code, 0, "verified by DNS name (SNI): {r:?}");

    let r = probe(&https, &["--cacert", &pki.file("other-ca.pem")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("unknown issuer"), "{r:?}");

    let r = probe(&https, &["--cacert", &pki.file("missing.pem")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("missing.pem"), "{r:?}");
}

#[test]
fn silent_peer_times_out_in_the_tls_handshake() {
    let port = serve(|c| {
        std::thread::sleep(Duration::from_secs(30));
        drop(c)
    });
    let r = run(&[
        "--timeout",
        "1",
        "probe",
        "http",
        &format!("https://127.0.0.1:{port}/"),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.elapsed < Duration::from_millis(2500), "{r:?}");
    assert!(
        r.line()
            .contains("timed out after 1.0s in the TLS handshake"),
        "{r:?}"
    );
}

#[test]
fn client_certificate_when_the_server_requires_one() {
    let pki = Pki::new();
    let (_server, port) = pki.s_server(&["-Verify", "1", "-CAfile", &pki.file("ca.pem")]);
    let https = format!("https://127.0.0.1:{port}/");
    let r = probe(&https, &[]);
    assert_eq!(r.code, 1, "no client certificate must fail: {r:?}");
    assert!(r.line().contains("requires a client certificate"), "{r:?}");
    let r = probe(
        &https,
        &[
            "--cert",
            &pki.file("client.pem"),
            "--key",
            &pki.file("client.key"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn https_through_a_connect_proxy() {
    let pki = Pki::new();
    let (_server, port) = pki.s_server(&[]);
    let asked = Arc::new(Mutex::new(String::new()));
    let slot = Arc::clone(&asked);
    let proxy = serve(move |mut client| {
        let head = read_head(&mut client);
        let authority = head
            .strip_prefix("CONNECT ")
            .and_then(|r| r.split(' ').next())
            .unwrap_or("")
            .to_string();
        *slot.lock().unwrap() = authority.clone();
        let Ok(upstream) = TcpStream::connect(&authority) else {
            return;
        };
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        relay(client, upstream);
    });
    let proxy_url = format!("http://127.0.0.1:{proxy}");
    let env = [
        ("https_proxy", proxy_url.as_str()),
        ("HEALTHCHECK_USE_PROXY", "1"),
    ];
    let target = format!("https://127.0.0.1:{port}/");
    let r = run_env(Path::new(bin()), &["probe", "http", &target], &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(*asked.lock().unwrap(), format!("127.0.0.1:{port}"));
}

/// Copy bytes both ways until either side closes.
fn relay(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let up = std::thread::spawn(move || std::io::copy(&mut a2, &mut b2));
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(std::net::Shutdown::Both);
    let _ = up.join();
}

/// `healthcheck_curl` as a symlink to our binary, in `dir`.
fn kolla_symlink(dir: &TempDir) -> std::path::PathBuf {
    link_to_bin(dir.path(), "healthcheck_curl")
}

#[test]
fn kolla_drop_in_uses_its_environment() {
    let (port, seen) = recording(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world");
    let dir = TempDir::new("http-kolla");
    let link = kolla_symlink(&dir);
    let body = dir.path().join("body");
    let target = url(port, "/");
    let env = [
        ("HEALTHCHECK_CURL_USER_AGENT", "kolla-test/1"),
        (
            "HEALTHCHECK_CURL_WRITE_OUT",
            "code=%{http_code}\\nfrom=%{remote_ip}:%{remote_port}\\n",
        ),
        ("HEALTHCHECK_CURL_OUTPUT", body.to_str().unwrap()),
    ];
    let r = run_env(&link, &[&target], &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.line(), format!("code=200 from=127.0.0.1:{port}"));
    assert_eq!(std::fs::read(&body).unwrap(), b"hello world");
    assert!(seen
        .lock()
        .unwrap()
        .contains("User-Agent: kolla-test/1\r\n"));

    // kolla-ansible's haproxy check: -u USER:PASSWORD and a URL without a scheme.
    let r = run_env(
        &link,
        &["-u", "openstack:s3cret-pw", &format!("127.0.0.1:{port}")],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(seen
        .lock()
        .unwrap()
        .contains("Authorization: Basic b3BlbnN0YWNrOnMzY3JldC1wdw==\r\n"));

    let r = run_env(&link, &["--location", &target], &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.line().contains("unsupported curl option --location"),
        "{r:?}"
    );
}

#[test]
fn kolla_max_time_bounds_the_check() {
    let silent = serve(|mut c| {
        read_head(&mut c);
        std::thread::sleep(Duration::from_secs(30));
    });
    let dir = TempDir::new("http-kolla-time");
    let r = run_env(
        &kolla_symlink(&dir),
        &[&url(silent, "/")],
        &[("HEALTHCHECK_CURL_MAX_TIME", "1")],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.elapsed < Duration::from_millis(2500), "{r:?}");
    assert!(r.line().contains("timed out after 1.0s"), "{r:?}");
}

/// kolla's real script on the same peer: its exit code and, when healthy, its
/// write-out line (without curl's blank lines).
fn kolla_original(url: &str) -> (i32, String) {
    let out = Command::new("bash")
        .arg(original("kolla/healthcheck_curl"))
        .arg(url)
        .output()
        .expect("run kolla's healthcheck_curl");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (out.status.code().unwrap_or(-1), line)
}

#[test]
fn same_verdicts_as_kollas_script() {
    let dir = TempDir::new("http-side");
    let (_python, py_port) = python_http_server(dir.path());
    let redirect = serve(|c| {
        answer(
            c,
            b"HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n",
        )
    });
    let unavailable = serve(|c| {
        answer(
            c,
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
        )
    });
    let link = kolla_symlink(&dir);
    let seconds = |line: &str, port: u16| {
        let prefix = format!("127.0.0.1:{port} ");
        let rest = line.split_once(&prefix).map(|(_, r)| r).unwrap_or("");
        rest.strip_suffix(" seconds")
            .is_some_and(|t| t.parse::<f64>().is_ok())
    };
    let cases = [
        (url(py_port, "/"), Some(py_port)),
        (url(py_port, "/missing"), None),
        (url(redirect, "/"), Some(redirect)),
        (url(unavailable, "/"), None),
        (url(free_port(), "/"), None),
    ];
    for (target, healthy_on) in cases {
        let (code, line) = kolla_original(&target);
        let ours = run_env(&link, &[&target], &[]);
        assert_eq!(
            ours.code, code,
            "verdicts differ on {target}: kolla said {line:?}, we said {ours:?}"
        );
        assert_eq!(
            code == 0,
            healthy_on.is_some(),
            "kolla's verdict on {target}: {line:?}"
        );
        if let Some(port) = healthy_on {
            let code_str = &line[..3];
            assert!(
                line.starts_with(code_str) && seconds(&line, port),
                "kolla: {line:?}"
            );
            assert!(
                ours.line().starts_with(code_str) && seconds(&ours.line(), port),
                "ours: {ours:?}"
            );
        }
    }
}

#[test]
fn dns_names_resolve_through_the_hosts_file() {
    let port = serve(|c| answer(c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    let dir = TempDir::new("http-hosts");
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 api.internal.test\n").unwrap();
    let target = format!("http://api.internal.test:{port}/");
    let r = run_env(
        Path::new(bin()),
        &["probe", "http", &target],
        &[("HEALTHCHECK_HOSTS_FILE", hosts.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{r:?}");
    // Not in hosts, and the only nameserver is silent: a clear failure inside the deadline.
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(&resolv, "nameserver 127.0.0.1\n").unwrap();
    let env = [
        ("HEALTHCHECK_HOSTS_FILE", hosts.to_str().unwrap()),
        ("HEALTHCHECK_RESOLV_CONF", resolv.to_str().unwrap()),
    ];
    let r = run_env(
        Path::new(bin()),
        &[
            "--timeout",
            "1",
            "probe",
            "http",
            "http://nowhere.internal.test/",
        ],
        &env,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.line()
            .contains("cannot resolve \"nowhere.internal.test\""),
        "{r:?}"
    );
}

#[test]
fn deadline_holds_while_the_body_stalls_or_drips() {
    // The head arrives at once, then the body stops short of its length...
    let stalled = serve(|mut c| {
        read_head(&mut c);
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
        std::thread::sleep(Duration::from_secs(30));
    });
    assert_cut_at_deadline(
        stalled,
        "timed out after 1.0s waiting for the reply (45 bytes received)",
    );
    // ...or comes one chunk of one byte every 100 ms, forever.
    let dripping = serve(|mut c| {
        read_head(&mut c);
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        while c.write_all(b"1\r\nz\r\n").is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert_cut_at_deadline(dripping, "timed out after 1.0s waiting for the reply (");
}

#[test]
fn a_body_is_read_only_up_to_64_kib() {
    // An endless body: reading it to its end would run into the deadline.
    let endless = serve(|mut c| {
        read_head(&mut c);
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
        let block = [b'x'; 8192];
        while c.write_all(&block).is_ok() {}
    });
    let dir = TempDir::new("http-big-body");
    let body = dir.path().join("body");
    let r = run_env(
        &kolla_symlink(&dir),
        &[&url(endless, "/")],
        &[
            ("HEALTHCHECK_CURL_MAX_TIME", "5"),
            ("HEALTHCHECK_CURL_OUTPUT", body.to_str().unwrap()),
            (
                "HEALTHCHECK_CURL_WRITE_OUT",
                "%{http_code} %{size_download} %{content_type}",
            ),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.line(), "200 65536 text/plain");
    assert_eq!(std::fs::read(&body).unwrap().len(), 64 * 1024);
}

#[test]
fn remote_ip_is_the_address_actually_connected_to() {
    // A name with both loopback addresses, the server listening on only one of them:
    // the first address listed is refused, the second answers, and curl's
    // %{remote_ip}:%{remote_port} (kolla's default write-out) names the second.
    let dir = TempDir::new("http-remote-ip");
    let link = kolla_symlink(&dir);
    let reply = |c| answer(c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    for (listen, hosts, expect) in [
        (
            "127.0.0.1:0",
            "::1 both.test\n127.0.0.1 both.test\n",
            "127.0.0.1",
        ),
        ("[::1]:0", "127.0.0.1 both.test\n::1 both.test\n", "::1"),
    ] {
        let port = serve_on(listen, reply);
        let hosts_file = dir.path().join("hosts");
        std::fs::write(&hosts_file, hosts).unwrap();
        let env = [("HEALTHCHECK_HOSTS_FILE", hosts_file.to_str().unwrap())];
        let target = format!("http://both.test:{port}/");
        let r = run_env(&link, &[&target], &env);
        assert_eq!(r.code, 0, "{r:?}");
        let line = r.line();
        assert!(
            line.starts_with(&format!("200 {expect}:{port} ")) && line.ends_with(" seconds"),
            "{r:?}"
        );
        let r = run_env(Path::new(bin()), &["probe", "http", &target], &env);
        assert_eq!(r.code, 0, "{r:?}");
        let shown = if expect.contains(':') {
            format!("[{expect}]:{port}")
        } else {
            format!("{expect}:{port}")
        };
        assert!(r.line().contains(&format!("from {shown} in ")), "{r:?}");
    }
}

#[test]
fn proxy_variables_are_ignored_for_https_unless_asked_for() {
    let pki = Pki::new();
    let (_server, port) = pki.s_server(&[]);
    let dead = format!("http://127.0.0.1:{}", free_port());
    // Every spelling curl or any HTTP library reads.
    let proxies: Vec<(&str, &str)> = [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ]
    .into_iter()
    .map(|name| (name, dead.as_str()))
    .collect();
    let target = format!("https://127.0.0.1:{port}/");
    let args = ["probe", "http", target.as_str()];
    let r = run_env(Path::new(bin()), &args, &proxies);
    assert_eq!(r.code, 0, "proxy variables must be ignored: {r:?}");
    assert!(
        r.line().contains(&format!("from 127.0.0.1:{port}")),
        "{r:?}"
    );
    let mut with_proxy = proxies.clone();
    with_proxy.push(("HEALTHCHECK_USE_PROXY", "1"));
    let r = run_env(Path::new(bin()), &args, &with_proxy);
    assert_eq!(r.code, 1, "the dead proxy must be used: {r:?}");
    assert!(r.line().contains("connection refused"), "{r:?}");
}

#[test]
fn interim_replies_are_skipped_and_reasons_kept_as_sent() {
    let interim = serve(|c| {
        answer(
            c,
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        )
    });
    let r = probe(&url(interim, "/"), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.line().contains("HTTP 200 OK from"), "{r:?}");
    let custom = serve(|c| {
        answer(
            c,
            b"HTTP/1.1 503 Galera Node Not Synced\r\nContent-Length: 0\r\n\r\n",
        )
    });
    let r = probe(&url(custom, "/"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.line().ends_with("HTTP 503 Galera Node Not Synced"),
        "{r:?}"
    );
}

#[test]
fn https_without_verification_accepts_any_certificate_like_curl_k() {
    // An X.509 v1 certificate (no extensions), which curl -k accepts: not verifying
    // means not parsing the certificate either.
    let dir = TempDir::new("http-v1-cert");
    let sh = "set -e; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out v1.key 2>/dev/null
openssl req -new -key v1.key -out v1.csr -subj /CN=v1 2>/dev/null
openssl x509 -req -in v1.csr -signkey v1.key -out v1.pem -days 2 2>/dev/null
openssl x509 -in v1.pem -noout -text | grep -q 'Version: 1 '";
    let made = Command::new("bash")
        .args(["-c", sh])
        .current_dir(dir.path())
        .status()
        .expect("run openssl");
    assert!(
        made.success(),
        "making a v1 certificate with openssl failed"
    );
    let port = free_port();
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-cert", "v1.pem", "-key", "v1.key"])
        .current_dir(dir.path());
    let _server = start_peer("openssl s_server (v1 certificate)", cmd, port);
    let https = format!("https://127.0.0.1:{port}/");
    let r = probe(&https, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.line().contains("HTTP 200"), "{r:?}");
    // Asked to verify, the same certificate is refused (it is no CA's).
    let r = probe(
        &https,
        &["--cacert", dir.path().join("v1.pem").to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("TLS handshake failed"), "{r:?}");
}

#[test]
fn caller_headers_replace_the_defaults() {
    let (port, seen) = recording(b"HTTP/1.1 204 No Content\r\n\r\n");
    let r = probe(
        &url(port, "/"),
        &["-H", "Host: api.example", "-H", "user-agent: mine"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let head = seen.lock().unwrap().to_ascii_lowercase();
    assert_eq!(head.matches("host:").count(), 1, "{head}");
    assert!(head.contains("host: api.example\r\n"), "{head}");
    assert_eq!(head.matches("user-agent:").count(), 1, "{head}");
    assert!(head.contains("user-agent: mine\r\n"), "{head}");
}

/// curl (as the originals run it: `-g -k -q -s -S --fail`) on `url` with `env`: its
/// exit code.
fn curl_exit(url: &str, extra: &[&str], env: &[(&str, &str)]) -> i32 {
    let mut cmd = Command::new("curl");
    cmd.args(["-g", "-k", "-q", "-s", "-S", "--fail", "-o", "/dev/null"])
        .args(["--max-time", "5"])
        .args(extra)
        .arg(url);
    for (k, _) in std::env::vars() {
        if k.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run curl").status.code().unwrap_or(-1)
}

#[test]
fn interim_replies_and_folded_headers_read_as_curl_reads_them() {
    let cases: &[(&[u8], bool, &str)] = &[
        (
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
              HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Fine\r\nContent-Length: 2\r\n\r\nok",
            true,
            "HTTP 200 Fine from",
        ),
        (
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 503 Down\r\nContent-Length: 0\r\n\r\n",
            false,
            "HTTP 503 Down",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\n\tthird\r\nContent-Length: 0\r\n\r\n",
            true,
            "HTTP 200 OK from",
        ),
        (
            b"HTTP/1.0 100 Continue\n\nHTTP/1.0 204 No Content\nX-A: a\n b\n\n",
            true,
            "HTTP 204 No Content from",
        ),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
            false,
            "HTTP 404 Not Found",
        ),
    ];
    for (reply, healthy, says) in cases {
        let reply: &'static [u8] = reply;
        let port = serve(move |c| answer(c, reply));
        let target = url(port, "/");
        let curl = curl_exit(&target, &[], &[]);
        let r = probe(&target, &[]);
        assert_eq!(
            curl == 0,
            *healthy,
            "curl on {:?}",
            String::from_utf8_lossy(reply)
        );
        assert_eq!(r.healthy(), *healthy, "{r:?}");
        assert!(r.line().contains(says), "{r:?}");
    }
    // An endless stream of interim replies is bounded like an endless head.
    let endless = serve(|mut c| {
        read_head(&mut c);
        while c.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_ok() {}
    });
    let r = probe(&url(endless, "/"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.line().contains("reply headers longer than 16 KiB"),
        "{r:?}"
    );
}

/// The request heads a recording server saw, one per connection.
fn recording_all(reply: &'static [u8]) -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let slot = Arc::clone(&seen);
    let port = serve(move |mut c| {
        let head = read_head(&mut c);
        slot.lock().unwrap().push(head);
        let _ = c.write_all(reply);
    });
    (port, seen)
}

fn header_of(head: &str, name: &str) -> Option<String> {
    head.lines()
        .find(|l| {
            l.split_once(':')
                .is_some_and(|(k, _)| k.eq_ignore_ascii_case(name))
        })
        .map(|l| l.trim_end().to_string())
}

#[test]
fn url_credentials_are_percent_decoded_like_curl() {
    let (port, seen) = recording_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    for userinfo in [
        "us%40er:p%3Ass",
        "user",
        "us%3Aer:pw",
        ":pw",
        "u:",
        "plain:pw%2Fx%zz",
    ] {
        let target = format!("http://{userinfo}@127.0.0.1:{port}/");
        assert_eq!(curl_exit(&target, &[], &[]), 0, "curl on {target}");
        let r = probe(&target, &[]);
        assert_eq!(r.code, 0, "{r:?}");
        let heads = seen.lock().unwrap().clone();
        let (curl, ours) = (&heads[heads.len() - 2], &heads[heads.len() - 1]);
        assert_eq!(
            header_of(ours, "authorization"),
            header_of(curl, "authorization"),
            "{userinfo}"
        );
        assert!(header_of(ours, "authorization").is_some(), "{userinfo}");
    }
}

#[test]
fn ipv6_zone_identifiers_like_curl() {
    let (port, seen) = {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let slot = Arc::clone(&seen);
        let port = serve_on("[::1]:0", move |mut c| {
            slot.lock().unwrap().push(read_head(&mut c));
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        });
        (port, seen)
    };
    for target in [
        format!("http://[::1%25lo]:{port}/"),
        format!("http://[::1%lo]:{port}/"),
    ] {
        assert_eq!(curl_exit(&target, &[], &[]), 0, "curl on {target}");
        let r = probe(&target, &[]);
        assert_eq!(r.code, 0, "{r:?}");
        let heads = seen.lock().unwrap().clone();
        let (curl, ours) = (&heads[heads.len() - 2], &heads[heads.len() - 1]);
        assert_eq!(header_of(ours, "host"), header_of(curl, "host"), "{target}");
        assert_eq!(
            header_of(ours, "host").unwrap(),
            format!("Host: [::1]:{port}")
        );
    }
    let r = probe(&format!("http://[::1%25nosuchif0]:{port}/"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("no network interface"), "{r:?}");
    let r = run(&["probe", "tcp", &format!("[::1%lo]:{port}")]);
    assert_eq!(r.code, 0, "{r:?}");

    // A link-local address on an interface named eth0, in a network namespace of its
    // own (a veth pair): fe80::1%eth0 as curl and we reach it.
    let script = format!(
        r#"set -e
ip link set lo up
ip link add eth0 type veth peer name eth1
ip link set eth0 up; ip link set eth1 up
ip -6 addr add fe80::1/64 dev eth0 nodad
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.bind(("fe80::1", 0, 0, socket.if_nametoindex("eth0"))); s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); c.close()
' > port &
while [ ! -s port ]; do sleep 0.05; done
port=$(cat port)
for url in "http://[fe80::1%25eth0]:$port/" "http://[fe80::1%eth0]:$port/"; do
  curl -g -sS -o /dev/null --max-time 5 "$url" && echo "curl ok" || echo "curl failed"
  {bin} probe http "$url" || true
done
{bin} probe http "http://[fe80::1]:$port/" || true
kill %1"#,
        bin = bin()
    );
    let dir = TempDir::new("http-zone");
    let out = Command::new("unshare")
        .args(["--net", "bash", "-c", &script])
        .current_dir(dir.path())
        .output()
        .expect("run unshare (util-linux)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    for pair in lines[..4].chunks(2) {
        assert_eq!(pair[0], "curl ok", "{text}");
        assert!(pair[1].starts_with("healthy: http "), "{text}");
    }
    // Without the zone a link-local address is not reachable (EINVAL from connect).
    assert!(lines[4].starts_with("unhealthy: http "), "{text}");
}

#[test]
fn no_proxy_entries_as_curl_takes_them() {
    let (proxy, proxied) = recording_all(b"HTTP/1.1 299 Proxied\r\nContent-Length: 0\r\n\r\n");
    let direct4 = serve(|c| answer(c, b"HTTP/1.1 200 Direct\r\nContent-Length: 0\r\n\r\n"));
    let direct6 = serve_on("[::1]:0", |c| {
        answer(c, b"HTTP/1.1 200 Direct\r\nContent-Length: 0\r\n\r\n")
    });
    let proxy_url = format!("http://127.0.0.1:{proxy}");
    let v4 = format!("http://127.0.0.1:{direct4}/");
    let v6 = format!("http://[::1]:{direct6}/");
    let name = format!("http://localhost:{direct4}/");
    // (no_proxy, target, bypassed) — curl 7.88 agrees on every row but the IPv6 CIDR
    // ones (it compares IPv6 entries as text), checked separately below.
    let cases: &[(&str, &str, bool)] = &[
        ("127.0.0.0/8", &v4, true),
        ("10.0.0.0/8", &v4, false),
        ("127.0.0.1/32", &v4, true),
        ("127.0.0.2/31", &v4, false),
        ("127.0.0.0/33", &v4, false),
        ("foo 127.0.0.1", &v4, true),
        ("foo, 127.0.0.1", &v4, true),
        ("127.0.0.0/8", &name, false),
        ("localhost", &name, true),
        (".localhost", &name, true),
        ("LOCALHOST", &name, true),
        ("host", &name, false),
        ("::1", &v6, true),
        ("127.0.0.1", &v6, false),
        ("*", &v4, true),
        ("*", &v6, true),
        ("foo,*", &v4, false),
    ];
    for (no_proxy, target, bypassed) in cases {
        for var in ["no_proxy", "NO_PROXY"] {
            let env = [("http_proxy", proxy_url.as_str()), (var, no_proxy)];
            let curl = curl_exit(target, &["-w", ""], &env);
            let before = proxied.lock().unwrap().len();
            let mut ours_env = env.to_vec();
            ours_env.push(("HEALTHCHECK_USE_PROXY", "1"));
            let r = run_env(Path::new(bin()), &["probe", "http", target], &ours_env);
            let went_through_proxy = proxied.lock().unwrap().len() > before;
            assert_eq!(r.code, 0, "{var}={no_proxy} {target}: {r:?}");
            assert_eq!(
                !went_through_proxy, *bypassed,
                "{var}={no_proxy} {target}: {r:?}"
            );
            assert_eq!(
                r.line().contains("HTTP 200 Direct"),
                *bypassed,
                "{var}={no_proxy} {target}: {r:?}"
            );
            assert_eq!(curl, 0, "curl with {var}={no_proxy} {target}");
        }
    }
    // curl's own verdict on the same rows: which way it went shows in what it was
    // answered (299 from the proxy, 200 directly).
    let curl_bypassed = |no_proxy: &str, target: &str| {
        let out = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "5",
                target,
            ])
            .env("http_proxy", &proxy_url)
            .env("no_proxy", no_proxy)
            .output()
            .expect("run curl");
        String::from_utf8_lossy(&out.stdout) == "200"
    };
    for (no_proxy, target, bypassed) in cases {
        assert_eq!(
            curl_bypassed(no_proxy, target),
            *bypassed,
            "curl: {no_proxy} {target}"
        );
    }
    // IPv6 CIDR blocks, as curl documents them.
    for (no_proxy, bypassed) in [("::1/128", true), ("::/0", false), ("fe80::/10", false)] {
        let env = [
            ("http_proxy", proxy_url.as_str()),
            ("no_proxy", no_proxy),
            ("HEALTHCHECK_USE_PROXY", "1"),
        ];
        let r = run_env(Path::new(bin()), &["probe", "http", &v6], &env);
        assert_eq!(
            r.line().contains("HTTP 200 Direct"),
            bypassed,
            "{no_proxy}: {r:?}"
        );
    }
}

#[test]
fn max_time_zero_means_no_limit_of_its_own() {
    // Answers after 1.5 s: within the default deadline, beyond a 1 s one.
    let slow = serve(|mut c| {
        read_head(&mut c);
        std::thread::sleep(Duration::from_millis(1500));
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    let target = url(slow, "/");
    let dir = TempDir::new("http-max-time-0");
    let link = kolla_symlink(&dir);
    for (env, args, healthy) in [
        (vec![("HEALTHCHECK_CURL_MAX_TIME", "0")], vec![], true),
        (vec![("HEALTHCHECK_CURL_MAX_TIME", "1")], vec![], false),
        (vec![], vec!["--max-time", "0"], true),
        (vec![], vec!["-m", "1"], false),
        (vec![("HEALTHCHECK_CURL_MAX_TIME", "172800")], vec![], true),
    ] {
        let mut argv: Vec<&str> = args.clone();
        argv.push(&target);
        let r = run_env(&link, &argv, &env);
        assert_eq!(r.healthy(), healthy, "{env:?} {args:?}: {r:?}");
        let r = run_env(Path::new(bin()), &["probe", "http", &target], &env);
        if args.is_empty() {
            assert_eq!(r.healthy(), healthy, "probe with {env:?}: {r:?}");
        }
    }
    // No limit of its own still means the check's deadline.
    let silent = serve(|mut c| {
        read_head(&mut c);
        std::thread::sleep(Duration::from_secs(30));
    });
    let r = run_env(
        &link,
        &["--max-time", "0", &url(silent, "/")],
        &[
            ("HEALTHCHECK_CURL_MAX_TIME", "0"),
            ("HEALTHCHECK_TIMEOUT", "1"),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().contains("timed out after 1.0s"), "{r:?}");
    assert!(r.elapsed < Duration::from_millis(2500), "{r:?}");
}

/// Certificates curl -k takes and webpki would not all parse: X.509 v1 (EC and RSA),
/// expired, for another name, self-signed; made with openssl in `dir`.
fn odd_certificates(dir: &Path) {
    let sh = r#"set -e
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out ec.key 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
for k in ec rsa; do
  openssl req -new -key $k.key -subj /CN=v1$k -out v1$k.csr 2>/dev/null
  openssl x509 -req -in v1$k.csr -signkey $k.key -days 2 -out v1$k.pem 2>/dev/null
  openssl x509 -in v1$k.pem -noout -text | grep -q 'Version: 1 '
done
mkdir -p ca && touch ca/index.txt && echo 01 > ca/serial
printf '[ca]\ndefault_ca=d\n[d]\ndir=./ca\ndatabase=$dir/index.txt\nserial=$dir/serial\nnew_certs_dir=$dir\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n[v3]\nbasicConstraints=CA:FALSE\n' > ca.cnf
openssl req -new -key ec.key -subj /CN=expired -out expired.csr 2>/dev/null
openssl ca -batch -config ca.cnf -selfsign -keyfile ec.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z -extensions v3 2>/dev/null
openssl req -x509 -new -key ec.key -subj /CN=elsewhere.example \
  -addext subjectAltName=DNS:elsewhere.example -days 2 -out wrongname.pem 2>/dev/null"#;
    let made = Command::new("bash")
        .args(["-c", sh])
        .current_dir(dir)
        .status()
        .expect("run openssl");
    assert!(
        made.success(),
        "making test certificates with openssl failed"
    );
}

#[test]
fn without_verification_any_certificate_curl_k_takes_server_or_client() {
    let dir = TempDir::new("http-odd-certs");
    odd_certificates(dir.path());
    let file = |name: &str| dir.path().join(name).display().to_string();
    let s_server = |extra: &[String]| {
        let port = free_port();
        let mut cmd = Command::new("openssl");
        cmd.args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(extra);
        (start_peer("openssl s_server", cmd, port), port)
    };
    let server_certs = [
        ("v1ec.pem", "ec.key", None),
        ("v1rsa.pem", "rsa.key", None),
        ("v1rsa.pem", "rsa.key", Some("-tls1_2")),
        ("v1ec.pem", "ec.key", Some("-tls1_2")),
        ("expired.pem", "ec.key", None),
        ("wrongname.pem", "ec.key", None),
    ];
    for (cert, key, version) in server_certs {
        let mut args = vec!["-cert".to_string(), file(cert), "-key".into(), file(key)];
        args.extend(version.map(String::from));
        let (_server, port) = s_server(&args);
        let https = format!("https://127.0.0.1:{port}/");
        assert_eq!(
            curl_exit(&https, &[], &[]),
            0,
            "curl -k with {cert} {version:?}"
        );
        let r = probe(&https, &[]);
        assert_eq!(r.code, 0, "{cert} {version:?}: {r:?}");
        // The other TLS client, AMQP's: the handshake passes, and the peer, which is no
        // broker, never sends Connection.Start.
        let r = run(&[
            "--timeout",
            "1",
            "probe",
            "amqp",
            "--tls",
            &format!("127.0.0.1:{port}"),
        ]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(
            r.line().contains("waiting for Connection.Start"),
            "{cert} {version:?}: {r:?}"
        );
        // Asked to verify, the certificate is refused (it is no CA's).
        let r = probe(&https, &["--cacert", &file("v1ec.pem")]);
        assert_eq!(r.code, 1, "{cert}: {r:?}");
        assert!(r.line().contains("TLS handshake failed"), "{cert}: {r:?}");
    }
    // An X.509 v1 client certificate, required and verified by the server.
    for (client, key) in [("v1rsa.pem", "rsa.key"), ("v1ec.pem", "ec.key")] {
        let (_server, port) = s_server(&[
            "-cert".into(),
            file("wrongname.pem"),
            "-key".into(),
            file("ec.key"),
            "-Verify".into(),
            "1".into(),
            "-verify_return_error".into(),
            "-CAfile".into(),
            file(client),
        ]);
        let https = format!("https://127.0.0.1:{port}/");
        let as_client = ["--cert", &file(client), "--key", &file(key)];
        assert_eq!(curl_exit(&https, &as_client, &[]), 0, "curl with {client}");
        let r = probe(&https, &as_client);
        assert_eq!(r.code, 0, "{client}: {r:?}");
        let r = probe(&https, &[]);
        assert_eq!(r.code, 1, "no client certificate: {r:?}");
        let r = run(&[
            "--timeout",
            "1",
            "probe",
            "amqp",
            "--tls",
            &format!("127.0.0.1:{port}"),
            "--cert",
            &file(client),
            "--key",
            &file(key),
        ]);
        assert!(r.line().contains("waiting for Connection.Start"), "{r:?}");
        // A key that is not the certificate's: one clear line before connecting.
        let other = if key == "ec.key" { "rsa.key" } else { "ec.key" };
        let r = probe(&https, &["--cert", &file(client), "--key", &file(other)]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.line().contains("does not belong to the key"), "{r:?}");
    }
}

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

//! Helpers for the small-protocol probe tests: start a real server from a Debian
//! package in a temp dir, pause it, and run fake peers that answer garbage.
#![allow(dead_code)]

use super::{self as util, wait_for, Child, Run, TempDir};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long a server may take to start before the test fails.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// The probe budget in the stopped-peer cases, and the margin its verdict may take beyond it.
pub const STOPPED_BUDGET: &str = "1";
pub const VERDICT_MARGIN: Duration = Duration::from_secs(2);

/// Start `program ARGS` with output discarded; panics (failing the test) if it cannot start.
pub fn spawn(program: &str, args: &[&str]) -> Child {
    spawn_cmd(Command::new(program).args(args))
}

pub fn spawn_cmd(cmd: &mut Command) -> Child {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?} (run `make deps`): {e}"));
    Child(child)
}

/// Wait until a TCP port on loopback accepts connections.
pub fn wait_tcp(what: &str, port: u16) {
    wait_for(what, START_TIMEOUT, || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

/// Wait until a unix socket exists and accepts connections.
pub fn wait_unix(what: &str, path: &Path) {
    wait_for(what, START_TIMEOUT, || {
        std::os::unix::net::UnixStream::connect(path).is_ok()
    });
}

/// Pause the server (SIGSTOP): the kernel still accepts connections, nobody answers.
pub fn pause(child: &Child) {
    let pid = nix::unistd::Pid::from_raw(child.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).expect("SIGSTOP the server");
}

/// Kill the server and wait until it is gone.
pub fn stop(mut child: Child) {
    let _ = child.0.kill();
    let _ = child.0.wait();
}

/// A fake peer on a loopback port: every connection gets `reply` then a close,
/// or, with `None`, an endless stream of junk.
pub fn fake_peer(reply: Option<&'static [u8]>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || serve_junk(conn, reply));
        }
    });
    port
}

fn serve_junk(mut conn: TcpStream, reply: Option<&'static [u8]>) {
    conn.set_read_timeout(Some(Duration::from_millis(200))).ok();
    let _ = conn.read(&mut [0u8; 4096]);
    match reply {
        Some(bytes) => {
            let _ = conn.write_all(bytes);
        }
        None => {
            let junk = [b'x'; 8192];
            while conn.write_all(&junk).is_ok() {}
        }
    }
}

/// Junk a probe may meet instead of its server.
pub const HTTP_REPLY: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
pub const BINARY_JUNK: &[u8] = b"\x00\xff\xfe\x13\x37 not this protocol\r\n\r\n";

/// Run the probe against fake peers (HTTP, binary junk, endless data): each must be
/// unhealthy, with a one-line reason, within the deadline.
pub fn rejects_fake_peers(kind: &str, address: impl Fn(u16) -> String) {
    for (what, reply) in [
        ("HTTP", Some(HTTP_REPLY)),
        ("binary junk", Some(BINARY_JUNK)),
        ("endless data", None),
    ] {
        let port = fake_peer(reply);
        let run = util::run(&["--timeout", "3", "probe", kind, &address(port)]);
        assert!(
            !run.healthy(),
            "{kind} against {what} must be unhealthy: {run:?}"
        );
        assert!(
            !run.line().contains("timed out"),
            "{kind} must see {what} is not its protocol, not wait: {run:?}"
        );
    }
}

/// Probe a paused server: unhealthy, saying it timed out, within the budget.
pub fn times_out(args: &[&str]) -> Run {
    let mut all = vec!["--timeout", STOPPED_BUDGET, "probe"];
    all.extend_from_slice(args);
    let run = util::run(&all);
    assert!(
        !run.healthy(),
        "a stopped server must be unhealthy: {run:?}"
    );
    assert!(
        run.line().contains("timed out"),
        "reason must say it timed out: {run:?}"
    );
    assert!(
        run.elapsed < Duration::from_secs(1) + VERDICT_MARGIN,
        "verdict past the deadline: {run:?}"
    );
    run
}

/// `probe ARGS...` must be healthy and say `says`.
pub fn expect_healthy(args: &[&str], says: &str) -> Run {
    let run = probe(args);
    assert!(
        run.healthy() && run.line().contains(says),
        "expected healthy, saying {says:?}: {run:?}"
    );
    run
}

/// `probe ARGS...` must be unhealthy and say `says`.
pub fn expect_unhealthy(args: &[&str], says: &str) -> Run {
    let run = probe(args);
    assert!(
        !run.healthy() && run.line().contains(says),
        "expected unhealthy, saying {says:?}: {run:?}"
    );
    run
}

fn probe(args: &[&str]) -> Run {
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    util::run(&all)
}

/// Pause the server: the probe times out within its budget; kill it: the probe says `gone_says`.
pub fn stopped_then_gone(server: Child, args: &[&str], gone_says: &str) {
    pause(&server);
    times_out(args);
    stop(server);
    expect_unhealthy(args, gone_says);
}

/// Run the binary with HEALTHCHECK_DEBUG=1 (the trace goes to stderr, still one line allowed
/// for the verdict; the secret must appear nowhere).
pub fn run_debug(args: &[&str]) -> Run {
    let mut cmd = Command::new(util::bin());
    cmd.args(args).env("HEALTHCHECK_DEBUG", "1");
    let out = cmd.output().expect("run openstack-healthcheck");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: Duration::ZERO,
    }
}

/// A file holding `secret` in `dir`.
pub fn secret_file(dir: &TempDir, name: &str, secret: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    path.display().to_string()
}

/// A plain HTTP/1.0 GET from the test itself (independent of the code under test):
/// the status and the body.
pub fn http_get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect for GET");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(conn, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).expect("read the HTTP reply");
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP header end");
    let status = String::from_utf8_lossy(&reply[9..12])
        .parse()
        .expect("HTTP status");
    (status, reply[split + 4..].to_vec())
}

/// Start a single-member etcd on free loopback ports with `extra` flags; returns it and its client port.
pub fn start_etcd(dir: &TempDir, extra: &[&str]) -> (Child, u16) {
    let (client, peer) = (util::free_port(), util::free_port());
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
    let child = spawn("etcd", &args);
    wait_tcp("etcd", client);
    // The port opens before the member has elected itself leader; until then /health says
    // false. Wait for the server's own word (read by the test, not by the code under test).
    util::wait_for(
        "etcd to report itself healthy",
        Duration::from_secs(30),
        || String::from_utf8_lossy(&http_get(client, "/health").1).contains(r#""health":"true""#),
    );
    (child, client)
}

/// libvirtd in session mode as nobody (no /dev/kvm, no libvirt-qemu user, no system
/// paths needed), its configuration in `dir`, its socket `runtime/libvirt-sock`, `home`
/// its HOME; returns once the socket answers.
pub fn start_session_libvirtd(dir: &Path, runtime: &Path, home: &Path) -> Child {
    for d in [runtime, home] {
        std::fs::create_dir_all(d).unwrap();
        nix::unistd::chown(d, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    }
    let config = dir.join("libvirtd.conf");
    let settings = format!(
        "unix_sock_dir = \"{}\"\nauth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n",
        runtime.display()
    );
    std::fs::write(&config, settings).unwrap();
    let server = spawn_cmd(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "libvirtd",
                "--timeout",
                "0",
                "--config",
            ])
            .arg(&config)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", home)
            .env("XDG_RUNTIME_DIR", runtime),
    );
    wait_unix("libvirtd socket", &runtime.join("libvirt-sock"));
    server
}

//! Shared helpers for the integration tests: run the real binary, find free ports, make
//! temporary directories, wait for peers. Every test that needs a server starts it and fails
//! loudly if it cannot.
//!
//! All the tests run as threads of one process, so what one test sets up must not leak into
//! another's:
//! - temporary directories ([`TempDir`], [`servers::scratch_dir`]) are unique per call, not
//!   just per process;
//! - [`free_port`] never hands out the same port twice in this process;
//! - the binary's environment is set on its `Command` ([`command`]), never with
//!   `std::env::set_var` in this process, which would race with every test running beside it;
//!   no test changes the working directory either;
//! - servers belong to one test ([`Child`], killed when dropped) or, where the tests of a
//!   module share one because it takes seconds to start, to the process
//!   ([`servers::spawn_server`], killed at exit).

pub mod etcd;
pub mod fake;
pub mod libvirtd;
pub mod mariadb;
pub mod ovsdb;
pub mod probes;
pub mod procpeers;
pub mod rabbitmq;
pub mod servers;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where tests/setup/install.sh unpacks the original scripts (TripleO's and kolla's).
pub const ORIGINALS: &str = "/var/cache/openstack-healthcheck/originals";

/// The original script or file at `path` under [`ORIGINALS`]; fails the test, saying how
/// to install them, when it is missing.
pub fn original(path: &str) -> String {
    let full = format!("{ORIGINALS}/{path}");
    assert!(
        Path::new(&full).exists(),
        "{full} missing: run `bash tests/setup/install.sh`"
    );
    full
}

/// How long a server may take to start before the test fails.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The binary under test (built by cargo for the integration tests).
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_openstack-healthcheck")
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn healthy(&self) -> bool {
        self.code == 0
    }
    /// All output, which the contract says is at most one line.
    pub fn line(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
            .trim_end()
            .to_string()
    }
}

/// `program` (the binary, a link to it, or a wrapper such as setpriv that execs it) without
/// the HEALTHCHECK_* and proxy variables `cargo test` was started with: a run's environment
/// is what its test sets on the returned command.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy().to_ascii_lowercase();
        if name.starts_with("healthcheck_") || name.ends_with("_proxy") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Run `cmd` and check the output contract: exit 0 or 1, at most one line of at most 500 bytes.
pub fn run_cmd(mut cmd: Command) -> Run {
    let run = run_unchecked(&mut cmd);
    assert!(
        run.code == 0 || run.code == 1,
        "exit code must be 0 or 1: {run:?}"
    );
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.trim_end().lines().count() <= 1,
        "more than one line of output: {run:?}"
    );
    assert!(all.len() <= 501, "output longer than 500 bytes: {run:?}");
    run
}

fn run_unchecked(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run openstack-healthcheck");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// Run `openstack-healthcheck ARGS...` (see [`command`] for its environment).
pub fn run(args: &[&str]) -> Run {
    let mut cmd = command(bin());
    cmd.args(args);
    run_cmd(cmd)
}

/// Run the binary with HEALTHCHECK_DEBUG=1. The traces go to stderr, so the output is
/// several lines and the one-line contract is not checked; what is checked is that no
/// secret appears in it.
pub fn run_debug(args: &[&str]) -> Run {
    let mut cmd = command(bin());
    cmd.args(args).env("HEALTHCHECK_DEBUG", "1");
    run_unchecked(&mut cmd)
}

pub fn assert_healthy(r: &Run, needle: &str) {
    assert!(
        r.healthy() && r.line().contains(needle),
        "expected healthy with {needle:?}: {r:?}"
    );
}

pub fn assert_unhealthy(r: &Run, needle: &str) {
    assert!(
        !r.healthy() && r.line().contains(needle),
        "expected unhealthy with {needle:?}: {r:?}"
    );
}

/// Ports [`free_port`] (and [`procpeers::prefix_ports`]) handed out in this process.
static CLAIMED_PORTS: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// Whether `port` was not handed out yet in this process (and is now).
fn claim_port(port: u16) -> bool {
    CLAIMED_PORTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(port)
}

/// Whether nothing listens on `port` of 127.0.0.1, nor of ::1 where the host has IPv6.
fn port_is_free(port: u16) -> bool {
    // Any error but "in use" means the host has no ::1 to listen on.
    let v6_free = match TcpListener::bind(("::1", port)) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::AddrInUse,
    };
    v6_free && TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A TCP port on which nothing listens now, on 127.0.0.1 and ::1 (bound then released, so
/// another process may still take it; another test of this process never gets it).
///
/// The port comes from below the kernel's ephemeral range when there is room: a port of
/// that range can be taken between our check and the server's bind by any outgoing
/// connection (another test's client, a server's own peer link), which made clustered
/// servers (Galera's IST listener) fail to bind now and then.
pub fn free_port() -> u16 {
    const LOWEST: u32 = 10_000;
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let span = ephemeral_low.saturating_sub(LOWEST);
    if span > 0 {
        // Start somewhere of this process's own, so two test runs rarely walk the same ports.
        let start = std::process::id().wrapping_mul(7919) % span;
        for i in 0..span {
            let port = (LOWEST + (start + i) % span) as u16;
            if port_is_free(port) && claim_port(port) {
                return port;
            }
        }
    }
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port_is_free(port) && claim_port(port) {
            return port;
        }
    }
}

/// The first of `ports` on which nothing listens now and that this process has not handed
/// out yet, for a service that must listen on a port of its own range.
pub fn free_port_among(ports: impl IntoIterator<Item = u16>) -> Option<u16> {
    ports
        .into_iter()
        .find(|&port| port_is_free(port) && claim_port(port))
}

/// Poll `probe` every `every` until it holds (true) or `timeout` passes (false).
pub fn poll(timeout: Duration, every: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if probe() {
            return true;
        }
        std::thread::sleep(every);
    }
    false
}

/// Wait until `probe` returns true or `timeout` passes; panics with `what` on timeout.
pub fn wait_for(what: &str, timeout: Duration, probe: impl FnMut() -> bool) {
    if !poll(timeout, Duration::from_millis(50), probe) {
        panic!("timed out after {timeout:?} waiting for {what}");
    }
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

/// A path under the temporary directory that no other call of this process gets:
/// `ohc-TAG-PID-N`, removed first should a dead process have left it.
pub fn unique_temp_path(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("ohc-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    path
}

/// A fresh temporary directory for one test, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = unique_temp_path(tag);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Our binary as `dir/name` (a symlink; `dir` is created, an existing link reused): the
/// binary picks its check from the name, as images install kolla's and TripleO's names.
pub fn link_to_bin(dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let link = dir.join(name);
    if !link.exists() {
        std::os::unix::fs::symlink(bin(), &link).unwrap();
    }
    link
}

/// A child process killed (and reaped) when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A file (mode 0600) holding `text`.
pub fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A secret file `dir/name` (mode 0600, one line holding `secret`); returns its path.
pub fn secret_file(dir: &Path, name: &str, secret: &str) -> String {
    let path = dir.join(name);
    write_private(&path, &format!("{secret}\n"));
    path.to_string_lossy().into_owned()
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

/// Certificates made with openssl in `dir`: a CA (`ca.pem`/`ca.key`), a server
/// certificate for 127.0.0.1/::1/localhost signed by it (`server.pem`/`server.key`),
/// a client certificate (`client.pem`/`client.key`), and an unrelated second CA
/// (`other-ca.pem`). Fails loudly when openssl is missing or fails.
pub fn make_test_pki(dir: &Path) {
    let sh = format!(
        r#"set -e; cd {dir}
key() {{ openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out $1.key 2>/dev/null; }}
ca() {{ key $1; openssl req -x509 -new -key $1.key -out $1.pem -days 2 -subj /CN=$1 2>/dev/null; }}
leaf() {{ key $1; openssl req -new -key $1.key -out $1.csr -subj /CN=$1 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=%s\n' $2 > $1.ext
  openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $1.pem -days 2 -extfile $1.ext 2>/dev/null; }}
ca ca; ca other-ca; leaf server serverAuth; leaf client clientAuth"#,
        dir = dir.display()
    );
    let st = Command::new("bash")
        .args(["-c", &sh])
        .status()
        .expect("run openssl (install openssl)");
    assert!(st.success(), "making test certificates with openssl failed");
}

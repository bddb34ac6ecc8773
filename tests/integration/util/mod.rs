//! Shared helpers for the integration tests: run the real binary, find free ports,
//! start peers. Every test that needs a server starts it and fails loudly if it cannot.
#![allow(dead_code)]

pub mod mariadb;
pub mod probes;
pub mod procpeers;
pub mod rabbitmq;
pub mod servers;

use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

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

pub fn run_cmd(mut cmd: Command) -> Run {
    let start = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run openstack-healthcheck");
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed: start.elapsed(),
    };
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

/// Run `openstack-healthcheck ARGS...` with a clean environment for the HEALTHCHECK_* variables.
pub fn run(args: &[&str]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("HEALTHCHECK_") {
            cmd.env_remove(k);
        }
    }
    run_cmd(cmd)
}

/// A free TCP port on loopback (bound then released; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Wait until `probe` returns true or `timeout` passes; panics with `what` on timeout.
pub fn wait_for(what: &str, timeout: Duration, mut probe: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if probe() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// A fresh temporary directory, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("ohc-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Certificates made with openssl in `dir`: a CA (`ca.pem`/`ca.key`), a server
/// certificate for 127.0.0.1/::1/localhost signed by it (`server.pem`/`server.key`),
/// a client certificate (`client.pem`/`client.key`), and an unrelated second CA
/// (`other-ca.pem`). Fails loudly when openssl is missing or fails.
pub fn make_test_pki(dir: &std::path::Path) {
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

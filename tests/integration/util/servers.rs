//! Helpers for the protocol-probe tests that start real servers (MariaDB, RabbitMQ):
//! servers shared by every test of one binary and stopped when it exits, fake peers
//! (garbage, silence), and the checks that no secret ever reaches the output.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Process groups and directories to remove when the test binary exits: servers are
/// shared through statics, which Rust never drops.
static AT_EXIT: Mutex<Vec<Cleanup>> = Mutex::new(Vec::new());

enum Cleanup {
    Group(i32),
    Dir(PathBuf),
}

extern "C" fn clean_up_at_exit() {
    let Ok(mut items) = AT_EXIT.lock() else {
        return;
    };
    // Kill every group first, then remove the directories they were writing to.
    for item in items.iter() {
        if let Cleanup::Group(pgid) = item {
            unsafe {
                nix::libc::kill(-pgid, nix::libc::SIGCONT);
                nix::libc::kill(-pgid, nix::libc::SIGKILL);
            }
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    for item in items.drain(..) {
        if let Cleanup::Dir(dir) = item {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn register(item: Cleanup) {
    let mut items = AT_EXIT.lock().unwrap();
    if items.is_empty() {
        unsafe { nix::libc::atexit(clean_up_at_exit) };
    }
    items.push(item);
}

/// A fresh directory removed at exit, readable by the service users.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ohc-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    register(Cleanup::Dir(dir.clone()));
    dir
}

/// Start `cmd` in its own process group, as `user` if given, with its output
/// appended to `log`; the whole group is killed when the test binary exits (and,
/// should the binary die by a signal, the leader gets SIGKILL with it).
pub fn spawn_server(mut cmd: Command, user: Option<&str>, log: &std::path::Path) -> u32 {
    let out = std::fs::File::create(log).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .process_group(0);
    if let Some(user) = user {
        let (uid, gid) = passwd_ids(user);
        cmd.uid(uid).gid(gid);
    }
    unsafe {
        cmd.pre_exec(|| {
            // After the switch of user, so the kernel keeps it.
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
    // The kernel sends the death signal when the spawning *thread* ends, so spawn
    // from a thread that lives as long as the test binary (and reaps the child).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || match cmd.spawn() {
        Ok(mut child) => {
            let _ = tx.send(Ok(child.id()));
            let _ = child.wait();
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            let _ = tx.send(Err(format!("cannot start {cmd:?}: {e}")));
        }
    });
    let pid = rx.recv().unwrap().unwrap_or_else(|e| panic!("{e}"));
    register(Cleanup::Group(pid as i32));
    pid
}

/// uid and gid of a system user, from /etc/passwd.
pub fn passwd_ids(user: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 3 && f[0] == user)
        .map(|f| (f[2].parse().unwrap(), f[3].parse().unwrap()))
        .unwrap_or_else(|| {
            panic!("user {user} missing: install the server package (bash tests/setup/install.sh)")
        })
}

/// Give a path to a service user (recursively).
pub fn chown(path: &std::path::Path, user: &str) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{user}:"))
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "chown {user} {}", path.display());
}

pub fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig).unwrap();
}

/// A TCP peer on loopback that answers every connection with `reply` (then keeps the
/// connection open until the client goes), or with nothing at all when `reply` is empty.
pub fn fake_peer(reply: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = stream.write_all(reply);
                let mut sink = [0u8; 1024];
                while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
    });
    port
}

/// Run the binary with HEALTHCHECK_DEBUG=1 (traces on stderr, so several lines) and
/// return everything it printed.
pub fn run_debug(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_openstack-healthcheck"))
        .args(args)
        .env("HEALTHCHECK_DEBUG", "1")
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The secret must not appear in the verdict line nor in the debug traces.
pub fn assert_secret_absent(args: &[&str], verdict_line: &str, secret: &str) {
    assert!(
        !verdict_line.contains(secret),
        "secret leaked in the verdict: {verdict_line}"
    );
    let debug = run_debug(args);
    assert!(
        debug.contains("debug:"),
        "no debug trace with HEALTHCHECK_DEBUG=1: {debug}"
    );
    assert!(
        !debug.contains(secret),
        "secret leaked in debug output: {debug}"
    );
}

/// Poll `ready` every 100 ms until it holds; panic with the log's tail after `limit`.
pub fn wait_ready(
    what: &str,
    limit: Duration,
    log: &std::path::Path,
    mut ready: impl FnMut() -> bool,
) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = log
        .lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    panic!(
        "{what} not ready after {limit:?}; log tail:\n{}",
        tail.join("\n")
    );
}

/// A file (mode 0600) holding `text`.
pub fn write_private(path: &std::path::Path, text: &str) {
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

pub fn assert_healthy(r: &super::Run, needle: &str) {
    assert!(
        r.healthy() && r.line().contains(needle),
        "expected healthy with {needle:?}: {r:?}"
    );
}

pub fn assert_unhealthy(r: &super::Run, needle: &str) {
    assert!(
        !r.healthy() && r.line().contains(needle),
        "expected unhealthy with {needle:?}: {r:?}"
    );
}

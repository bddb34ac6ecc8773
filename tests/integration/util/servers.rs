//! Real servers from Debian packages, started by the tests, in two lifetimes:
//! - one test's server ([`spawn`]): a [`Child`] killed when the test drops it; the test
//!   may pause ([`pause`]) and kill ([`stop`]) it to see the probe's verdicts;
//! - a server the tests of a module share because it takes seconds to start (MariaDB,
//!   RabbitMQ; kept in a `OnceLock`, which Rust never drops) or that a test leaves running
//!   ([`spawn_server`]): its own process group, killed when the test process exits, its
//!   files in a [`scratch_dir`] removed then.

use super::{poll, unique_temp_path, wait_for, Child, START_TIMEOUT};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

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

/// A fresh directory removed when the test process exits (for servers that live as long),
/// readable by the service users.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let dir = unique_temp_path(tag);
    std::fs::create_dir_all(&dir).unwrap();
    register(Cleanup::Dir(dir.clone()));
    dir
}

/// Start `cmd` in its own process group, as `user` if given, with its output
/// appended to `log`; the whole group is killed when the test binary exits (and,
/// should the binary die by a signal, the leader gets SIGKILL with it).
pub fn spawn_server(mut cmd: Command, user: Option<&str>, log: &Path) -> u32 {
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
pub fn chown(path: &Path, user: &str) {
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

/// Poll `ready` every 100 ms until it holds; panic with the log's tail after `limit`.
/// (Slower than [`wait_for`]'s 50 ms: `ready` here is often a run of the binary.)
pub fn wait_ready(what: &str, limit: Duration, log: &Path, ready: impl FnMut() -> bool) {
    if poll(limit, Duration::from_millis(100), ready) {
        return;
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

/// Start `program ARGS` for one test, output discarded; panics (failing the test) if it
/// cannot start.
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

/// Pause the server (SIGSTOP): the kernel still accepts connections, nobody answers.
pub fn pause(child: &Child) {
    signal(child.0.id(), nix::sys::signal::Signal::SIGSTOP);
}

/// Kill the server and wait until it is gone.
pub fn stop(mut child: Child) {
    let _ = child.0.kill();
    let _ = child.0.wait();
}

/// Python's http.server serving `dir` on `bind`:`port` (a real process a test can pause),
/// once it accepts connections.
pub fn python_http_server(dir: &Path, bind: &str, port: u16) -> Child {
    let server = spawn_cmd(
        Command::new("/usr/bin/python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", bind])
            .arg("--directory")
            .arg(dir),
    );
    let addr = if bind.contains(':') {
        format!("[{bind}]:{port}")
    } else {
        format!("{bind}:{port}")
    };
    wait_for(&format!("http.server on {addr}"), START_TIMEOUT, || {
        TcpStream::connect(&addr).is_ok()
    });
    server
}

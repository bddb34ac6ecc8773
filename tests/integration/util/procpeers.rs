//! Real peers for the process and socket checks, and the original scripts to compare with.
//!
//! Every peer is a Python process started through a symlink named after a unique marker
//! (`ohc1234a5`): the marker is then both its 15-char comm (what kolla's `lsof -Fc` sees) and
//! part of its command line (what `pgrep -f` sees), so a check can name exactly that process.
//! A peer prints `ready` once its sockets are set up; it never closes what it holds.
use super::{
    claim_port, command, original, port_is_free, run_cmd, wait_for, Child, Run, TempDir,
    START_TIMEOUT,
};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The peer program: `MARKER ACTION ARGS...`.
const PEER: &str = r#"
import socket, sys, time
action, args = sys.argv[1], sys.argv[2:]
held = []
def family(host): return socket.AF_INET6 if ':' in host else socket.AF_INET
def unix_name(path): return '\0' + path[1:] if path.startswith('@') else path
def ready(*info):
    print('ready', *info, flush=True)
if action == 'tcp-listen':            # HOST PORT [close]: accept and keep (or close) connections
    s = socket.socket(family(args[0]))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args[0], int(args[1]))); s.listen(64); held.append(s); ready()
    while True:
        c, _ = s.accept()
        if args[2:] == ['close']: c.close()
        else: held.append(c)
elif action == 'tcp-connect':          # HOST PORT: one connection, held
    c = socket.create_connection((args[0], int(args[1]))); held.append(c); ready(c.getsockname()[1])
elif action == 'udp-bind':             # HOST PORT
    u = socket.socket(family(args[0]), socket.SOCK_DGRAM); u.bind((args[0], int(args[1]))); held.append(u); ready()
elif action == 'unix-listen':          # PATH or @ABSTRACT [HEX(COMM)]: a comm not in our argv
    if args[1:]:
        import ctypes
        ctypes.CDLL(None).prctl(15, bytes.fromhex(args[1]))  # PR_SET_NAME
    s = socket.socket(socket.AF_UNIX); s.bind(unix_name(args[0])); s.listen(4); held.append(s); ready()
elif action == 'many-sockets':         # N: unrelated UDP sockets (inodes with every digit)
    for _ in range(int(args[0])):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0)); held.append(u)
    ready()
elif action == 'zombie-parent':        # HEX(PROGRAM): start PROGRAM, never reap it (hex: keep its name out of our argv)
    import subprocess
    child = subprocess.Popen([bytes.fromhex(args[0]).decode(), '0']); ready(child.pid)
else:
    raise SystemExit('unknown action ' + action)
while True: time.sleep(60)
"#;

/// A running peer, killed when dropped.
pub struct Peer {
    pub marker: String,
    pub info: Vec<String>,
    child: Child,
    _dir: TempDir,
}

impl Peer {
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }
}

/// A fresh marker: short enough to be a whole comm (15 chars), unique per test process and call.
pub fn marker(role: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    // The trailing x keeps marker 1 from being a substring of marker 10.
    let m = format!("ohc{}{role}{n}x", std::process::id() % 100_000);
    assert!(m.len() <= 15, "marker {m} longer than a comm");
    m
}

/// Start a peer doing `action args`, as root or (with `user`) as that user; wait for `ready`.
pub fn start(role: &str, action: &str, args: &[&str], user: Option<&str>) -> Peer {
    let marker = marker(role);
    let dir = TempDir::new("peer");
    let python = dir.path().join(&marker);
    std::os::unix::fs::symlink("/usr/bin/python3", &python).expect("symlink python3");
    // The peer's directory must be reachable by the peer's user.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut cmd = match user {
        Some(user) => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid", user, "--regid", user, "--clear-groups", "--"])
                .arg(&python);
            c
        }
        None => Command::new(&python),
    };
    cmd.arg("-c")
        .arg(PEER)
        .arg(action)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = Child(
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start peer {action}: {e}")),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the peer's ready line");
    let mut words = line.split_whitespace();
    assert_eq!(
        words.next(),
        Some("ready"),
        "peer {action} {args:?} did not start: {line:?}"
    );
    let info = words.map(str::to_string).collect();
    Peer {
        marker,
        info,
        child,
        _dir: dir,
    }
}

/// A 4-digit port P with 10*P+1 also free: the "5672 vs 56721" case. Claimed like
/// [`super::free_port`]'s, so two tests never get the same pair.
pub fn prefix_ports() -> (u16, u16) {
    for p in (3000u16..6553).step_by(37) {
        let longer = p * 10 + 1;
        if port_is_free(p) && port_is_free(longer) && claim_port(p) && claim_port(longer) {
            return (p, longer);
        }
    }
    panic!("no free pair of prefix ports");
}

/// Wait until the kernel shows `n` or more TCP sockets in `state` (hex, as in /proc/net/tcp) on `port`.
/// The peers get as long as a server to start: on a loaded host a Python peer may take
/// seconds to accept and close.
pub fn wait_for_state(port: u16, state: &str, n: usize) {
    let hex = format!(":{port:04X} ");
    wait_for(
        &format!("{n} sockets in state {state} on port {port}"),
        START_TIMEOUT,
        || {
            let table = std::fs::read_to_string("/proc/net/tcp").unwrap()
                + &std::fs::read_to_string("/proc/net/tcp6").unwrap();
            table
                .lines()
                .filter(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    f.len() > 3
                        && (format!("{} ", f[1]).contains(&hex)
                            || format!("{} ", f[2]).contains(&hex))
                        && f[3] == state
                })
                .count()
                >= n
        },
    );
}

/// Make sure the unprivileged test user exists (idempotent; tests run as root).
pub fn test_user() -> &'static str {
    const USER: &str = "ohc-test";
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if Command::new("id")
            .arg(USER)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
        {
            return;
        }
        let status = Command::new("useradd")
            .args(["-r", "-M", "-s", "/usr/sbin/nologin", USER])
            .status()
            .expect("run useradd");
        // 9: created meanwhile by a parallel test binary.
        assert!(
            status.success() || status.code() == Some(9),
            "useradd {USER} failed: {status}"
        );
    });
    USER
}

/// Our binary, run as `user` (None: as root), with ARGS.
pub fn run_as(user: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = match user {
        Some(user) => {
            let mut c = command("setpriv");
            c.args([
                "--reuid",
                user,
                "--regid",
                user,
                "--clear-groups",
                "--",
                super::bin(),
            ]);
            c
        }
        None => command(super::bin()),
    };
    cmd.args(args);
    run_cmd(cmd)
}

/// Whether an original script says healthy (exit 0). Fails loudly when it is not installed.
fn original_healthy(mut cmd: Command, what: &str) -> bool {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    out.status.success()
}

/// kolla's `healthcheck_NAME ARGS...`.
pub fn kolla(name: &str, args: &[&str]) -> bool {
    let script = original(&format!("kolla/healthcheck_{name}"));
    let mut cmd = Command::new("bash");
    cmd.arg(&script).args(args);
    original_healthy(cmd, &script)
}

/// TripleO's common.sh function `healthcheck_NAME ARGS...`, sourced in bash as the scripts do.
pub fn tripleo(function: &str, args: &[&str]) -> bool {
    let common = original("tripleo/common.sh");
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("source {common}; {function} \"$@\""))
        .arg("tripleo")
        .args(args);
    original_healthy(cmd, function)
}

/// `text` in hex: how a peer gets a name that must not appear in its own command line.
pub fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A server and a client peer with an ESTABLISHED connection on `host`:`port`.
pub fn established(host: &str, port: u16) -> (Peer, Peer) {
    let server = start("s", "tcp-listen", &[host, &port.to_string()], None);
    let client = start("c", "tcp-connect", &[host, &port.to_string()], None);
    wait_for_state(port, "01", 2);
    (server, client)
}

/// Our `probe KIND PROCESS PORT` and the originals' on the same case.
pub struct SideBySide {
    pub ours: bool,
    pub line: String,
    pub kolla: bool,
    pub tripleo: bool,
}

/// KIND is `port` or `listen`: kolla's `healthcheck_KIND` and TripleO's `healthcheck_KIND` function.
pub fn side_by_side(kind: &str, process: &str, port: u16) -> SideBySide {
    let p = port.to_string();
    let ours = super::run(&["probe", kind, process, &p]);
    SideBySide {
        ours: ours.healthy(),
        line: ours.line(),
        kolla: kolla(kind, &[process, &p]),
        tripleo: tripleo(&format!("healthcheck_{kind}"), &[process, &p]),
    }
}

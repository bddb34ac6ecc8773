//! The process table, read from /proc without forking: what `pgrep -f PATTERN` would find,
//! minus zombies and minus the checker itself.
//!
//! A process matches when PATTERN occurs in its command line (arguments joined by spaces, as
//! `pgrep -f` sees it) or in its 15-character `comm` (as `pgrep` without `-f`, `ss -p` and `lsof`
//! show it, e.g. `neutron-openvsw`). A [`ProcScope`] with a PID namespace keeps the processes
//! of that namespace only (a container's, seen from the host).
//!
//! The checker is never the service: not this process, not what it descends from, and not
//! another run of this binary (found by its executable, `/proc/PID/exe`, being the same file
//! as ours: device and inode), whatever its arguments, nor what that run descends from
//! (a shell running `healthcheck_port nova-conductor 5672` carries the pattern too). Where
//! another user's `/proc/PID/exe` cannot be read, an identical command line still tells.

use super::pattern::Pattern;
use crate::system::ProcScope;
use std::path::Path;

/// One process as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    /// The kernel's short name (at most 15 bytes).
    pub comm: String,
    /// The command line, NUL separators turned into spaces.
    pub cmdline: String,
    pub uid: u32,
}

impl ProcessInfo {
    /// A short name for reasons: the comm, which is what ps and ss show.
    pub fn label(&self) -> String {
        format!("{} (pid {})", self.comm, self.pid)
    }
}

/// The fields of /proc/PID/status that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub name: String,
    /// The one-letter state: R, S, D, Z (zombie), X (dead), T, t, I...
    pub state: char,
    /// The real uid.
    pub uid: u32,
    pub ppid: u32,
}

/// Parse /proc/PID/status. Missing fields are an error: the kernel always writes them.
pub fn parse_status(text: &[u8]) -> Result<Status, String> {
    let text = String::from_utf8_lossy(text);
    let (mut name, mut state, mut uid, mut ppid) = (None, None, None, None);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            // The name is written with escapes (\n, \\) for unusual bytes; keep them as written.
            "Name" => name = Some(value.to_string()),
            "State" => state = value.chars().next(),
            "Uid" => uid = value.split_whitespace().next().and_then(|v| v.parse().ok()),
            "PPid" => ppid = value.parse().ok(),
            _ => {}
        }
    }
    match (name, state, uid, ppid) {
        (Some(name), Some(state), Some(uid), Some(ppid)) => Ok(Status {
            name,
            state,
            uid,
            ppid,
        }),
        _ => Err("status without Name, State, Uid or PPid".into()),
    }
}

/// /proc/PID/cmdline as `pgrep -f` matches it: arguments separated by single spaces.
pub fn join_cmdline(raw: &[u8]) -> String {
    String::from_utf8_lossy(cmdline_in_place(&mut raw.to_vec())).into_owned()
}

/// [`join_cmdline`] without allocating: turn the NULs between arguments into spaces in place.
fn cmdline_in_place(raw: &mut [u8]) -> &[u8] {
    let len = if raw.last() == Some(&0) {
        raw.len() - 1
    } else {
        raw.len()
    };
    let args = &mut raw[..len];
    args.iter_mut().filter(|b| **b == 0).for_each(|b| *b = b' ');
    args
}

/// The kernel's limit on a comm (TASK_COMM_LEN minus the NUL).
const COMM_LEN: usize = 15;

/// Most of a command line we match against (pgrep reads it all; anything this long is
/// a generated argument list, and the program name is at its start).
const CMDLINE_CAP: usize = 64 * 1024;

/// Read a /proc file into `buf` with one open and no stat (the scan does this for every
/// process, so it is the check's main cost on a busy host); at most `buf.len()` bytes.
fn read_capped(path: &Path, buf: &mut [u8]) -> Option<usize> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(len)
}

/// Whether process `pid`'s command line or comm matches, read into the scan's reused buffer.
fn matches_pattern(dir: &Path, pattern: &Pattern, buf: &mut [u8]) -> bool {
    if let Some(n) = read_capped(&dir.join("cmdline"), buf) {
        if pattern.is_match(cmdline_in_place(&mut buf[..n])) {
            return true;
        }
    }
    if pattern.min_len() > COMM_LEN {
        return false; // cannot occur in a comm: spare the read
    }
    match read_capped(&dir.join("comm"), buf) {
        Some(n) => pattern.is_match(buf[..n].strip_suffix(b"\n").unwrap_or(&buf[..n])),
        None => false,
    }
}

fn is_alive(state: char) -> bool {
    !matches!(state, 'Z' | 'X' | 'x')
}

/// Read one process; `None` when it is gone, a zombie, or unreadable.
pub fn read_process(proc_root: &Path, pid: u32) -> Option<(ProcessInfo, u32)> {
    let dir = proc_root.join(pid.to_string());
    let status = parse_status(&std::fs::read(dir.join("status")).ok()?).ok()?;
    if !is_alive(status.state) {
        return None;
    }
    let cmdline = join_cmdline(&std::fs::read(dir.join("cmdline")).ok()?);
    let info = ProcessInfo {
        pid,
        comm: status.name,
        cmdline,
        uid: status.uid,
    };
    Some((info, status.ppid))
}

/// The pids under /proc (numeric directory names).
fn pids(proc_root: &Path) -> Vec<u32> {
    std::fs::read_dir(proc_root)
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The processes that are the checker: ourselves, everything we descend from (a shell
/// running `sh -c 'healthcheck_port nova-conductor 5672'` carries the pattern in its own
/// command line, and so does every process that waits for us), and other runs of the very
/// same check (podman without a kill timeout piles them up).
struct Checker<'a> {
    own_pid: u32,
    ancestors: Vec<u32>,
    own_cmdline: String,
    /// The scope's own checker command lines (a container's health test, run by its engine).
    also: &'a [String],
    /// Device and inode of our executable.
    own_exe: Option<(u64, u64)>,
}

/// Device and inode of the executable of process `pid` (`self` for us), when readable.
fn executable(proc_root: &Path, pid: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(proc_root.join(pid).join("exe"))
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// The parent of `pid`, from its status.
fn parent_of(proc_root: &Path, pid: u32) -> Option<u32> {
    std::fs::read(proc_root.join(pid.to_string()).join("status"))
        .ok()
        .and_then(|s| parse_status(&s).ok())
        .map(|s| s.ppid)
        .filter(|ppid| *ppid != 0)
}

impl<'a> Checker<'a> {
    fn current(proc_root: &Path, scope: &'a ProcScope) -> Checker<'a> {
        let own_pid = std::process::id();
        let own_cmdline = std::fs::read(proc_root.join("self/cmdline"))
            .map(|c| join_cmdline(&c))
            .unwrap_or_default();
        Checker {
            own_pid,
            ancestors: ancestors_of(proc_root, own_pid),
            own_cmdline,
            also: &scope.checker_cmdlines,
            own_exe: executable(proc_root, "self"),
        }
    }

    fn is_checker(&self, process: &ProcessInfo, proc_root: &Path) -> bool {
        process.pid == self.own_pid
            || self.ancestors.contains(&process.pid)
            || process.cmdline == self.own_cmdline
            || self.also.contains(&process.cmdline)
            || self.is_another_run(process.pid, proc_root)
    }

    /// Whether `pid` runs our executable (another run of the checker).
    fn is_another_run(&self, pid: u32, proc_root: &Path) -> bool {
        self.own_exe.is_some() && executable(proc_root, &pid.to_string()) == self.own_exe
    }
}

/// The ancestors of `pid`, nearest first. Bounded: a pid namespace's tree is shallow, and
/// a race cannot make the walk loop.
fn ancestors_of(proc_root: &Path, pid: u32) -> Vec<u32> {
    let mut ancestors = Vec::new();
    let mut pid = pid;
    while ancestors.len() < 64 {
        let Some(parent) = parent_of(proc_root, pid) else {
            break;
        };
        ancestors.push(parent);
        pid = parent;
    }
    ancestors
}

/// The PID namespace of process `pid`: the inode in its `ns/pid` link (`pid:[4026531836]`).
pub fn pid_namespace(proc_root: &Path, pid: u32) -> Option<u64> {
    let link = std::fs::read_link(proc_root.join(pid.to_string()).join("ns/pid")).ok()?;
    let text = link.to_str()?;
    text.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
}

/// Whether process `pid` is in `scope` (every process is when it names no namespace).
fn in_scope(proc_root: &Path, scope: &ProcScope, pid: u32) -> bool {
    match scope.pid_namespace {
        None => true,
        Some(ns) => pid_namespace(proc_root, pid) == Some(ns),
    }
}

/// Process `pid` if it still is what a scan would find: in the scope, alive, matching
/// `pattern`, not the checker.
pub fn recheck(
    proc_root: &Path,
    scope: &ProcScope,
    pid: u32,
    pattern: &Pattern,
) -> Option<ProcessInfo> {
    let mut buf = vec![0u8; CMDLINE_CAP];
    if !matches_pattern(&proc_root.join(pid.to_string()), pattern, &mut buf)
        || !in_scope(proc_root, scope, pid)
    {
        return None;
    }
    let (info, _) = read_process(proc_root, pid)?;
    (!Checker::current(proc_root, scope).is_checker(&info, proc_root)).then_some(info)
}

/// Every live process of `scope` matching `pattern` (command line or comm), the checker
/// excluded, by pid.
pub fn find_matching(scope: &ProcScope, pattern: &Pattern) -> Vec<ProcessInfo> {
    find_matching_in(Path::new("/proc"), scope, pattern)
}

pub fn find_matching_in(
    proc_root: &Path,
    scope: &ProcScope,
    pattern: &Pattern,
) -> Vec<ProcessInfo> {
    let checker = Checker::current(proc_root, scope);
    let mut buf = vec![0u8; CMDLINE_CAP];
    // Cheap test first (cmdline, then comm); the namespace and the full record (status)
    // only for matches.
    let candidates: Vec<ProcessInfo> = pids(proc_root)
        .into_iter()
        .filter(|pid| matches_pattern(&proc_root.join(pid.to_string()), pattern, &mut buf))
        .filter(|pid| in_scope(proc_root, scope, *pid))
        .filter_map(|pid| read_process(proc_root, pid).map(|(info, _)| info))
        .collect();
    // Other runs of the checker among the matches, and what they descend from.
    let other_runs: Vec<u32> = candidates
        .iter()
        .filter(|p| checker.is_another_run(p.pid, proc_root))
        .flat_map(|p| std::iter::once(p.pid).chain(ancestors_of(proc_root, p.pid)))
        .collect();
    let mut found: Vec<ProcessInfo> = candidates
        .into_iter()
        .filter(|p| !other_runs.contains(&p.pid) && !checker.is_checker(p, proc_root))
        .collect();
    found.sort_by_key(|p| p.pid);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tnova-conductor\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nNgid:\t0\n\
                          Pid:\t42\nPPid:\t1\nTracerPid:\t0\nUid:\t42436\t42436\t42436\t42436\nGid:\t0\t0\t0\t0\n";

    #[test]
    fn parses_status() {
        let s = parse_status(STATUS.as_bytes()).unwrap();
        assert_eq!(
            s,
            Status {
                name: "nova-conductor".into(),
                state: 'S',
                uid: 42436,
                ppid: 1
            }
        );
        let zombie = STATUS.replace("S (sleeping)", "Z (zombie)");
        assert_eq!(parse_status(zombie.as_bytes()).unwrap().state, 'Z');
        assert!(!is_alive('Z'));
        assert!(parse_status(b"Name:\tx\n").is_err());
        assert!(parse_status(b"").is_err());
    }

    #[test]
    fn joins_cmdline() {
        assert_eq!(
            join_cmdline(b"/usr/bin/python3\0/usr/bin/nova-api\0--debug\0"),
            "/usr/bin/python3 /usr/bin/nova-api --debug"
        );
        assert_eq!(join_cmdline(b""), "");
        // A process that rewrote its title with spaces and no NULs.
        assert_eq!(
            join_cmdline(b"nginx: master process"),
            "nginx: master process"
        );
    }

    #[test]
    fn finds_itself_only_when_not_excluded() {
        // The test binary's own command line matches its own name, but it is the checker.
        let me = std::fs::read_to_string("/proc/self/comm").unwrap();
        let pattern = Pattern::parse(me.trim()).unwrap();
        assert!(find_matching(&ProcScope::default(), &pattern)
            .iter()
            .all(|p| p.pid != std::process::id()));
    }

    #[test]
    fn scope_keeps_one_pid_namespace() {
        let mine = pid_namespace(Path::new("/proc"), std::process::id()).unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("987.654321")
            .spawn()
            .unwrap();
        let pattern = Pattern::parse("sleep 987.654321").unwrap();
        // Until the child has exec'd, its command line is this test's.
        for _ in 0..200 {
            let cmdline =
                std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
            if join_cmdline(&cmdline).contains("987.654321") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let scope = |ns, also: &[&str]| ProcScope {
            pid_namespace: ns,
            checker_cmdlines: also.iter().map(|s| s.to_string()).collect(),
        };
        let here = find_matching(&scope(Some(mine), &[]), &pattern);
        let elsewhere = find_matching(&scope(Some(mine.wrapping_add(1)), &[]), &pattern);
        let as_checker = find_matching(&scope(None, &["sleep 987.654321"]), &pattern);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(here.len(), 1, "{here:?}");
        assert_eq!(here[0].pid, child.id());
        assert!(elsewhere.is_empty(), "{elsewhere:?}");
        assert!(
            as_checker.is_empty(),
            "the scope's checker lines are excluded"
        );
    }
}

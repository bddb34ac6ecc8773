//! Where to look first: the pid that satisfied a socket check last time.
//!
//! Finding which process holds a socket means reading every process's command line, so a
//! scan costs more the busier the host is. Health checks repeat every 30 s against the same
//! long-lived service process, so each successful check leaves the owner's pid in a small
//! hint file, and the next run tries that process before scanning. A hint is only a place
//! to look: the process is checked afresh (alive, matching the pattern, not the checker,
//! holding one of the sockets) exactly as the scan would check it, so a stale or planted
//! hint can cost a scan but never change a verdict.
//!
//! Where hints live is the checked system's [`HintStore`]: for the command line, files in
//! `$HEALTHCHECK_STATE_DIR`, else `<tmp>/openstack-healthcheck-<euid>`, a directory we
//! create 0700 and use only when it is ours and not a symlink; for the host agent, memory it
//! keeps per container (the pids are the host's, and the process is rechecked in the
//! container's PID namespace). `HEALTHCHECK_NO_HINTS=1` turns them off (the benchmark's
//! cold rows).

use crate::system::{HintStore, System};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::PathBuf;

fn enabled(sys: &System) -> bool {
    !sys.flag("HEALTHCHECK_NO_HINTS")
}

/// The hint directory, created if needed; `None` when it is unsafe or cannot be made.
fn dir() -> Option<PathBuf> {
    let euid = nix::unistd::geteuid().as_raw();
    let dir = match std::env::var_os("HEALTHCHECK_STATE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => std::env::temp_dir().join(format!("openstack-healthcheck-{euid}")),
    };
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    let private = meta.permissions().mode() & 0o022 == 0;
    (meta.is_dir() && meta.uid() == euid && private).then_some(dir)
}

/// The name of one question (check kind and pattern), by a stable hash.
fn key(kind: &str, pattern: &str) -> String {
    // FNV-1a: stable across builds and runs, unlike std's randomly seeded hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes().chain([0]).chain(pattern.bytes()) {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{kind}-{hash:016x}")
}

/// The hint file for one question.
fn file(kind: &str, pattern: &str) -> Option<PathBuf> {
    Some(dir()?.join(key(kind, pattern)))
}

/// The pid remembered for this question, if any.
pub fn recall(sys: &System, kind: &str, pattern: &str) -> Option<u32> {
    if !enabled(sys) {
        return None;
    }
    match &sys.hints {
        HintStore::Files => parse(&std::fs::read(file(kind, pattern)?).ok()?),
        HintStore::Memory(map) => map.lock().ok()?.get(&key(kind, pattern)).copied(),
    }
}

/// Remember `pid` for this question (in a file atomically: write a temporary file, then
/// rename). Failing to write only costs the next run a scan, so errors are ignored.
pub fn remember(sys: &System, kind: &str, pattern: &str, pid: u32) {
    if !enabled(sys) || recall(sys, kind, pattern) == Some(pid) {
        return;
    }
    if let HintStore::Memory(map) = &sys.hints {
        if let Ok(mut map) = map.lock() {
            map.insert(key(kind, pattern), pid);
        }
        return;
    }
    let Some(path) = file(kind, pattern) else {
        return;
    };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, format!("{pid}\n")).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// A hint file's content: one pid.
pub fn parse(content: &[u8]) -> Option<u32> {
    std::str::from_utf8(content)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|pid| *pid > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pids() {
        assert_eq!(parse(b"123\n"), Some(123));
        assert_eq!(parse(b"0"), None);
        assert_eq!(parse(b"-1"), None);
        assert_eq!(parse(b"garbage"), None);
        assert_eq!(parse(b"\xff"), None);
    }

    #[test]
    fn names_are_stable_and_distinct() {
        let a = file("port", "nova-conductor").unwrap();
        assert_eq!(a, file("port", "nova-conductor").unwrap());
        assert_ne!(a, file("listen", "nova-conductor").unwrap());
        assert_ne!(a, file("port", "nova-scheduler").unwrap());
    }
}

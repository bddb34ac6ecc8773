//! Which sockets a process holds: its /proc/PID/fd symlinks read as `socket:[INODE]`,
//! compared as integers (never as substrings, which is how TripleO matched inode 0 of
//! TIME_WAIT rows against any inode containing a 0).

use crate::system::Root;
use std::collections::BTreeSet;
use std::path::Path;

/// Why a process's sockets could not be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdError {
    /// Another user's process: only root (or that user) may read its fd directory.
    Unreadable { pid: u32, uid: u32 },
    /// The process exited while we looked.
    Gone,
}

/// The inode in an fd link target `socket:[12345]`, if it is a socket.
pub fn parse_socket_link(target: &[u8]) -> Option<u64> {
    let digits = target.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The socket inodes process `pid` (owned by `uid`) holds.
pub fn socket_inodes(proc_root: &Path, pid: u32, uid: u32) -> Result<BTreeSet<u64>, FdError> {
    let dir = proc_root.join(pid.to_string()).join("fd");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(FdError::Unreadable { pid, uid })
        }
        Err(_) => return Err(FdError::Gone),
    };
    let mut inodes = BTreeSet::new();
    for entry in entries.flatten() {
        match std::fs::read_link(entry.path()) {
            Ok(target) => {
                use std::os::unix::ffi::OsStrExt;
                if let Some(inode) = parse_socket_link(target.as_os_str().as_bytes()) {
                    inodes.insert(inode);
                }
            }
            // Root without CAP_SYS_PTRACE (a container's default) may list another user's fd
            // directory but not read its links: that is "cannot tell", not "holds nothing".
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(FdError::Unreadable { pid, uid })
            }
            // An fd closed between readdir and readlink is simply not there any more.
            Err(_) => {}
        }
    }
    Ok(inodes)
}

/// A user's name from the /etc/passwd of `root` (read directly: no NSS in a static binary),
/// else the number.
pub fn user_name(root: &Root, uid: u32) -> String {
    root.read("/etc/passwd")
        .ok()
        .and_then(|bytes| passwd_name(&String::from_utf8_lossy(&bytes), uid))
        .unwrap_or_else(|| uid.to_string())
}

/// The name of `uid` in passwd-format text.
pub fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let line_uid: u32 = fields.nth(1)?.parse().ok()?;
        (line_uid == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// The explanation for a process whose fds we may not read; says what to do about it. The
/// user's name comes from the /etc/passwd of `root` (the checked system's).
pub fn unreadable_reason(root: &Root, pid: u32, uid: u32) -> String {
    format!(
        "cannot tell: /proc/{pid}/fd of pid {pid} (user {}) unreadable: run the check as root or as that user",
        user_name(root, uid)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_links() {
        assert_eq!(parse_socket_link(b"socket:[574360]"), Some(574360));
        assert_eq!(parse_socket_link(b"socket:[0]"), Some(0));
        assert_eq!(parse_socket_link(b"socket:[]"), None);
        assert_eq!(parse_socket_link(b"socket:[12a]"), None);
        assert_eq!(parse_socket_link(b"pipe:[574360]"), None);
        assert_eq!(parse_socket_link(b"/dev/null"), None);
        assert_eq!(parse_socket_link(b"socket:[99999999999999999999999]"), None);
    }

    #[test]
    fn passwd_lookup() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nnova:x:42436:42436::/var/lib/nova:/bin/false\nbroken\n";
        assert_eq!(passwd_name(passwd, 42436).as_deref(), Some("nova"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 7), None);
    }

    #[test]
    fn own_sockets_are_listed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let inodes = socket_inodes(Path::new("/proc"), std::process::id(), 0).unwrap();
        assert!(!inodes.is_empty());
        drop(listener);
    }
}

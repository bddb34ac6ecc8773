//! Socket check: a matching process holds the unix socket PATH (also abstract: `@name`).
//!
//! A process "holds" PATH when it has a socket bound to it: the listening socket or one it
//! accepted (those carry the listener's name). The socket is found by its bound name, or, for
//! a path, by the socket file's identity, so a socket bound through a relative path or a
//! symlinked directory still counts.

use crate::context::Context;
use crate::proc::sockets::{query_unix, UnixSocket};
use crate::proc::{cannot_tell, describe, holders, matching_processes};
use crate::system::Root;
use crate::verdict::{Checked, Decided, Failure};

/// Healthy when a process matching `process` holds the unix socket `path` (or `@abstract`).
pub fn check(process: &str, path: &str, ctx: &Context) -> Checked {
    Checked::decided(format!("{process}:{path}"), outcome(process, path, ctx))
}

/// How to recognise the socket in unix_diag's list.
#[derive(Debug, PartialEq, Eq)]
struct Wanted {
    /// The bound name as the kernel reports it (abstract names start with NUL).
    name: Vec<u8>,
    /// The socket file's inode and kernel-encoded device (`MKDEV(major, minor)`), when PATH exists.
    file: Option<(u32, u32)>,
}

impl Wanted {
    /// The socket at `path`, its file (if any) looked up in `root`.
    fn new(root: &Root, path: &str) -> Wanted {
        if let Some(abstract_name) = path.strip_prefix('@') {
            let mut name = vec![0u8];
            name.extend_from_slice(abstract_name.as_bytes());
            return Wanted { name, file: None };
        }
        let file = root.metadata(path).ok().map(|meta| {
            use std::os::unix::fs::MetadataExt;
            let dev = meta.dev();
            // unix_diag reports the kernel's dev_t: major in the bits above 20, minor below.
            let kernel_dev = (nix::libc::major(dev) << 20) | nix::libc::minor(dev);
            (meta.ino() as u32, kernel_dev)
        });
        Wanted {
            name: path.as_bytes().to_vec(),
            file,
        }
    }

    fn matches(&self, socket: &UnixSocket) -> bool {
        socket.name.as_deref() == Some(&self.name[..])
            || (self.file.is_some() && socket.vfs == self.file)
    }
}

fn outcome(process: &str, path: &str, ctx: &Context) -> Decided {
    if path.is_empty() || path == "@" {
        return Err(Failure::CannotTell("no socket path given".into()));
    }
    let wanted = Wanted::new(&ctx.system.given, path);
    let sockets = query_unix(&ctx.deadline).map_err(cannot_tell)?;
    let candidates: Vec<&UnixSocket> = sockets.iter().filter(|s| wanted.matches(s)).collect();
    ctx.trace(format_args!(
        "unix sockets bound to {path}: {}",
        candidates.len()
    ));
    if candidates.is_empty() {
        let processes = matching_processes(&ctx.system, process)?;
        return Err(Failure::Unhealthy(format!(
            "no unix socket bound to {path} (checked {})",
            describe(&processes)
        )));
    }
    let (processes, holdings) = holders(
        &ctx.system,
        "socket",
        process,
        &candidates.iter().map(|s| s.inode).collect(),
    )?;
    if let Some(owner) = candidates.iter().find_map(|s| holdings.owner_of(s.inode)) {
        return Ok(format!("{} holds the unix socket {path}", owner.label()));
    }
    if let Some(reason) = holdings.cannot_tell(&ctx.system, !candidates.is_empty()) {
        return Err(reason.into());
    }
    Err(Failure::Unhealthy(format!(
        "{} does not hold the unix socket {path} (another process does)",
        describe(&processes)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abstract_names() {
        let w = Wanted::new(&Root::Host, "@ISCSIADM_ABSTRACT_NAMESPACE");
        assert_eq!(w.name, b"\0ISCSIADM_ABSTRACT_NAMESPACE");
        assert!(w.matches(&UnixSocket {
            inode: 1,
            name: Some(w.name.clone()),
            vfs: None
        }));
        assert!(!w.matches(&UnixSocket {
            inode: 1,
            name: Some(b"ISCSIADM_ABSTRACT_NAMESPACE".to_vec()),
            vfs: None
        }));
        assert!(!w.matches(&UnixSocket {
            inode: 1,
            name: None,
            vfs: None
        }));
    }
}

//! The process table and sockets, read without forking: /proc and netlink sock_diag.
//!
//! The socket checks (`port`, `listen`, `socket`) all ask the same question: does a process
//! matching PATTERN hold one of these sockets? They find the candidate sockets with [`sockets`]
//! (sock_diag, filtered by the kernel, or the /proc/net fallback), then read only the matching processes' fd links ([`Holdings`]),
//! and compare inodes as integers.

pub mod fds;
pub mod hint;
pub mod pattern;
pub mod process;
pub mod sockets;

use crate::context::Context;
use crate::system::System;
use crate::verdict::CannotTell;
use pattern::Pattern;
use process::ProcessInfo;
use sockets::{query_inet, InetQuery, InetSocket, Transport};
use std::collections::BTreeSet;
use std::path::Path;

/// The live processes of `sys` matching `pattern` (never the checker), or why there are none.
pub fn matching_processes(sys: &System, pattern: &str) -> Result<Vec<ProcessInfo>, String> {
    let compiled = Pattern::parse(pattern)?;
    let found = process::find_matching(&sys.procs, &compiled);
    if found.is_empty() {
        return Err(format!("no process matching '{pattern}'"));
    }
    Ok(found)
}

/// Which of the processes matching `pattern` hold one of the `wanted` sockets, for a check of
/// `kind`. The process that held one last time is tried first ([`hint`]); only when it no
/// longer does is every process scanned. `processes` is what was examined: the hinted one
/// alone on the fast path, every match after a scan.
pub fn holders(
    sys: &System,
    kind: &str,
    pattern: &str,
    wanted: &BTreeSet<u64>,
) -> Result<(Vec<ProcessInfo>, Holdings), String> {
    if let Some((found, held)) = hinted_holder(sys, kind, pattern) {
        if held
            .iter()
            .any(|inode| *inode != 0 && wanted.contains(inode))
        {
            let holdings = Holdings {
                readable: vec![(found.clone(), held)],
                unreadable: Vec::new(),
            };
            return Ok((vec![found], holdings));
        }
    }
    scan_holders(sys, kind, pattern, wanted)
}

/// [`holders`] without the hint: scan every matching process, and remember the owner found
/// for the next run. For a caller that has already tried the hinted process itself.
pub fn scan_holders(
    sys: &System,
    kind: &str,
    pattern: &str,
    wanted: &BTreeSet<u64>,
) -> Result<(Vec<ProcessInfo>, Holdings), String> {
    let processes = matching_processes(sys, pattern)?;
    let holdings = Holdings::read(&processes, wanted.iter().copied());
    if let Some(owner) = wanted.iter().find_map(|inode| holdings.owner_of(*inode)) {
        hint::remember(sys, kind, pattern, owner.pid);
    }
    Ok((processes, holdings))
}

/// The process remembered for this question ([`hint`]) if it still is in the scope of `sys`,
/// matches `pattern` and is not the checker, with the socket inodes it holds now.
pub fn hinted_holder(
    sys: &System,
    kind: &str,
    pattern: &str,
) -> Option<(ProcessInfo, BTreeSet<u64>)> {
    let pid = hint::recall(sys, kind, pattern)?;
    let found = process::recheck(
        Path::new("/proc"),
        &sys.procs,
        pid,
        &Pattern::parse(pattern).ok()?,
    )?;
    let held = fds::socket_inodes(Path::new("/proc"), found.pid, found.uid).ok()?;
    Some((found, held))
}

/// "nova-conductor (pid 123)" or "nova-conductor (pids 123, 456)": the processes a reason is about.
pub fn describe(processes: &[ProcessInfo]) -> String {
    match processes {
        [] => "no process".into(),
        [one] => one.label(),
        [first, ..] => {
            const SHOWN: usize = 5;
            let mut pids: Vec<String> = processes
                .iter()
                .take(SHOWN)
                .map(|p| p.pid.to_string())
                .collect();
            if processes.len() > SHOWN {
                pids.push(format!("{} more", processes.len() - SHOWN));
            }
            format!("{} (pids {})", first.comm, pids.join(", "))
        }
    }
}

/// The sockets each matching process holds, and the processes whose fds we may not read.
#[derive(Debug, Default)]
pub struct Holdings {
    pub readable: Vec<(ProcessInfo, BTreeSet<u64>)>,
    pub unreadable: Vec<ProcessInfo>,
}

impl Holdings {
    /// Read the fd links of `processes` in turn, stopping after the first that holds one of
    /// `wanted` (so a healthy check reads one process's fds); processes that exited meanwhile
    /// are dropped. When none holds one, every process has been read.
    pub fn read(processes: &[ProcessInfo], wanted: impl IntoIterator<Item = u64>) -> Holdings {
        let wanted: BTreeSet<u64> = wanted.into_iter().filter(|inode| *inode != 0).collect();
        let mut holdings = Holdings::default();
        for p in processes {
            match fds::socket_inodes(Path::new("/proc"), p.pid, p.uid) {
                Ok(inodes) => {
                    let found = !inodes.is_disjoint(&wanted);
                    holdings.readable.push((p.clone(), inodes));
                    if found {
                        break;
                    }
                }
                Err(fds::FdError::Unreadable { .. }) => holdings.unreadable.push(p.clone()),
                Err(fds::FdError::Gone) => {}
            }
        }
        holdings
    }

    /// The process holding socket `inode`, if one of ours does. Inode 0 (a socket no process
    /// holds, e.g. TIME_WAIT) never matches.
    pub fn owner_of(&self, inode: u64) -> Option<&ProcessInfo> {
        if inode == 0 {
            return None;
        }
        self.readable
            .iter()
            .find(|(_, held)| held.contains(&inode))
            .map(|(p, _)| p)
    }

    /// The "cannot tell" reason when a candidate socket is left that no readable process holds
    /// and some matching process could not be inspected: it may be that one's. With no
    /// candidate at all, the answer is "no" whoever could be read. User names come from the
    /// checked system's own /etc/passwd.
    pub fn cannot_tell(&self, sys: &System, unowned_candidates: bool) -> Option<CannotTell> {
        if !unowned_candidates {
            return None;
        }
        self.unreadable
            .first()
            .map(|p| CannotTell(fds::unreadable_reason(&sys.given, p.pid, p.uid)))
    }
}

/// The TCP sockets in `tcp_states` and the UDP sockets in `udp_states` whose local port (with
/// `remote_too`, either port) is one of `ports`, IPv4 and IPv6, as the kernel filtered them.
pub fn inet_candidates(
    ports: &[u16],
    remote_too: bool,
    tcp_states: u32,
    udp_states: u32,
    ctx: &Context,
) -> Result<Vec<(Transport, InetSocket)>, CannotTell> {
    let mut found = Vec::new();
    for (transport, states) in [(Transport::Tcp, tcp_states), (Transport::Udp, udp_states)] {
        let query = InetQuery {
            transport,
            states,
            ports,
            remote_too,
        };
        let sockets = query_inet(&query, &ctx.deadline).map_err(cannot_tell)?;
        ctx.trace(format_args!(
            "{} sockets on {}: {}",
            transport.name(),
            ports_phrase(ports),
            sockets.len()
        ));
        found.extend(sockets.into_iter().map(|s| (transport, s)));
    }
    Ok(found)
}

/// A failure to list sockets leaves the check unable to decide: say so.
pub fn cannot_tell(reason: String) -> CannotTell {
    CannotTell(format!("cannot tell: {reason}"))
}

/// "port 5672" or "port 5671 or 5672".
pub fn ports_phrase(ports: &[u16]) -> String {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    match list.split_last() {
        Some((last, [])) => format!("port {last}"),
        Some((last, rest)) => format!("port {} or {last}", rest.join(", ")),
        None => "no port".into(),
    }
}

/// Parse port arguments (`5671 5672`), each 1..=65535.
pub fn parse_ports<S: AsRef<str>>(args: &[S]) -> Result<Vec<u16>, String> {
    if args.is_empty() {
        return Err("no port given".into());
    }
    args.iter()
        .map(|a| {
            let a = a.as_ref();
            a.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("not a port number (1-65535): {a:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases() {
        assert_eq!(ports_phrase(&[5672]), "port 5672");
        assert_eq!(ports_phrase(&[5671, 5672]), "port 5671 or 5672");
        assert_eq!(ports_phrase(&[1, 2, 3]), "port 1, 2 or 3");
    }

    #[test]
    fn ports() {
        assert_eq!(parse_ports(&["5671", "5672"]).unwrap(), vec![5671, 5672]);
        assert!(parse_ports::<&str>(&[]).is_err());
        assert!(parse_ports(&["0"]).is_err());
        assert!(parse_ports(&["65536"]).is_err());
        assert!(parse_ports(&["http"]).unwrap_err().contains("http"));
    }

    #[test]
    fn inode_zero_never_owned() {
        let me = ProcessInfo {
            pid: 1,
            comm: "x".into(),
            cmdline: "x".into(),
            uid: 0,
        };
        let holdings = Holdings {
            readable: vec![(me, BTreeSet::from([0, 5]))],
            unreadable: vec![],
        };
        assert!(holdings.owner_of(0).is_none());
        assert!(holdings.owner_of(5).is_some());
        assert!(holdings.owner_of(50).is_none());
    }
}

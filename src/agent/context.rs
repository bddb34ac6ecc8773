//! A container's context, seen from the host: its root file system (`/proc/PID/root`, every
//! path resolved inside it), its network and UTS namespaces (entered by the worker thread
//! that runs its check, with `setns(2)`, which is per thread), its PID namespace (process
//! and socket-owner matching stays inside it), its environment (`.Config.Env`), its user.
//!
//! Everything is opened from the container's init process once per check and then used
//! through the descriptors, and the process's start time is compared before and after, so
//! a container that restarts meanwhile cannot make the agent look at another process's
//! namespaces or root. Nothing from the container is executed.

use super::discover::{start_time, Container};
use crate::system::{Env, HintStore, ProcScope, Root, System};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

/// What a worker needs to run one container's check in its context.
#[derive(Debug)]
pub struct Prepared {
    pub system: Arc<System>,
    /// The container's network namespace, when it is not the agent's own (host network).
    pub net: Option<OwnedFd>,
    /// Its UTS namespace (the host name a check may ask for), when not the agent's own.
    pub uts: Option<OwnedFd>,
}

/// `PATH` when a container's environment has none (Docker's and podman's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Open the context of container `c`; `hints` is the memory its socket checks keep across
/// rounds, `checker_cmdlines` the health test's own command lines (the engine may be running
/// it in the container too: those processes are the checker, not the service).
pub fn prepare(
    c: &Container,
    hints: HintStore,
    checker_cmdlines: Vec<String>,
) -> Result<Prepared, String> {
    if c.start_time == super::discover::NOT_VISIBLE {
        return Err(format!(
            "its init process (pid {}) is not visible to the agent: the agent must run in \
             the host's PID namespace",
            c.pid
        ));
    }
    let proc_dir = format!("/proc/{}", c.pid);
    let open = |what: &str| -> Result<File, String> {
        File::open(format!("{proc_dir}/{what}")).map_err(|e| {
            format!(
                "cannot open {proc_dir}/{what}: {}",
                crate::util::io_reason(&e)
            )
        })
    };
    let root = open("root")?;
    let net = open("ns/net")?;
    let uts = open("ns/uts")?;
    let pid_ns = std::fs::metadata(format!("{proc_dir}/ns/pid"))
        .map_err(|e| {
            format!(
                "cannot read {proc_dir}/ns/pid: {}",
                crate::util::io_reason(&e)
            )
        })?
        .ino();
    // The pid could have been reused between the engine's answer and these opens.
    if start_time(c.pid) != Some(c.start_time) {
        return Err(format!(
            "its init process (pid {}) changed: the container restarted",
            c.pid
        ));
    }
    let root = Root::open_dir(OwnedFd::from(root), &c.working_dir);
    let uid = user_id(&root, &c.user);
    let mut env = c.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        // The engines run a health test with this PATH when the image sets none.
        env.insert(0, format!("PATH={DEFAULT_PATH}"));
    }
    let system = System {
        files: root.clone(),
        given: root,
        env: Env::from_assignments(&env),
        procs: ProcScope {
            pid_namespace: Some(pid_ns),
            checker_cmdlines,
        },
        hints,
        uid,
    };
    Ok(Prepared {
        system: Arc::new(system),
        net: foreign(net, "net"),
        uts: foreign(uts, "uts"),
    })
}

/// `ns` unless it is the agent's own namespace of that kind (host network, host UTS).
fn foreign(ns: File, kind: &str) -> Option<OwnedFd> {
    let own = std::fs::metadata(format!("/proc/thread-self/ns/{kind}")).ok()?;
    let theirs = ns.metadata().ok()?;
    (own.ino() != theirs.ino() || own.dev() != theirs.dev()).then(|| OwnedFd::from(ns))
}

/// The uid of `.Config.User` (`name`, `uid`, `name:group`, `uid:gid`; empty is root), names
/// looked up in the container's own /etc/passwd; `None` when it names nobody there.
pub fn user_id(root: &Root, user: &str) -> Option<u32> {
    let name = user.split(':').next().unwrap_or("").trim();
    if name.is_empty() {
        return Some(0);
    }
    if let Ok(uid) = name.parse() {
        return Some(uid);
    }
    let passwd = String::from_utf8(root.read("/etc/passwd").ok()?).ok()?;
    crate::config::passwd::by_name(&crate::config::passwd::parse(&passwd), name).map(|a| a.uid)
}

/// Move the calling thread into the namespace `ns` (of kind `nstype`, `CLONE_NEWNET` or
/// `CLONE_NEWUTS`). Per thread: the agent's other threads stay where they are.
pub fn enter(ns: &OwnedFd, nstype: nix::libc::c_int) -> Result<(), String> {
    // SAFETY: setns on a namespace descriptor we own; it changes only this thread.
    let rc = unsafe { nix::libc::setns(ns.as_raw_fd(), nstype) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "cannot enter the container's {} namespace: {}",
            if nstype == nix::libc::CLONE_NEWNET {
                "network"
            } else {
                "UTS"
            },
            crate::util::io_reason(&std::io::Error::last_os_error())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users() {
        let dir = std::env::temp_dir().join(format!("ohc-agent-users-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(
            dir.join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\nmemcache:x:104:108::/nonexistent:/bin/false\n",
        )
        .unwrap();
        let root = Root::under(&dir);
        assert_eq!(user_id(&root, ""), Some(0));
        assert_eq!(user_id(&root, "42435:42435"), Some(42435));
        assert_eq!(user_id(&root, "memcache"), Some(104));
        assert_eq!(user_id(&root, "memcache:nogroup"), Some(104));
        assert_eq!(user_id(&root, "nobody-here"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn own_namespaces_are_not_entered() {
        // The agent's own process stands in for a host-network container.
        let me = std::process::id();
        let c = Container {
            runtime: super::super::discover::Runtime::Docker,
            id: "x".into(),
            name: "self".into(),
            pid: me,
            start_time: start_time(me).unwrap(),
            health_test: None,
            env: vec!["A=1".into()],
            labels: Default::default(),
            user: String::new(),
            working_dir: String::new(),
            network_mode: "host".into(),
        };
        let p = prepare(&c, HintStore::memory(), Vec::new()).unwrap();
        assert!(p.net.is_none() && p.uts.is_none());
        assert_eq!(p.system.var("A").as_deref(), Some("1"));
        assert_eq!(p.system.uid, Some(0));
        assert!(p.system.files.exists("/etc"));
        let restarted = Container {
            start_time: c.start_time + 1,
            ..c
        };
        assert!(prepare(&restarted, HintStore::memory(), Vec::new())
            .unwrap_err()
            .contains("restarted"));
    }
}

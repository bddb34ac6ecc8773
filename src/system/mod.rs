//! The system a check looks at: whose files, whose processes, whose environment.
//!
//! A check run from the command line looks at the machine it runs on: its files (or the
//! tree `HEALTHCHECK_ROOT` names), every process it can see, its own environment. The host
//! agent runs the same checks for many containers from one process, so none of that can be
//! a global: each check gets a [`System`] in its [`Context`](crate::context::Context), and
//! every file it opens, process it matches and variable it reads goes through it.
//!
//! - [`Root`] ([`root`]): where paths are resolved. The host's file system as is, or a
//!   directory taken as `/` with every path resolved inside it (`openat2` with
//!   `RESOLVE_IN_ROOT`), so an absolute symlink inside a container resolves inside the
//!   container and never reaches the host's files.
//! - [`Env`]: the process environment, or a fixed set of variables (a container's
//!   `.Config.Env`).
//! - [`ProcScope`]: which processes of `/proc` belong to the checked system (all of them,
//!   or those of one PID namespace), and which command lines are the checker's own.
//! - [`HintStore`]: where socket checks remember the process that held the socket last
//!   time (`crate::proc::hint`): files for the command line, memory kept per container by
//!   the agent.
//!
//! The command line's system ([`System::from_process`]) reads nothing but a few
//! environment variables, so a single check costs what it did before there was a choice.

pub mod root;

pub use root::Root;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The environment variable naming the root the checks' own configuration paths are read under.
pub const ROOT_ENV: &str = "HEALTHCHECK_ROOT";

/// Everything a check may look at besides its arguments.
#[derive(Debug)]
pub struct System {
    /// Where the checks' own configuration paths (TripleO's fixed paths: vhosts, INI files,
    /// redis.conf, my.cnf, crontabs, the services' unix sockets) are read.
    pub files: Root,
    /// Where paths given as arguments (`--defaults-file`, `--cacert`, a socket or file to
    /// check) are read: as given on the command line, inside the root for a container.
    pub given: Root,
    pub env: Env,
    pub procs: ProcScope,
    pub hints: HintStore,
    /// The user the check runs as (the clients' default user name comes from it); `None`:
    /// this process's effective user.
    pub uid: Option<u32>,
}

impl System {
    /// The system the command line checks: this machine (configuration under
    /// `HEALTHCHECK_ROOT` when set), every process, this process's environment.
    pub fn from_process() -> System {
        let files = match std::env::var(ROOT_ENV) {
            Ok(root) if !root.is_empty() && root != "/" => Root::under(root.trim_end_matches('/')),
            _ => Root::Host,
        };
        System {
            files,
            given: Root::Host,
            env: Env::Process,
            procs: ProcScope::default(),
            hints: HintStore::Files,
            uid: None,
        }
    }

    /// The host's system with the configuration files read under `root` (tests).
    pub fn with_root(root: impl Into<std::path::PathBuf>) -> System {
        System {
            files: Root::under(root),
            ..System::from_process()
        }
    }

    /// An environment variable of the checked system; empty counts as unset.
    pub fn var(&self, name: &str) -> Option<String> {
        self.env.var(name).filter(|v| !v.is_empty())
    }

    /// True when an environment flag of the checked system is set to a true-ish value (1, true, yes, on).
    pub fn flag(&self, name: &str) -> bool {
        self.env.var(name).is_some_and(|v| is_true(&v))
    }

    /// The effective uid checks run as.
    pub fn effective_uid(&self) -> u32 {
        self.uid.unwrap_or_else(|| nix::unistd::geteuid().as_raw())
    }
}

/// The host name of the checked system: the kernel's, of the UTS namespace the calling
/// thread is in (the host agent's worker enters a container's before its check runs), not
/// a file of its root. What `$(hostname)` and oslo.config's `host` default to.
pub fn host_name() -> std::io::Result<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|text| text.trim().to_string())
}

/// Whether a flag's value means "on" (1, true, yes, on; any case).
pub fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// The environment a check reads its variables from.
#[derive(Debug, Clone)]
pub enum Env {
    /// This process's environment.
    Process,
    /// A fixed set, e.g. a container's `.Config.Env`.
    Fixed(BTreeMap<String, String>),
}

impl Env {
    pub fn var(&self, name: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var(name).ok(),
            Env::Fixed(vars) => vars.get(name).cloned(),
        }
    }

    /// `KEY=VALUE` strings (a container's `.Config.Env`) as an environment; a later
    /// assignment wins, an entry without `=` is ignored.
    pub fn from_assignments<S: AsRef<str>>(entries: &[S]) -> Env {
        Env::Fixed(
            entries
                .iter()
                .filter_map(|e| e.as_ref().split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

/// Which processes of `/proc` are the checked system's.
#[derive(Debug, Clone, Default)]
pub struct ProcScope {
    /// Only processes in this PID namespace (the inode of `/proc/PID/ns/pid`); `None`: all.
    pub pid_namespace: Option<u64>,
    /// Command lines (joined by spaces, as `pgrep -f` sees them) that are the checker's own
    /// besides this process's: the container's health test when the engine runs it too.
    pub checker_cmdlines: Vec<String>,
}

/// Where socket checks keep the pid that held the socket last time.
#[derive(Debug, Clone)]
pub enum HintStore {
    /// Small files in the state directory (`crate::proc::hint`).
    Files,
    /// In memory, kept by the caller across runs (the agent keeps one per container).
    Memory(Arc<Mutex<BTreeMap<String, u32>>>),
}

impl HintStore {
    pub fn memory() -> HintStore {
        HintStore::Memory(Arc::new(Mutex::new(BTreeMap::new())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_environment() {
        let env = Env::from_assignments(&["A=1", "B=x=y", "broken", "A=2", "E="]);
        assert_eq!(env.var("A").as_deref(), Some("2"));
        assert_eq!(env.var("B").as_deref(), Some("x=y"));
        assert_eq!(env.var("broken"), None);
        let sys = System {
            env,
            ..System::from_process()
        };
        assert_eq!(sys.var("E"), None);
        assert!(!sys.flag("A"));
        assert!(is_true(" Yes "));
    }
}

//! The host agent: one long-running process per host that runs every container's health
//! check in-process, in the container's context, instead of the engine exec'ing a checker
//! in each container every interval (about 90 ms of host CPU per run under Docker, 114 ms
//! under podman, around a check that costs about 1 ms).
//!
//! Each round (every `--interval`, default 30 s):
//! 1. [`discover`]: the running containers of Docker and podman, asking each engine once;
//!    only new or restarted containers are inspected.
//! 2. Which check: a label `openstack.healthcheck.check=<check>` (with optional
//!    `openstack.healthcheck.args`) names it; otherwise the container's health test
//!    ([`health_test`]) is ours when it runs this project's binary by any of its names,
//!    which the command line decides inside the container's root ([`Commands`]).
//!    Any other test is reported as not ours (`"healthy": null`) and left to the engine.
//! 3. [`round`]: every check runs on a worker thread that has entered the container's
//!    network and UTS namespaces, with the container's root, PID namespace, environment
//!    and user as its [`System`] ([`context`]); each under its own deadline. A check still
//!    running when the round ends is reported as timed out and is not waited for.
//! 4. [`state`]: the state file is replaced atomically; [`log`] writes one line per change.
//! 5. [`metrics`]: with `--textfile`, the round in node_exporter's textfile format, replaced
//!    atomically too; with `--metrics-listen`, the same served at `/metrics` ([`endpoint`]).
//!
//! The agent needs `CAP_SYS_PTRACE` and `CAP_SYS_ADMIN` ([`privileges`]) and access to the
//! engines' sockets. It never executes anything from a container.

pub mod context;
pub mod discover;
pub mod endpoint;
pub mod health_test;
pub mod log;
pub mod metrics;
pub mod privileges;
pub mod round;
pub mod state;

use crate::system::System;
use crate::verdict::Verdict;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The label naming a container's check explicitly (a service or a kolla name).
pub const CHECK_LABEL: &str = "openstack.healthcheck.check";
/// Its arguments, split like a plain shell command line.
pub const ARGS_LABEL: &str = "openstack.healthcheck.args";

/// The default time between rounds, which also bounds a round.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// The agent's command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time between the starts of two rounds; a round's checks must report within it.
    pub interval: Duration,
    pub state_file: PathBuf,
    /// One round, then exit.
    pub once: bool,
    /// Where to write each round for node_exporter's textfile collector (`*.prom`).
    pub textfile: Option<PathBuf>,
    /// Where to serve `/metrics`.
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            interval: DEFAULT_INTERVAL,
            state_file: PathBuf::from(state::DEFAULT_STATE_FILE),
            once: false,
            textfile: None,
            metrics_listen: None,
        }
    }
}

/// What the command line layer does for the agent: it alone knows the binary's names and
/// how a command line becomes a check (this layer sits below it).
pub trait Commands: Sync {
    /// Whether `argv` (a container's health test) runs this project's binary in `sys`
    /// (its names and links resolved inside the container's root and PATH): the check's
    /// name, or why it is not ours.
    fn recognise(&self, argv: &[String], sys: &System) -> Result<String, String>;
    /// Whether `name` is one of the binary's checks (a service or a kolla name).
    fn knows(&self, name: &str) -> bool;
    /// Run the command line `argv` on `sys` as the binary would in the container, without
    /// owning the process (no watchdog, no exit): the verdict and its one output line.
    fn run(&self, argv: &[String], sys: Arc<System>) -> (Verdict, String);
}

/// Run the agent until killed, or for one round with `--once`. Returns the summary line of
/// the last round; `Err` when it cannot start (privileges, the endpoint's address) or, with
/// `--once`, cannot write its state or textfile.
pub fn run(options: &Options, commands: &'static dyn Commands) -> Result<String, String> {
    if options.interval < Duration::from_secs(1) {
        return Err("--interval must be at least 1 second".into());
    }
    if let Some(path) = &options.textfile {
        metrics::check_textfile_path(path)?;
    }
    if options.once && options.metrics_listen.is_some() {
        return Err("--metrics-listen serves a running agent: not with --once".into());
    }
    privileges::check()?;
    let endpoint = match options.metrics_listen {
        Some(address) => Some(endpoint::Endpoint::start(address)?),
        None => None,
    };
    let mut agent = round::Agent::new(options.interval, commands);
    loop {
        let start = Instant::now();
        let state = agent.round();
        let summary = summary(&state, &options.state_file);
        let mut failed: Vec<String> = state::write(&options.state_file, &state)
            .err()
            .into_iter()
            .collect();
        if options.textfile.is_some() || endpoint.is_some() {
            let text = metrics::exposition(&state);
            if let Some(path) = &options.textfile {
                failed.extend(metrics::write_textfile(path, &text).err());
            }
            if let Some(endpoint) = &endpoint {
                endpoint.publish(text);
            }
        }
        if options.once {
            return if failed.is_empty() {
                Ok(summary)
            } else {
                Err(failed.join("; "))
            };
        }
        for e in &failed {
            agent.log.line(e, true);
        }
        if let Some(wait) = (start + options.interval).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

/// `agent: 5 containers (3 healthy, 1 unhealthy, 1 not ours); state in PATH`.
fn summary(state: &state::State, path: &std::path::Path) -> String {
    let count = |h: Option<bool>| state.containers.iter().filter(|e| e.healthy == h).count();
    let mut line = format!(
        "agent: {} containers ({} healthy, {} unhealthy, {} not ours); state in {}",
        state.containers.len(),
        count(Some(true)),
        count(Some(false)),
        count(None),
        path.display()
    );
    for e in &state.errors {
        line.push_str(&format!("; {e}"));
    }
    line
}

/// `status`: the state file as a table, or (`json`) as it is.
pub fn status(path: &std::path::Path, json: bool) -> Result<String, String> {
    let state = state::read(path)?;
    Ok(if json {
        state.to_json().to_string()
    } else {
        state.table()
    })
}

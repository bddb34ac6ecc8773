//! One round of the agent: discover, decide each container's check, run the checks on
//! worker threads in the containers' contexts, collect the verdicts until the round's end,
//! log the changes, and make the state.
//!
//! Every check gets its own thread: `setns(2)` moves only the calling thread, and a thread
//! that has entered a container's namespaces is not reused for another. A check is bounded
//! by its own deadline (as on the command line; there is no process-wide watchdog here);
//! one that has not reported when the round ends is reported as timed out, and no new check
//! starts for that container while it still runs, so a stuck check cannot pile up.

use super::context::{self, Prepared};
use super::discover::{docker, podman, Container, Discovery, Engine, Runtime};
use super::health_test::{self, HealthTest};
use super::log::Log;
use super::state::{self, Entry, State};
use super::{Commands, ARGS_LABEL, CHECK_LABEL};
use crate::system::HintStore;
use crate::verdict::{Health, Verdict};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the agent keeps about a container between rounds.
struct Tracked {
    /// The process the facts below were found for (a restart starts over).
    start_time: u64,
    /// Which command line to run and the check's name, or why the container is not ours;
    /// decided once (a container's health test and image do not change).
    decision: Option<Result<(Vec<String>, String), String>>,
    /// The socket checks' memory of the owning process.
    hints: HintStore,
    /// Set while a check of this container runs (possibly past its round).
    in_flight: Arc<AtomicBool>,
    /// When that check started.
    started: Instant,
    /// The last state logged, to log changes only.
    last: Option<(Option<bool>, Option<String>)>,
}

/// The agent between rounds.
pub struct Agent {
    interval: Duration,
    commands: &'static dyn Commands,
    discovery: Discovery,
    tracked: HashMap<String, Tracked>,
    pub log: Log,
}

/// A check started this round.
struct Running {
    index: usize,
    check: String,
}

impl Agent {
    pub fn new(interval: Duration, commands: &'static dyn Commands) -> Agent {
        Agent {
            interval,
            commands,
            discovery: Discovery::default(),
            tracked: HashMap::new(),
            log: Log::open(),
        }
    }

    /// One round; the state to write.
    pub fn round(&mut self) -> State {
        let start = Instant::now();
        let round_end = start + self.interval;
        let found = self.discovery.round(&engines());
        let containers = found.containers;
        let mut entries: Vec<Option<Entry>> = vec![None; containers.len()];
        let (tx, rx) = mpsc::channel::<(usize, (Verdict, String))>();
        let mut running: Vec<Running> = Vec::new();
        for (index, c) in containers.iter().enumerate() {
            let tracked = self.tracked.entry(c.id.clone()).or_insert_with(|| Tracked {
                start_time: c.start_time,
                decision: None,
                hints: HintStore::memory(),
                in_flight: Arc::new(AtomicBool::new(false)),
                started: start,
                last: None,
            });
            if tracked.start_time != c.start_time {
                tracked.start_time = c.start_time;
                tracked.decision = None;
                tracked.hints = HintStore::memory();
            }
            if tracked.in_flight.load(Ordering::SeqCst) {
                let reason = format!(
                    "timed out: the check started {}s ago has not finished",
                    tracked.started.elapsed().as_secs()
                );
                let check = tracked
                    .decision
                    .as_ref()
                    .and_then(|d| d.as_ref().ok())
                    .map(|(_, name)| name.clone());
                entries[index] = Some(entry(c, check, Some(false), reason, None));
                continue;
            }
            let prepared = match context::prepare(
                c,
                tracked.hints.clone(),
                checker_cmdlines(c.health_test.as_deref()),
            ) {
                Ok(p) => p,
                Err(e) => {
                    let mut e = entry(c, None, Some(false), format!("cannot tell: {e}"), None);
                    e.cannot_tell = true;
                    entries[index] = Some(e);
                    continue;
                }
            };
            let decision = tracked
                .decision
                .get_or_insert_with(|| decide(c, &prepared, self.commands))
                .clone();
            let (argv, check) = match decision {
                Ok(found) => found,
                Err(why) => {
                    let healthy = if why.starts_with(LABEL_PROBLEM) {
                        Some(false)
                    } else {
                        None
                    };
                    entries[index] = Some(entry(c, None, healthy, why, None));
                    continue;
                }
            };
            tracked.in_flight.store(true, Ordering::SeqCst);
            tracked.started = Instant::now();
            match spawn(
                index,
                argv,
                prepared,
                self.commands,
                tx.clone(),
                tracked.in_flight.clone(),
            ) {
                Ok(()) => running.push(Running { index, check }),
                Err(e) => {
                    tracked.in_flight.store(false, Ordering::SeqCst);
                    entries[index] = Some(entry(c, Some(check), Some(false), e, None));
                }
            }
        }
        drop(tx);
        let mut waiting = running.len();
        while waiting > 0 {
            let Some(left) = round_end.checked_duration_since(Instant::now()) else {
                break;
            };
            match rx.recv_timeout(left) {
                Ok((index, (verdict, line))) => {
                    waiting -= 1;
                    let mut e = entry(
                        &containers[index],
                        Some(verdict.check.clone()),
                        Some(verdict.healthy()),
                        verdict.reason.clone(),
                        Some(line),
                    );
                    e.cannot_tell = verdict.health == Health::CannotTell;
                    e.duration = Some(state::to_micros(verdict.elapsed));
                    entries[index] = Some(e);
                }
                Err(_) => break,
            }
        }
        for r in &running {
            if entries[r.index].is_none() {
                let reason = format!(
                    "timed out: no verdict within the round ({}s)",
                    self.interval.as_secs()
                );
                entries[r.index] = Some(entry(
                    &containers[r.index],
                    Some(r.check.clone()),
                    Some(false),
                    reason,
                    None,
                ));
            }
        }
        let entries: Vec<Entry> = entries.into_iter().flatten().collect();
        self.log_changes(&containers, &entries);
        State {
            checked_at: state::now_rfc3339(),
            interval: self.interval.as_secs(),
            errors: found.errors,
            containers: entries,
        }
    }

    /// One line per container whose state changed, and per container gone.
    fn log_changes(&mut self, containers: &[Container], entries: &[Entry]) {
        for e in entries {
            let now = (e.healthy, e.check.clone());
            let Some(tracked) = self.tracked.get_mut(&e.id) else {
                continue;
            };
            if tracked.last.as_ref() == Some(&now) {
                continue;
            }
            let status = match e.healthy {
                Some(true) => "healthy",
                Some(false) => "unhealthy",
                None => "not checked by the agent",
            };
            self.log.line(
                &format!("{} ({}): {status}: {}", e.name, e.runtime, e.reason),
                e.healthy == Some(false),
            );
            tracked.last = Some(now);
        }
        let present: Vec<&str> = containers.iter().map(|c| c.id.as_str()).collect();
        let gone: Vec<String> = self
            .tracked
            .keys()
            .filter(|id| !present.contains(&id.as_str()))
            .cloned()
            .collect();
        for id in gone {
            if let Some(t) = self.tracked.remove(&id) {
                if t.last.is_some() {
                    let short: String = id.chars().take(12).collect();
                    self.log.line(&format!("container {short} is gone"), false);
                }
            }
        }
    }
}

/// Reasons that start with this are the label's fault: reported unhealthy, not "not ours".
const LABEL_PROBLEM: &str = "label ";

/// Which command line a container's check is, and its name; `Err(why not ours)`.
fn decide(
    c: &Container,
    prepared: &Prepared,
    commands: &dyn Commands,
) -> Result<(Vec<String>, String), String> {
    if let Some(name) = c.labels.get(CHECK_LABEL) {
        let name = name.trim();
        if !commands.knows(name) {
            return Err(format!(
                "{LABEL_PROBLEM}{CHECK_LABEL}={name:?} names no check of openstack-healthcheck"
            ));
        }
        let mut argv = vec![name.to_string()];
        if let Some(args) = c.labels.get(ARGS_LABEL) {
            argv.extend(
                health_test::split_plain(args)
                    .map_err(|e| format!("{LABEL_PROBLEM}{ARGS_LABEL} needs a shell: {e}"))?,
            );
        }
        return Ok((argv, name.to_string()));
    }
    match health_test::parse(c.health_test.as_deref()) {
        HealthTest::None => Err("no health test".into()),
        HealthTest::Other(why) => Err(format!("not ours: {why}")),
        HealthTest::Command(argv) => {
            let check = commands
                .recognise(&argv, &prepared.system)
                .map_err(|why| format!("not ours: {why}"))?;
            Ok((argv, check))
        }
    }
}

/// The command lines the engine's own run of the health test shows in the container: the
/// exec form's arguments, or `/bin/sh -c TEXT` for the shell form (and the words it runs).
fn checker_cmdlines(test: Option<&[String]>) -> Vec<String> {
    match test.and_then(|t| t.split_first()) {
        Some((kind, args)) if kind == "CMD" => vec![args.join(" ")],
        Some((kind, args)) if kind == "CMD-SHELL" => {
            let text = args.join(" ");
            let mut lines = vec![format!("/bin/sh -c {text}")];
            if let Ok(words) = health_test::split_plain(&text) {
                lines.push(words.join(" "));
            }
            lines
        }
        _ => Vec::new(),
    }
}

/// Start `argv`'s check on its own thread in the container's namespaces.
fn spawn(
    index: usize,
    argv: Vec<String>,
    prepared: Prepared,
    commands: &'static dyn Commands,
    tx: mpsc::Sender<(usize, (Verdict, String))>,
    in_flight: Arc<AtomicBool>,
) -> Result<(), String> {
    std::thread::Builder::new()
        .name(format!("check-{index}"))
        .spawn(move || {
            let check = argv.first().cloned().unwrap_or_default();
            let result = enter_and_run(&argv, prepared, commands).unwrap_or_else(|reason| {
                let verdict = Verdict::failure(&check, "", reason, Duration::ZERO);
                let line = crate::output::render(&verdict, Default::default());
                (verdict, line)
            });
            in_flight.store(false, Ordering::SeqCst);
            // The round may be over: then nobody listens, and the result is dropped.
            let _ = tx.send((index, result));
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start a worker thread: {e}"))
}

fn enter_and_run(
    argv: &[String],
    prepared: Prepared,
    commands: &'static dyn Commands,
) -> Result<(Verdict, String), String> {
    if let Some(ns) = &prepared.net {
        context::enter(ns, nix::libc::CLONE_NEWNET)?;
    }
    if let Some(ns) = &prepared.uts {
        context::enter(ns, nix::libc::CLONE_NEWUTS)?;
    }
    let system = prepared.system;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commands.run(argv, system)))
        .map_err(|_| "internal error (please report): the check panicked".to_string())
}

/// The engines on this host, found afresh each round (one may start after the agent).
fn engines() -> Vec<Box<dyn Engine>> {
    let mut found: Vec<Box<dyn Engine>> = Vec::new();
    if let Some(socket) = super::discover::api_socket("DOCKER_HOST", docker::DEFAULT_SOCKET) {
        found.push(Box::new(docker::ApiSocket {
            runtime: Runtime::Docker,
            socket,
        }));
    }
    if let Some(p) = podman::Podman::find() {
        found.push(Box::new(p));
    }
    found
}

fn entry(
    c: &Container,
    check: Option<String>,
    healthy: Option<bool>,
    reason: String,
    output: Option<String>,
) -> Entry {
    Entry {
        name: c.name.clone(),
        id: c.id.clone(),
        runtime: c.runtime.name().to_string(),
        check,
        healthy,
        cannot_tell: false,
        duration: None,
        reason,
        output,
        checked_at: state::now_rfc3339(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn checker_lines() {
        assert_eq!(
            checker_cmdlines(Some(&s(&["CMD", "/openstack/healthcheck", "5672"]))),
            s(&["/openstack/healthcheck 5672"])
        );
        assert_eq!(
            checker_cmdlines(Some(&s(&[
                "CMD-SHELL",
                "healthcheck_port 'nova-conductor' 5672"
            ]))),
            s(&[
                "/bin/sh -c healthcheck_port 'nova-conductor' 5672",
                "healthcheck_port nova-conductor 5672"
            ])
        );
        assert!(checker_cmdlines(None).is_empty());
    }
}

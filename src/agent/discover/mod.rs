//! The running containers of Docker and podman, and what the agent needs of each: its
//! configured health test, its init process (the way into its root and namespaces), its
//! environment, labels, user and working directory, from the engine's inspect data
//! (`.Config.Healthcheck.Test`, `.State.Pid`, `.HostConfig.NetworkMode`, `.Config.Env`,
//! `.Config.Labels`, `.Config.User`, `.Config.WorkingDir`).
//!
//! Each engine is asked once per round for its list of running containers; only
//! containers not seen before, or whose init process is no longer the one seen (a restart:
//! the pid and its start time in `/proc/PID/stat` tell), are inspected. A container id's
//! configuration never changes, so the cost of discovery follows the number of new
//! containers, not the number of checks run.
//!
//! - [`docker`]: the API socket (`/var/run/docker.sock`, or `DOCKER_HOST=unix://...`).
//! - [`podman`]: its API socket when `podman system service` runs (`/run/podman/podman.sock`,
//!   or `CONTAINER_HOST=unix://...`), else one `podman ps --format json` and one
//!   `podman inspect` of the new ids per round.

pub mod docker;
pub mod http;
pub mod podman;

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

/// How long one request to an engine may take.
pub const ENGINE_TIMEOUT: Duration = Duration::from_secs(20);

/// The engine a container runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Runtime {
    Docker,
    Podman,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
        }
    }
}

/// A running container as the agent checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub runtime: Runtime,
    pub id: String,
    pub name: String,
    /// Its init process, seen from the host.
    pub pid: u32,
    /// That process's start time (`/proc/PID/stat` field 22), so a reused pid is told apart.
    pub start_time: u64,
    /// `.Config.Healthcheck.Test`, when the container has one.
    pub health_test: Option<Vec<String>>,
    /// `.Config.Env` (`KEY=VALUE`).
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// `.Config.User` (`name`, `uid`, `uid:gid`; empty: root).
    pub user: String,
    /// `.Config.WorkingDir` (empty: `/`).
    pub working_dir: String,
    /// `.HostConfig.NetworkMode` (`host`, `bridge`, `container:ID`...), for the record.
    pub network_mode: String,
}

/// One entry of an engine's list of running containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    /// The init pid, when the list says it (podman's does, Docker's does not).
    pub pid: Option<u32>,
}

/// How the agent talks to one engine.
pub trait Engine {
    fn runtime(&self) -> Runtime;
    /// The running containers.
    fn list(&self) -> Result<Vec<Listed>, String>;
    /// The inspect objects of `ids` (in any order; a container gone meanwhile may be missing).
    fn inspect(&self, ids: &[String]) -> Result<Vec<Value>, String>;
    /// A cheap token that changes whenever the engine's running containers may have changed
    /// (started, stopped, restarted), where asking the engine itself is dear: while it stays
    /// the same, the last list is used again, for at most [`RELIST_ROUNDS`] rounds. `None`:
    /// ask every round.
    fn fingerprint(&self) -> Option<String> {
        None
    }
}

/// How many rounds a list may be used again while the engine's fingerprint stays the same:
/// what the fingerprint cannot see (a rename, a container initialised before it started)
/// shows within that many rounds.
pub const RELIST_ROUNDS: u32 = 10;

/// An engine's last list, kept while its fingerprint does not change.
struct LastList {
    fingerprint: String,
    listed: Vec<Listed>,
    /// Rounds that used it again.
    reused: u32,
}

/// A container from its inspect object; `Err` when it is not running or lacks what the
/// agent needs.
pub fn from_inspect(runtime: Runtime, v: &Value) -> Result<Container, String> {
    let str_at = |path: &[&str]| -> String {
        let mut at = v;
        for key in path {
            at = &at[*key];
        }
        at.as_str().unwrap_or("").to_string()
    };
    let id = str_at(&["Id"]);
    if id.is_empty() {
        return Err("inspect data without an Id".into());
    }
    let name = str_at(&["Name"]).trim_start_matches('/').to_string();
    let pid = v["State"]["Pid"].as_u64().unwrap_or(0);
    if v["State"]["Running"].as_bool() != Some(true) || pid == 0 {
        return Err(format!("{name}: not running"));
    }
    let pid = u32::try_from(pid).map_err(|_| format!("{name}: pid {pid} out of range"))?;
    let strings = |value: &Value| -> Option<Vec<String>> {
        value.as_array().map(|items| {
            items
                .iter()
                .map(|i| i.as_str().unwrap_or("").to_string())
                .collect()
        })
    };
    let labels = v["Config"]["Labels"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Container {
        runtime,
        id,
        name,
        pid,
        start_time: 0,
        health_test: strings(&v["Config"]["Healthcheck"]["Test"]),
        env: strings(&v["Config"]["Env"]).unwrap_or_default(),
        labels,
        user: str_at(&["Config", "User"]),
        working_dir: str_at(&["Config", "WorkingDir"]),
        network_mode: str_at(&["HostConfig", "NetworkMode"]),
    })
}

/// The start time of process `pid` (`/proc/PID/stat` field 22, in clock ticks since boot).
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_time(&stat)
}

/// Field 22 of a `/proc/PID/stat` line; the command name (field 2) may hold spaces and
/// parentheses, so fields are counted after its last `)`.
pub fn parse_start_time(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    // Fields 3.. follow; field 22 is the 20th of them.
    after.split_whitespace().nth(19)?.parse().ok()
}

/// The engines answering on this host and the containers seen so far.
#[derive(Default)]
pub struct Discovery {
    known: HashMap<String, Container>,
    last_lists: HashMap<Runtime, LastList>,
}

/// What one round of discovery found.
#[derive(Debug, Default)]
pub struct Found {
    /// The running containers, by runtime and name.
    pub containers: Vec<Container>,
    /// One line per engine that could not be asked.
    pub errors: Vec<String>,
    /// How many containers were inspected this round (the rest came from memory).
    pub inspected: usize,
}

impl Discovery {
    /// Ask every engine once: its list, then the inspect data of the containers not seen
    /// before or restarted since.
    pub fn round(&mut self, engines: &[Box<dyn Engine>]) -> Found {
        let mut found = Found::default();
        let mut listed_ids = Vec::new();
        for engine in engines {
            let runtime = engine.runtime();
            let listed = match self.list(engine.as_ref()) {
                Ok(listed) => listed,
                Err(e) => {
                    // Keep what is known of this engine's containers out of the round: we
                    // cannot tell whether they still run.
                    found.errors.push(format!("{}: {e}", runtime.name()));
                    continue;
                }
            };
            let mut wanted = Vec::new();
            for entry in &listed {
                listed_ids.push(entry.id.clone());
                match self.known.get(&entry.id) {
                    Some(c) if c.runtime == runtime && still_current(c, entry.pid) => {
                        found.containers.push(c.clone())
                    }
                    _ => wanted.push(entry.id.clone()),
                }
            }
            if wanted.is_empty() {
                continue;
            }
            found.inspected += wanted.len();
            match engine.inspect(&wanted) {
                Ok(objects) => {
                    for object in &objects {
                        let Ok(mut c) = from_inspect(runtime, object) else {
                            continue; // stopped meanwhile
                        };
                        // A process the agent cannot see (stopped meanwhile, or in a PID
                        // namespace other than the agent's) is remembered as such, so it is
                        // not inspected again every round, and reported as one it cannot check.
                        c.start_time = start_time(c.pid).unwrap_or(NOT_VISIBLE);
                        self.known.insert(c.id.clone(), c.clone());
                        found.containers.push(c);
                    }
                }
                Err(e) => found.errors.push(format!("{}: {e}", runtime.name())),
            }
        }
        self.known.retain(|id, _| listed_ids.contains(id));
        found
            .containers
            .sort_by(|a, b| (a.runtime, &a.name).cmp(&(b.runtime, &b.name)));
        found
    }
}

impl Discovery {
    /// The engine's running containers: its last list again while its fingerprint stays the
    /// same (and for at most [`RELIST_ROUNDS`] rounds), else a new one.
    fn list(&mut self, engine: &dyn Engine) -> Result<Vec<Listed>, String> {
        let runtime = engine.runtime();
        let Some(fingerprint) = engine.fingerprint() else {
            self.last_lists.remove(&runtime);
            return engine.list();
        };
        if let Some(last) = self.last_lists.get_mut(&runtime) {
            if last.fingerprint == fingerprint && last.reused < RELIST_ROUNDS {
                last.reused += 1;
                return Ok(last.listed.clone());
            }
        }
        self.last_lists.remove(&runtime);
        let listed = engine.list()?;
        self.last_lists.insert(
            runtime,
            LastList {
                fingerprint,
                listed: listed.clone(),
                reused: 0,
            },
        );
        Ok(listed)
    }
}

/// The start time of a container whose init process the agent could not see.
pub const NOT_VISIBLE: u64 = u64::MAX;

/// Whether what is known of `c` still holds: its init process runs, started when it did (or
/// is still not visible), and is the pid the list gives (when it gives one).
fn still_current(c: &Container, listed_pid: Option<u32>) -> bool {
    listed_pid.is_none_or(|pid| pid == c.pid)
        && start_time(c.pid).unwrap_or(NOT_VISIBLE) == c.start_time
}

/// `unix:///path` or `/path` as a socket path; `None` for other schemes (tcp://, ssh://).
pub fn unix_socket_from(url: &str) -> Option<String> {
    let path = url.strip_prefix("unix://").unwrap_or(url);
    path.starts_with('/').then(|| path.to_string())
}

/// The socket named by environment variable `var` (a `unix://` URL), else `default`, when
/// it exists.
pub fn api_socket(var: &str, default: &str) -> Option<String> {
    let path = match std::env::var(var) {
        Ok(url) if !url.is_empty() => unix_socket_from(&url)?,
        _ => default.to_string(),
    };
    Path::new(&path).exists().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER_INSPECT: &str = r#"{
        "Id": "4f2a9c", "Name": "/ohc-memcached",
        "State": {"Running": true, "Pid": 4242, "Health": {"Status": "healthy"}},
        "Config": {
            "User": "memcache", "WorkingDir": "/srv",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/bin", "HEALTHCHECK_TIMEOUT=3"],
            "Labels": {"openstack.healthcheck.check": "memcached", "n": null},
            "Healthcheck": {"Test": ["CMD", "/openstack/healthcheck"], "Interval": 2000000000}
        },
        "HostConfig": {"NetworkMode": "host"}
    }"#;

    #[test]
    fn reads_inspect_data() {
        let v: Value = serde_json::from_str(DOCKER_INSPECT).unwrap();
        let c = from_inspect(Runtime::Docker, &v).unwrap();
        assert_eq!(c.id, "4f2a9c");
        assert_eq!(c.name, "ohc-memcached");
        assert_eq!(c.pid, 4242);
        assert_eq!(
            c.health_test,
            Some(vec![
                "CMD".to_string(),
                "/openstack/healthcheck".to_string()
            ])
        );
        assert_eq!(c.env.len(), 2);
        assert_eq!(c.labels["openstack.healthcheck.check"], "memcached");
        assert_eq!(c.labels["n"], "");
        assert_eq!(
            (c.user.as_str(), c.working_dir.as_str()),
            ("memcache", "/srv")
        );
        assert_eq!(c.network_mode, "host");

        // podman names have no slash; no health test and no labels are fine.
        let podman: Value = serde_json::from_str(
            r#"{"Id":"9","Name":"p","State":{"Running":true,"Pid":7},"Config":{"Healthcheck":null,"Labels":null}}"#,
        )
        .unwrap();
        let c = from_inspect(Runtime::Podman, &podman).unwrap();
        assert_eq!((c.name.as_str(), c.health_test.clone()), ("p", None));
        assert!(c.labels.is_empty() && c.env.is_empty());

        let stopped: Value =
            serde_json::from_str(r#"{"Id":"9","Name":"/s","State":{"Running":false,"Pid":0}}"#)
                .unwrap();
        assert!(from_inspect(Runtime::Docker, &stopped).is_err());
        assert!(from_inspect(Runtime::Docker, &Value::Null).is_err());
    }

    #[test]
    fn start_times() {
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
        assert_eq!(parse_start_time(line), Some(98765));
        assert_eq!(parse_start_time("garbage"), None);
        let mine = start_time(std::process::id()).unwrap();
        assert!(mine > 0);
        assert_eq!(start_time(std::process::id()), Some(mine));
    }

    #[test]
    fn socket_urls() {
        assert_eq!(
            unix_socket_from("unix:///run/podman/podman.sock").as_deref(),
            Some("/run/podman/podman.sock")
        );
        assert_eq!(unix_socket_from("/x.sock").as_deref(), Some("/x.sock"));
        assert_eq!(unix_socket_from("tcp://10.0.0.1:2375"), None);
    }

    /// An engine answering from memory, counting lists and inspections.
    struct Fake {
        listed: Vec<Listed>,
        objects: Vec<Value>,
        inspections: std::cell::Cell<usize>,
        lists: std::cell::Cell<usize>,
        fingerprint: std::cell::RefCell<Option<String>>,
    }

    impl Fake {
        fn new(listed: Vec<Listed>, objects: Vec<Value>) -> Fake {
            Fake {
                listed,
                objects,
                inspections: Default::default(),
                lists: Default::default(),
                fingerprint: Default::default(),
            }
        }
    }

    impl Engine for Fake {
        fn runtime(&self) -> Runtime {
            Runtime::Docker
        }
        fn list(&self) -> Result<Vec<Listed>, String> {
            self.lists.set(self.lists.get() + 1);
            Ok(self.listed.clone())
        }
        fn fingerprint(&self) -> Option<String> {
            self.fingerprint.borrow().clone()
        }
        fn inspect(&self, ids: &[String]) -> Result<Vec<Value>, String> {
            self.inspections.set(self.inspections.get() + ids.len());
            Ok(self
                .objects
                .iter()
                .filter(|o| ids.iter().any(|id| o["Id"] == id.as_str()))
                .cloned()
                .collect())
        }
    }

    #[test]
    fn inspects_only_new_containers() {
        // This test process stands in for a container's init process.
        let me = std::process::id();
        let object = serde_json::json!({
            "Id": "c1", "Name": "/one", "State": {"Running": true, "Pid": me},
            "Config": {"Healthcheck": {"Test": ["CMD", "x"]}}
        });
        let engine = Fake::new(
            vec![Listed {
                id: "c1".into(),
                pid: None,
            }],
            vec![object],
        );
        let engines: Vec<Box<dyn Engine>> = vec![Box::new(engine)];
        let mut discovery = Discovery::default();
        for round in 0..3 {
            let found = discovery.round(&engines);
            assert_eq!(found.containers.len(), 1, "round {round}");
            assert_eq!(found.inspected, usize::from(round == 0), "round {round}");
        }
        // A pid the list contradicts makes it inspect again.
        let stale = discovery.known.get_mut("c1").unwrap();
        stale.start_time += 1;
        assert_eq!(discovery.round(&engines).inspected, 1);
    }

    #[test]
    fn a_process_out_of_sight_is_inspected_once() {
        // The engine says it runs, with a pid this process cannot see (above pid_max).
        let object = serde_json::json!({
            "Id": "c2", "Name": "/elsewhere", "State": {"Running": true, "Pid": 4_194_305},
            "Config": {}
        });
        let listed = vec![Listed {
            id: "c2".into(),
            pid: Some(4_194_305),
        }];
        let engine = Fake::new(listed, vec![object]);
        let engines: Vec<Box<dyn Engine>> = vec![Box::new(engine)];
        let mut discovery = Discovery::default();
        for round in 0..3 {
            let found = discovery.round(&engines);
            assert_eq!(found.containers.len(), 1, "reported, round {round}");
            assert_eq!(found.containers[0].start_time, NOT_VISIBLE);
            assert_eq!(found.inspected, usize::from(round == 0), "round {round}");
        }
    }

    #[test]
    fn lists_again_when_the_fingerprint_changes_or_the_list_is_old() {
        let me = std::process::id();
        let object = serde_json::json!({
            "Id": "c1", "Name": "/one", "State": {"Running": true, "Pid": me},
            "Config": {}
        });
        let listed = vec![Listed {
            id: "c1".into(),
            pid: Some(me),
        }];
        let engine = std::rc::Rc::new(Fake::new(listed, vec![object]));
        struct Shared(std::rc::Rc<Fake>);
        impl Engine for Shared {
            fn runtime(&self) -> Runtime {
                self.0.runtime()
            }
            fn list(&self) -> Result<Vec<Listed>, String> {
                self.0.list()
            }
            fn inspect(&self, ids: &[String]) -> Result<Vec<Value>, String> {
                self.0.inspect(ids)
            }
            fn fingerprint(&self) -> Option<String> {
                self.0.fingerprint()
            }
        }
        let engines: Vec<Box<dyn Engine>> = vec![Box::new(Shared(engine.clone()))];
        let mut discovery = Discovery::default();
        // No fingerprint: a list every round.
        for _ in 0..3 {
            assert_eq!(discovery.round(&engines).containers.len(), 1);
        }
        assert_eq!(engine.lists.get(), 3);
        // The same fingerprint: the last list again, up to RELIST_ROUNDS rounds.
        *engine.fingerprint.borrow_mut() = Some("conmon 1".into());
        for _ in 0..=RELIST_ROUNDS {
            assert_eq!(discovery.round(&engines).containers.len(), 1);
        }
        assert_eq!(engine.lists.get(), 4);
        assert_eq!(discovery.round(&engines).containers.len(), 1);
        assert_eq!(engine.lists.get(), 5, "a list too old is asked again");
        // A new fingerprint: a new list at once.
        *engine.fingerprint.borrow_mut() = Some("conmon 1 2".into());
        discovery.round(&engines);
        assert_eq!(engine.lists.get(), 6);
        discovery.round(&engines);
        assert_eq!(engine.lists.get(), 6);
        assert_eq!(
            engine.inspections.get(),
            1,
            "the container was inspected once"
        );
    }
}

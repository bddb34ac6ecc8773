//! The agent's round for Prometheus: the state of a round rendered by
//! [`output::textfile`](crate::output::textfile), for node_exporter's textfile collector
//! (`--textfile PATH`, replaced atomically after every round) and for the agent's own
//! `/metrics` endpoint (`--metrics-listen`, [`super::endpoint`]): the same exposition.
//!
//! A container whose health test is not ours (`healthy: null`) has only
//! `openstack_healthcheck_container_checked 0`. A container the agent checks but could not
//! say which check (a label naming no check, a container it could not enter before its check
//! was decided) has `check="unknown"`, so that the alert rules' `check!=""` still select it.

use super::state::{self, State};
use crate::output::textfile::{self, CheckResult, ContainerResult};
use crate::verdict::Health;
use std::path::Path;

/// The `check` label of a container checked without a known check.
pub const UNKNOWN_CHECK: &str = "unknown";

/// The round's exposition (empty when the round found no container).
pub fn exposition(round: &State) -> String {
    let results: Vec<ContainerResult> = round
        .containers
        .iter()
        .map(|e| ContainerResult {
            container: &e.name,
            runtime: &e.runtime,
            result: e.healthy.map(|healthy| CheckResult {
                check: e.check.as_deref().unwrap_or(UNKNOWN_CHECK),
                health: if e.cannot_tell {
                    Health::CannotTell
                } else if healthy {
                    Health::Healthy
                } else {
                    Health::Unhealthy
                },
                duration: e.duration,
            }),
        })
        .collect();
    textfile::render(&results)
}

/// Whether `path` can be the textfile: node_exporter's collector reads only `*.prom` files.
pub fn check_textfile_path(path: &Path) -> Result<(), String> {
    match path.file_name().and_then(|n| n.to_str()) {
        Some(name) if name.len() > ".prom".len() && name.ends_with(".prom") => Ok(()),
        _ => Err(format!(
            "--textfile {}: node_exporter's textfile collector reads only files named *.prom",
            path.display()
        )),
    }
}

/// Replace the textfile at `path` with `text`, atomically (see [`state::replace`]).
pub fn write_textfile(path: &Path, text: &str) -> Result<(), String> {
    state::replace(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::state::Entry;
    use std::time::Duration;

    fn entry(name: &str, check: Option<&str>, healthy: Option<bool>, cannot_tell: bool) -> Entry {
        Entry {
            name: name.into(),
            id: format!("{name}-id"),
            runtime: "docker".into(),
            check: check.map(String::from),
            healthy,
            cannot_tell,
            duration: healthy.map(|_| Duration::from_millis(2)),
            reason: "x".into(),
            output: None,
            checked_at: "2025-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn every_kind_of_entry() {
        let round = State {
            containers: vec![
                entry("up", Some("redis"), Some(true), false),
                entry("down", Some("healthcheck_curl"), Some(false), false),
                entry("unsure", Some("nova-conductor"), Some(false), true),
                entry("badlabel", None, Some(false), false),
                entry("foreign", None, None, false),
            ],
            ..State::default()
        };
        let text = exposition(&round);
        for line in [
            r#"openstack_healthcheck_container_checked{container="foreign",runtime="docker"} 0"#,
            r#"openstack_healthcheck_container_checked{container="up",runtime="docker"} 1"#,
            r#"probe_success{container="up",runtime="docker",check="redis"} 1"#,
            r#"probe_success{container="down",runtime="docker",check="healthcheck_curl"} 0"#,
            r#"openstack_healthcheck_cannot_tell{container="down",runtime="docker",check="healthcheck_curl"} 0"#,
            r#"openstack_healthcheck_cannot_tell{container="unsure",runtime="docker",check="nova-conductor"} 1"#,
            r#"probe_success{container="badlabel",runtime="docker",check="unknown"} 0"#,
            r#"probe_duration_seconds{container="up",runtime="docker",check="redis"} 0.002"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert!(
            !text.contains("probe_success{container=\"foreign\""),
            "{text}"
        );
        assert_eq!(exposition(&State::default()), "");
    }

    #[test]
    fn textfile_paths() {
        assert!(check_textfile_path(Path::new("/var/lib/node-exporter/ohc.prom")).is_ok());
        assert!(check_textfile_path(Path::new("ohc.prom")).is_ok());
        for bad in ["/tmp/ohc.txt", "/tmp/.prom", "/", "/tmp/ohc.prom.tmp"] {
            assert!(check_textfile_path(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn written_atomically() {
        let dir = std::env::temp_dir().join(format!("ohc-agent-textfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("openstack-healthcheck.prom");
        write_textfile(&path, "a 1\n").unwrap();
        write_textfile(&path, "a 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 2\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

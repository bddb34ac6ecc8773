//! The host agent's round as node_exporter's textfile collector reads it: one exposition
//! with every container's latest result, in the families (and with the HELP texts) of
//! `--format prometheus`, labelled `container`, `runtime` and `check`.
//!
//! - `openstack_healthcheck_container_checked` for every container: 1 when this project's
//!   check runs for it, 0 when its health test is left to its engine (not ours); the other
//!   families have no series for the latter.
//! - `probe_success`, `openstack_healthcheck_cannot_tell` and, when known,
//!   `probe_duration_seconds` for each container checked.
//!
//! The reason of a verdict is not a label: it carries times and addresses, so its value
//! would change from round to round and every change would start a new series (the agent's
//! state file and `status` keep it). No timestamps either: the collector refuses them. One
//! result per container: a second one with the same container and runtime (or names alike
//! once cut to the label length) is left out: node_exporter silently drops the series of a
//! family with a duplicate, the first one's too.
//!
//! Not an `--format`: it renders many containers' results, not one verdict. The agent
//! writes it to a temporary file beside the target and renames it, as the collector wants.

use super::prometheus::{family, labels, Family, CANNOT_TELL, PROBE_DURATION, PROBE_SUCCESS};
use crate::verdict::Health;
use std::collections::HashSet;
use std::time::Duration;

pub const CONTAINER_CHECKED: Family = Family {
    name: "openstack_healthcheck_container_checked",
    help: "Whether openstack-healthcheck checks the container (1) or leaves its health test to its engine (0).",
};

/// One container's latest result in the agent's round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerResult<'a> {
    /// The container's name.
    pub container: &'a str,
    /// The engine that runs it (`docker`, `podman`).
    pub runtime: &'a str,
    /// What the check found; `None` when the container's health test is not ours.
    pub result: Option<CheckResult<'a>>,
}

/// What a check found for a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult<'a> {
    /// The check that ran: a service, one of kolla's names or a probe kind.
    pub check: &'a str,
    pub health: Health,
    /// How long the check took, when the agent measured it.
    pub duration: Option<Duration>,
}

impl<'a> CheckResult<'a> {
    /// A result known only as healthy or not, as the agent's state file keeps it
    /// (`healthy`: `true` or `false`): not healthy is unhealthy.
    pub fn from_healthy(check: &'a str, healthy: bool, duration: Option<Duration>) -> Self {
        let health = if healthy {
            Health::Healthy
        } else {
            Health::Unhealthy
        };
        CheckResult {
            check,
            health,
            duration,
        }
    }
}

/// The textfile's content for `results`, in their order, ending with a line feed (empty
/// when there are none: the collector reads an empty file as no metrics).
pub fn render(results: &[ContainerResult]) -> String {
    let mut seen = HashSet::new();
    let mut containers = Vec::new();
    let mut checked = Vec::new();
    for r in results {
        let mut pairs = vec![
            ("container", r.container.to_string()),
            ("runtime", r.runtime.to_string()),
        ];
        let container_labels = labels(&pairs);
        if !seen.insert(container_labels.clone()) {
            continue;
        }
        containers.push((container_labels, r.result.is_some()));
        if let Some(result) = &r.result {
            pairs.push(("check", result.check.to_string()));
            checked.push((labels(&pairs), result));
        }
    }
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let mut out = String::new();
    family(
        &mut out,
        CONTAINER_CHECKED,
        containers
            .into_iter()
            .map(|(l, ours)| (l, Some(flag(ours)))),
    );
    let each = |value: &dyn Fn(&CheckResult) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        checked
            .iter()
            .map(|(l, result)| (l.clone(), value(result)))
            .collect()
    };
    family(
        &mut out,
        PROBE_SUCCESS,
        each(&|r| Some(flag(r.health.is_healthy()))),
    );
    family(
        &mut out,
        PROBE_DURATION,
        each(&|r| r.duration.map(|d| d.as_secs_f64())),
    );
    family(
        &mut out,
        CANNOT_TELL,
        each(&|r| Some(flag(r.health == Health::CannotTell))),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked<'a>(
        container: &'a str,
        runtime: &'a str,
        check: &'a str,
        health: Health,
        duration: Option<Duration>,
    ) -> ContainerResult<'a> {
        ContainerResult {
            container,
            runtime,
            result: Some(CheckResult {
                check,
                health,
                duration,
            }),
        }
    }

    #[test]
    fn a_round() {
        let results = [
            checked(
                "nova_api",
                "podman",
                "nova-api",
                Health::Healthy,
                Some(Duration::from_millis(250)),
            ),
            checked(
                "nova_conductor",
                "podman",
                "nova-conductor",
                Health::CannotTell,
                None,
            ),
            checked(
                "redis",
                "docker",
                "redis",
                Health::Unhealthy,
                Some(Duration::from_micros(1500)),
            ),
            ContainerResult {
                container: "ceph-mon",
                runtime: "podman",
                result: None,
            },
        ];
        let api = r#"{container="nova_api",runtime="podman",check="nova-api"}"#;
        let conductor = r#"{container="nova_conductor",runtime="podman",check="nova-conductor"}"#;
        let redis = r#"{container="redis",runtime="docker",check="redis"}"#;
        assert_eq!(
            render(&results),
            format!(
                "# HELP openstack_healthcheck_container_checked Whether openstack-healthcheck checks the container (1) or leaves its health test to its engine (0).\n\
                 # TYPE openstack_healthcheck_container_checked gauge\n\
                 openstack_healthcheck_container_checked{{container=\"nova_api\",runtime=\"podman\"}} 1\n\
                 openstack_healthcheck_container_checked{{container=\"nova_conductor\",runtime=\"podman\"}} 1\n\
                 openstack_healthcheck_container_checked{{container=\"redis\",runtime=\"docker\"}} 1\n\
                 openstack_healthcheck_container_checked{{container=\"ceph-mon\",runtime=\"podman\"}} 0\n\
                 # HELP probe_success Whether the check found the service healthy (1) or not (0).\n\
                 # TYPE probe_success gauge\n\
                 probe_success{api} 1\n\
                 probe_success{conductor} 0\n\
                 probe_success{redis} 0\n\
                 # HELP probe_duration_seconds How long the check took, in seconds.\n\
                 # TYPE probe_duration_seconds gauge\n\
                 probe_duration_seconds{api} 0.25\n\
                 probe_duration_seconds{redis} 0.0015\n\
                 # HELP openstack_healthcheck_cannot_tell Whether the check could not tell if the service is healthy (1): it is not healthy either.\n\
                 # TYPE openstack_healthcheck_cannot_tell gauge\n\
                 openstack_healthcheck_cannot_tell{api} 0\n\
                 openstack_healthcheck_cannot_tell{conductor} 1\n\
                 openstack_healthcheck_cannot_tell{redis} 0\n"
            )
        );
    }

    #[test]
    fn the_families_of_a_single_check_with_the_same_help() {
        // node_exporter drops, without an error, the series of a file that describes a
        // family another way than its other files: the agent's file and a single check's
        // `--format prometheus` must agree.
        use crate::verdict::{Checked, Verdict};
        let v = Verdict::from_checked(
            "redis",
            Checked::new("a", Ok("PONG".into())),
            Duration::ZERO,
        );
        let single = super::super::prometheus::exposition(&[super::super::prometheus::Sample::of(
            &v,
            Vec::new(),
        )]);
        let round = render(&[checked(
            "redis",
            "docker",
            "redis",
            Health::Healthy,
            Some(Duration::ZERO),
        )]);
        let headers = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| l.starts_with("# "))
                .map(String::from)
                .collect()
        };
        let single = headers(&single);
        for header in headers(&round) {
            if !header.contains(CONTAINER_CHECKED.name) {
                assert!(single.contains(&header), "{header} not in {single:?}");
            }
        }
    }

    #[test]
    fn nothing_to_render() {
        assert_eq!(render(&[]), "");
        // Only containers left to their engines: the one family that has series.
        let text = render(&[ContainerResult {
            container: "ceph-mon",
            runtime: "podman",
            result: None,
        }]);
        assert_eq!(text.matches("# TYPE").count(), 1, "{text}");
        assert!(text.ends_with("{container=\"ceph-mon\",runtime=\"podman\"} 0\n"));
    }

    #[test]
    fn one_result_per_container() {
        let long = "c".repeat(300);
        let longer = format!("{long}x");
        let text = render(&[
            checked("redis", "docker", "redis", Health::Healthy, None),
            checked("redis", "docker", "redis", Health::Unhealthy, None),
            checked("redis", "docker", "port", Health::Unhealthy, None),
            // The same name under another engine is another container.
            checked("redis", "podman", "redis", Health::Unhealthy, None),
            // Names that differ only past the label length are one label value.
            checked(&long, "docker", "port", Health::Healthy, None),
            checked(&longer, "docker", "port", Health::Healthy, None),
        ]);
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("probe_success{"))
                .collect::<Vec<_>>(),
            [
                r#"probe_success{container="redis",runtime="docker",check="redis"} 1"#.to_string(),
                r#"probe_success{container="redis",runtime="podman",check="redis"} 0"#.to_string(),
                format!(
                    r#"probe_success{{container="{}...",runtime="docker",check="port"}} 1"#,
                    "c".repeat(197)
                ),
            ]
        );
        assert_eq!(
            text.matches("openstack_healthcheck_container_checked{")
                .count(),
            3
        );
    }

    #[test]
    fn label_values_escaped_and_on_one_line() {
        let text = render(&[checked(
            "we\"ird\\name\nx",
            "docker",
            "http",
            Health::Healthy,
            None,
        )]);
        assert!(
            text.contains(
                r#"probe_success{container="we\"ird\\name x",runtime="docker",check="http"} 1"#
            ),
            "{text}"
        );
    }

    #[test]
    fn from_the_state_files_healthy() {
        assert_eq!(
            CheckResult::from_healthy("redis", false, None).health,
            Health::Unhealthy
        );
        assert_eq!(
            CheckResult::from_healthy("redis", true, None).health,
            Health::Healthy
        );
    }
}

//! The host agent's textfile exposition (`output::textfile::render`) read by the tools that
//! will read it: `promtool check metrics` (Prometheus' linter) and node_exporter's textfile
//! collector (prometheus-node-exporter from Debian), scraped over HTTP from the test, beside
//! a single check's `--format prometheus` in a file of the same directory. The collector
//! reports no error for a family two of its files describe differently, nor for duplicate
//! series: it drops their series, so the test looks for every series it expects.

use crate::util::{bin, command, free_port, http_get, wait_tcp, Child, TempDir};
use openstack_healthcheck::output::textfile::{render, CheckResult, ContainerResult};
use openstack_healthcheck::verdict::Health;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

fn round() -> String {
    let result = |check, health, ms: Option<u64>| {
        Some(CheckResult {
            check,
            health,
            duration: ms.map(Duration::from_millis),
        })
    };
    render(&[
        ContainerResult {
            container: "nova_api",
            runtime: "podman",
            result: result("nova-api", Health::Healthy, Some(180)),
        },
        ContainerResult {
            container: "nova_conductor",
            runtime: "podman",
            result: result("nova-conductor", Health::CannotTell, None),
        },
        ContainerResult {
            container: "odd \"name\" \\ here",
            runtime: "docker",
            result: result("redis", Health::Unhealthy, Some(2)),
        },
        // A second result for a container already there would be a duplicate series.
        ContainerResult {
            container: "nova_api",
            runtime: "podman",
            result: result("nova-api", Health::Unhealthy, Some(5)),
        },
        ContainerResult {
            container: "ceph-mon",
            runtime: "podman",
            result: None,
        },
    ])
}

/// `promtool check metrics` on `text`: exit status and everything it said.
fn promtool(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool (Debian's prometheus package, tests/setup/packages)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn promtool_finds_nothing_to_say() {
    let text = round();
    let (ok, said) = promtool(&text);
    assert!(
        ok && said.trim().is_empty(),
        "promtool: {said}\non:\n{text}"
    );
    // The linter does look: a counter without _total is its complaint.
    let (_, said) = promtool("# HELP x_seconds x.\n# TYPE x_seconds counter\nx_seconds 1\n");
    assert!(
        said.contains("counter metrics should have \"_total\" suffix"),
        "{said}"
    );
}

#[test]
fn node_exporter_collects_the_round_beside_a_single_check() {
    let dir = TempDir::new("textfile");
    // Written as the agent will: a temporary name in the directory, then a rename.
    let path = dir.path().join("openstack-healthcheck.prom");
    let temporary = dir.path().join(".openstack-healthcheck.prom.tmp");
    std::fs::write(&temporary, round()).unwrap();
    std::fs::rename(&temporary, &path).unwrap();
    // A single check run by a timer into the same directory, as the README shows.
    let port = free_port();
    let single = command(bin())
        .args(["--format", "prometheus", "probe", "tcp"])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(single.status.code(), Some(1), "{single:?}");
    std::fs::write(dir.path().join("keystone.prom"), &single.stdout).unwrap();

    let listen = free_port();
    let _exporter = Child(
        Command::new(NODE_EXPORTER)
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!(
                "--collector.textfile.directory={}",
                dir.path().display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{listen}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run prometheus-node-exporter (tests/setup/packages)"),
    );
    wait_tcp("node_exporter", listen);
    let (status, body) = http_get(listen, "/metrics");
    assert_eq!(status, 200);
    let body = String::from_utf8_lossy(&body);
    let lines: Vec<&str> = body.lines().collect();
    let has = |line: &str| lines.contains(&line);
    assert!(has("node_textfile_scrape_error 0"), "{body}");
    for line in [
        r#"openstack_healthcheck_container_checked{container="ceph-mon",runtime="podman"} 0"#,
        r#"probe_success{check="nova-api",container="nova_api",runtime="podman"} 1"#,
        r#"probe_duration_seconds{check="nova-api",container="nova_api",runtime="podman"} 0.18"#,
        r#"openstack_healthcheck_cannot_tell{check="nova-conductor",container="nova_conductor",runtime="podman"} 1"#,
        r#"probe_success{check="redis",container="odd \"name\" \\ here",runtime="docker"} 0"#,
        &format!(r#"probe_success{{check="tcp",target="127.0.0.1:{port}"}} 0"#),
    ] {
        assert!(has(line), "{line} not in:\n{body}");
    }
    // The duplicate was left out, not collected in place of the first.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("probe_success{check=\"nova-api\""))
            .count(),
        1,
        "{body}"
    );
    // Both files were read.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("node_textfile_mtime_seconds{"))
            .count(),
        2,
        "{body}"
    );
}

//! Prometheus' text exposition format, for a scraper or node_exporter's textfile collector:
//! blackbox_exporter's metric names where they mean the same (`probe_success`,
//! `probe_duration_seconds`, `probe_http_status_code`, `probe_ssl_earliest_cert_expiry`),
//! plus `openstack_healthcheck_cannot_tell`, with `# HELP` and `# TYPE` once per family and
//! the labels `check` and `target` (and the host agent's per-container labels). No
//! timestamps: the textfile collector refuses them and a scrape stamps its own.
//!
//! Written here rather than with a client library: the format is a few escaping rules
//! over lines of text, and the libraries (prometheus-client, prometheus) keep registries
//! of long-lived atomic metrics for a process that serves them, and the first speaks
//! OpenMetrics, whereas here one verdict (or one round of the agent) is rendered once.
//! `promtool check metrics` checks the output in the monitoring tests.

use super::{Contract, OutputFormat};
use crate::verdict::{Health, Verdict};
use std::fmt::Write;

pub const FORMAT: OutputFormat = OutputFormat {
    name: "prometheus",
    render,
    contract: Contract::Engine,
};

/// The longest label value kept (targets are URLs, addresses, paths: well under it).
const LABEL_VALUE_MAX: usize = 200;

/// A verdict with the labels that tell it from the others of the same exposition.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    pub labels: Vec<(&'static str, String)>,
    pub verdict: &'a Verdict,
}

impl<'a> Sample<'a> {
    /// The labels `check` and `target` of the verdict, after `extra` (the agent's
    /// container, runtime...).
    pub fn of(verdict: &'a Verdict, extra: Vec<(&'static str, String)>) -> Self {
        let mut labels = extra;
        labels.push(("check", verdict.check.clone()));
        labels.push(("target", verdict.target.clone()));
        Sample { labels, verdict }
    }
}

/// One verdict's exposition (no trailing newline, as every format's line).
pub fn render(v: &Verdict, _max: usize) -> String {
    let mut text = exposition(&[Sample::of(v, Vec::new())]);
    text.truncate(text.trim_end().len());
    text
}

/// A metric family: its name and HELP text. The same families, with the same HELP, in a
/// single check's exposition and in the agent's textfile, because node_exporter's textfile
/// collector silently drops the series of a file that describes a family another way than
/// its other files.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
}

pub const PROBE_SUCCESS: Family = Family {
    name: "probe_success",
    help: "Whether the check found the service healthy (1) or not (0).",
};
pub const PROBE_DURATION: Family = Family {
    name: "probe_duration_seconds",
    help: "How long the check took, in seconds.",
};
pub const CANNOT_TELL: Family = Family {
    name: "openstack_healthcheck_cannot_tell",
    help:
        "Whether the check could not tell if the service is healthy (1): it is not healthy either.",
};
pub const HTTP_STATUS: Family = Family {
    name: "probe_http_status_code",
    help: "The status code of the last HTTP response the check received.",
};
pub const CERT_EXPIRY: Family = Family {
    name: "probe_ssl_earliest_cert_expiry",
    help: "The earliest expiry of the certificates the TLS peers presented, in seconds since the epoch.",
};

/// The metric families of every sample, each family's samples together.
pub fn exposition(samples: &[Sample]) -> String {
    let mut out = String::new();
    let bool_value = |b: bool| if b { 1.0 } else { 0.0 };
    let each = |value: &dyn Fn(&Verdict) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        samples
            .iter()
            .map(|s| (labels(&s.labels), value(s.verdict)))
            .collect()
    };
    family(
        &mut out,
        PROBE_SUCCESS,
        each(&|v| Some(bool_value(v.healthy()))),
    );
    family(
        &mut out,
        PROBE_DURATION,
        each(&|v| Some(v.elapsed.as_secs_f64())),
    );
    family(
        &mut out,
        CANNOT_TELL,
        each(&|v| Some(bool_value(v.health == Health::CannotTell))),
    );
    family(
        &mut out,
        HTTP_STATUS,
        each(&|v| v.metrics.http_status.map(f64::from)),
    );
    family(
        &mut out,
        CERT_EXPIRY,
        each(&|v| v.metrics.cert_not_after.map(|t| t as f64)),
    );
    out
}

/// A gauge family: `# HELP`, `# TYPE` and one line per sample (its rendered label set, see
/// [`labels`], and value) that has a value; nothing when none has.
pub fn family(
    out: &mut String,
    family: Family,
    samples: impl IntoIterator<Item = (String, Option<f64>)>,
) {
    let mut header = false;
    for (labels, value) in samples {
        let Some(value) = value else { continue };
        if !header {
            let _ = writeln!(out, "# HELP {} {}", family.name, escape_help(family.help));
            let _ = writeln!(out, "# TYPE {} gauge", family.name);
            header = true;
        }
        let _ = writeln!(out, "{}{labels} {}", family.name, number(value));
    }
}

/// `{a="x",b="y"}`: values redacted, folded to one line, bounded and escaped.
pub fn labels(pairs: &[(&'static str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let value = super::one_line(value, LABEL_VALUE_MAX);
            format!("{name}=\"{}\"", escape_label_value(&value))
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A label value's escapes: backslash, double quote and line feed.
fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A HELP text's escapes: backslash and line feed.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value as Go's ParseFloat reads it (integers without a fraction).
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Checked, Metrics};
    use std::time::Duration;

    #[test]
    fn one_verdict() {
        let v = Verdict::from_checked(
            "http",
            Checked::new("https://[::1]:8774/a\"b\\c", Ok("HTTP 200 OK".into())),
            Duration::from_micros(1500),
        )
        .with_metrics(Metrics {
            http_status: Some(200),
            cert_not_after: Some(1_900_000_000),
        });
        let labels = r#"{check="http",target="https://[::1]:8774/a\"b\\c"}"#;
        assert_eq!(
            render(&v, 500),
            format!(
                "# HELP probe_success Whether the check found the service healthy (1) or not (0).\n\
                 # TYPE probe_success gauge\n\
                 probe_success{labels} 1\n\
                 # HELP probe_duration_seconds How long the check took, in seconds.\n\
                 # TYPE probe_duration_seconds gauge\n\
                 probe_duration_seconds{labels} 0.0015\n\
                 # HELP openstack_healthcheck_cannot_tell Whether the check could not tell if the service is healthy (1): it is not healthy either.\n\
                 # TYPE openstack_healthcheck_cannot_tell gauge\n\
                 openstack_healthcheck_cannot_tell{labels} 0\n\
                 # HELP probe_http_status_code The status code of the last HTTP response the check received.\n\
                 # TYPE probe_http_status_code gauge\n\
                 probe_http_status_code{labels} 200\n\
                 # HELP probe_ssl_earliest_cert_expiry The earliest expiry of the certificates the TLS peers presented, in seconds since the epoch.\n\
                 # TYPE probe_ssl_earliest_cert_expiry gauge\n\
                 probe_ssl_earliest_cert_expiry{labels} 1900000000"
            )
        );
    }

    #[test]
    fn families_group_samples_and_skip_unmeasured() {
        let healthy = Verdict::from_checked(
            "redis",
            Checked::new("a", Ok("PONG".into())),
            Duration::ZERO,
        );
        let unknown = Verdict::from_checked(
            "port",
            Checked::cannot_tell("b\nc", "cannot tell"),
            Duration::ZERO,
        );
        let text = exposition(&[
            Sample::of(&healthy, vec![("container", "redis".into())]),
            Sample::of(&unknown, vec![("container", "nova_api".into())]),
        ]);
        assert_eq!(text.matches("# TYPE").count(), 3, "{text}");
        assert!(!text.contains("probe_http_status_code"), "{text}");
        assert!(text.contains(
            "openstack_healthcheck_cannot_tell{container=\"nova_api\",check=\"port\",target=\"b c\"} 1\n"
        ));
        assert!(
            text.contains("probe_success{container=\"redis\",check=\"redis\",target=\"a\"} 1\n")
        );
        // Each family's samples follow its header, in order.
        let success: Vec<usize> = text
            .match_indices("probe_success{")
            .map(|(i, _)| i)
            .collect();
        let duration_type = text.find("# TYPE probe_duration_seconds").unwrap();
        assert!(success.iter().all(|i| *i < duration_type));
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::INFINITY), "+Inf");
    }
}

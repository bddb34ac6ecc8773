//! The Nagios plugin line, for Nagios, Icinga, Consul and anything else that runs plugins:
//! `NOVA-API CRITICAL - http://...: HTTP 503 | time=0.002s;;;0 http_status=503;;;;`, with
//! the plugin API's exit statuses (0 OK, 2 CRITICAL, 3 UNKNOWN; see [`Contract::Nagios`]).
//!
//! The text before `|` is the check, its state and the verdict's target and reason, with
//! any `|` in them replaced (it would start the performance data). The performance data,
//! `'label'=value[UOM];[warn];[crit];[min];[max]`, carries the elapsed time and, when the
//! check measured them, the HTTP status and the days left until the earliest expiry of a
//! TLS peer's certificate chain (negative once expired). It is never cut: the text is
//! shortened to fit the line instead.

use super::{Contract, OutputFormat};
use crate::verdict::{Health, Verdict};
use std::time::{SystemTime, UNIX_EPOCH};

pub const FORMAT: OutputFormat = OutputFormat {
    name: "nagios",
    render,
    contract: Contract::Nagios,
};

const SECONDS_PER_DAY: i64 = 86_400;

pub fn render(v: &Verdict, max: usize) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    render_at(v, max, now)
}

/// The line as of `now` (seconds since the epoch), which the certificate days count from.
fn render_at(v: &Verdict, max: usize, now: i64) -> String {
    let state = match v.health {
        Health::Healthy => "OK",
        Health::Unhealthy => "CRITICAL",
        Health::CannotTell => "UNKNOWN",
    };
    let mut perfdata = vec![perf(
        "time",
        &format!("{:.6}", v.elapsed.as_secs_f64()),
        "s",
        "0",
    )];
    if let Some(status) = v.metrics.http_status {
        perfdata.push(perf("http_status", &status.to_string(), "", ""));
    }
    if let Some(not_after) = v.metrics.cert_not_after {
        let days = (not_after - now).div_euclid(SECONDS_PER_DAY);
        perfdata.push(perf("cert_days", &days.to_string(), "", ""));
    }
    let perfdata = perfdata.join(" ");
    let head = format!("{} {state} - ", v.check.to_uppercase());
    let text = if v.target.is_empty() {
        v.reason.clone()
    } else {
        format!("{}: {}", v.target, v.reason)
    };
    let room = max
        .saturating_sub(head.len() + " | ".len() + perfdata.len())
        .max(16);
    let text = super::one_line(&text.replace('|', "/"), room);
    super::one_line(
        &format!("{head}{text} | {perfdata}"),
        max.max(perfdata.len() + 64),
    )
}

/// One performance datum, without thresholds (the verdict is the check's own, not a
/// threshold's): `label=value[uom];;;min`, or `label=value[uom];;;;` without a minimum.
fn perf(label: &str, value: &str, uom: &str, min: &str) -> String {
    let label = quote_label(label);
    if min.is_empty() {
        format!("{label}={value}{uom};;;;")
    } else {
        format!("{label}={value}{uom};;;{min}")
    }
}

/// A label as the plugin API wants it: quoted in single quotes when it holds a space, `=`
/// or a quote (a quote inside doubled).
fn quote_label(label: &str) -> String {
    if label.contains([' ', '=', '\'']) {
        format!("'{}'", label.replace('\'', "''"))
    } else {
        label.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Checked, Metrics};
    use std::time::Duration;

    fn verdict(checked: Checked, metrics: Metrics) -> Verdict {
        Verdict::from_checked("nova-api", checked, Duration::from_micros(2345))
            .with_metrics(metrics)
    }

    #[test]
    fn states_and_perfdata() {
        let ok = verdict(
            Checked::new("http://127.0.0.1:8774/", Ok("HTTP 200 OK".into())),
            Metrics {
                http_status: Some(200),
                cert_not_after: Some(10 * SECONDS_PER_DAY + 5),
            },
        );
        assert_eq!(
            render_at(&ok, 500, 0),
            "NOVA-API OK - http://127.0.0.1:8774/: HTTP 200 OK | time=0.002345s;;;0 http_status=200;;;; cert_days=10;;;;"
        );
        let critical = verdict(
            Checked::new("", Err("HTTP 503 | down".into())),
            Metrics::default(),
        );
        assert_eq!(
            render_at(&critical, 500, 0),
            "NOVA-API CRITICAL - HTTP 503 / down | time=0.002345s;;;0"
        );
        let unknown = verdict(
            Checked::cannot_tell("x:1", "cannot tell: no socket listing"),
            Metrics::default(),
        );
        assert!(render_at(&unknown, 500, 0).starts_with("NOVA-API UNKNOWN - x:1: cannot tell"));
        // An expired certificate counts negative days.
        let expired = verdict(
            Checked::new("", Ok("up".into())),
            Metrics {
                http_status: None,
                cert_not_after: Some(100),
            },
        );
        assert!(render_at(&expired, 500, SECONDS_PER_DAY).ends_with("cert_days=-1;;;;"));
    }

    #[test]
    fn perfdata_survives_a_long_reason() {
        let long = verdict(
            Checked::new("t", Err("x".repeat(2000))),
            Metrics {
                http_status: Some(500),
                cert_not_after: None,
            },
        );
        let line = render_at(&long, 500, 0);
        assert!(line.len() <= 500, "{}", line.len());
        assert!(
            line.ends_with("| time=0.002345s;;;0 http_status=500;;;;"),
            "{line}"
        );
        assert_eq!(line.matches('|').count(), 1);
    }

    #[test]
    fn labels_quoted_where_needed() {
        assert_eq!(quote_label("time"), "time");
        assert_eq!(quote_label("cert days"), "'cert days'");
        assert_eq!(quote_label("it's"), "'it''s'");
        assert_eq!(perf("a b", "1", "s", "0"), "'a b'=1s;;;0");
        assert_eq!(perf("x", "1", "", ""), "x=1;;;;");
    }
}

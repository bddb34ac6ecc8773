//! The result of one check: what was checked, whether it is healthy, and why.
//!
//! Every probe and per-service check produces a [`Checked`]; the runner adds the check
//! name, the elapsed time and what the check measured on the way ([`Metrics`]) to make a
//! [`Verdict`], which the output formats render.
//!
//! A check that is not healthy either found the service unhealthy or could not tell
//! ([`Health::CannotTell`]: fds it may not read, no socket listing, the database holding a
//! heartbeat unreachable, bad arguments). The engines' exit contract makes both exit 1, but
//! monitoring shows them apart (Nagios' CRITICAL and UNKNOWN), so the state is typed here
//! rather than read back from the reason's wording.

use std::time::Duration;

/// What a probe returns: `Ok(reason)` when healthy, `Err(reason)` when not (a check that
/// may also be unable to tell returns [`Decided`]). Reasons are short, single-line,
/// secret-free.
pub type Outcome = Result<String, String>;

/// An outcome that tells "unhealthy" from "cannot tell".
pub type Decided = Result<String, Failure>;

/// Why a check is not healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The service answered wrong, or not at all: it is unhealthy.
    Unhealthy(String),
    /// The check could not decide either way.
    CannotTell(String),
}

impl Failure {
    pub fn reason(&self) -> &str {
        match self {
            Failure::Unhealthy(r) | Failure::CannotTell(r) => r,
        }
    }
}

/// A plain reason is an unhealthy verdict, so `?` on a `Result<_, String>` keeps its meaning.
impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Failure::Unhealthy(reason)
    }
}

impl From<&str> for Failure {
    fn from(reason: &str) -> Self {
        Failure::Unhealthy(reason.to_string())
    }
}

/// A failure below the checks (listing sockets, reading a process's fds) that leaves the
/// check unable to decide. The reason is worded for people ("cannot tell: ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotTell(pub String);

impl From<CannotTell> for Failure {
    fn from(e: CannotTell) -> Self {
        Failure::CannotTell(e.0)
    }
}

/// Whether the service is healthy, as far as the check could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    Unhealthy,
    /// Never healthy; Nagios' UNKNOWN, Prometheus' `openstack_healthcheck_cannot_tell`.
    CannotTell,
}

impl Health {
    pub fn is_healthy(self) -> bool {
        self == Health::Healthy
    }
}

/// What a check measured besides its verdict, for the monitoring formats. Checks record
/// into their [`Context`](crate::context::Context) as they go; the last HTTP status and the
/// earliest certificate expiry over every TLS session of the check are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    /// The status code of the last HTTP response received.
    pub http_status: Option<u16>,
    /// The earliest `notAfter` of the certificates the TLS peers presented (their whole
    /// chains), in seconds since the Unix epoch.
    pub cert_not_after: Option<i64>,
}

impl Metrics {
    /// Keep the earlier of the expiry known and `not_after`.
    pub fn cert_expiring(&mut self, not_after: i64) {
        self.cert_not_after = Some(match self.cert_not_after {
            Some(known) => known.min(not_after),
            None => not_after,
        });
    }
}

/// A probe's outcome together with the thing it looked at.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What was probed: a URL, `process:port`, a socket path...
    pub target: String,
    pub outcome: Outcome,
    /// With an `Err` outcome: the check could not tell (see [`Failure::CannotTell`]).
    /// Combinators that rewrite the reason in place keep it.
    pub cannot_tell: bool,
    /// A line to print instead of the standard one on success, for drop-in
    /// compatibility (kolla's `healthcheck_curl` prints curl's `--write-out` line).
    pub compat_line: Option<String>,
}

impl Checked {
    pub fn new(target: impl Into<String>, outcome: Outcome) -> Self {
        Checked {
            target: target.into(),
            outcome,
            cannot_tell: false,
            compat_line: None,
        }
    }

    /// The verdict of a check that tells "unhealthy" from "cannot tell".
    pub fn decided(target: impl Into<String>, decided: Decided) -> Self {
        let (outcome, cannot_tell) = match decided {
            Ok(reason) => (Ok(reason), false),
            Err(Failure::Unhealthy(reason)) => (Err(reason), false),
            Err(Failure::CannotTell(reason)) => (Err(reason), true),
        };
        Checked {
            cannot_tell,
            ..Checked::new(target, outcome)
        }
    }

    /// A check that could not decide: `reason` says why.
    pub fn cannot_tell(target: impl Into<String>, reason: impl Into<String>) -> Self {
        Checked::decided(target, Err(Failure::CannotTell(reason.into())))
    }

    pub fn health(&self) -> Health {
        match (&self.outcome, self.cannot_tell) {
            (Ok(_), _) => Health::Healthy,
            (Err(_), false) => Health::Unhealthy,
            (Err(_), true) => Health::CannotTell,
        }
    }
}

/// The full verdict as rendered by the output formats.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The check's name: a service (`nova-api`) or a probe kind (`http`).
    pub check: String,
    pub target: String,
    pub health: Health,
    pub reason: String,
    pub elapsed: Duration,
    pub metrics: Metrics,
    pub compat_line: Option<String>,
}

impl Verdict {
    pub fn from_checked(check: &str, checked: Checked, elapsed: Duration) -> Self {
        let health = checked.health();
        let reason = match checked.outcome {
            Ok(r) | Err(r) => r,
        };
        Verdict {
            check: check.to_string(),
            target: checked.target,
            health,
            reason,
            elapsed,
            metrics: Metrics::default(),
            compat_line: checked.compat_line,
        }
    }

    /// The same verdict with what the check measured.
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Verdict { metrics, ..self }
    }

    /// A verdict for a failure that happened before any probe ran, or without one
    /// finishing (bad arguments, unknown service, internal error, the timeout watchdog):
    /// the check cannot tell.
    pub fn failure(
        check: &str,
        target: &str,
        reason: impl Into<String>,
        elapsed: Duration,
    ) -> Self {
        Verdict {
            check: check.to_string(),
            target: target.to_string(),
            health: Health::CannotTell,
            reason: reason.into(),
            elapsed,
            metrics: Metrics::default(),
            compat_line: None,
        }
    }

    pub fn healthy(&self) -> bool {
        self.health.is_healthy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cannot_tell_is_a_state_not_a_wording() {
        let unhealthy = Checked::new("t", Err("cannot tell: worded so, yet unhealthy".into()));
        assert_eq!(unhealthy.health(), Health::Unhealthy);
        let unknown = Checked::cannot_tell("t", "no socket listing");
        assert_eq!(unknown.health(), Health::CannotTell);
        let mut rewritten = unknown.clone();
        rewritten.outcome = rewritten.outcome.map_err(|r| format!("wrapped: {r}"));
        assert_eq!(rewritten.health(), Health::CannotTell);
        assert_eq!(
            Checked::decided("t", Ok("fine".into())).health(),
            Health::Healthy
        );
        let v = Verdict::from_checked("port", unknown, Duration::ZERO);
        assert_eq!(v.health, Health::CannotTell);
        assert!(!v.healthy());
    }

    #[test]
    fn earliest_expiry_wins() {
        let mut m = Metrics::default();
        m.cert_expiring(2_000);
        m.cert_expiring(1_000);
        m.cert_expiring(3_000);
        assert_eq!(m.cert_not_after, Some(1_000));
    }
}

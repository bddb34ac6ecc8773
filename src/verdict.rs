//! The result of one check: what was checked, whether it is healthy, and why.
//!
//! Every probe and per-service check produces an [`Outcome`]; the runner adds the check
//! name and the elapsed time to make a [`Verdict`], which the output formats render.

use std::time::Duration;

/// What a probe returns: `Ok(reason)` when healthy, `Err(reason)` when not (or when it
/// cannot tell, which is never healthy). Reasons are short, single-line, secret-free.
pub type Outcome = Result<String, String>;

/// A probe's outcome together with the thing it looked at.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What was probed: a URL, `process:port`, a socket path...
    pub target: String,
    pub outcome: Outcome,
    /// A line to print instead of the standard one on success, for drop-in
    /// compatibility (kolla's `healthcheck_curl` prints curl's `--write-out` line).
    pub compat_line: Option<String>,
}

impl Checked {
    pub fn new(target: impl Into<String>, outcome: Outcome) -> Self {
        Checked {
            target: target.into(),
            outcome,
            compat_line: None,
        }
    }
}

/// The full verdict as rendered by the output formats.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The check's name: a service (`nova-api`) or a probe kind (`http`).
    pub check: String,
    pub target: String,
    pub healthy: bool,
    pub reason: String,
    pub elapsed: Duration,
    pub compat_line: Option<String>,
}

impl Verdict {
    pub fn from_checked(check: &str, checked: Checked, elapsed: Duration) -> Self {
        let (healthy, reason) = match checked.outcome {
            Ok(r) => (true, r),
            Err(r) => (false, r),
        };
        Verdict {
            check: check.to_string(),
            target: checked.target,
            healthy,
            reason,
            elapsed,
            compat_line: checked.compat_line,
        }
    }

    /// A verdict for a failure that happened before any probe ran (bad arguments,
    /// internal error, timeout watchdog).
    pub fn failure(
        check: &str,
        target: &str,
        reason: impl Into<String>,
        elapsed: Duration,
    ) -> Self {
        Verdict {
            check: check.to_string(),
            target: target.to_string(),
            healthy: false,
            reason: reason.into(),
            elapsed,
            compat_line: None,
        }
    }
}

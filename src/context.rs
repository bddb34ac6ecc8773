//! What every check gets besides its own arguments: the deadline and the debug switch.

use crate::deadline::Deadline;

#[derive(Debug, Clone)]
pub struct Context {
    pub deadline: Deadline,
    /// `HEALTHCHECK_DEBUG=1`: trace what the check does on stderr. The verdict line stays one line.
    pub debug: bool,
}

impl Context {
    pub fn new(deadline: Deadline, debug: bool) -> Self {
        Context { deadline, debug }
    }

    /// Print a trace line on stderr when `HEALTHCHECK_DEBUG=1`; secrets are redacted.
    pub fn trace(&self, what: impl std::fmt::Display) {
        if self.debug {
            eprintln!("debug: {}", crate::secrets::redact(&what.to_string()));
        }
    }
}

/// True when an environment flag is set to a true-ish value (1, true, yes, on).
pub fn env_flag(name: &str) -> bool {
    std::env::var(name)
        .map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        .unwrap_or(false)
}

//! What every check gets besides its own arguments: the deadline, the debug switch, and
//! the [`System`] it looks at (whose files, processes and environment).

use crate::deadline::Deadline;
use crate::system::System;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Context {
    pub deadline: Deadline,
    /// `HEALTHCHECK_DEBUG=1`: trace what the check does on stderr. The verdict line stays one line.
    pub debug: bool,
    /// The machine or container the check looks at.
    pub system: Arc<System>,
}

impl Context {
    /// A context on this machine's system ([`System::from_process`]).
    pub fn new(deadline: Deadline, debug: bool) -> Self {
        Context::on(deadline, debug, Arc::new(System::from_process()))
    }

    /// A context on `system`.
    pub fn on(deadline: Deadline, debug: bool, system: Arc<System>) -> Self {
        Context {
            deadline,
            debug,
            system,
        }
    }

    /// Print a trace line on stderr when `HEALTHCHECK_DEBUG=1`; secrets are redacted.
    pub fn trace(&self, what: impl std::fmt::Display) {
        if self.debug {
            eprintln!("debug: {}", crate::secrets::redact(&what.to_string()));
        }
    }
}

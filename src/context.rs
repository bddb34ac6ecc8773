//! What every check gets besides its own arguments: the deadline, the debug switch, and
//! the [`System`] it looks at (whose files, processes and environment), and where it
//! records what it measured on the way (for the monitoring formats).

use crate::deadline::Deadline;
use crate::system::System;
use crate::verdict::Metrics;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Context {
    pub deadline: Deadline,
    /// `HEALTHCHECK_DEBUG=1`: trace what the check does on stderr. The verdict line stays one line.
    pub debug: bool,
    /// The machine or container the check looks at.
    pub system: Arc<System>,
    /// What the check measured (HTTP status, certificate expiry), shared by the clones
    /// that the parts of one check hold, so that it reaches the verdict whatever path
    /// the check took.
    measured: Arc<Mutex<Metrics>>,
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
            measured: Arc::default(),
        }
    }

    /// Print a trace line on stderr when `HEALTHCHECK_DEBUG=1`; secrets are redacted.
    pub fn trace(&self, what: impl std::fmt::Display) {
        if self.debug {
            eprintln!("debug: {}", crate::secrets::redact(&what.to_string()));
        }
    }

    /// Record a measurement.
    pub fn measure(&self, record: impl FnOnce(&mut Metrics)) {
        let mut measured = self
            .measured
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        record(&mut measured);
    }

    /// What the check has measured so far.
    pub fn measured(&self) -> Metrics {
        *self
            .measured
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

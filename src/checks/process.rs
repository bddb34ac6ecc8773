//! Process check: a process whose command line matches runs (never the checker, never a zombie).

use crate::context::Context;
use crate::proc::{describe, matching_processes};
use crate::verdict::Checked;

/// Healthy when a process whose command line (or comm) matches `pattern` runs.
pub fn check(pattern: &str, ctx: &Context) -> Checked {
    let outcome = matching_processes(pattern).map(|found| {
        ctx.trace(format_args!("processes matching '{pattern}': {found:?}"));
        format!("{} runs", describe(&found))
    });
    Checked::new(pattern, outcome)
}

/// Whether a process matching `pattern` runs (not the checker itself, not a zombie).
/// An invalid pattern matches nothing.
pub fn running(pattern: &str) -> bool {
    matching_processes(pattern).is_ok()
}

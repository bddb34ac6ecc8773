//! The human line: `healthy: CHECK TARGET: REASON` / `unhealthy: ...`, or the
//! drop-in compatibility line (curl's write-out) for kolla's names.

use super::OutputFormat;
use crate::verdict::Verdict;

pub const FORMAT: OutputFormat = OutputFormat {
    name: "text",
    render: render_line,
    contract: super::Contract::Engine,
};

/// The line folded to one line of at most `max` bytes, redacted.
fn render_line(v: &Verdict, max: usize) -> String {
    super::one_line(&render(v), max)
}

pub fn render(v: &Verdict) -> String {
    if v.healthy() {
        if let Some(line) = &v.compat_line {
            return line.clone();
        }
    }
    let status = if v.healthy() { "healthy" } else { "unhealthy" };
    let target = if v.target.is_empty() {
        String::new()
    } else {
        format!(" {}", v.target)
    };
    format!("{status}: {}{target}: {}", v.check, v.reason)
}

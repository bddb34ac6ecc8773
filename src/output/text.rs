//! The human line: `healthy: CHECK TARGET: REASON` / `unhealthy: ...`, or the
//! drop-in compatibility line (curl's write-out) for kolla's names.

use crate::verdict::Verdict;

pub fn render(v: &Verdict) -> String {
    if v.healthy {
        if let Some(line) = &v.compat_line {
            return line.clone();
        }
    }
    let status = if v.healthy { "healthy" } else { "unhealthy" };
    let target = if v.target.is_empty() {
        String::new()
    } else {
        format!(" {}", v.target)
    };
    format!("{status}: {}{target}: {}", v.check, v.reason)
}

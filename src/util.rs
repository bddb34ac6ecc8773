//! Small helpers shared by every module: short error reasons.

use crate::deadline::Deadline;

/// An I/O error as a short reason without the "(os error N)" noise.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "not found".into(),
        PermissionDenied => "permission denied".into(),
        ConnectionRefused => "connection refused".into(),
        ConnectionReset => "connection reset by peer".into(),
        ConnectionAborted => "connection aborted".into(),
        TimedOut | WouldBlock => "timed out".into(),
        UnexpectedEof => "connection closed by peer".into(),
        BrokenPipe => "broken pipe".into(),
        AddrNotAvailable => "address not available".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// An I/O error during a protocol step as a reason: deadline expiry names the
/// step waited for and the budget, anything else the short reason and the step.
pub fn io_failure(e: &std::io::Error, deadline: Deadline, what: &str) -> String {
    use std::io::ErrorKind::{TimedOut, WouldBlock};
    if matches!(e.kind(), TimedOut | WouldBlock) {
        let budget = deadline.budget().as_secs_f64();
        return format!("timed out after {budget:.1}s waiting for {what}");
    }
    format!("{} during {what}", io_reason(e))
}

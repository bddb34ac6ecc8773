//! File modification check: PATH exists and its mtime is within SECONDS.

use crate::context::Context;
use crate::deadline::parse_seconds;
use crate::verdict::{Checked, Decided, Failure};
use std::time::{Duration, SystemTime};

/// PATH and SECONDS as given on a command line (probe or kolla's `healthcheck_filemod`).
pub fn check_args(path: &str, seconds: &str, ctx: &Context) -> Checked {
    match parse_seconds(seconds) {
        Ok(max_age) => check(path, max_age, ctx),
        Err(e) => Checked::cannot_tell(path, e),
    }
}

/// Healthy when `path` exists and was modified within `max_age`.
pub fn check(path: &str, max_age: Duration, _ctx: &Context) -> Checked {
    Checked::decided(path, outcome(path, max_age, SystemTime::now()))
}

fn outcome(path: &str, max_age: Duration, now: SystemTime) -> Decided {
    // Like the originals' `test -f`: a regular file, symlinks followed.
    let meta = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Err(format!("{path} is not a regular file").into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("{path} does not exist for file modification check").into())
        }
        Err(e) => return Err(unreadable(path, &e)),
    };
    let modified = meta.modified().map_err(|e| unreadable(path, &e))?;
    // A modification time in the future (clock step) is as fresh as it gets.
    let age = now.duration_since(modified).unwrap_or_default();
    let (age_s, limit_s) = (age.as_secs(), max_age.as_secs_f64());
    if age <= max_age {
        Ok(format!("{path} modified {age_s}s ago (limit {limit_s}s)"))
    } else {
        Err(Failure::Unhealthy(format!(
            "{path} last modified {age_s}s ago, more than {limit_s}s"
        )))
    }
}

/// A file that exists but cannot be looked at (permissions): no verdict on its age.
fn unreadable(path: &str, e: &std::io::Error) -> Failure {
    Failure::CannotTell(format!(
        "cannot tell: {path}: {}",
        crate::util::io_reason(e)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let path = std::env::temp_dir().join(format!("ohc-filemod-{}", std::process::id()));
        std::fs::write(&path, b"x").unwrap();
        let p = path.to_str().unwrap();
        let now = SystemTime::now();
        assert!(outcome(p, Duration::from_secs(60), now).is_ok());
        let later = now + Duration::from_secs(120);
        assert!(outcome(p, Duration::from_secs(60), later)
            .unwrap_err()
            .reason()
            .contains("more than 60s"));
        let earlier = now - Duration::from_secs(3600);
        assert!(outcome(p, Duration::from_secs(1), earlier).is_ok());
        std::fs::remove_file(&path).unwrap();
        assert!(outcome(p, Duration::from_secs(60), now)
            .unwrap_err()
            .reason()
            .contains("does not exist"));
        assert!(outcome("/", Duration::from_secs(60), now)
            .unwrap_err()
            .reason()
            .contains("not a regular file"));
    }
}

//! File modification check: PATH exists and its mtime is within SECONDS.
//!
//! The age is counted as kolla's and TripleO's scripts count it, in whole seconds
//! (`date +%s` against `stat -c %Y`): healthy when `mtime >= now - SECONDS`. SECONDS is
//! any whole number of seconds their shell arithmetic takes, days and more included,
//! and 0 ("modified this very second"); a fraction is accepted too.

use crate::context::Context;
use crate::system::Root;
use crate::verdict::{Checked, Decided, Failure};
use std::time::{Duration, SystemTime};

/// PATH and SECONDS as given on a command line (probe or kolla's `healthcheck_filemod`).
pub fn check_args(path: &str, seconds: &str, ctx: &Context) -> Checked {
    match parse_age(seconds) {
        Ok(max_age) => check(path, max_age, ctx),
        Err(e) => Checked::cannot_tell(path, e),
    }
}

/// A largest age in seconds: a whole number (any size the scripts' 64-bit arithmetic
/// holds, 0 included) or a non-negative fraction.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let whole = text.strip_prefix('+').unwrap_or(text);
    if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) {
        return whole
            .parse::<i64>()
            .map(|secs| Duration::from_secs(secs as u64))
            .map_err(|_| format!("seconds out of range: {text:?}"));
    }
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 && secs <= i64::MAX as f64 => {
            Ok(Duration::from_secs_f64(secs))
        }
        Ok(_) => Err(format!("not a number of seconds (0 or more): {text:?}")),
        Err(_) => Err(format!("not a number of seconds: {text:?}")),
    }
}

/// Healthy when `path` exists and was modified within `max_age`.
pub fn check(path: &str, max_age: Duration, ctx: &Context) -> Checked {
    Checked::decided(
        path,
        outcome(&ctx.system.given, path, max_age, SystemTime::now()),
    )
}

fn outcome(root: &Root, path: &str, max_age: Duration, now: SystemTime) -> Decided {
    // Like the originals' `test -f`: a regular file, symlinks followed.
    let meta = match root.metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Err(format!("{path} is not a regular file").into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("{path} does not exist for file modification check").into())
        }
        Err(e) => return Err(unreadable(path, &e)),
    };
    let modified = meta.modified().map_err(|e| unreadable(path, &e))?;
    // Whole seconds, as `date +%s` and `stat -c %Y` give them; a modification time in
    // the future (clock step) is as fresh as it gets.
    let epoch = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i128)
            .unwrap_or_else(|e| -(e.duration().as_secs_f64().ceil() as i128))
    };
    let age_s = (epoch(now) - epoch(modified)).max(0);
    let limit_s = max_age.as_secs_f64();
    let age_s = u64::try_from(age_s).unwrap_or(u64::MAX);
    if (age_s as f64) <= limit_s {
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
    fn ages_as_the_scripts_take_them() {
        assert_eq!(parse_age("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_age("86401").unwrap(), Duration::from_secs(86_401));
        assert_eq!(
            parse_age("31536000").unwrap(),
            Duration::from_secs(31_536_000)
        );
        assert_eq!(parse_age("+5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_age("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_age("-1").is_err());
        assert!(parse_age("soon").is_err());
        assert!(parse_age("99999999999999999999").is_err());
    }

    #[test]
    fn ages() {
        let path = std::env::temp_dir().join(format!("ohc-filemod-{}", std::process::id()));
        std::fs::write(&path, b"x").unwrap();
        let p = path.to_str().unwrap();
        let now = SystemTime::now();
        assert!(outcome(&Root::Host, p, Duration::from_secs(60), now).is_ok());
        let later = now + Duration::from_secs(120);
        assert!(outcome(&Root::Host, p, Duration::from_secs(60), later)
            .unwrap_err()
            .reason()
            .contains("more than 60s"));
        let earlier = now - Duration::from_secs(3600);
        assert!(outcome(&Root::Host, p, Duration::from_secs(1), earlier).is_ok());
        // Whole seconds: a limit of 0 means "modified in this second". Counted from the
        // file's own time: the clock may have passed a second boundary since the write.
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert!(outcome(&Root::Host, p, Duration::ZERO, modified).is_ok());
        assert!(outcome(
            &Root::Host,
            p,
            Duration::ZERO,
            modified + Duration::from_secs(2)
        )
        .is_err());
        std::fs::remove_file(&path).unwrap();
        assert!(outcome(&Root::Host, p, Duration::from_secs(60), now)
            .unwrap_err()
            .reason()
            .contains("does not exist"));
        assert!(outcome(&Root::Host, "/", Duration::from_secs(60), now)
            .unwrap_err()
            .reason()
            .contains("not a regular file"));
    }
}

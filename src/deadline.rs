//! One deadline for a whole check, shared by every phase (resolve, connect, TLS,
//! request, reply), so a slow peer cannot stretch a check past its budget by being
//! slow in each phase in turn.

use std::time::{Duration, Instant};

/// Default budget for checks other than HTTP (`--timeout` / `HEALTHCHECK_TIMEOUT`).
/// Well under Docker's and kolla's 30 s so our verdict always beats the engine's kill.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    start: Instant,
    end: Instant,
}

impl Deadline {
    pub fn after(budget: Duration) -> Self {
        let start = Instant::now();
        Deadline {
            start,
            end: start + budget,
        }
    }

    /// Time left, or an error naming what was being waited for once it is spent.
    /// Never returns a zero duration: std treats a zero socket timeout as an error.
    pub fn remaining(&self, waiting_for: &str) -> Result<Duration, String> {
        let now = Instant::now();
        if now >= self.end {
            return Err(format!(
                "timed out after {:.1}s {}",
                self.budget().as_secs_f64(),
                waiting_for
            ));
        }
        Ok((self.end - now).max(Duration::from_millis(1)))
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.end
    }

    pub fn budget(&self) -> Duration {
        self.end - self.start
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    pub fn end(&self) -> Instant {
        self.end
    }
}

/// Parse a duration given in seconds, possibly fractional ("10", "0.5").
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("not a number of seconds: {text:?}"))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("seconds out of range (0, 86400]: {text:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The longest limit a curl-style `--max-time` is kept to: curl takes any number, and
/// an `Instant` must not overflow.
const LONGEST_LIMIT: Duration = Duration::from_secs(u32::MAX as u64);

/// curl's `--max-time SECONDS` (and kolla's `HEALTHCHECK_CURL_MAX_TIME`): `0` means no
/// limit of its own (`None`; the check's deadline still holds), any other non-negative
/// number of seconds, fractions and more than a day included, is the limit.
pub fn parse_max_time(text: &str) -> Result<Option<Duration>, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| format!("not a number of seconds (0 for no limit): {text:?}"))?;
    if secs == 0.0 {
        return Ok(None);
    }
    Ok(Some(
        Duration::try_from_secs_f64(secs)
            .unwrap_or(LONGEST_LIMIT)
            .min(LONGEST_LIMIT)
            .max(Duration::from_millis(1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seconds() {
        assert_eq!(parse_seconds("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("abc").is_err());
        assert!(parse_seconds("inf").is_err());
    }

    #[test]
    fn curl_max_time() {
        assert_eq!(parse_max_time("0").unwrap(), None);
        assert_eq!(parse_max_time("0.0").unwrap(), None);
        assert_eq!(
            parse_max_time("2.5").unwrap(),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            parse_max_time("172800").unwrap(),
            Some(Duration::from_secs(172_800))
        );
        assert_eq!(parse_max_time("1e30").unwrap(), Some(LONGEST_LIMIT));
        assert!(parse_max_time("-1").is_err());
        assert!(parse_max_time("x").is_err());
        assert!(parse_max_time("nan").is_err());
    }

    #[test]
    fn remaining_then_expired() {
        let d = Deadline::after(Duration::from_millis(30));
        assert!(d.remaining("x").is_ok());
        std::thread::sleep(Duration::from_millis(40));
        assert!(d.expired());
        let err = d.remaining("waiting for the reply").unwrap_err();
        assert!(err.contains("waiting for the reply"), "{err}");
    }
}

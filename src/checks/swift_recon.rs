//! Swift replicators: the recon cache (`/var/cache/swift/<ring>.recon`, JSON) records
//! when the last replication pass ended; it must be within the replicator's `interval`.
//! The original grepped `"replication_last": N` (integers only) and passed when the
//! replicator did not run; here the JSON is parsed (floats, the object replicator's
//! `object_replication_last`) and a missing or unparsable cache is unhealthy.

use crate::config;
use crate::context::Context;
use crate::verdict::Checked;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The keys replicators write the end of their last pass under.
const LAST_KEYS: &[&str] = &["replication_last", "object_replication_last"];

/// The epoch seconds of the last replication pass recorded in a recon cache.
pub fn replication_last(json: &str) -> Result<f64, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("recon cache is not JSON: {e}"))?;
    LAST_KEYS
        .iter()
        .find_map(|k| value.get(*k).and_then(|v| v.as_f64()))
        .ok_or_else(|| {
            "recon cache has no replication_last yet (no replication pass finished)".into()
        })
}

/// Healthy when the last pass recorded in `cache` ended within `interval`.
pub fn check(cache: &str, interval: Duration, ctx: &Context) -> Checked {
    ctx.trace(format_args!(
        "reading recon cache {cache}, interval {}s",
        interval.as_secs()
    ));
    let outcome = config::read_required(&ctx.system.files, cache).and_then(|text| replication_last(&text)).and_then(|last| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let age = now - last;
        if age <= interval.as_secs_f64() {
            Ok(format!("last replication pass ended {age:.0}s ago (interval {}s)", interval.as_secs()))
        } else {
            Err(format!(
                "last replication pass ended {age:.0}s ago: did not finish within the interval of {}s",
                interval.as_secs()
            ))
        }
    });
    Checked::new(cache, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_last_pass() {
        assert_eq!(
            replication_last(r#"{"replication_last": 1700000000.5, "replication_time": 1.2}"#)
                .unwrap(),
            1700000000.5
        );
        assert_eq!(
            replication_last(r#"{"object_replication_last": 17}"#).unwrap(),
            17.0
        );
        assert!(replication_last("{}")
            .unwrap_err()
            .contains("no replication_last"));
        assert!(replication_last("garbage")
            .unwrap_err()
            .contains("not JSON"));
    }
}

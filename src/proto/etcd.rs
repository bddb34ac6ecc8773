//! etcd's health endpoint: where it is (`<client URL>/health`) and what its JSON reply
//! says. etcd 3.4+ sends `"health": "true"` as a string; a bool is accepted too. An
//! unhealthy etcd says why in `"reason"`. The GET itself is the HTTP client's.

use serde_json::Value;

/// The health URL for a client URL (given with or without `/health`).
pub fn health_url(client_url: &str) -> String {
    let base = client_url.trim().trim_end_matches('/');
    if base.ends_with("/health") {
        base.to_string()
    } else {
        format!("{base}/health")
    }
}

/// What a /health reply body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReply {
    pub healthy: bool,
    /// etcd's `reason`, when it gives a non-empty one.
    pub reason: Option<String>,
}

/// Why a body is not an etcd health reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotHealthReply {
    /// Not JSON at all.
    NotJson,
    /// JSON without a string or bool `health` field.
    NoHealthField,
}

/// Parse a /health reply body.
pub fn parse_health_reply(body: &[u8]) -> Result<HealthReply, NotHealthReply> {
    let json: Value = serde_json::from_slice(body).map_err(|_| NotHealthReply::NotJson)?;
    let healthy = match json.get("health") {
        Some(Value::String(s)) => s == "true",
        Some(Value::Bool(b)) => *b,
        _ => return Err(NotHealthReply::NoHealthField),
    };
    let reason = json
        .get("reason")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    Ok(HealthReply { healthy, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_health_replies() {
        assert_eq!(
            parse_health_reply(br#"{"health":"false","reason":"RAFT NO LEADER"}"#),
            Ok(HealthReply {
                healthy: false,
                reason: Some("RAFT NO LEADER".into())
            })
        );
        assert_eq!(
            parse_health_reply(br#"{"health":true,"reason":""}"#),
            Ok(HealthReply {
                healthy: true,
                reason: None
            })
        );
        assert_eq!(parse_health_reply(b"<html>"), Err(NotHealthReply::NotJson));
        assert_eq!(
            parse_health_reply(br#"{"health":1}"#),
            Err(NotHealthReply::NoHealthField)
        );
    }

    #[test]
    fn builds_the_health_url() {
        assert_eq!(
            health_url("http://127.0.0.1:2379"),
            "http://127.0.0.1:2379/health"
        );
        assert_eq!(health_url("https://etcd:2379/"), "https://etcd:2379/health");
        assert_eq!(health_url("http://e:2379/health"), "http://e:2379/health");
    }
}

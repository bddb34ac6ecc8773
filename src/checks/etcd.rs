//! etcd check: GET `<client URL>/health`, healthy when the JSON says health is true.
//! An unhealthy etcd answers 503 with a `reason`, which becomes our reason.

use crate::checks::http::{self, HttpOptions};
use crate::context::Context;
use crate::proto::etcd::{self, NotHealthReply};
use crate::proto::exchange::printable;
use crate::verdict::{Checked, Outcome};

/// Options of `probe etcd`: the client URL and the TLS files.
#[derive(Debug, Clone, Default)]
pub struct EtcdOptions {
    pub url: String,
    /// CA bundle to verify the server against; without it the certificate is not verified.
    pub ca_file: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
}

/// `probe etcd URL [--cacert --cert --key]`.
pub fn probe(opts: &EtcdOptions, ctx: &Context) -> Checked {
    let http_options = HttpOptions {
        verify: opts.ca_file.is_some(),
        ca_file: opts.ca_file.clone(),
        client_cert: opts.client_cert.clone(),
        client_key: opts.client_key.clone(),
        ..HttpOptions::default()
    };
    Checked::new(
        etcd::health_url(&opts.url),
        health_with(&opts.url, &http_options, ctx),
    )
}

/// GET `<client url>/health`; healthy when the JSON says health is true.
pub fn health(client_url: &str, ctx: &Context) -> Outcome {
    health_with(client_url, &HttpOptions::default(), ctx)
}

/// [`health`] with TLS options (CA, client certificate).
pub fn health_with(client_url: &str, opts: &HttpOptions, ctx: &Context) -> Outcome {
    let response = http::fetch(&etcd::health_url(client_url), opts, ctx)?;
    evaluate(response.status, &response.body)
}

/// Judge a /health response: the JSON body decides (etcd says why in `reason`);
/// the status only matters when the body is not etcd's.
pub fn evaluate(status: u16, body: &[u8]) -> Outcome {
    let excerpt = || printable(body, 80);
    let reply = etcd::parse_health_reply(body).map_err(|e| match e {
        NotHealthReply::NotJson => {
            format!("HTTP {status}, not an etcd health reply: \"{}\"", excerpt())
        }
        NotHealthReply::NoHealthField => {
            format!("HTTP {status}, no \"health\" field in \"{}\"", excerpt())
        }
    })?;
    match (reply.healthy, reply.reason) {
        (true, _) if status < 400 => Ok("etcd reports health true".into()),
        (true, _) => Err(format!("HTTP {status} although etcd reports health true")),
        (false, Some(reason)) => Err(format!(
            "etcd reports unhealthy: {}",
            printable(reason.as_bytes(), 160)
        )),
        (false, None) => Err(format!(
            "etcd reports unhealthy (HTTP {status}, no reason given)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_when_health_is_true() {
        assert!(evaluate(200, br#"{"health":"true"}"#).is_ok());
        assert!(evaluate(200, br#"{"health":"true","reason":""}"#).is_ok());
        assert!(evaluate(200, br#"{"health":true}"#).is_ok());
    }

    #[test]
    fn unhealthy_reasons_come_from_etcd() {
        let no_leader =
            evaluate(503, br#"{"health":"false","reason":"RAFT NO LEADER"}"#).unwrap_err();
        assert_eq!(no_leader, "etcd reports unhealthy: RAFT NO LEADER");
        assert!(evaluate(503, br#"{"health":"false"}"#)
            .unwrap_err()
            .contains("no reason given"));
        assert!(evaluate(200, br#"{"health":false}"#).is_err());
        assert!(evaluate(500, br#"{"health":"true"}"#)
            .unwrap_err()
            .contains("HTTP 500"));
    }

    #[test]
    fn other_bodies_are_not_etcd() {
        assert!(evaluate(200, b"<html>hello</html>")
            .unwrap_err()
            .contains("not an etcd health reply"));
        assert!(evaluate(404, b"404 page not found\n")
            .unwrap_err()
            .contains("HTTP 404"));
        assert!(evaluate(200, br#"{"status":"ok"}"#)
            .unwrap_err()
            .contains("no \"health\""));
        assert!(evaluate(200, br#"["health"]"#).is_err());
    }
}

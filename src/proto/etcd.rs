//! etcd health endpoint: GET `<client URL>/health`, healthy when the JSON says
//! `"health": "true"` (etcd 3.4+ sends a string; a bool is accepted too). An
//! unhealthy etcd answers 503 with `"reason"`, which becomes our reason.

use crate::checks::http::{self, HttpOptions};
use crate::cli::probes::ProbeKind;
use crate::context::Context;
use crate::verdict::{Checked, Outcome};
use clap::{Arg, ArgMatches, Command};
use serde_json::Value;

pub const PROBE: ProbeKind = ProbeKind {
    name: "etcd",
    about: "etcd: the /health endpoint must report health true",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    let file = |name: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name("FILE").help(help)
    };
    cmd.arg(
        Arg::new("url")
            .value_name("URL")
            .required(true)
            .help("A client URL, e.g. http://127.0.0.1:2379"),
    )
    .arg(file(
        "cacert",
        "CA bundle (PEM) to verify the server against (default: not verified, like curl -k)",
    ))
    .arg(file(
        "cert",
        "Client certificate (PEM) when etcd requires client TLS",
    ))
    .arg(file("key", "Client key (PEM) for --cert"))
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let arg = |name: &str| m.get_one::<String>(name).cloned();
    let url = arg("url").unwrap_or_default();
    let opts = HttpOptions {
        verify: arg("cacert").is_some(),
        ca_file: arg("cacert"),
        client_cert: arg("cert"),
        client_key: arg("key"),
        ..HttpOptions::default()
    };
    Checked::new(health_url(&url), health_with(&url, &opts, ctx))
}

/// GET `<client url>/health`; healthy when the JSON says health is true.
pub fn health(client_url: &str, ctx: &Context) -> Outcome {
    health_with(client_url, &HttpOptions::default(), ctx)
}

/// [`health`] with TLS options (CA, client certificate).
pub fn health_with(client_url: &str, opts: &HttpOptions, ctx: &Context) -> Outcome {
    let response = http::fetch(&health_url(client_url), opts, ctx)?;
    evaluate(response.status, &response.body)
}

/// The health URL for a client URL (given with or without `/health`).
pub fn health_url(client_url: &str) -> String {
    let base = client_url.trim().trim_end_matches('/');
    if base.ends_with("/health") {
        base.to_string()
    } else {
        format!("{base}/health")
    }
}

/// Judge a /health response: the JSON body decides (etcd says why in `reason`);
/// the status only matters when the body is not etcd's.
pub fn evaluate(status: u16, body: &[u8]) -> Outcome {
    let excerpt = || crate::proto::exchange::printable(body, 80);
    let json: Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}, not an etcd health reply: \"{}\"", excerpt()))?;
    let healthy = match json.get("health") {
        Some(Value::String(s)) => s == "true",
        Some(Value::Bool(b)) => *b,
        _ => {
            return Err(format!(
                "HTTP {status}, no \"health\" field in \"{}\"",
                excerpt()
            ))
        }
    };
    let reason = json
        .get("reason")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty());
    match (healthy, reason) {
        (true, _) if status < 400 => Ok("etcd reports health true".into()),
        (true, _) => Err(format!("HTTP {status} although etcd reports health true")),
        (false, Some(reason)) => Err(format!(
            "etcd reports unhealthy: {}",
            crate::proto::exchange::printable(reason.as_bytes(), 160)
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

//! HTTP(S) check (curl --fail semantics): status < 400 is healthy, redirects are not followed.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "http", about: "HTTP(S) GET: healthy when the status is below 400", args, run, http_budget: true };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Options of an HTTP check (curl's flags that the checks use).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Verify the server certificate (default false, like `curl -k`).
    pub verify: bool,
    /// CA bundle (PEM) to verify against; implies `verify`.
    pub ca_file: Option<String>,
    /// Client certificate and key (PEM) to present.
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub user_agent: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions { verify: false, ca_file: None, client_cert: None, client_key: None, user_agent: "curl-healthcheck".into() }
    }
}

/// A received response: status, headers, body (bounded), the peer and the time taken.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub remote: Option<std::net::SocketAddr>,
    pub elapsed: std::time::Duration,
}

/// GET `url` and return the response, whatever its status, within the deadline.
pub fn fetch(url: &str, _opts: &HttpOptions, _ctx: &Context) -> Result<HttpResponse, String> {
    Err(format!("{url}: not implemented yet"))
}

/// GET `url`: healthy when the status is below 400 (curl --fail).
pub fn get(url: &str, _opts: &HttpOptions, _ctx: &Context) -> Checked {
    Checked::new(url, Err("not implemented yet".into()))
}

/// kolla's `healthcheck_curl` arguments (`URL` plus the curl flags its callers pass),
/// with its environment (`HEALTHCHECK_CURL_*`); prints curl's write-out line on success.
pub fn curl_compat(args: &[String], _ctx: &Context) -> Checked {
    Checked::new(args.first().cloned().unwrap_or_default(), Err("not implemented yet".into()))
}

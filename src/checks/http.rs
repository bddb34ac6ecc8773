//! HTTP(S) check (curl --fail semantics): status < 400 is healthy, redirects are not followed.
//!
//! One deadline covers resolve, connect, proxy tunnel, TLS, request, headers and body
//! (the client is [`crate::proto::http`]). Proxy variables are ignored unless
//! `HEALTHCHECK_USE_PROXY=1` (TripleO unsets them: a health check must reach the local
//! service, not whatever proxy the image has). kolla's `healthcheck_curl` drop-in lives
//! in [`curl`].

mod curl;

pub use crate::proto::http::Url;

use crate::context::Context;
use crate::net::tls::TlsOptions;
use crate::proto::http::{self as client, url};
use crate::verdict::Checked;
use std::time::Instant;

/// `probe http URL [-H "Name: value"]...`: GET with extra request headers, healthy below 400.
/// A URL or header that does not parse is a bad invocation: the check cannot tell.
pub fn probe(url: &str, opts: &HttpOptions, headers: &[String], ctx: &Context) -> Checked {
    if let Err(e) = Url::parse(url) {
        return Checked::cannot_tell(url::redact_userinfo(url), e);
    }
    let headers: Result<Vec<_>, String> = headers.iter().map(|h| parse_header(h)).collect();
    match headers {
        Ok(headers) => check_status(url, fetch_inner(url, opts, &headers, ctx)),
        Err(e) => Checked::cannot_tell(url::redact_userinfo(url), e),
    }
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
        HttpOptions {
            verify: false,
            ca_file: None,
            client_cert: None,
            client_key: None,
            user_agent: "curl-healthcheck".into(),
        }
    }
}

impl HttpOptions {
    fn tls(&self) -> TlsOptions {
        TlsOptions {
            verify: self.verify || self.ca_file.is_some(),
            chain_only: false,
            ca_file: self.ca_file.clone(),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
        }
    }
}

/// A received response: status, headers, body (bounded), the peer and the time taken.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// The reason phrase as the server sent it ("Service Unavailable"), possibly empty.
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub remote: Option<std::net::SocketAddr>,
    pub elapsed: std::time::Duration,
}

/// GET `url` and return the response, whatever its status, within the deadline.
pub fn fetch(url: &str, opts: &HttpOptions, ctx: &Context) -> Result<HttpResponse, String> {
    fetch_inner(url, opts, &[], ctx).map_err(|e| format!("{url}: {e}"))
}

/// GET `url`: healthy when the status is below 400 (curl --fail).
pub fn get(url: &str, opts: &HttpOptions, ctx: &Context) -> Checked {
    check_status(url, fetch_inner(url, opts, &[], ctx))
}

/// kolla's `healthcheck_curl` arguments (`URL` plus the curl flags its callers pass),
/// with its environment (`HEALTHCHECK_CURL_*`); prints curl's write-out line on success.
pub fn curl_compat(args: &[String], ctx: &Context) -> Checked {
    curl::run(args, ctx)
}

/// The verdict on a fetched response: below 400 is healthy.
fn check_status(url: &str, fetched: Result<HttpResponse, String>) -> Checked {
    let outcome = fetched.and_then(|r| {
        let status = status_text(&r);
        if r.status < 400 {
            let from = r.remote.map(|a| format!(" from {a}")).unwrap_or_default();
            Ok(format!(
                "HTTP {status}{from} in {:.3}s",
                r.elapsed.as_secs_f64()
            ))
        } else {
            Err(format!("HTTP {status}"))
        }
    });
    Checked::new(url::redact_userinfo(url), outcome)
}

fn status_text(r: &HttpResponse) -> String {
    match r.reason.as_str() {
        "" => r.status.to_string(),
        reason => format!("{} {reason}", r.status),
    }
}

/// Parse a `Name: value` header argument.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() && !text.contains(['\r', '\n']) => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!(
            "bad header {text:?}: expected \"Name: value\" on one line"
        )),
    }
}

/// The GET itself, with extra request headers; errors do not repeat the URL.
pub(crate) fn fetch_inner(
    url_text: &str,
    opts: &HttpOptions,
    extra_headers: &[(String, String)],
    ctx: &Context,
) -> Result<HttpResponse, String> {
    let start = Instant::now();
    let url = Url::parse(url_text)?;
    let mut headers = extra_headers.to_vec();
    if let Some(auth) = url.basic_auth() {
        headers.push(("Authorization".into(), auth));
    }
    let proxy = if ctx.system.flag("HEALTHCHECK_USE_PROXY") {
        url::proxy_for(&url, &ctx.system)?
    } else {
        None
    };
    if let Some(p) = &proxy {
        ctx.trace(format_args!(
            "using proxy {}:{} for {}",
            p.host,
            p.port,
            url::redact_userinfo(url_text)
        ));
    }
    let reply = client::get(
        &client::Get {
            url: &url,
            user_agent: &opts.user_agent,
            headers: &headers,
            tls: &opts.tls(),
            proxy: proxy.as_ref(),
        },
        ctx,
    )?;
    Ok(HttpResponse {
        status: reply.status,
        reason: reply.reason,
        headers: reply.headers,
        body: reply.body,
        remote: reply.remote,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("X-A:  b c ").unwrap(),
            ("X-A".to_string(), "b c".to_string())
        );
        assert!(parse_header("nocolon").is_err());
        assert!(parse_header(": v").is_err());
        assert!(parse_header("X: a\r\nInjected: 1").is_err());
    }
}

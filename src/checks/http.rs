//! HTTP(S) check (curl --fail semantics): status < 400 is healthy, redirects are not followed.
//!
//! One deadline covers resolve, connect, proxy tunnel, TLS, request, headers and body.
//! Proxy variables are ignored unless `HEALTHCHECK_USE_PROXY=1` (TripleO unsets them:
//! a health check must reach the local service, not whatever proxy the image has).
//! kolla's `healthcheck_curl` drop-in lives in [`curl`].

mod curl;
mod url;

pub use url::Url;

use crate::context::Context;
use crate::net::tls::{self, Stream, TlsOptions};
use crate::net::{self, Connection, Endpoint};
use crate::proto::http1;
use crate::verdict::Checked;
use std::time::Instant;

/// `probe http URL [-H "Name: value"]...`: GET with extra request headers, healthy below 400.
pub fn probe(url: &str, opts: &HttpOptions, headers: &[String], ctx: &Context) -> Checked {
    let headers: Result<Vec<_>, String> = headers.iter().map(|h| parse_header(h)).collect();
    match headers {
        Ok(headers) => check_status(url, fetch_inner(url, opts, &headers, ctx)),
        Err(e) => Checked::new(url, Err(e)),
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
            "using proxy {}:{} for {url_text}",
            p.host, p.port
        ));
    }
    let endpoint = match &proxy {
        Some(p) => Endpoint::Tcp {
            host: p.host.clone(),
            port: p.port,
        },
        None => Endpoint::Tcp {
            host: url.host.clone(),
            port: url.port,
        },
    };
    let mut conn = net::connect(&endpoint, ctx)?;
    let remote = conn.peer;
    let target = match &proxy {
        // A plain-HTTP proxy takes the absolute URL; HTTPS goes through a CONNECT tunnel.
        Some(p) if !url.https => {
            if let Some(auth) = p.basic_auth() {
                headers.push(("Proxy-Authorization".into(), auth));
            }
            url.absolute()
        }
        Some(p) => {
            open_tunnel(&mut conn, &url, p)?;
            url.path.clone()
        }
        None => url.path.clone(),
    };
    let mut stream = if url.https {
        let config = tls::client_config(&opts.tls(), &ctx.system)?;
        Stream::Tls(Box::new(tls::connect(conn, &url.host, config)?))
    } else {
        Stream::Plain(conn)
    };
    let request = http1::get_request(&target, &url.host_header(), &opts.user_agent, &headers);
    let reply = http1::exchange(&mut stream, &request, ctx.deadline)?;
    ctx.trace(format_args!(
        "{url_text}: HTTP {} ({} body bytes)",
        reply.head.status_text(),
        reply.body_len
    ));
    Ok(HttpResponse {
        status: reply.head.status,
        reason: reply.head.reason,
        headers: reply.head.headers,
        body: reply.body,
        remote,
        elapsed: start.elapsed(),
    })
}

/// Ask an HTTP proxy for a tunnel to the URL's host (for HTTPS through a proxy).
fn open_tunnel(conn: &mut Connection, url: &Url, proxy: &url::Proxy) -> Result<(), String> {
    use std::io::Write;
    let authority = url.host_header();
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = proxy.basic_auth() {
        request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    conn.write_all(request.as_bytes())
        .map_err(|e| format!("proxy {}: {}", proxy.host, crate::util::io_reason(&e)))?;
    // One byte at a time: nothing after the proxy's reply head may be consumed, it
    // belongs to the TLS session.
    let mut one_byte = OneByteAtATime(conn);
    let head = net::read_until(&mut one_byte, http1::HEAD_LIMIT, |b| {
        !matches!(http1::parse_response_head(b), Ok(None))
    })
    .map_err(|e| format!("proxy {}: {e}", proxy.host))?;
    let (head, _) = http1::parse_response_head(&head)
        .map_err(|e| format!("proxy {}: {e}", proxy.host))?
        .ok_or_else(|| format!("proxy {}: incomplete reply to CONNECT", proxy.host))?;
    if !(200..300).contains(&head.status) {
        return Err(format!(
            "proxy {} refused the tunnel to {authority}: HTTP {}",
            proxy.host,
            head.status_text()
        ));
    }
    Ok(())
}

struct OneByteAtATime<'a>(&'a mut Connection);

impl std::io::Read for OneByteAtATime<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

/// Standard base64 (for Basic credentials): too small a need for a dependency.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

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

//! HTTP/1.1 client of the HTTP checks: one GET through `ureq` (rustls with ring for
//! HTTPS), never following redirects, with `Connection: close`.
//!
//! ureq runs the exchange; the parts it lets us plug in are ours where it cannot
//! serve a health check as such (see [`transport`]): name resolution without NSS,
//! connections bound by the check's single deadline that name the address they
//! failed on and record the one used (curl's `%{remote_ip}:%{remote_port}`), a reply
//! head bounded by bytes, the reason phrase (ureq keeps only the code), and plain-HTTP
//! proxying in absolute form (ureq tunnels every proxied request through CONNECT).
//! Everything a peer controls is bounded: the head (16 KiB), the body kept (64 KiB;
//! reading stops there) and, through the deadline, the time.

pub(crate) mod transport;
pub mod url;

pub use transport::{absolute_request_line, printable, scan_head, unfold, HeadScan};
pub use url::{Proxy, Url};

use crate::context::Context;
use crate::deadline::Deadline;
use crate::net::tls::{self, TlsOptions};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use transport::{Hop, Progress};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector};

/// Most bytes of status line plus headers accepted: real servers send well under 2 KiB.
pub const HEAD_LIMIT: usize = 16 * 1024;
/// Most body bytes read; a longer body is cut there (the status decides, not the body).
pub const BODY_KEEP: usize = 64 * 1024;
/// ureq's input buffers (plain and TLS): a whole head must fit, plus one read.
const INPUT_BUFFER: usize = HEAD_LIMIT + 4 * 1024;
/// ureq's output buffers: the request head, or one TLS record's worth of it.
const OUTPUT_BUFFER: usize = 8 * 1024;

/// One GET: where, with which headers, over which TLS settings and proxy.
#[derive(Debug, Clone, Copy)]
pub struct Get<'a> {
    pub url: &'a Url,
    pub user_agent: &'a str,
    /// Extra request headers (`Authorization`, the caller's `-H`), sent as spelled.
    pub headers: &'a [(String, String)],
    pub tls: &'a TlsOptions,
    /// The proxy to go through; `None` means straight to the URL's host.
    pub proxy: Option<&'a Proxy>,
}

/// A received response: status, headers, the first [`BODY_KEEP`] body bytes, the peer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// The reason phrase as the server sent it ("Service Unavailable"), possibly empty.
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The address the connection went to (the proxy's when there is one).
    pub remote: Option<SocketAddr>,
}

/// GET `req.url` and return the response, whatever its status, within `ctx.deadline`.
/// Errors are one line and do not repeat the URL.
pub fn get(req: &Get, ctx: &Context) -> Result<Response, String> {
    let url = req.url;
    // Certificate and key files are read, and their problems reported, before connecting.
    // The TLS client is the one every probe uses (`net::tls`): without verification it
    // takes any certificate curl -k takes, X.509 v1 included, and presents any client
    // certificate (ureq's rustls link would parse both with webpki, which takes v3 only).
    let tls_config = if url.https {
        Some(tls::client_config(req.tls, &ctx.system)?)
    } else {
        None
    };
    let target: ureq::http::Uri = format!(
        "{}://{}{}",
        if url.https { "https" } else { "http" },
        url.authority(),
        url.path
    )
    .parse()
    .map_err(|e| format!("URL path {:?} is not a valid request target: {e}", url.path))?;
    let progress = Arc::new(Mutex::new(Progress::default()));
    let hop = Hop {
        progress: Arc::clone(&progress),
        ctx: ctx.clone(),
        target: target.clone(),
        host: url.host.clone(),
        port: url.port,
        // HTTPS through a proxy is ureq's CONNECT tunnel; plain HTTP is ours (absolute form).
        plain_proxy: req.proxy.filter(|_| !url.https).cloned(),
        absolute_target: url.absolute(),
    };
    let tunnel = match req.proxy.filter(|_| url.https) {
        Some(p) => Some(ureq_proxy(p)?),
        None => None,
    };
    let budget = ctx
        .deadline
        .remaining(&format!("before connecting to {}", url.shown_authority()))?;
    let config = ureq::config::Config::builder()
        // Every status is an answer to judge, and a redirect is not followed (curl --fail).
        .http_status_as_error(false)
        .max_redirects(0)
        // Only the proxy the caller chose: ureq would otherwise read the environment.
        .proxy(tunnel)
        .user_agent(req.user_agent)
        .accept_encoding("")
        .timeout_global(Some(budget))
        .max_response_header_size(HEAD_LIMIT)
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .max_idle_connections(0)
        .build();
    let connector = ConnectProxyConnector::default()
        .chain(transport::TcpConnector(hop.clone()))
        .chain(transport::TlsConnector {
            hop: hop.clone(),
            config: tls_config,
            ctx: ctx.clone(),
        })
        .chain(transport::Recorder(hop.clone()));
    let agent = ureq::Agent::with_parts(config, connector, transport::Resolver(hop.clone()));
    // Headers as curl spells them; the caller's own replace ours.
    let has = |name: &str| {
        req.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    let mut request = agent.get(target);
    if !has("host") {
        request = request.header_raw("Host", url.host_header().as_bytes());
    }
    if !has("user-agent") && !req.user_agent.is_empty() {
        request = request.header_raw("User-Agent", req.user_agent.as_bytes());
    }
    if !has("accept") {
        request = request.header_raw("Accept", b"*/*");
    }
    if let Some(auth) = hop.plain_proxy.as_ref().and_then(Proxy::basic_auth) {
        request = request.header_raw("Proxy-Authorization", auth.as_bytes());
    }
    for (name, value) in req.headers {
        request = request.header_raw(name, value.as_bytes());
    }
    if !has("connection") {
        request = request.header_raw("Connection", b"close");
    }
    let response = request.call().map_err(|e| describe(e, &hop, None))?;

    let (parts, body) = response.into_parts();
    let framing = Framing::of(&parts.headers);
    let mut kept = Vec::new();
    let read = body
        .into_reader()
        .take(BODY_KEEP as u64)
        .read_to_end(&mut kept);
    if let Err(e) = read {
        return Err(describe(
            ureq::Error::from(e),
            &hop,
            Some((framing, kept.len())),
        ));
    }
    let progress = lock(&progress);
    let status = parts.status.as_u16();
    ctx.measure(|m| m.http_status = Some(status));
    if let Some(peer) = progress.peer {
        ctx.trace(format_args!(
            "{}: HTTP {status} from {peer} ({} body bytes read)",
            url.shown_authority(),
            kept.len()
        ));
    }
    Ok(Response {
        status,
        reason: progress.reason_for(status).unwrap_or_else(|| {
            parts
                .status
                .canonical_reason()
                .unwrap_or_default()
                .to_string()
        }),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: kept,
        remote: progress.peer,
    })
}

fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    progress
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An HTTP proxy for ureq's CONNECT tunnel (HTTPS targets).
fn ureq_proxy(p: &Proxy) -> Result<ureq::Proxy, String> {
    let mut builder = ureq::Proxy::builder(ureq::ProxyProtocol::Http)
        .host(&p.host)
        .port(p.port);
    if let Some((user, password)) = p
        .userinfo
        .as_deref()
        .map(|u| u.split_once(':').unwrap_or((u, "")))
    {
        builder = builder.username(user).password(password);
    }
    builder
        .build()
        .map_err(|e| format!("proxy {}: {e}", p.host))
}

/// How the body's end is known, for saying where a cut-short body stopped.
#[derive(Debug, Clone, Copy)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

impl Framing {
    fn of(headers: &ureq::http::HeaderMap) -> Framing {
        let chunked = headers.get_all("transfer-encoding").iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("chunked"))
        });
        let length = headers
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        match (chunked, length) {
            (true, _) => Framing::Chunked,
            (false, Some(n)) => Framing::Length(n),
            (false, None) => Framing::UntilClose,
        }
    }
}

/// A ureq error as one line, from what our parts saw of the exchange: the phase it
/// failed in, how much had arrived, what the reply started with. `body` is set for
/// failures while reading the body (framing, bytes read so far).
fn describe(e: ureq::Error, hop: &Hop, body: Option<(Framing, usize)>) -> String {
    let p = lock(&hop.progress);
    if let Some(failure) = &p.failure {
        return failure.clone();
    }
    let deadline: Deadline = hop.ctx.deadline;
    let budget = deadline.budget().as_secs_f64();
    let io = match &e {
        ureq::Error::Io(io) => Some(io),
        _ => None,
    };
    let timed_out = matches!(e, ureq::Error::Timeout(_))
        || io.is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        })
        || deadline.expired();
    let rustls_error = match &e {
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    let closed = io.is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
        )
    });
    use transport::Phase;
    match p.phase {
        Phase::Tunnel => {
            let proxy = hop
                .plain_proxy
                .as_ref()
                .map(|p| p.host.clone())
                .or_else(|| p.peer.map(|a| a.to_string()))
                .unwrap_or_default();
            return match e {
                _ if timed_out => format!(
                    "timed out after {budget:.1}s waiting for proxy {proxy} to open the tunnel"
                ),
                ureq::Error::ConnectProxyFailed(why) => {
                    // ureq says "proxy server responded 403/403": keep the status.
                    let status = why
                        .strip_prefix("proxy server responded ")
                        .and_then(|rest| rest.split('/').next())
                        .map(|code| format!("HTTP {code}"))
                        .unwrap_or(why);
                    format!(
                        "proxy {proxy} refused the tunnel to {}: {status}",
                        hop.target.authority().map(|a| a.as_str()).unwrap_or("")
                    )
                }
                other => format!("proxy {proxy}: {}", short(&other)),
            };
        }
        Phase::Handshake => {
            return if let Some(tls) = rustls_error {
                format!("TLS handshake failed: {}", tls::tls_reason(tls))
            } else if timed_out {
                format!("timed out after {budget:.1}s in the TLS handshake")
            } else if closed {
                "TLS handshake failed: connection closed by the server".into()
            } else {
                format!("TLS handshake failed: {}", short(&e))
            };
        }
        Phase::Resolving | Phase::Connecting => {
            return if timed_out {
                format!(
                    "timed out after {budget:.1}s connecting to {}",
                    hop.target.authority().map(|a| a.as_str()).unwrap_or("")
                )
            } else {
                short(&e)
            };
        }
        Phase::Exchanging => {}
    }
    if let Some(tls) = rustls_error {
        // A TLS 1.3 server refuses a client certificate only after the handshake.
        return format!("TLS: {}", tls::tls_reason(tls));
    }
    if timed_out {
        return format!(
            "timed out after {budget:.1}s waiting for the reply ({} bytes received)",
            p.received
        );
    }
    if let Some((framing, read)) = body {
        return match framing {
            _ if !closed => format!("reading the reply body: {}", short(&e)),
            Framing::Length(len) => {
                format!("connection closed by the server after {read} of {len} body bytes")
            }
            Framing::Chunked => {
                "connection closed by the server in the middle of a chunked body".into()
            }
            Framing::UntilClose => format!("reading the reply body: {}", short(&e)),
        };
    }
    if !p.head_complete && (closed || matches!(e, ureq::Error::Io(_))) {
        return if p.received == 0 {
            "connection closed by the server without a reply".into()
        } else {
            format!(
                "connection closed by the server in the middle of the reply headers ({} bytes received)",
                p.received
            )
        };
    }
    match &e {
        ureq::Error::LargeResponseHeader(..) => {
            format!("reply headers longer than {} KiB", HEAD_LIMIT / 1024)
        }
        ureq::Error::Protocol(_) if !p.looks_like_http() => format!(
            "not an HTTP reply: starts with {}",
            transport::printable(&p.start)
        ),
        ureq::Error::Protocol(proto) => format!("malformed reply: {proto}"),
        other => short(other),
    }
}

/// ureq's error text without its category prefix, I/O errors as our short reasons.
fn short(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => crate::util::io_reason(io),
        ureq::Error::Protocol(proto) => proto.to_string(),
        other => other.to_string(),
    }
}

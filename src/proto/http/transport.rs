//! The parts of ureq's connection chain that are ours, and why ureq's own cannot serve:
//!
//! - [`Resolver`]: `/etc/hosts` and the `resolv.conf` name servers ([`crate::net::resolve`]),
//!   no NSS, so names resolve in an empty `FROM scratch` root; ureq's resolver asks
//!   glibc (and starts a thread to bound the wait).
//! - [`TcpConnector`]: tries each address within the check's deadline, names the
//!   address in failures (`connect to 127.0.0.1:8774: connection refused`) and records
//!   the one used, curl's `%{remote_ip}:%{remote_port}`, which ureq does not expose.
//!   ureq's TCP transport is not public, so the socket's transport is here too: every
//!   read and write, rustls' handshake included, ends at the deadline.
//! - [`Recorder`], the last link, over the plain or TLS transport: counts what arrived
//!   and keeps the start of the reply (for one-line errors and the reason phrase, which
//!   ureq drops), bounds the reply head by bytes (ureq-proto refuses more than 128
//!   header lines first, so an endless head would otherwise be cut for its count), and
//!   for a plain-HTTP proxy sends the request line in absolute form (ureq speaks only
//!   origin form and would tunnel through CONNECT).

use super::{Proxy, HEAD_LIMIT};
use crate::context::Context;
use crate::deadline::Deadline;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{self, ResolvedSocketAddrs};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};
use ureq::{Error, Timeout};

/// How far the request got: which step a failure or a timeout belongs to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    #[default]
    Resolving,
    Connecting,
    /// Connected to a proxy, waiting for it to open the CONNECT tunnel.
    Tunnel,
    Handshake,
    /// Request and reply (TLS established, if any).
    Exchanging,
}

/// What the request went through, shared by the chain's parts and read afterwards.
#[derive(Debug, Default)]
pub(super) struct Progress {
    pub phase: Phase,
    /// A failure one of our parts already put in words (resolution, connect, head size).
    pub failure: Option<String>,
    /// The address the connection went to.
    pub peer: Option<SocketAddr>,
    /// Reply bytes received (after TLS).
    pub received: usize,
    /// The start of the reply, up to its first line end or [`START_KEEP`] bytes.
    pub start: Vec<u8>,
    /// The first reply head is complete (its blank line arrived).
    pub head_complete: bool,
}

/// Input and output buffer of a TCP connection that TLS runs over.
const UNDER_TLS_BUFFER: usize = 4 * 1024;

/// Enough of the reply's start for a status line with its reason phrase.
const START_KEEP: usize = 128;

impl Progress {
    /// The reason phrase of the status line received, if it is for `status`.
    pub fn reason_for(&self, status: u16) -> Option<String> {
        let line = self.start.split(|b| *b == b'\n').next()?;
        let line = String::from_utf8_lossy(line);
        let mut parts = line.trim_end_matches('\r').splitn(3, ' ');
        let _version = parts.next()?;
        let code: u16 = parts.next()?.parse().ok()?;
        (code == status).then(|| parts.next().unwrap_or("").trim().to_string())
    }

    /// Whether the reply so far could be HTTP (starts like `HTTP/`).
    pub fn looks_like_http(&self) -> bool {
        let prefix = &self.start[..self.start.len().min(5)];
        b"HTTP/".starts_with(prefix)
    }

    fn keep_start(&mut self, input: &[u8]) {
        if self.start.len() < START_KEEP && !self.start.contains(&b'\n') {
            let take = input.len().min(START_KEEP);
            self.start.clear();
            self.start.extend_from_slice(&input[..take]);
        }
    }
}

/// What every part of one request's chain shares.
#[derive(Debug, Clone)]
pub(super) struct Hop {
    pub progress: Arc<Mutex<Progress>>,
    pub ctx: Context,
    /// The URI asked for: connections to anything else are to a CONNECT proxy.
    pub target: Uri,
    /// A plain-HTTP proxy: connect there and send the request line in absolute form.
    pub plain_proxy: Option<Proxy>,
    pub absolute_target: String,
}

impl Hop {
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        super::lock(&self.progress)
    }

    fn fail(&self, message: String) -> Error {
        self.progress().failure = Some(message);
        Error::ConnectionFailed
    }

    fn is_target(&self, details: &ConnectionDetails) -> bool {
        *details.uri == self.target
    }
}

/// Name resolution through [`crate::net::resolve`]; with a plain-HTTP proxy, the
/// proxy's name is resolved in place of the URL's.
#[derive(Debug)]
pub(super) struct Resolver(pub Hop);

impl resolver::Resolver for Resolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let hop = &self.0;
        hop.progress().phase = Phase::Resolving;
        let (host, port) = match &hop.plain_proxy {
            Some(proxy) => (proxy.host.clone(), proxy.port),
            None => {
                let default = if uri.scheme_str() == Some("https") {
                    443
                } else {
                    80
                };
                (
                    uri.host().unwrap_or_default().to_string(),
                    uri.port_u16().unwrap_or(default),
                )
            }
        };
        let found = crate::net::resolve::resolve(&host, port, &hop.ctx).map_err(|e| hop.fail(e))?;
        let mut addrs = resolver::Resolver::empty(self);
        for addr in found {
            if addrs.try_push(addr).is_err() {
                break;
            }
        }
        Ok(addrs)
    }
}

/// Opens the TCP connection (see the module comment); a transport made by an earlier
/// link (a CONNECT tunnel) is passed on.
#[derive(Debug)]
pub(super) struct TcpConnector(pub Hop);

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let hop = &self.0;
        let next_phase = if !hop.is_target(details) {
            Phase::Tunnel
        } else if details.needs_tls() {
            Phase::Handshake
        } else {
            Phase::Exchanging
        };
        if let Some(tunnel) = chained {
            hop.progress().phase = next_phase;
            return Ok(Some(Either::A(tunnel)));
        }
        hop.progress().phase = Phase::Connecting;
        let authority = details.uri.authority().map(|a| a.as_str()).unwrap_or("");
        let (stream, peer) = crate::net::connect_addrs(&details.addrs, authority, &hop.ctx)
            .map_err(|e| hop.fail(e))?;
        {
            let mut progress = hop.progress();
            progress.peer = Some(peer);
            progress.phase = next_phase;
        }
        // Under TLS these buffers carry records to and from rustls, which keeps its own:
        // a few KiB suffice. ureq reads a plain reply's head, or a proxy's reply to
        // CONNECT, from them whole.
        let (input, output) = if next_phase == Phase::Handshake {
            (UNDER_TLS_BUFFER, UNDER_TLS_BUFFER)
        } else {
            let config = details.config;
            (config.input_buffer_size(), config.output_buffer_size())
        };
        Ok(Some(Either::B(TcpTransport {
            stream,
            buffers: LazyBuffers::new(input, output),
            deadline: hop.ctx.deadline,
        })))
    }
}

/// A TCP connection whose every read and write is bounded by the check's deadline
/// (ureq's `timeout_global` is set to the same deadline; arming the socket from it
/// directly also bounds the reads and writes rustls makes in the handshake).
#[derive(Debug)]
pub(super) struct TcpTransport {
    stream: TcpStream,
    buffers: LazyBuffers,
    deadline: Deadline,
}

impl TcpTransport {
    fn left(&self) -> Result<std::time::Duration, Error> {
        self.deadline
            .remaining("")
            .map_err(|_| Error::Timeout(Timeout::Global))
    }
}

/// A socket error as ureq's: its timeouts (SO_RCVTIMEO reports EAGAIN) as the deadline.
fn socket_error(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout(Timeout::Global),
        _ => Error::Io(e),
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, _timeout: NextTimeout) -> Result<(), Error> {
        let left = self.left()?;
        self.stream.set_write_timeout(Some(left))?;
        let output = &self.buffers.output()[..amount];
        (&self.stream).write_all(output).map_err(socket_error)
    }

    fn await_input(&mut self, _timeout: NextTimeout) -> Result<bool, Error> {
        loop {
            let left = self.left()?;
            self.stream.set_read_timeout(Some(left))?;
            let input = self.buffers.input_append_buf();
            match (&self.stream).read(input) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(socket_error(e)),
            }
        }
    }

    /// Never offered for reuse: one request per connection, `Connection: close`.
    fn is_open(&mut self) -> bool {
        false
    }
}

/// Wraps the transport the request goes over (see the module comment); connections
/// to a CONNECT proxy are passed on as they are.
#[derive(Debug)]
pub(super) struct Recorder(pub Hop);

impl<In: Transport> Connector<In> for Recorder {
    type Out = Either<In, Recording<In>>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let hop = &self.0;
        let Some(inner) = chained else {
            return Ok(None);
        };
        if !hop.is_target(details) {
            return Ok(Some(Either::A(inner)));
        }
        hop.progress().phase = Phase::Exchanging;
        Ok(Some(Either::B(Recording {
            inner,
            hop: hop.clone(),
            absolute_form: hop.plain_proxy.is_some(),
            scanned: 0,
        })))
    }
}

#[derive(Debug)]
pub(super) struct Recording<T> {
    inner: T,
    hop: Hop,
    /// The request line still has to be put in absolute form (plain-HTTP proxy).
    absolute_form: bool,
    /// Bytes of the reply head already searched for its end.
    scanned: usize,
}

impl<T: Transport> Transport for Recording<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let amount = if std::mem::take(&mut self.absolute_form) {
            let output = self.inner.buffers().output();
            let rewritten = absolute_request_line(&output[..amount], &self.hop.absolute_target)
                .filter(|r| r.len() <= output.len())
                .ok_or_else(|| {
                    self.hop
                        .fail("the request head does not fit for a proxy".into())
                })?;
            output[..rewritten.len()].copy_from_slice(&rewritten);
            rewritten.len()
        } else {
            amount
        };
        self.inner.transmit_output(amount, timeout)
    }

    /// Reads on until the reply head is complete (or is no HTTP, or exceeds
    /// [`HEAD_LIMIT`]), so ureq parses it whole; after the head, reads pass through.
    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        loop {
            let before = self.inner.buffers().input().len();
            let made_progress = self.inner.await_input(timeout)?;
            let input = self.inner.buffers().input();
            let mut progress = self.hop.progress();
            progress.received += input.len().saturating_sub(before);
            if progress.head_complete || !made_progress {
                return Ok(made_progress);
            }
            progress.keep_start(input);
            let scanned = std::mem::replace(&mut self.scanned, input.len());
            match scan_head(input, scanned) {
                HeadScan::Complete(_) => {
                    progress.head_complete = true;
                    return Ok(true);
                }
                // ureq refuses it at once; the message quotes what arrived.
                HeadScan::NotHttp => return Ok(true),
                HeadScan::Incomplete if input.len() >= HEAD_LIMIT => {
                    progress.failure = Some(format!(
                        "reply headers longer than {} KiB",
                        HEAD_LIMIT / 1024
                    ));
                    return Err(Error::LargeResponseHeader(input.len(), HEAD_LIMIT));
                }
                HeadScan::Incomplete => {}
            }
        }
    }

    fn is_open(&mut self) -> bool {
        false
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// What the start of a reply holds so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadScan {
    /// The head is not complete yet.
    Incomplete,
    /// The head ends after this many bytes (its blank line included).
    Complete(usize),
    /// The bytes cannot start an HTTP reply.
    NotHttp,
}

/// Where the reply head in `buf` ends, accepting bare LF line ends; looks no further
/// than [`HEAD_LIMIT`] bytes. `scanned` bytes are known not to hold the end yet (a
/// peer sending one byte at a time must not make every read rescan the whole head).
pub fn scan_head(buf: &[u8], scanned: usize) -> HeadScan {
    let prefix = &buf[..buf.len().min(5)];
    if !b"HTTP/".starts_with(prefix) {
        return HeadScan::NotHttp;
    }
    let window = &buf[..buf.len().min(HEAD_LIMIT)];
    // A blank line's three bytes may straddle what was scanned and what is new.
    let from = scanned.saturating_sub(2).min(window.len());
    // The status line is never empty, so the first empty line ends the head.
    let rest = &window[from..];
    let lf_lf = rest.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let lf_crlf = rest.windows(3).position(|w| w == b"\n\r\n").map(|i| i + 3);
    match lf_lf.into_iter().chain(lf_crlf).min() {
        Some(end) => HeadScan::Complete(from + end),
        None => HeadScan::Incomplete,
    }
}

/// The request head `head` with its request line's target replaced by `absolute`
/// (`GET /v2 HTTP/1.1` becomes `GET http://host:port/v2 HTTP/1.1`); `None` when the
/// head does not start with a request line.
pub fn absolute_request_line(head: &[u8], absolute: &str) -> Option<Vec<u8>> {
    let line_end = head.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let (method, rest) = line.split_once(' ')?;
    let (_target, version) = rest.rsplit_once(' ')?;
    let mut out = Vec::with_capacity(head.len() + absolute.len());
    out.extend_from_slice(format!("{method} {absolute} {version}").as_bytes());
    out.extend_from_slice(&head[line_end..]);
    Some(out)
}

/// Up to 32 bytes of peer data, quoted, control bytes escaped: safe in one output line.
pub fn printable(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(32)];
    let mut s: String = shown.escape_ascii().to_string();
    if bytes.len() > shown.len() {
        s.push_str("...");
    }
    format!("\"{s}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_end_of_the_head() {
        assert_eq!(scan_head(b"", 0), HeadScan::Incomplete);
        assert_eq!(scan_head(b"HTT", 0), HeadScan::Incomplete);
        assert_eq!(scan_head(b"HTTP/1.1 200 OK\r\n", 0), HeadScan::Incomplete);
        let head = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
        assert_eq!(scan_head(head, 0), HeadScan::Complete(25));
        // Found the same however the bytes were split across reads.
        for split in 0..25 {
            assert_eq!(
                scan_head(&head[..split], 0),
                HeadScan::Incomplete,
                "{split}"
            );
            assert_eq!(scan_head(head, split), HeadScan::Complete(25), "{split}");
        }
        assert_eq!(scan_head(b"HTTP/1.0 200\n\nx", 0), HeadScan::Complete(14));
        assert_eq!(scan_head(b"SSH-2.0-OpenSSH\r\n", 0), HeadScan::NotHttp);
        assert_eq!(scan_head(b"\x16\x03\x01", 0), HeadScan::NotHttp);
        let endless = [b"HTTP/1.1 200 OK\r\n".as_slice(), &b"X: y\r\n".repeat(4000)].concat();
        assert_eq!(scan_head(&endless, 0), HeadScan::Incomplete);
    }

    #[test]
    fn keeps_the_status_line_for_its_reason() {
        let mut p = Progress::default();
        p.keep_start(b"HTTP/1.1 503 Backend Down\r\nX: y\r\n");
        assert_eq!(p.reason_for(503).as_deref(), Some("Backend Down"));
        assert_eq!(p.reason_for(200), None);
        assert!(p.looks_like_http());
        let mut p = Progress::default();
        p.keep_start(b"HTTP/1.0 200\r\n\r\n");
        assert_eq!(p.reason_for(200).as_deref(), Some(""));
        let mut p = Progress::default();
        p.keep_start(b"\x00\x01SSH");
        assert!(!p.looks_like_http());
    }

    #[test]
    fn request_line_in_absolute_form() {
        let head = b"GET /v2?x=1 HTTP/1.1\r\nHost: h:8774\r\n\r\n";
        assert_eq!(
            absolute_request_line(head, "http://h:8774/v2?x=1").unwrap(),
            b"GET http://h:8774/v2?x=1 HTTP/1.1\r\nHost: h:8774\r\n\r\n"
        );
        assert_eq!(absolute_request_line(b"no line end", "http://h/"), None);
    }

    #[test]
    fn printable_is_one_short_line() {
        assert_eq!(printable(b"a\r\nb"), "\"a\\r\\nb\"");
        assert_eq!(printable(&[b'x'; 40]).len(), 32 + 2 + 3);
    }
}

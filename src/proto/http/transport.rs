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
//! - [`TlsConnector`]: TLS with the client configuration every probe uses
//!   ([`crate::net::tls`]), which takes any certificate `curl -k` takes (X.509 v1
//!   included) and presents a v1 client certificate; ureq's rustls link parses both
//!   with webpki, which takes v3 only (and panics on a client certificate it refuses).
//!   A server closing without TLS's close_notify ends the stream like a plain close:
//!   the reply's framing says whether it was complete. The earliest expiry of the
//!   certificates the server presented is recorded in the check's context (ureq's own
//!   connector keeps the session to itself), for the monitoring formats.
//! - [`Recorder`], the last link, over the plain or TLS transport: counts what arrived
//!   and keeps the start of the reply (for one-line errors and the reason phrase, which
//!   ureq drops), bounds the reply head by bytes (ureq-proto refuses more than 128
//!   header lines first, so an endless head would otherwise be cut for its count), and
//!   for a plain-HTTP proxy sends the request line in absolute form (ureq speaks only
//!   origin form and would tunnel through CONNECT). It also hands ureq each reply as
//!   curl reads it: interim replies (`100 Continue`, `103 Early Hints`, any 1xx but
//!   `101`) are dropped before ureq sees them, and obsolete line folding in the final
//!   head (a header line continued on a line starting with a space or tab, RFC 9112
//!   section 5.2) is replaced by spaces, which ureq's parser (httparse) would refuse.
//!   For that it keeps buffers of its own and moves the bytes between the two.

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
    TransportAdapter,
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
    /// The URL's host as it resolves (with an IPv6 zone, which a URI cannot hold) and port.
    pub host: String,
    pub port: u16,
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
            None if *uri == hop.target => (hop.host.clone(), hop.port),
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
    type Out = Either<In, SocketTransport<TcpStream>>;

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
        Ok(Some(Either::B(SocketTransport::new(
            stream,
            LazyBuffers::new(input, output),
            hop.ctx.deadline,
        ))))
    }
}

/// A connection whose every read and write is bounded by the check's deadline
/// (ureq's `timeout_global` is set to the same deadline; arming the socket from it
/// directly also bounds the reads and writes rustls makes in the handshake). TCP here;
/// a unix socket for the host agent's requests to the engines' API sockets.
#[derive(Debug)]
pub(crate) struct SocketTransport<S> {
    stream: S,
    buffers: LazyBuffers,
    deadline: Deadline,
}

/// A socket whose reads and writes take a timeout.
pub(crate) trait TimedSocket:
    Read + Write + std::fmt::Debug + Send + Sync + 'static
{
    fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()>;
    fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()>;
}

impl TimedSocket for TcpStream {
    fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }
}

impl TimedSocket for std::os::unix::net::UnixStream {
    fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, timeout)
    }
}

impl<S: TimedSocket> SocketTransport<S> {
    pub(crate) fn new(stream: S, buffers: LazyBuffers, deadline: Deadline) -> Self {
        SocketTransport {
            stream,
            buffers,
            deadline,
        }
    }

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

impl<S: TimedSocket> Transport for SocketTransport<S> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, _timeout: NextTimeout) -> Result<(), Error> {
        let left = self.left()?;
        self.stream.set_write_timeout(Some(left))?;
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output).map_err(socket_error)
    }

    fn await_input(&mut self, _timeout: NextTimeout) -> Result<bool, Error> {
        loop {
            let left = self.left()?;
            self.stream.set_read_timeout(Some(left))?;
            let input = self.buffers.input_append_buf();
            match self.stream.read(input) {
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

/// Runs the TLS handshake over the connection to an `https://` target (see the module
/// comment); other connections, and ones already under TLS, pass through.
pub(super) struct TlsConnector {
    pub hop: Hop,
    /// The client configuration, read before connecting; `None` for plain HTTP.
    pub config: Option<Arc<rustls::ClientConfig>>,
    /// Where the earliest expiry of the server's certificates is recorded.
    pub ctx: Context,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish()
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        let config = match &self.config {
            Some(config) if details.needs_tls() && !transport.is_tls() => config,
            _ => return Ok(Some(Either::A(transport))),
        };
        // The server name is the URL's host (an IP literal gives no SNI), without a zone.
        let host = self.hop.host.split('%').next().unwrap_or_default();
        let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|_| {
            self.hop
                .fail(format!("{host:?} is not a valid TLS server name"))
        })?;
        let mut session = rustls::ClientConnection::new(Arc::clone(config), name)
            .map_err(|e| self.hop.fail(format!("TLS setup: {e}")))?;
        let mut socket = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        while session.is_handshaking() {
            session.complete_io(&mut socket)?;
        }
        let presented = session.peer_certificates().unwrap_or(&[]);
        if let Some(not_after) = crate::net::tls::earliest_expiry(presented) {
            self.ctx.measure(|m| m.cert_expiring(not_after));
        }
        let config = details.config;
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            stream: rustls::StreamOwned::new(session, socket),
        })))
    }
}

/// A TLS session over the (deadline-bound) connection.
pub(super) struct TlsTransport {
    buffers: LazyBuffers,
    stream: rustls::StreamOwned<rustls::ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").finish()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, _timeout: NextTimeout) -> Result<(), Error> {
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, _timeout: NextTimeout) -> Result<bool, Error> {
        let input = self.buffers.input_append_buf();
        let amount = match self.stream.read(input) {
            Ok(n) => n,
            // No close_notify: the end of the stream all the same (see the module comment).
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(e.into()),
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        false
    }

    fn is_tls(&self) -> bool {
        true
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
        let config = details.config;
        Ok(Some(Either::B(Recording {
            inner,
            hop: hop.clone(),
            absolute_form: hop.plain_proxy.is_some(),
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            scanned: 0,
            dropped: 0,
        })))
    }
}

#[derive(Debug)]
pub(super) struct Recording<T> {
    inner: T,
    hop: Hop,
    /// The request line still has to be put in absolute form (plain-HTTP proxy).
    absolute_form: bool,
    /// What ureq writes the request to and reads the reply from: the inner transport's
    /// bytes, interim replies dropped and the final head unfolded.
    buffers: LazyBuffers,
    /// Bytes of the current head (in the inner transport's input) already searched for its end.
    scanned: usize,
    /// Bytes of interim replies dropped; with the current head, bounded by [`HEAD_LIMIT`].
    dropped: usize,
}

impl<T: Transport> Recording<T> {
    /// Move up to `limit` bytes of the inner transport's input to ours (as much as fits);
    /// returns how many moved.
    fn move_input(&mut self, limit: usize) -> usize {
        let from = self.inner.buffers().input();
        let to = self.buffers.input_append_buf();
        let n = from.len().min(to.len()).min(limit);
        to[..n].copy_from_slice(&from[..n]);
        self.buffers.input_appended(n);
        self.inner.buffers().input_consume(n);
        n
    }

    /// Read more from the inner transport into its own input, counting what arrived.
    fn read_inner(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let before = self.inner.buffers().input().len();
        let made_progress = self.inner.await_input(timeout)?;
        let after = self.inner.buffers().input().len();
        self.hop.progress().received += after.saturating_sub(before);
        Ok(made_progress)
    }
}

impl<T: Transport> Transport for Recording<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let mut amount = amount;
        if std::mem::take(&mut self.absolute_form) {
            let output = self.buffers.output();
            let rewritten = absolute_request_line(&output[..amount], &self.hop.absolute_target)
                .filter(|r| r.len() <= output.len())
                .ok_or_else(|| {
                    self.hop
                        .fail("the request head does not fit for a proxy".into())
                })?;
            output[..rewritten.len()].copy_from_slice(&rewritten);
            amount = rewritten.len();
        }
        let ours = &self.buffers.output()[..amount];
        let theirs = self.inner.buffers().output();
        if theirs.len() < amount {
            return Err(self.hop.fail("the request head does not fit".into()));
        }
        theirs[..amount].copy_from_slice(ours);
        self.inner.transmit_output(amount, timeout)
    }

    /// Reads on until the final reply head is complete (or is no HTTP, or the heads
    /// exceed [`HEAD_LIMIT`]), so ureq parses it whole; interim heads are dropped on
    /// the way. After the head, reads pass through.
    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        if self.hop.progress().head_complete {
            if self.inner.buffers().input().is_empty() && !self.read_inner(timeout)? {
                return Ok(false);
            }
            return Ok(self.move_input(usize::MAX) > 0);
        }
        loop {
            let input = self.inner.buffers().input();
            if !input.is_empty() {
                self.hop.progress().keep_start(input);
                let scanned = std::mem::replace(&mut self.scanned, input.len());
                match scan_head(input, scanned) {
                    HeadScan::Complete(end) if is_interim(&input[..end]) => {
                        self.inner.buffers().input_consume(end);
                        self.dropped += end;
                        self.scanned = 0;
                        self.hop.progress().start.clear();
                        continue;
                    }
                    HeadScan::Complete(end) => {
                        let head = unfold(&self.inner.buffers().input()[..end]);
                        let to = self.buffers.input_append_buf();
                        to[..end].copy_from_slice(&head);
                        self.buffers.input_appended(end);
                        self.inner.buffers().input_consume(end);
                        self.move_input(usize::MAX);
                        self.hop.progress().head_complete = true;
                        return Ok(true);
                    }
                    // ureq refuses it at once; the message quotes what arrived.
                    HeadScan::NotHttp => return Ok(self.move_input(usize::MAX) > 0),
                    HeadScan::Incomplete if self.dropped + input.len() >= HEAD_LIMIT => {
                        let message =
                            format!("reply headers longer than {} KiB", HEAD_LIMIT / 1024);
                        self.hop.progress().failure = Some(message);
                        return Err(Error::LargeResponseHeader(
                            self.dropped + input.len(),
                            HEAD_LIMIT,
                        ));
                    }
                    HeadScan::Incomplete => {}
                }
            }
            if !self.read_inner(timeout)? {
                // Closed before the head was complete: ureq says so from what it gets.
                return Ok(self.move_input(usize::MAX) > 0);
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

/// Whether a complete reply head is an interim one (1xx other than `101 Switching
/// Protocols`), which curl reads past to the final reply.
fn is_interim(head: &[u8]) -> bool {
    let Some(space) = head.iter().position(|b| *b == b' ') else {
        return false;
    };
    let after = &head[space + 1..];
    let code = &after[..after.len().min(3)];
    code.len() == 3
        && code[0] == b'1'
        && code != b"101"
        && code.iter().all(u8::is_ascii_digit)
        && !after.get(3).is_some_and(u8::is_ascii_digit)
}

/// A reply head with each obsolete line fold (a line end followed by a space or tab)
/// replaced by as many spaces, so the field value reads on: same length, same offsets.
pub fn unfold(head: &[u8]) -> Vec<u8> {
    let mut out = head.to_vec();
    let mut i = 0;
    while i < out.len() {
        let eol = match (out[i], out.get(i + 1)) {
            (b'\r', Some(b'\n')) => 2,
            (b'\n', _) => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        if matches!(out.get(i + eol), Some(b' ' | b'\t')) {
            out[i..i + eol].fill(b' ');
        }
        i += eol;
    }
    out
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
    fn folded_lines_read_on_and_interim_heads_are_known() {
        assert_eq!(
            unfold(b"HTTP/1.1 200 OK\r\nX: a\r\n  b\r\n\tc\r\nY: d\r\n\r\n"),
            b"HTTP/1.1 200 OK\r\nX: a    b  \tc\r\nY: d\r\n\r\n".to_vec()
        );
        assert_eq!(
            unfold(b"HTTP/1.0 200\nX: a\n b\n\n"),
            b"HTTP/1.0 200\nX: a  b\n\n"
        );
        assert!(is_interim(b"HTTP/1.1 100 Continue\r\n\r\n"));
        assert!(is_interim(b"HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"));
        assert!(is_interim(b"HTTP/1.1 199\r\n\r\n"));
        assert!(!is_interim(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"));
        assert!(!is_interim(b"HTTP/1.1 200 OK\r\n\r\n"));
        assert!(!is_interim(b"HTTP/1.1 1000 x\r\n\r\n"));
        assert!(is_interim(b"HTTP/1.1 100\r\n\r\n"));
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

//! A deadline-bound connection for binary protocols whose replies come in frames
//! (MySQL packets, AMQP frames): read until the protocol's splitter finds one whole
//! frame, keep what follows it for the next read, and turn I/O failures into
//! reasons that name the step being waited for. The connection may be plain or TLS.

use crate::context::Context;
use crate::net::tls::{self, Stream, TlsOptions};
use crate::net::{Conn, Endpoint};
use std::io::{ErrorKind, Read, Write};

/// A protocol's frame splitter: `Ok(None)` while more bytes are needed, else the
/// frame and how many bytes of the buffer it used.
pub type Split<T> = fn(&[u8]) -> Result<Option<(T, usize)>, String>;

pub struct Framed {
    conn: Stream,
    buf: Vec<u8>,
    /// Bound on the bytes buffered for one frame: garbage peers are cut off here.
    limit: usize,
    /// Set once the peer has closed its side (a read returned 0).
    closed: bool,
}

impl Framed {
    /// Connect to `endpoint`, over TLS when `tls` is given.
    pub fn connect(
        endpoint: &Endpoint,
        tls: Option<&TlsOptions>,
        limit: usize,
        ctx: &Context,
    ) -> Result<Framed, String> {
        Ok(Framed {
            conn: tls::open(endpoint, tls, ctx)?,
            buf: Vec::new(),
            limit,
            closed: false,
        })
    }

    /// Whether the peer closed the connection (some servers answer a refusal so).
    pub fn peer_closed(&self) -> bool {
        self.closed
    }

    /// Whether the connection is a unix socket (local and kernel-protected).
    pub fn is_local(&self) -> bool {
        matches!(self.conn.connection().conn, Conn::Unix(_))
    }

    /// The next frame; `what` names it in timeout and close reasons.
    pub fn next<T>(&mut self, what: &str, split: Split<T>) -> Result<T, String> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some((frame, used)) = split(&self.buf)? {
                self.buf.drain(..used);
                return Ok(frame);
            }
            if self.buf.len() >= self.limit {
                return Err(format!("reply to {what} longer than {} bytes", self.limit));
            }
            match self.conn.read(&mut chunk) {
                Ok(0) => {
                    self.closed = true;
                    let when = if self.buf.is_empty() {
                        "while waiting for"
                    } else {
                        "in the middle of"
                    };
                    return Err(format!("connection closed {when} {what}"));
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.failure(&e, what)),
            }
        }
    }

    /// Bound the following reads and writes by `deadline` instead of the connection's.
    pub fn set_deadline(&mut self, deadline: crate::deadline::Deadline) {
        self.conn.connection_mut().set_deadline(deadline);
    }

    /// The deadline the reads and writes are bound by.
    pub fn deadline(&self) -> crate::deadline::Deadline {
        self.conn.connection().deadline()
    }

    pub fn send(&mut self, bytes: &[u8], what: &str) -> Result<(), String> {
        self.conn
            .write_all(bytes)
            .map_err(|e| self.failure(&e, what))
    }

    /// An I/O error as a reason: deadline expiry names the step waited for.
    fn failure(&self, e: &std::io::Error, what: &str) -> String {
        crate::util::io_failure(e, self.conn.connection().deadline(), what)
    }
}

/// Bytes from a peer as text fit for a one-line reason (control characters become spaces).
pub fn peer_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

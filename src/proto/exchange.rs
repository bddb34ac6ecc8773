//! What the small request/reply probes (memcached, Redis, OVSDB, HAProxy, libvirt)
//! share, and the service checks' one-shot exchanges (collectd, multipathd, the AMQP
//! 1.0 header): sending a request, and reading one bounded reply.
//! Every reply goes through `net::read_until`, so a garbage or endless peer is cut
//! off by the size cap and a stopped one by the check's deadline.

use crate::context::Context;
use crate::net::{self, Connection, Endpoint};
use crate::util::io_reason;
use std::io::{Read, Write};

/// Write the whole request within the deadline.
pub fn send(conn: &mut Connection, request: &[u8]) -> Result<(), String> {
    conn.write_all(request)
        .map_err(|e| format!("sending the request: {}", io_reason(&e)))
}

/// Read one reply of at most `limit` bytes, complete when `done` says so. Bytes
/// already received beyond the previous reply (`pending`) are consumed first, and
/// whatever follows this reply is left in `pending` for the next one.
pub fn read_reply(
    conn: &mut Connection,
    pending: &mut Vec<u8>,
    limit: usize,
    mut reply_len: impl FnMut(&[u8]) -> Option<usize>,
) -> Result<Vec<u8>, String> {
    let earlier = std::mem::take(pending);
    let mut both = earlier.as_slice().chain(conn);
    let mut buf = net::read_until(&mut both, limit, |b| reply_len(b).is_some())?;
    let len = reply_len(&buf).unwrap_or(buf.len()).min(buf.len());
    *pending = buf.split_off(len);
    Ok(buf)
}

/// Connect, send `request`, and read one reply (see [`read_reply`]).
pub fn request(
    endpoint: &Endpoint,
    ctx: &Context,
    request: &[u8],
    limit: usize,
    done: impl FnMut(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let mut conn = net::connect(endpoint, ctx)?;
    send(&mut conn, request)?;
    let reply = net::read_until(&mut conn, limit, done)?;
    ctx.trace(format_args!("{endpoint}: {} bytes of reply", reply.len()));
    Ok(reply)
}

/// Like `net::read_until`, for replies that end either where `done` says or
/// where the peer closes the connection (HAProxy's stats socket does both).
pub fn read_until_close(
    conn: &mut impl Read,
    limit: usize,
    mut done: impl FnMut(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let closed = std::cell::Cell::new(false);
    let mut noting_close = NoteClose {
        inner: conn,
        closed: &closed,
    };
    net::read_until(&mut noting_close, limit, |b| {
        (closed.get() && !b.is_empty()) || done(b)
    })
}

/// A reader that notes when the peer has closed (a read of 0 bytes).
struct NoteClose<'a, R> {
    inner: R,
    closed: &'a std::cell::Cell<bool>,
}

impl<R: Read> Read for NoteClose<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.closed.set(true);
        }
        Ok(n)
    }
}

/// The first line of `buf` up to (not including) `\r\n` or `\n`, once complete.
pub fn first_line(buf: &[u8]) -> Option<&[u8]> {
    let end = buf.iter().position(|&b| b == b'\n')?;
    Some(buf[..end].strip_suffix(b"\r").unwrap_or(&buf[..end]))
}

/// Bytes from a peer as printable text for a reason: control characters escaped,
/// cut to `max` characters so that a garbage peer cannot flood the verdict line.
pub fn printable(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for c in text.chars().take(max) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if text.chars().count() > max {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_needs_a_newline() {
        assert_eq!(first_line(b"VERSION 1\r\nmore"), Some(&b"VERSION 1"[..]));
        assert_eq!(first_line(b"PONG\n"), Some(&b"PONG"[..]));
        assert_eq!(first_line(b"partial"), None);
    }

    #[test]
    fn a_close_ends_the_reply() {
        let mut closed = std::io::Cursor::new(b"Permission denied\n".to_vec());
        assert_eq!(
            read_until_close(&mut closed, 100, |b| b.ends_with(b"\n\n")).unwrap(),
            b"Permission denied\n"
        );
        let mut nothing = std::io::Cursor::new(Vec::new());
        assert!(read_until_close(&mut nothing, 100, |_| false)
            .unwrap_err()
            .contains("without a reply"));
    }

    #[test]
    fn printable_escapes_and_cuts() {
        assert_eq!(printable(b"a\x00b\n", 10), "a\\u{0}b\\n");
        assert_eq!(printable(b"abcdef", 3), "abc...");
    }
}

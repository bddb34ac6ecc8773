//! A minimal HTTP/1.1 client over any `Read + Write`: one GET with `Connection: close`,
//! then a response parser that bounds everything a peer controls — the head (16 KiB),
//! the body kept (64 KiB; the rest is read and dropped), and, through the stream's
//! deadline-armed reads, the time. The parsing steps are pure functions so the fuzz
//! targets can feed them arbitrary bytes.

use crate::deadline::Deadline;
use std::io::{self, Read, Write};

/// Most bytes of status line plus headers accepted: real servers send well under 2 KiB.
pub const HEAD_LIMIT: usize = 16 * 1024;
/// Most body bytes kept; a longer body is still read to its end (so the exchange
/// completes like curl's) but the excess is discarded.
pub const BODY_KEEP: usize = 64 * 1024;
/// Longest chunk-size line accepted (hex digits plus extensions).
const CHUNK_LINE_LIMIT: usize = 1024;

/// Status line and headers of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// "503 Service Unavailable" (the reason phrase as the server sent it, if any).
    pub fn status_text(&self) -> String {
        if self.reason.is_empty() {
            self.status.to_string()
        } else {
            format!("{} {}", self.status, self.reason)
        }
    }
}

/// A complete response: head, the kept part of the body, and the full body length.
#[derive(Debug, Clone)]
pub struct Response {
    pub head: Head,
    pub body: Vec<u8>,
    pub body_len: u64,
}

/// How the body's end is found (RFC 9112 section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// 1xx, 204, 304: no body at all.
    Empty,
    Length(u64),
    Chunked,
    /// No length given: the body ends when the server closes the connection.
    UntilClose,
}

/// A GET request for `target` (origin-form path or, through a proxy, absolute URL).
/// `host` is the Host header value, already bracketed for IPv6 literals.
pub fn get_request(
    target: &str,
    host: &str,
    user_agent: &str,
    extra_headers: &[(String, String)],
) -> Vec<u8> {
    let mut req = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n");
    let has = |name: &str| {
        extra_headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has("user-agent") && !user_agent.is_empty() {
        req.push_str(&format!("User-Agent: {user_agent}\r\n"));
    }
    if !has("accept") {
        req.push_str("Accept: */*\r\n");
    }
    for (k, v) in extra_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Connection: close\r\n\r\n");
    req.into_bytes()
}

/// Parse the head at the start of `buf`: `Ok(None)` while incomplete, else the head
/// and the number of bytes it took (the body starts there).
pub fn parse_response_head(buf: &[u8]) -> Result<Option<(Head, usize)>, String> {
    // Say early when the peer is not speaking HTTP at all.
    let prefix = &buf[..buf.len().min(5)];
    if !b"HTTP/".starts_with(prefix) {
        return Err(format!("not an HTTP reply: starts with {}", printable(buf)));
    }
    let Some(end) = find_head_end(buf) else {
        if buf.len() >= HEAD_LIMIT {
            return Err(format!(
                "reply headers longer than {} KiB",
                HEAD_LIMIT / 1024
            ));
        }
        return Ok(None);
    };
    if end > HEAD_LIMIT {
        return Err(format!(
            "reply headers longer than {} KiB",
            HEAD_LIMIT / 1024
        ));
    }
    // Header values may carry obs-text (Latin-1); only ASCII matters to us.
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or("");
    let (status, reason) = parse_status_line(status_line)?;
    let mut headers = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed reply header line {}", printable(line.as_bytes())))?;
        if name.is_empty()
            || name
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(format!(
                "malformed reply header name {}",
                printable(name.as_bytes())
            ));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(Some((
        Head {
            status,
            reason: reason.to_string(),
            headers,
        },
        end,
    )))
}

/// Index just past the blank line ending the head (accepting bare LF line ends).
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let window = &buf[..buf.len().min(HEAD_LIMIT + 4)];
    window
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| i + 2)
        .into_iter()
        .chain(
            window
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| i + 4),
        )
        .min()
}

fn parse_status_line(line: &str) -> Result<(u16, &str), String> {
    let bad = || format!("not an HTTP status line: {}", printable(line.as_bytes()));
    let rest = line.strip_prefix("HTTP/1.").ok_or_else(bad)?;
    let mut parts = rest.splitn(3, ' ');
    let minor = parts.next().ok_or_else(bad)?;
    let code = parts.next().ok_or_else(bad)?;
    if minor.len() != 1 || !minor.as_bytes()[0].is_ascii_digit() || code.len() != 3 {
        return Err(bad());
    }
    let status: u16 = code.parse().map_err(|_| bad())?;
    if !(100..=599).contains(&status) {
        return Err(bad());
    }
    Ok((status, parts.next().unwrap_or("").trim()))
}

/// How the body of a reply to a GET is delimited.
pub fn body_framing(head: &Head) -> Result<BodyFraming, String> {
    if head.status < 200 || head.status == 204 || head.status == 304 {
        return Ok(BodyFraming::Empty);
    }
    if let Some(te) = head.header("transfer-encoding") {
        if te
            .rsplit(',')
            .next()
            .map(|c| c.trim().eq_ignore_ascii_case("chunked"))
            .unwrap_or(false)
        {
            return Ok(BodyFraming::Chunked);
        }
        return Ok(BodyFraming::UntilClose);
    }
    let mut length = None;
    for (k, v) in &head.headers {
        if k.eq_ignore_ascii_case("content-length") {
            let n: u64 = v
                .parse()
                .map_err(|_| format!("bad Content-Length {}", printable(v.as_bytes())))?;
            if length.is_some_and(|l| l != n) {
                return Err("conflicting Content-Length headers".into());
            }
            length = Some(n);
        }
    }
    Ok(length
        .map(BodyFraming::Length)
        .unwrap_or(BodyFraming::UntilClose))
}

/// Decoder state for a chunked body, fed any slices of bytes: pure, so fuzzable.
#[derive(Debug, Default)]
pub struct ChunkedDecoder {
    state: ChunkState,
    line: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    #[default]
    SizeLine,
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines after the last (zero) chunk, up to the blank line.
    Trailer,
    Done,
}

impl ChunkedDecoder {
    /// Consume `input`, passing decoded body bytes to `sink`. Returns how many bytes of
    /// `input` belong to the body (the rest, if any, follows the final chunk).
    pub fn feed(&mut self, input: &[u8], sink: &mut impl FnMut(&[u8])) -> Result<usize, String> {
        let mut i = 0;
        while i < input.len() && self.state != ChunkState::Done {
            match self.state {
                ChunkState::Data(left) => {
                    let take = (left.min((input.len() - i) as u64)) as usize;
                    sink(&input[i..i + take]);
                    i += take;
                    self.state = if left == take as u64 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left - take as u64)
                    };
                }
                ChunkState::SizeLine | ChunkState::DataEnd | ChunkState::Trailer => {
                    let b = input[i];
                    i += 1;
                    if b != b'\n' {
                        if self.line.len() >= CHUNK_LINE_LIMIT {
                            return Err("chunked body: line too long".into());
                        }
                        self.line.push(b);
                        continue;
                    }
                    let line = std::mem::take(&mut self.line);
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    self.state = self.after_line(line)?;
                }
                ChunkState::Done => unreachable!("loop condition"),
            }
        }
        Ok(i)
    }

    fn after_line(&self, line: &[u8]) -> Result<ChunkState, String> {
        match self.state {
            ChunkState::SizeLine => {
                let size = parse_chunk_size(line)?;
                Ok(if size == 0 {
                    ChunkState::Trailer
                } else {
                    ChunkState::Data(size)
                })
            }
            ChunkState::DataEnd if line.is_empty() => Ok(ChunkState::SizeLine),
            ChunkState::DataEnd => Err("chunked body: chunk data longer than its size".into()),
            ChunkState::Trailer if line.is_empty() => Ok(ChunkState::Done),
            other => Ok(other),
        }
    }

    pub fn done(&self) -> bool {
        self.state == ChunkState::Done
    }
}

fn parse_chunk_size(line: &[u8]) -> Result<u64, String> {
    let digits = line.split(|b| *b == b';').next().unwrap_or(b"");
    let digits = std::str::from_utf8(digits).unwrap_or("").trim();
    if digits.is_empty() || digits.len() > 15 {
        return Err(format!("chunked body: bad chunk size {}", printable(line)));
    }
    u64::from_str_radix(digits, 16)
        .map_err(|_| format!("chunked body: bad chunk size {}", printable(line)))
}

/// Collects a body: keeps the first [`BODY_KEEP`] bytes, counts all of them.
#[derive(Debug, Default)]
struct BodySink {
    kept: Vec<u8>,
    total: u64,
}

impl BodySink {
    fn push(&mut self, bytes: &[u8]) {
        let room = BODY_KEEP.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.total += bytes.len() as u64;
    }
}

/// Send `request` and read the whole response. Every read is bounded by the stream
/// (a `net::Connection` re-arms its timeout to the deadline's remainder), and the
/// loop itself stops at `deadline`, so a peer dripping bytes is cut there too.
pub fn exchange(
    stream: &mut (impl Read + Write),
    request: &[u8],
    deadline: Deadline,
) -> Result<Response, String> {
    stream
        .write_all(request)
        .map_err(|e| io_error("sending the request", &e, deadline, 0))?;
    stream
        .flush()
        .map_err(|e| io_error("sending the request", &e, deadline, 0))?;
    let mut reader = Reader {
        stream,
        deadline,
        received: 0,
    };
    let mut buf = Vec::with_capacity(1024);
    // Bytes already known not to hold a line end: a peer sending one byte per
    // segment must not make us rescan the whole head on every read.
    let mut scanned = 0;
    let (head, used) = loop {
        let worth_parsing =
            buf.len() < 5 || buf.len() >= HEAD_LIMIT || buf[scanned..].contains(&b'\n');
        if worth_parsing {
            if let Some(parsed) = parse_response_head(&buf)? {
                break parsed;
            }
        }
        scanned = buf.len();
        let room = (HEAD_LIMIT + 4).saturating_sub(buf.len());
        if !reader.fill(&mut buf, room)? {
            return Err(if buf.is_empty() {
                "connection closed by the server without a reply".into()
            } else {
                format!("connection closed by the server in the middle of the reply headers ({} bytes received)", buf.len())
            });
        }
    };
    // Interim 1xx replies (100 Continue) are not the answer; this client never asks for them.
    if head.status < 200 {
        return Err(format!(
            "unexpected interim reply HTTP {}",
            head.status_text()
        ));
    }
    let framing = body_framing(&head)?;
    let mut body = BodySink::default();
    let rest = buf.split_off(used);
    read_body(&mut reader, framing, rest, &mut body)?;
    Ok(Response {
        head,
        body: body.kept,
        body_len: body.total,
    })
}

fn read_body(
    reader: &mut Reader<impl Read>,
    framing: BodyFraming,
    first: Vec<u8>,
    body: &mut BodySink,
) -> Result<(), String> {
    let mut chunk = vec![0u8; 8192];
    match framing {
        BodyFraming::Empty => Ok(()),
        BodyFraming::Length(len) => {
            body.push(&first[..(len.min(first.len() as u64)) as usize]);
            while body.total < len {
                let want = (len - body.total).min(chunk.len() as u64) as usize;
                let n = reader.read(&mut chunk[..want])?;
                if n == 0 {
                    return Err(format!(
                        "connection closed by the server after {} of {len} body bytes",
                        body.total
                    ));
                }
                body.push(&chunk[..n]);
            }
            Ok(())
        }
        BodyFraming::UntilClose => {
            body.push(&first);
            loop {
                let n = reader.read(&mut chunk)?;
                if n == 0 {
                    return Ok(());
                }
                body.push(&chunk[..n]);
            }
        }
        BodyFraming::Chunked => {
            let mut decoder = ChunkedDecoder::default();
            let mut sink = |b: &[u8]| body.push(b);
            decoder.feed(&first, &mut sink)?;
            while !decoder.done() {
                let n = reader.read(&mut chunk)?;
                if n == 0 {
                    return Err(
                        "connection closed by the server in the middle of a chunked body".into(),
                    );
                }
                decoder.feed(&chunk[..n], &mut sink)?;
            }
            Ok(())
        }
    }
}

/// Reads with deadline checks and a count of bytes received, for error messages.
struct Reader<'a, S> {
    stream: &'a mut S,
    deadline: Deadline,
    received: usize,
}

impl<S: Read> Reader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, String> {
        loop {
            if self.deadline.expired() {
                return Err(timed_out(self.deadline, self.received));
            }
            match self.stream.read(buf) {
                Ok(n) => {
                    self.received += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(io_error(
                        "reading the reply",
                        &e,
                        self.deadline,
                        self.received,
                    ))
                }
            }
        }
    }

    /// Append up to `max` bytes to `buf`; false when the peer closed.
    fn fill(&mut self, buf: &mut Vec<u8>, max: usize) -> Result<bool, String> {
        let mut chunk = [0u8; 4096];
        let want = max.clamp(1, chunk.len());
        let n = self.read(&mut chunk[..want])?;
        buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }
}

fn timed_out(deadline: Deadline, received: usize) -> String {
    format!(
        "timed out after {:.1}s waiting for the reply ({received} bytes received)",
        deadline.budget().as_secs_f64()
    )
}

/// An I/O error as one line; timeouts say how long and how much arrived.
fn io_error(doing: &str, e: &io::Error, deadline: Deadline, received: usize) -> String {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => timed_out(deadline, received),
        _ => format!("{doing}: {}", crate::util::io_reason(e)),
    }
}

/// Up to 32 bytes of peer data, quoted, control bytes escaped: safe in one output line.
fn printable(bytes: &[u8]) -> String {
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
    use std::time::Duration;

    /// A scripted peer: reads go to a fixed reply; writes are recorded.
    struct Peer {
        reply: io::Cursor<Vec<u8>>,
        sent: Vec<u8>,
    }

    impl Read for Peer {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            // One byte at a time exercises every partial-input path.
            let one = buf.len().min(1);
            self.reply.read(&mut buf[..one])
        }
    }

    impl Write for Peer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn talk(reply: &[u8]) -> Result<Response, String> {
        let mut peer = Peer {
            reply: io::Cursor::new(reply.to_vec()),
            sent: Vec::new(),
        };
        exchange(
            &mut peer,
            b"GET / HTTP/1.1\r\n\r\n",
            Deadline::after(Duration::from_secs(5)),
        )
    }

    #[test]
    fn request_has_the_headers() {
        let req = String::from_utf8(get_request("/x?y=1", "[::1]:8080", "curl-healthcheck", &[]))
            .unwrap();
        assert!(
            req.starts_with("GET /x?y=1 HTTP/1.1\r\nHost: [::1]:8080\r\n"),
            "{req}"
        );
        assert!(
            req.contains("User-Agent: curl-healthcheck\r\n") && req.contains("Accept: */*\r\n")
        );
        assert!(req.ends_with("Connection: close\r\n\r\n"));
        let custom = vec![("User-Agent".to_string(), "x".to_string())];
        let req = String::from_utf8(get_request("/", "h", "ua", &custom)).unwrap();
        assert_eq!(req.matches("User-Agent").count(), 1);
    }

    #[test]
    fn parses_heads() {
        let (head, used) =
            parse_response_head(b"HTTP/1.1 503 Service Unavailable\r\nA: b\r\n\r\nbody")
                .unwrap()
                .unwrap();
        assert_eq!(
            (head.status, head.reason.as_str(), used),
            (503, "Service Unavailable", 42)
        );
        assert_eq!(head.header("a"), Some("b"));
        assert_eq!(head.status_text(), "503 Service Unavailable");
        assert!(parse_response_head(b"HTTP/1.1 200 OK\r\n")
            .unwrap()
            .is_none());
        let (head, _) = parse_response_head(b"HTTP/1.0 200\n\n").unwrap().unwrap();
        assert_eq!(head.status_text(), "200");
        assert!(parse_response_head(b"SSH-2.0-OpenSSH\r\n")
            .unwrap_err()
            .contains("not an HTTP reply"));
        assert!(parse_response_head(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
        assert!(parse_response_head(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n").is_err());
        let endless = [b"HTTP/1.1 200 OK\r\n".as_slice(), &b"X: y\r\n".repeat(4000)].concat();
        assert!(parse_response_head(&endless)
            .unwrap_err()
            .contains("longer than 16 KiB"));
    }

    #[test]
    fn reads_bodies() {
        let r = talk(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA").unwrap();
        assert_eq!(
            (r.head.status, r.body.as_slice(), r.body_len),
            (200, b"hello".as_slice(), 5)
        );
        let r = talk(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n").unwrap();
        assert_eq!(r.body, b"hello world");
        let r = talk(b"HTTP/1.0 200 OK\r\n\r\nuntil close").unwrap();
        assert_eq!(r.body, b"until close");
        let r = talk(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert_eq!(r.body_len, 0);
    }

    #[test]
    fn keeps_only_the_start_of_a_big_body() {
        let big = [
            b"HTTP/1.1 200 OK\r\n\r\n".as_slice(),
            &vec![b'x'; BODY_KEEP + 100],
        ]
        .concat();
        let r = talk(&big).unwrap();
        assert_eq!(
            (r.body.len(), r.body_len),
            (BODY_KEEP, BODY_KEEP as u64 + 100)
        );
    }

    #[test]
    fn bad_replies_are_one_line_errors() {
        assert!(talk(b"").unwrap_err().contains("without a reply"));
        assert!(talk(b"HTTP/1.1 200 OK\r\nX: 1")
            .unwrap_err()
            .contains("middle of the reply headers"));
        assert!(talk(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            .unwrap_err()
            .contains("after 3 of 10"));
        assert!(talk(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
            .unwrap_err()
            .contains("bad Content-Length"));
        assert!(
            talk(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                .unwrap_err()
                .contains("chunk size")
        );
        assert!(
            talk(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello")
                .unwrap_err()
                .contains("chunked")
        );
        for err in [
            talk(b"\x16\x03\x01garbage\r\n\r\n").unwrap_err(),
            talk(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap_err(),
        ] {
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn stops_at_the_deadline() {
        let mut endless = Peer {
            reply: io::Cursor::new(b"HTTP/1.1 200 OK\r\n\r\n".to_vec()),
            sent: vec![],
        };
        endless
            .reply
            .get_mut()
            .extend(std::iter::repeat_n(b'x', 1 << 20));
        let err =
            exchange(&mut endless, b"", Deadline::after(Duration::from_nanos(1))).unwrap_err();
        assert!(err.starts_with("timed out after"), "{err}");
    }
}

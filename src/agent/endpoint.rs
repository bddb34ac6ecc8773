//! The agent's `/metrics` endpoint (`--metrics-listen`): a small HTTP/1.x server answering
//! `GET /metrics` (and `HEAD`) with the latest round's exposition ([`super::metrics`]), as
//! `text/plain; version=0.0.4`, so that Prometheus can scrape the agent without
//! node_exporter. Anything else: 404 for another path, 405 for another method on
//! `/metrics`, 400 for what is not an HTTP request, 431 for a request head over 8 KiB, 408
//! for one not sent within 5 s; 503 until the first round has finished. Every answer closes
//! the connection.
//!
//! It never holds the rounds up: the rounds only swap the published text under a mutex
//! ([`Endpoint::publish`]); the server runs on its own threads, one accepting and at most
//! [`MAX_CONNECTIONS`] serving, each bounded in time (reading the head, then writing the
//! answer) and in memory (the head). A connection over the limit is closed at once; a
//! panicking connection thread ends only itself.
//!
//! Written on `std::net` rather than with a server crate: the async ones (hyper, axum)
//! bring a runtime, and tiny_http, the small blocking one, offers neither a bound on a
//! request head nor a time limit for a client to send it, and serves each connection on a
//! thread of a pool that grows without bound, so a few slow or garbage clients could pin
//! threads and memory in a process that runs for the host's lifetime. One fixed path, two
//! methods and no body are a few dozen lines here.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The content type of Prometheus' text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The longest request head read (request line and headers).
pub const MAX_HEAD: usize = 8 * 1024;
/// How long a client has to send its request head.
pub const READ_TIME: Duration = Duration::from_secs(5);
/// How long writing an answer may take.
pub const WRITE_TIME: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed unanswered.
pub const MAX_CONNECTIONS: usize = 4;

/// The address of `--metrics-listen`: `ADDR:PORT`, `[ADDR6]:PORT`, or `PORT` / `:PORT`
/// alone for `127.0.0.1:PORT` (loopback unless an address is given).
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = text.strip_prefix(':').unwrap_or(text);
    match port.parse::<u16>() {
        Ok(port) => Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)),
        Err(_) => Err(format!(
            "{text:?} is not ADDR:PORT, [ADDR6]:PORT or PORT (an IP address, not a name)"
        )),
    }
}

/// The running server: publish each round's exposition to it.
pub struct Endpoint {
    latest: Arc<Mutex<Option<Arc<str>>>>,
    address: SocketAddr,
}

impl Endpoint {
    /// Bind `address` and serve on threads of its own; `Err` when it cannot listen.
    pub fn start(address: SocketAddr) -> Result<Endpoint, String> {
        let listener = TcpListener::bind(address).map_err(|e| {
            format!(
                "--metrics-listen: cannot listen on {address}: {}",
                crate::util::io_reason(&e)
            )
        })?;
        let address = listener.local_addr().unwrap_or(address);
        let latest: Arc<Mutex<Option<Arc<str>>>> = Arc::new(Mutex::new(None));
        let shared = latest.clone();
        std::thread::Builder::new()
            .name("metrics-accept".into())
            .stack_size(64 * 1024)
            .spawn(move || accept_loop(listener, shared))
            .map_err(|e| format!("--metrics-listen: cannot start its thread: {e}"))?;
        Ok(Endpoint { latest, address })
    }

    /// Serve `text` from now on.
    pub fn publish(&self, text: String) {
        let text: Arc<str> = text.into();
        match self.latest.lock() {
            Ok(mut guard) => *guard = Some(text),
            Err(poisoned) => *poisoned.into_inner() = Some(text),
        }
    }

    /// Where it listens (the port chosen when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

type Latest = Arc<Mutex<Option<Arc<str>>>>;

fn accept_loop(listener: TcpListener, latest: Latest) {
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            // Out of descriptors or memory, a connection reset before accept: wait, go on.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            drop(stream);
            continue;
        }
        let slot = Slot(active.clone());
        let latest = latest.clone();
        // On failure the closure (with the stream and the slot) is dropped: closed, freed.
        let _ = std::thread::Builder::new()
            .name("metrics-conn".into())
            .stack_size(128 * 1024)
            .spawn(move || {
                let _slot = slot;
                serve(stream, &latest);
            });
    }
}

/// One connection's place among [`MAX_CONNECTIONS`], given back however its thread ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answer one request on `stream`, then close it.
fn serve(mut stream: TcpStream, latest: &Latest) {
    let _ = stream.set_write_timeout(Some(WRITE_TIME));
    let answer = match read_head(&mut stream) {
        Ok(head) => {
            let text = latest
                .lock()
                .map(|g| g.clone())
                .unwrap_or_else(|p| p.into_inner().clone());
            respond(&head, text.as_deref())
        }
        Err(HeadError::TooLarge) => Answer::plain(431, "request head too large\n"),
        Err(HeadError::TimedOut) => Answer::plain(408, "request not received in time\n"),
        // The client went away: nobody to answer.
        Err(HeadError::Closed) => return,
    };
    let _ = stream.write_all(&answer.bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client read the answer before the close: drain what it still sends, briefly,
    // so that unread input does not turn the close into a reset.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 512];
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    TooLarge,
    TimedOut,
    Closed,
}

/// The request head (up to the empty line), within [`MAX_HEAD`] and [`READ_TIME`].
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let deadline = Instant::now() + READ_TIME;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return Err(HeadError::TimedOut);
        };
        let _ = stream.set_read_timeout(Some(left.max(Duration::from_millis(1))));
        match stream.read(&mut buf) {
            Ok(0) => {
                // Closed before the empty line: answer what came, if anything did.
                return if head.is_empty() {
                    Err(HeadError::Closed)
                } else {
                    Ok(head)
                };
            }
            Ok(n) => {
                head.extend_from_slice(&buf[..n]);
                if let Some(end) = head_end(&head) {
                    head.truncate(end);
                    return Ok(head);
                }
                if head.len() > MAX_HEAD {
                    return Err(HeadError::TooLarge);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(HeadError::TimedOut)
            }
            Err(_) => return Err(HeadError::Closed),
        }
    }
}

/// Where the head ends (`\r\n\r\n`, or `\n\n` from a lenient client).
fn head_end(head: &[u8]) -> Option<usize> {
    let crlf = head.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = head.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

struct Answer {
    status: u16,
    content_type: &'static str,
    extra: &'static str,
    body: Option<Arc<str>>,
    /// HEAD: the headers of the body, not the body.
    head_only: bool,
}

impl Answer {
    fn plain(status: u16, text: &'static str) -> Answer {
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            extra: "",
            body: Some(text.into()),
            head_only: false,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "Error",
        };
        let body = self.body.as_deref().unwrap_or("");
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n",
            self.status,
            self.content_type,
            body.len(),
            self.extra
        )
        .into_bytes();
        if !self.head_only {
            out.extend_from_slice(body.as_bytes());
        }
        out
    }
}

/// The answer to a request head, given the latest exposition (`None` before the first round).
fn respond(head: &[u8], latest: Option<&str>) -> Answer {
    let bad = || Answer::plain(400, "not an HTTP request\n");
    let Ok(head) = std::str::from_utf8(head) else {
        return bad();
    };
    let line = head.lines().next().unwrap_or("");
    let mut words = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return bad();
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return bad();
    }
    let path = target.split('?').next().unwrap_or(target);
    if path != "/metrics" {
        return Answer::plain(404, "not found: the metrics are at /metrics\n");
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            let mut answer = Answer::plain(405, "only GET and HEAD\n");
            answer.extra = "Allow: GET, HEAD\r\n";
            return answer;
        }
    };
    let mut answer = match latest {
        Some(text) => Answer {
            status: 200,
            content_type: CONTENT_TYPE,
            extra: "",
            body: Some(text.into()),
            head_only: false,
        },
        None => Answer::plain(503, "no round has finished yet\n"),
    };
    answer.head_only = head_only;
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(address: SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(address).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let _ = s.write_all(request);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn addresses() {
        assert_eq!(
            listen_address("9101").unwrap().to_string(),
            "127.0.0.1:9101"
        );
        assert_eq!(
            listen_address(":9101").unwrap().to_string(),
            "127.0.0.1:9101"
        );
        assert_eq!(
            listen_address("0.0.0.0:9101").unwrap().to_string(),
            "0.0.0.0:9101"
        );
        assert_eq!(
            listen_address("[::1]:9101").unwrap().to_string(),
            "[::1]:9101"
        );
        for bad in ["", "localhost:9101", "9101x", "1.2.3.4", "70000"] {
            assert!(listen_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers() {
        let ok = |req: &str, latest| {
            let a = respond(req.as_bytes(), latest);
            (a.status, String::from_utf8(a.bytes()).unwrap())
        };
        let (status, text) = ok("GET /metrics HTTP/1.1\r\nHost: x\r\n", Some("a 1\n"));
        assert_eq!(status, 200);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
        assert!(text.contains("\r\nContent-Length: 4\r\n"));
        assert!(text.ends_with("\r\n\r\na 1\n"), "{text}");
        let (status, text) = ok("HEAD /metrics?x=1 HTTP/1.0", Some("a 1\n"));
        assert_eq!(status, 200);
        assert!(
            text.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\n"),
            "{text}"
        );
        assert_eq!(ok("GET /metrics HTTP/1.1", None).0, 503);
        assert_eq!(ok("GET / HTTP/1.1", Some("")).0, 404);
        assert_eq!(ok("GET /metricsx HTTP/1.1", Some("")).0, 404);
        let (status, text) = ok("POST /metrics HTTP/1.1", Some(""));
        assert_eq!(status, 405);
        assert!(text.contains("\r\nAllow: GET, HEAD\r\n"));
        for garbage in [
            "",
            "GET",
            "GET /metrics",
            "GET /metrics SPDY/3",
            "\u{0}\u{1}",
            "GET metrics HTTP/1.1",
            "GET  /metrics HTTP/1.1",
        ] {
            assert_eq!(ok(garbage, Some("")).0, 400, "{garbage:?}");
        }
        assert_eq!(respond(b"GET /metrics HTTP/1.1\xff", Some("")).status, 400);
    }

    #[test]
    fn serves_and_survives_garbage() {
        let endpoint = Endpoint::start("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = endpoint.address();
        let before = exchange(address, b"GET /metrics HTTP/1.1\r\n\r\n");
        assert!(before.starts_with("HTTP/1.1 503 "), "{before}");
        endpoint.publish("probe_success 1\n".into());
        // A client that sends nothing holds one connection, not the server.
        let idle = TcpStream::connect(address).unwrap();
        let huge = exchange(address, &vec![b'G'; 64 * 1024]);
        assert!(
            huge.is_empty() || huge.starts_with("HTTP/1.1 431 "),
            "{huge}"
        );
        let binary = exchange(
            address,
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        );
        assert!(binary.starts_with("HTTP/1.1 400 "), "{binary}");
        let lf = exchange(address, b"GET /metrics HTTP/1.0\n\n");
        assert!(
            lf.starts_with("HTTP/1.1 200 OK\r\n") && lf.ends_with("\r\n\r\nprobe_success 1\n"),
            "{lf}"
        );
        assert!(exchange(address, b"GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
        endpoint.publish("probe_success 0\n".into());
        let after = exchange(address, b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(after.ends_with("\r\n\r\nprobe_success 0\n"), "{after}");
        drop(idle);
    }

    #[test]
    fn bounded_connections() {
        let endpoint = Endpoint::start("127.0.0.1:0".parse().unwrap()).unwrap();
        endpoint.publish("a 1\n".into());
        let address = endpoint.address();
        // Silent clients fill every slot; one more is closed unanswered, and once the
        // slots are free again (a silent client is answered 408 after READ_TIME) it serves.
        let silent: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(address).unwrap())
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let refused = exchange(address, b"GET /metrics HTTP/1.1\r\n\r\n");
        assert_eq!(refused, "");
        let mut first = silent.into_iter().next().unwrap();
        let mut timed_out = String::new();
        first.read_to_string(&mut timed_out).unwrap();
        assert!(timed_out.starts_with("HTTP/1.1 408 "), "{timed_out}");
        let mut served = String::new();
        for _ in 0..100 {
            served = exchange(address, b"GET /metrics HTTP/1.1\r\n\r\n");
            if !served.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(served.ends_with("\r\n\r\na 1\n"), "{served}");
    }
}

//! Scripted TCP peers in threads of the test process: a server per call on a loopback port,
//! for the cases no real server produces on demand (garbage, silence, endless data, a chosen
//! reply). They live until the test process ends; each has its own port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Start a server on `bind` running `behaviour` per connection (each in its own
/// thread, living until the test process ends); returns its port.
pub fn serve_on(bind: &str, behaviour: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind(bind).expect("bind a test server");
    let port = listener.local_addr().unwrap().port();
    let behaviour = Arc::new(behaviour);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let behaviour = Arc::clone(&behaviour);
            std::thread::spawn(move || behaviour(conn));
        }
    });
    port
}

/// [`serve_on`] 127.0.0.1 and a port the kernel picks.
pub fn serve(behaviour: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    serve_on("127.0.0.1:0", behaviour)
}

/// What a [`fake_peer`] does with each connection. Which one a test needs depends on who
/// speaks first in the protocol it imitates, hence three ways.
#[derive(Clone, Copy)]
pub enum Fake {
    /// Write these bytes at once, as servers that speak first do (MySQL's greeting, an
    /// AMQP broker's reply to the protocol header), then hold the connection open until
    /// the client leaves: the probe must judge the bytes, not an end of stream. Empty
    /// bytes make a silent peer, which the probe must give up on at its deadline.
    Greets(&'static [u8]),
    /// Read the client's request first (Redis, memcached, OVSDB, HTTP: the client speaks
    /// first), then answer these bytes and close. Reading first keeps the client's write
    /// from meeting a reset, so the probe judges the answer.
    Answers(&'static [u8]),
    /// Read the request, then send junk without end: the probe must stop reading.
    Floods,
}

/// A fake peer on a loopback port behaving as `fake` on every connection; returns its port.
pub fn fake_peer(fake: Fake) -> u16 {
    serve(move |mut conn| match fake {
        Fake::Greets(bytes) => {
            let _ = conn.write_all(bytes);
            let mut sink = [0u8; 1024];
            while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
        }
        Fake::Answers(bytes) => {
            read_request(&mut conn);
            let _ = conn.write_all(bytes);
        }
        Fake::Floods => {
            read_request(&mut conn);
            let junk = [b'x'; 8192];
            while conn.write_all(&junk).is_ok() {}
        }
    })
}

/// Read what the client sends first (one read, or nothing within 200 ms).
fn read_request(conn: &mut TcpStream) {
    conn.set_read_timeout(Some(Duration::from_millis(200))).ok();
    let _ = conn.read(&mut [0u8; 4096]);
}

/// Junk a probe may meet instead of its server.
pub const HTTP_REPLY: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
pub const BINARY_JUNK: &[u8] = b"\x00\xff\xfe\x13\x37 not this protocol\r\n\r\n";

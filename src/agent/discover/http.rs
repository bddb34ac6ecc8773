//! `GET` over a unix socket, for the engines' API sockets (Docker's
//! `/var/run/docker.sock`, podman's `podman system service`).
//!
//! Written here rather than taken from a crate: ureq (the HTTP checks' client) is not in
//! this tree, and ureq 3 reaches a unix socket only through its unversioned transport
//! API; a GET to a local daemon needs little. The request is HTTP/1.0 with
//! `Connection: close`, so the daemons (both Go's net/http) answer without chunked encoding
//! and end the body by closing: no framing to parse but `Content-Length`, when sent.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Most bytes of a reply kept: a host's container list and inspect data are far below this.
const REPLY_LIMIT: usize = 64 * 1024 * 1024;

/// `GET path` on the socket at `socket`; the body of a 200 reply, else an error naming the
/// status (and the daemon's message, which it sends as a short JSON body).
pub fn get(socket: &str, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut stream =
        UnixStream::connect(socket).map_err(|e| format!("connect to {socket}: {}", reason(&e)))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|_| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("{socket}: {}", reason(&e)))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{socket}: sending GET {path}: {}", reason(&e)))?;
    let mut reply = Vec::new();
    stream
        .take(REPLY_LIMIT as u64 + 1)
        .read_to_end(&mut reply)
        .map_err(|e| format!("{socket}: reading the reply to GET {path}: {}", reason(&e)))?;
    if reply.len() > REPLY_LIMIT {
        return Err(format!(
            "{socket}: reply to GET {path} longer than {REPLY_LIMIT} bytes"
        ));
    }
    let (status, body) = parse_reply(&reply).map_err(|e| format!("{socket}: GET {path}: {e}"))?;
    if status != 200 {
        let message = String::from_utf8_lossy(body);
        return Err(format!(
            "{socket}: GET {path}: status {status}: {}",
            message.trim().chars().take(200).collect::<String>()
        ));
    }
    Ok(body.to_vec())
}

/// The status and body of a whole HTTP/1.x reply; the body is cut to `Content-Length` when
/// the daemon sent one, and must not be shorter.
pub fn parse_reply(reply: &[u8]) -> Result<(u16, &[u8]), String> {
    let head_end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no complete reply head")?;
    let head = std::str::from_utf8(&reply[..head_end]).map_err(|_| "reply head is not text")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not an HTTP reply: {:?}", truncate(status_line)));
    }
    let status: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line {:?}", truncate(status_line)))?;
    let mut body = &reply[head_end + 4..];
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("transfer-encoding")
            && !value.trim().eq_ignore_ascii_case("identity")
        {
            return Err(format!("unexpected Transfer-Encoding {:?}", value.trim()));
        }
        if name.trim().eq_ignore_ascii_case("content-length") {
            let len: usize = value
                .trim()
                .parse()
                .map_err(|_| format!("bad Content-Length {:?}", value.trim()))?;
            if body.len() < len {
                return Err(format!("body cut short ({} of {len} bytes)", body.len()));
            }
            body = &body[..len];
        }
    }
    Ok((status, body))
}

fn truncate(text: &str) -> String {
    text.chars().take(80).collect()
}

fn reason(e: &std::io::Error) -> String {
    crate::util::io_reason(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        let (status, body) =
            parse_reply(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]trailing").unwrap();
        assert_eq!((status, body), (200, &b"[]"[..]));
        let (status, body) =
            parse_reply(b"HTTP/1.1 404 Not Found\r\n\r\n{\"message\":\"no\"}").unwrap();
        assert_eq!((status, body), (404, &b"{\"message\":\"no\"}"[..]));
        assert!(parse_reply(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n[]").is_err());
        assert!(parse_reply(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n"
        )
        .is_err());
        assert!(parse_reply(b"SSH-2.0\r\n\r\n").is_err());
        assert!(parse_reply(b"HTTP/1.0 200 OK\r\n").is_err());
    }

    #[test]
    fn gets_from_a_unix_socket() {
        let dir = std::env::temp_dir().join(format!("ohc-agent-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("api.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            for reply in [
                &b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\n[{}]"[..],
                &b"HTTP/1.0 500 Internal Server Error\r\n\r\n{\"message\":\"boom\"}"[..],
            ] {
                let (mut conn, _) = listener.accept().unwrap();
                let mut request = [0u8; 1024];
                let n = conn.read(&mut request).unwrap();
                assert!(request[..n].starts_with(b"GET /containers/json HTTP/1.0\r\n"));
                conn.write_all(reply).unwrap();
            }
        });
        let socket = path.to_str().unwrap();
        let timeout = Duration::from_secs(5);
        assert_eq!(get(socket, "/containers/json", timeout).unwrap(), b"[{}]");
        let err = get(socket, "/containers/json", timeout).unwrap_err();
        assert!(err.contains("status 500") && err.contains("boom"), "{err}");
        server.join().unwrap();
        let err = get(dir.join("none.sock").to_str().unwrap(), "/x", timeout).unwrap_err();
        assert!(err.contains("not found"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! `GET` over a unix socket, for the engines' API sockets (Docker's
//! `/var/run/docker.sock`, podman's `podman system service`), through ureq (the HTTP
//! checks' client, [`crate::proto::http`]).
//!
//! ureq dials TCP itself; a unix socket is plugged in as the first link of its connection
//! chain ([`UnixConnector`], over ureq's `Connector`/`Transport` traits as the HTTP check's
//! own transport is, and over the same deadline-bound socket transport), with a resolver that asks nothing ([`NoResolver`]): the URL's host
//! only fills the `Host` header. The socket is connected before ureq runs, so a missing or
//! refused socket is named as such. ureq does the HTTP/1.1 framing (`Content-Length`,
//! chunked, close-delimited) and bounds the reply head; the body is bounded here, and the
//! whole exchange by one timeout.

use crate::deadline::Deadline;
use crate::proto::http::transport::SocketTransport;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;
use std::time::Duration;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{self, ResolvedSocketAddrs};
use ureq::unversioned::transport::{ConnectionDetails, Connector, LazyBuffers, NextTimeout};
use ureq::Error;

/// Longest reply body accepted: a host's container list and inspect data are far below this.
const REPLY_LIMIT: u64 = 64 * 1024 * 1024;
/// ureq's buffers: a reply head (under 1 KiB from Docker and podman) must fit in the input
/// one, which is also the chunk the body is read in; the request is one short line.
const INPUT_BUFFER: usize = 16 * 1024;
const OUTPUT_BUFFER: usize = 4 * 1024;

/// `GET path` on the socket at `socket`; the body of a 200 reply, else an error naming the
/// status (and the daemon's message, which it sends as a short JSON body).
pub fn get(socket: &str, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let deadline = Deadline::after(timeout);
    let stream =
        UnixStream::connect(socket).map_err(|e| format!("connect to {socket}: {}", reason(&e)))?;
    let uri: Uri = format!("http://localhost{path}")
        .parse()
        .map_err(|e| format!("{socket}: GET {path}: not a request path: {e}"))?;
    let config = Config::builder()
        // A status is an answer to read, not an error; a daemon's redirect is not followed.
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .user_agent("openstack-healthcheck")
        .accept_encoding("")
        .timeout_global(Some(timeout))
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .max_idle_connections(0)
        .build();
    let connector = UnixConnector {
        stream: Mutex::new(Some(stream)),
        deadline,
    };
    let agent = ureq::Agent::with_parts(config, connector, NoResolver);
    let failed = |e: Error| format!("{socket}: GET {path}: {}", describe(e));
    let mut response = agent
        .get(uri)
        .header("Connection", "close")
        .call()
        .map_err(failed)?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(REPLY_LIMIT)
        .read_to_vec()
        .map_err(failed)?;
    if status != 200 {
        let message = String::from_utf8_lossy(&body);
        return Err(format!(
            "{socket}: GET {path}: status {status}: {}",
            message.trim().chars().take(200).collect::<String>()
        ));
    }
    Ok(body)
}

/// A ureq error in a few words: I/O as the project words it, the limits as what was too big.
fn describe(e: Error) -> String {
    match e {
        Error::Io(io) => reason(&io),
        Error::Timeout(_) => "timed out".into(),
        Error::BodyExceedsLimit(limit) => format!("reply longer than {limit} bytes"),
        other => other.to_string(),
    }
}

fn reason(e: &io::Error) -> String {
    crate::util::io_reason(e)
}

/// The resolver of a request that goes to a unix socket: nothing to resolve. ureq still asks
/// one; the address it gets is never dialled ([`UnixConnector`] ignores it).
#[derive(Debug)]
struct NoResolver;

impl resolver::Resolver for NoResolver {
    fn resolve(
        &self,
        _uri: &Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let mut addrs = resolver::Resolver::empty(self);
        let _ = addrs.try_push(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        Ok(addrs)
    }
}

/// The first link of ureq's chain: hands over the unix socket connected beforehand, once
/// (one request per connection).
#[derive(Debug)]
struct UnixConnector {
    stream: Mutex<Option<UnixStream>>,
    deadline: Deadline,
}

impl Connector for UnixConnector {
    type Out = SocketTransport<UnixStream>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<Self::Out>, Error> {
        let stream = self
            .stream
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .ok_or(Error::ConnectionFailed)?;
        let config = details.config;
        Ok(Some(SocketTransport::new(
            stream,
            LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            self.deadline,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A daemon on a unix socket answering each connection with the next of `replies`,
    /// after checking the request line.
    fn serve(
        listener: std::os::unix::net::UnixListener,
        replies: Vec<&'static [u8]>,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            for reply in replies {
                let (mut conn, _) = listener.accept().unwrap();
                let mut request = Vec::new();
                let mut chunk = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = conn.read(&mut chunk).unwrap();
                    assert!(n > 0, "request cut short");
                    request.extend_from_slice(&chunk[..n]);
                }
                assert!(
                    request.starts_with(b"GET /containers/json HTTP/1.1\r\n"),
                    "{}",
                    String::from_utf8_lossy(&request)
                );
                conn.write_all(reply).unwrap();
            }
        })
    }

    #[test]
    fn gets_from_a_unix_socket() {
        let dir = std::env::temp_dir().join(format!("ohc-agent-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("api.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let server = serve(
            listener,
            vec![
                &b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n[{}]trailing"[..],
                // Go's net/http chunks a body it did not measure.
                &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[{\r\n2\r\n}]\r\n0\r\n\r\n"[..],
                &b"HTTP/1.0 200 OK\r\n\r\n[]"[..],
                &b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 18\r\n\r\n{\"message\":\"boom\"}"[..],
                &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n[]"[..],
                &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            ],
        );
        let socket = path.to_str().unwrap();
        let timeout = Duration::from_secs(5);
        let get = |path| get(socket, path, timeout);
        assert_eq!(get("/containers/json").unwrap(), b"[{}]");
        assert_eq!(get("/containers/json").unwrap(), b"[{}]");
        assert_eq!(get("/containers/json").unwrap(), b"[]");
        let err = get("/containers/json").unwrap_err();
        assert!(err.contains("status 500") && err.contains("boom"), "{err}");
        let err = get("/containers/json").unwrap_err();
        assert!(
            err.starts_with(&format!("{socket}: GET /containers/json: ")),
            "{err}"
        );
        assert!(get("/containers/json").is_err(), "not HTTP");
        server.join().unwrap();
        let err = get_missing(&dir);
        assert!(
            err.contains("connect to") && err.contains("not found"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn get_missing(dir: &std::path::Path) -> String {
        get(
            dir.join("none.sock").to_str().unwrap(),
            "/x",
            Duration::from_secs(1),
        )
        .unwrap_err()
    }

    #[test]
    fn a_silent_daemon_times_out() {
        let dir = std::env::temp_dir().join(format!("ohc-agent-http-t-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("api.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        // Reads the request and never answers, until the client gives up and closes.
        let holder = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut sink = [0u8; 1024];
            while conn.read(&mut sink).is_ok_and(|n| n > 0) {}
        });
        let err = get(
            path.to_str().unwrap(),
            "/containers/json",
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(err.contains("timed out"), "{err}");
        holder.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

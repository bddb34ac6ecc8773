//! Network plumbing shared by every probe: endpoints, name resolution without NSS,
//! and connections whose every read and write is bounded by the check's deadline.

pub mod resolve;
pub mod tls;

use crate::context::Context;
use crate::util::io_reason;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;

/// Where a service listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Tcp {
        host: String,
        port: u16,
    },
    /// A unix socket in the file system.
    Unix(String),
    /// A Linux abstract unix socket (name without the leading NUL).
    Abstract(String),
}

impl Endpoint {
    /// Parse `unix:/path`, `/path`, `@name` or `abstract:name`, `tcp:HOST:PORT`,
    /// `HOST:PORT`, `[v6]:PORT`, or a bare `HOST` (then `default_port` is needed).
    pub fn parse(text: &str, default_port: Option<u16>) -> Result<Endpoint, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty address".into());
        }
        if let Some(path) = text.strip_prefix("unix:") {
            return Ok(Endpoint::Unix(path.to_string()));
        }
        if text.starts_with('/') {
            return Ok(Endpoint::Unix(text.to_string()));
        }
        if let Some(name) = text
            .strip_prefix('@')
            .or_else(|| text.strip_prefix("abstract:"))
        {
            return Ok(Endpoint::Abstract(name.to_string()));
        }
        let hostport = text
            .strip_prefix("tcp:")
            .or_else(|| text.strip_prefix("ssl:"))
            .unwrap_or(text);
        let (host, port) = split_host_port(hostport)?;
        let port = match (port, default_port) {
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => return Err(format!("address {text:?} has no port")),
        };
        Ok(Endpoint::Tcp { host, port })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(p) => write!(f, "unix:{p}"),
            Endpoint::Abstract(n) => write!(f, "@{n}"),
        }
    }
}

/// Split `host:port`, `[v6]:port`, `[v6]`, a bare v6 literal or a bare host.
pub fn split_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let parse_port = |p: &str| -> Result<u16, String> {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("bad port {p:?} in {text:?}"))
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in {text:?}"))?;
        return match after {
            "" => Ok((host.to_string(), None)),
            p => match p.strip_prefix(':') {
                Some(p) => Ok((host.to_string(), Some(parse_port(p)?))),
                None => Err(format!("junk after ']' in {text:?}")),
            },
        };
    }
    match text.matches(':').count() {
        0 => Ok((text.to_string(), None)),
        1 => {
            let (h, p) = text.split_once(':').unwrap();
            Ok((h.to_string(), Some(parse_port(p)?)))
        }
        // More than one colon and no brackets: a bare IPv6 literal.
        _ => Ok((text.to_string(), None)),
    }
}

/// A connected stream whose reads and writes time out at the check's deadline.
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// A connection plus what it is connected to, bound to a deadline.
pub struct Connection {
    pub conn: Conn,
    /// The peer's address for TCP (curl's `remote_ip:remote_port`).
    pub peer: Option<SocketAddr>,
    deadline: crate::deadline::Deadline,
}

impl Connection {
    fn arm(&self, what: &str) -> io::Result<()> {
        let left = self
            .deadline
            .remaining(what)
            .map_err(|e| io::Error::new(io::ErrorKind::TimedOut, e))?;
        match &self.conn {
            Conn::Tcp(s) => {
                s.set_read_timeout(Some(left))?;
                s.set_write_timeout(Some(left))
            }
            Conn::Unix(s) => {
                s.set_read_timeout(Some(left))?;
                s.set_write_timeout(Some(left))
            }
        }
    }

    pub fn deadline(&self) -> crate::deadline::Deadline {
        self.deadline
    }

    /// Bound the following reads and writes by another deadline (a protocol step that
    /// must end before the check's, to leave time for a clean goodbye).
    pub fn set_deadline(&mut self, deadline: crate::deadline::Deadline) {
        self.deadline = deadline;
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm("waiting for the reply")?;
        match &mut self.conn {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm("sending the request")?;
        match &mut self.conn {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Connect to an endpoint within the deadline, trying each resolved address in turn.
pub fn connect(ep: &Endpoint, ctx: &Context) -> Result<Connection, String> {
    let deadline = ctx.deadline;
    match ep {
        Endpoint::Tcp { host, port } => {
            let addrs = resolve::resolve(host, *port, ctx)?;
            let (stream, addr) = connect_addrs(&addrs, &ep.to_string(), ctx)?;
            Ok(Connection {
                conn: Conn::Tcp(stream),
                peer: Some(addr),
                deadline,
            })
        }
        Endpoint::Unix(path) => UnixStream::connect(path)
            .map(|s| Connection {
                conn: Conn::Unix(s),
                peer: None,
                deadline,
            })
            .map_err(|e| format!("connect to unix:{path}: {}", io_reason(&e))),
        Endpoint::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .map_err(|e| format!("abstract socket name @{name}: {}", io_reason(&e)))?;
            UnixStream::connect_addr(&addr)
                .map(|s| Connection {
                    conn: Conn::Unix(s),
                    peer: None,
                    deadline,
                })
                .map_err(|e| format!("connect to @{name}: {}", io_reason(&e)))
        }
    }
}

/// Connect to the first of `addrs` that accepts within the deadline (`what` names
/// them all in errors, e.g. `host:port`); returns the stream (Nagle off) and the
/// address it reached.
pub fn connect_addrs(
    addrs: &[SocketAddr],
    what: &str,
    ctx: &Context,
) -> Result<(TcpStream, SocketAddr), String> {
    // Report the first failure (the address the hosts file lists first, usually
    // IPv4): for `localhost` a refused 127.0.0.1 says more than an unroutable ::1.
    let mut failures: Vec<String> = Vec::new();
    for &addr in addrs {
        let left = ctx.deadline.remaining(&format!("connecting to {what}"))?;
        ctx.trace(format_args!("connecting to {addr}"));
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok((s, addr));
            }
            Err(e) => failures.push(format!("connect to {addr}: {}", io_reason(&e))),
        }
    }
    Err(match failures.len() {
        0 => format!("{what}: no address"),
        1 => failures.remove(0),
        n => format!(
            "{} (and {} more address{} failed)",
            failures[0],
            n - 1,
            if n > 2 { "es" } else { "" }
        ),
    })
}

/// Read until `done(buffer)` says the reply is complete, the peer closes, the
/// buffer reaches `limit` bytes, or the deadline passes. Garbage and endless
/// peers are bounded by `limit` and the deadline.
pub fn read_until(
    conn: &mut impl Read,
    limit: usize,
    mut done: impl FnMut(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 4096];
    loop {
        if done(&buf) {
            return Ok(buf);
        }
        if buf.len() >= limit {
            return Err(format!("reply longer than {limit} bytes"));
        }
        let want = chunk.len().min(limit - buf.len());
        match conn.read(&mut chunk[..want]) {
            Ok(0) => {
                return if done(&buf) {
                    Ok(buf)
                } else if buf.is_empty() {
                    Err("connection closed by peer without a reply".into())
                } else {
                    Err("connection closed by peer in the middle of the reply".into())
                }
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock =>
            {
                return Err(format!(
                    "timed out waiting for the reply ({} bytes received)",
                    buf.len()
                ))
            }
            Err(e) => return Err(io_reason(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints() {
        let tcp = |h: &str, p| Endpoint::Tcp {
            host: h.into(),
            port: p,
        };
        assert_eq!(
            Endpoint::parse("127.0.0.1:6379", None).unwrap(),
            tcp("127.0.0.1", 6379)
        );
        assert_eq!(
            Endpoint::parse("tcp:127.0.0.1:6642", None).unwrap(),
            tcp("127.0.0.1", 6642)
        );
        assert_eq!(
            Endpoint::parse("[::1]:5672", None).unwrap(),
            tcp("::1", 5672)
        );
        assert_eq!(
            Endpoint::parse("::1", Some(11211)).unwrap(),
            tcp("::1", 11211)
        );
        assert_eq!(
            Endpoint::parse("localhost", Some(80)).unwrap(),
            tcp("localhost", 80)
        );
        assert_eq!(
            Endpoint::parse("unix:/run/x.sock", None).unwrap(),
            Endpoint::Unix("/run/x.sock".into())
        );
        assert_eq!(
            Endpoint::parse("/run/x.sock", None).unwrap(),
            Endpoint::Unix("/run/x.sock".into())
        );
        assert_eq!(
            Endpoint::parse("@ISCSIADM_ABSTRACT_NAMESPACE", None).unwrap(),
            Endpoint::Abstract("ISCSIADM_ABSTRACT_NAMESPACE".into())
        );
        assert!(Endpoint::parse("host", None).is_err());
        assert!(Endpoint::parse("host:0", None).is_err());
        assert!(Endpoint::parse("host:99999", None).is_err());
        assert!(Endpoint::parse("[::1", None).is_err());
        assert_eq!(tcp("::1", 1).to_string(), "[::1]:1");
    }

    #[test]
    fn read_until_is_bounded() {
        let mut endless = io::repeat(b'x');
        let err = read_until(&mut endless, 1000, |b| b.ends_with(b"\n")).unwrap_err();
        assert!(err.contains("longer than 1000"), "{err}");
        let mut ok = io::Cursor::new(b"VERSION 1.6\r\n".to_vec());
        assert_eq!(
            read_until(&mut ok, 1000, |b| b.ends_with(b"\r\n")).unwrap(),
            b"VERSION 1.6\r\n"
        );
        let mut short = io::Cursor::new(b"VERS".to_vec());
        assert!(read_until(&mut short, 1000, |b| b.ends_with(b"\r\n"))
            .unwrap_err()
            .contains("middle"));
    }
}

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

/// This host's primary IPv4 address as oslo.utils' `get_my_ipv4` finds it (the default
/// of the `my_ip` option of nova, ironic and others): the source address the kernel
/// would pick for a datagram to 192.0.2.0 (a UDP connect, which sends nothing); where
/// there is no route, the first IPv4 address of the interface the default route goes
/// out on, read from `/proc/net/route` and the interfaces' addresses; else `127.0.0.1`.
pub fn primary_ipv4() -> String {
    let routed = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|socket| {
        socket.connect("192.0.2.0:80")?;
        socket.local_addr()
    });
    match routed {
        Ok(local) => local.ip().to_string(),
        Err(_) => default_route_ipv4(),
    }
}

/// oslo.utils' fallback when no route is found: the default route's interface address.
fn default_route_ipv4() -> String {
    // The calling thread's network namespace: the host agent's worker has joined the
    // container's, which `/proc/net` (the process's) would not show.
    let routes = std::fs::read_to_string("/proc/thread-self/net/route").unwrap_or_default();
    let interface = routes
        .lines()
        .skip(1)
        .filter_map(|row| {
            let f: Vec<&str> = row.split_whitespace().collect();
            // Iface, Destination, Gateway, Flags, RefCnt, Use, Metric, Mask...
            let metric: u32 = f.get(6)?.parse().ok()?;
            (f.get(1) == Some(&"00000000") && f.get(7) == Some(&"00000000"))
                .then(|| (metric, f[0].to_string()))
        })
        .min()
        .map(|(_, name)| name);
    let address = interface.and_then(|name| {
        nix::ifaddrs::getifaddrs().ok()?.find_map(|ifa| {
            let ip = ifa.address?.as_sockaddr_in()?.ip();
            (ifa.interface_name == name).then(|| ip.to_string())
        })
    });
    address.unwrap_or_else(|| "127.0.0.1".to_string())
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
        Endpoint::Unix(path) => {
            // On a container's system the socket file is found inside its root and reached
            // by its descriptor, so the host never resolves the container's path itself.
            let root = &ctx.system.given;
            let socket_file = if root.is_host() {
                None
            } else {
                Some(
                    root.open_path(path)
                        .map_err(|e| format!("connect to unix:{path}: {}", io_reason(&e)))?,
                )
            };
            let reached = match &socket_file {
                Some(file) => crate::system::root::fd_path(file),
                None => std::path::PathBuf::from(path),
            };
            let addr = nix::sys::socket::UnixAddr::new(reached.as_path())
                .map_err(|e| format!("unix socket path {path}: {e}"))?;
            connect_unix(&addr, &ep.to_string(), ctx).map(|s| Connection {
                conn: Conn::Unix(s),
                peer: None,
                deadline,
            })
        }
        Endpoint::Abstract(name) => {
            let addr = nix::sys::socket::UnixAddr::new_abstract(name.as_bytes())
                .map_err(|e| format!("abstract socket name @{name}: {e}"))?;
            connect_unix(&addr, &ep.to_string(), ctx).map(|s| Connection {
                conn: Conn::Unix(s),
                peer: None,
                deadline,
            })
        }
    }
}

/// Connect a unix stream socket within the deadline. A unix connect blocks while the
/// listener's backlog is full (a server that stopped accepting), with no timeout but
/// the socket's send timeout: that is armed from the deadline first, and a connect it
/// cuts short says so.
fn connect_unix(
    addr: &nix::sys::socket::UnixAddr,
    shown: &str,
    ctx: &Context,
) -> Result<UnixStream, String> {
    use nix::errno::Errno;
    use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockType};
    let left = ctx.deadline.remaining(&format!("connecting to {shown}"))?;
    let fail = |e: Errno| format!("connect to {shown}: {}", io_reason(&io::Error::from(e)));
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(fail)?;
    let timeout = nix::sys::time::TimeVal::new(
        left.as_secs().min(i64::MAX as u64) as i64,
        left.subsec_micros().max(1) as _,
    );
    socket::setsockopt(&fd, sockopt::SendTimeout, &timeout).map_err(fail)?;
    ctx.trace(format_args!("connecting to {shown}"));
    loop {
        use std::os::fd::AsRawFd;
        match socket::connect(fd.as_raw_fd(), addr) {
            Ok(()) => return Ok(UnixStream::from(fd)),
            Err(Errno::EINTR) if !ctx.deadline.expired() => continue,
            Err(Errno::EAGAIN | Errno::EINPROGRESS | Errno::ETIMEDOUT | Errno::EINTR) => {
                return Err(format!(
                    "timed out after {:.1}s connecting to {shown} (its listen backlog is full: the server does not accept)",
                    ctx.deadline.budget().as_secs_f64()
                ))
            }
            Err(e) => return Err(fail(e)),
        }
    }
}

/// Connect to the first of `addrs` that accepts within the deadline (`what` names
/// them all in errors, e.g. `host:port`), each address with its share of the time left;
/// returns the stream (Nagle off) and the address it reached.
pub fn connect_addrs(
    addrs: &[SocketAddr],
    what: &str,
    ctx: &Context,
) -> Result<(TcpStream, SocketAddr), String> {
    // Report the first failure (the address the hosts file lists first, usually
    // IPv4): for `localhost` a refused 127.0.0.1 says more than an unroutable ::1.
    let mut failures: Vec<String> = Vec::new();
    for (index, &addr) in addrs.iter().enumerate() {
        // Each address gets its share of the time left, so one that never answers (a
        // dropped SYN) cannot starve the next: with k still to try, 1/k of it.
        let left = ctx.deadline.remaining(&format!("connecting to {what}"))?
            / (addrs.len() - index) as u32;
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
    fn unix_sockets_are_reached_inside_the_root() {
        use crate::system::{Root, System};
        let dir = std::env::temp_dir().join(format!("ohc-net-root-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("run/real")).unwrap();
        let listener = std::os::unix::net::UnixListener::bind(dir.join("run/real/s.sock")).unwrap();
        // An absolute link as a container would have it: it must resolve inside the root.
        std::os::unix::fs::symlink("/run/real", dir.join("run/linked")).unwrap();
        let inside = System {
            given: Root::under(&dir),
            ..System::from_process()
        };
        let ctx = Context::on(
            crate::deadline::Deadline::after(std::time::Duration::from_secs(5)),
            false,
            std::sync::Arc::new(inside),
        );
        assert!(connect(&Endpoint::Unix("/run/linked/s.sock".into()), &ctx).is_ok());
        assert!(listener.accept().is_ok());
        let err = connect(&Endpoint::Unix("/run/none.sock".into()), &ctx)
            .err()
            .unwrap();
        assert!(
            err.contains("unix:/run/none.sock") && err.contains("not found"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

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

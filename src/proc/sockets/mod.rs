//! The host's sockets, asked in one place: the socket types (transport, TCP states, inet and
//! unix sockets) and the choice of source. Netlink sock_diag ([`sockdiag`]) lets the kernel
//! filter by port and state; where the kernel refuses it (no `udp_diag` module, a sandbox
//! without NETLINK_SOCK_DIAG), the /proc/net tables ([`procnet`]) answer the inet questions
//! instead. Callers ask [`query_inet`], [`query_inet_family`] or [`query_unix`] and never
//! choose the source themselves.

pub mod procnet;
pub mod sockdiag;

use crate::deadline::Deadline;
use std::net::SocketAddr;

/// TCP states as the kernel numbers them (`include/net/tcp_states.h`). UDP reuses
/// ESTABLISHED (connected) and CLOSE (bound, not connected).
pub mod tcp_state {
    pub const ESTABLISHED: u8 = 1;
    pub const SYN_SENT: u8 = 2;
    pub const SYN_RECV: u8 = 3;
    pub const FIN_WAIT1: u8 = 4;
    pub const FIN_WAIT2: u8 = 5;
    pub const TIME_WAIT: u8 = 6;
    pub const CLOSE: u8 = 7;
    pub const CLOSE_WAIT: u8 = 8;
    pub const LAST_ACK: u8 = 9;
    pub const LISTEN: u8 = 10;
    pub const CLOSING: u8 = 11;
    pub const NEW_SYN_RECV: u8 = 12;

    /// The bit of `state` in a request's state mask.
    pub const fn bit(state: u8) -> u32 {
        1 << state
    }

    /// Every state: for the explanatory second look when a check fails.
    pub const ALL: u32 = u32::MAX;

    pub fn name(state: u8) -> &'static str {
        match state {
            ESTABLISHED => "ESTABLISHED",
            SYN_SENT => "SYN_SENT",
            SYN_RECV => "SYN_RECV",
            FIN_WAIT1 => "FIN_WAIT1",
            FIN_WAIT2 => "FIN_WAIT2",
            TIME_WAIT => "TIME_WAIT",
            CLOSE => "CLOSE",
            CLOSE_WAIT => "CLOSE_WAIT",
            LAST_ACK => "LAST_ACK",
            LISTEN => "LISTEN",
            CLOSING => "CLOSING",
            NEW_SYN_RECV => "NEW_SYN_RECV",
            _ => "UNKNOWN",
        }
    }
}

/// Which transport to ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    fn ip_protocol(self) -> u8 {
        match self {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// One TCP or UDP socket as inet_diag reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetSocket {
    pub state: u8,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// 0 for sockets no process holds any more (TIME_WAIT, NEW_SYN_RECV).
    pub inode: u64,
    pub uid: u32,
}

/// One unix socket as unix_diag reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixSocket {
    pub inode: u64,
    /// The bound name: a path, or an abstract name starting with NUL; `None` when unbound.
    pub name: Option<Vec<u8>>,
    /// The socket file's inode and (kernel-encoded) device, for sockets bound to a path.
    pub vfs: Option<(u32, u32)>,
}

/// What to ask inet_diag for: sockets of `transport` in one of `states` whose local port (or,
/// with `remote_too`, remote port) is one of `ports`.
#[derive(Debug, Clone)]
pub struct InetQuery<'a> {
    pub transport: Transport,
    pub states: u32,
    pub ports: &'a [u16],
    pub remote_too: bool,
}

/// Every IPv4 and IPv6 socket matching `query`, filtered by the kernel. Where the kernel
/// refuses (no `udp_diag` module, a sandbox), the family's /proc/net table is read instead.
pub fn query_inet(query: &InetQuery, deadline: &Deadline) -> Result<Vec<InetSocket>, String> {
    let mut sockets = query_inet_family(query, false, deadline)?;
    sockets.extend(query_inet_family(query, true, deadline)?);
    Ok(sockets)
}

/// [`query_inet`] for one address family. Each dump walks every socket of the kind in the
/// kernel (the port filter runs per socket), so a caller that may stop early asks one
/// family at a time.
pub fn query_inet_family(
    query: &InetQuery,
    ipv6: bool,
    deadline: &Deadline,
) -> Result<Vec<InetSocket>, String> {
    sockdiag::inet_family(query, ipv6, deadline).or_else(|refused| {
        procnet::inet_family(query, ipv6).map_err(|e| format!("{refused}, and {e}"))
    })
}

/// Every unix socket on the host (network namespace), with names.
pub fn query_unix(deadline: &Deadline) -> Result<Vec<UnixSocket>, String> {
    sockdiag::unix_sockets(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn kernel_filters_by_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let deadline = Deadline::after(Duration::from_secs(5));
        let query = InetQuery {
            transport: Transport::Tcp,
            states: tcp_state::bit(tcp_state::LISTEN),
            ports: &[port],
            remote_too: false,
        };
        let found = query_inet(&query, &deadline).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].local.port(), port);
        assert!(found[0].inode > 0);
        let other = InetQuery {
            ports: &[port.wrapping_add(1).max(1)],
            ..query.clone()
        };
        assert!(query_inet(&other, &deadline)
            .unwrap()
            .iter()
            .all(|s| s.local.port() != port));
        // Several ports, local and remote: the kernel's audit accepts the chained bytecode.
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let both = InetQuery {
            states: tcp_state::ALL,
            ports: &[1, port, 2],
            remote_too: true,
            ..query
        };
        let found = query_inet(&both, &deadline).unwrap();
        let client_port = client.local_addr().unwrap().port();
        assert!(
            found
                .iter()
                .any(|s| s.local.port() == client_port && s.remote.port() == port),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .all(|s| s.local.port() == port || s.remote.port() == port),
            "{found:?}"
        );
    }
}

//! The fallback when the kernel refuses a sock_diag request (no `udp_diag` module, a sandbox
//! without NETLINK_SOCK_DIAG): the same sockets read from /proc/net/{tcp,udp}{,6}, filtered here.
//! It reads the whole table, which is what sock_diag avoids, so it is only the second choice.

use super::{InetQuery, InetSocket, Transport};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The /proc/net table for a transport and address family.
pub fn table_path(transport: Transport, ipv6: bool) -> String {
    format!(
        "/proc/net/{}{}",
        transport.name(),
        if ipv6 { "6" } else { "" }
    )
}

/// An address as /proc/net writes it: the IP as 32-bit words in host byte order, in hex, a colon,
/// the port in hex (`0100007F:1628` is 127.0.0.1:5672 on a little-endian machine).
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (ip_hex, port_hex) = text.split_once(':')?;
    let port = u16::from_str_radix(port_hex, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let hex = ip_hex.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match ip_hex.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The rows of a /proc/net/{tcp,udp}{,6} table in one of `states` whose local port (with
/// `remote_too`, either port) is one of `ports`. Rows that do not parse are skipped.
pub fn parse_proc_net(text: &str, states: u32, ports: &[u16], remote_too: bool) -> Vec<InetSocket> {
    text.lines()
        .skip(1) // the header
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = parse_address(fields.get(1)?)?;
            let remote = parse_address(fields.get(2)?)?;
            let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
            let uid = fields.get(7)?.parse().ok()?;
            let inode = fields.get(9)?.parse().ok()?;
            Some(InetSocket {
                state,
                local,
                remote,
                inode,
                uid,
            })
        })
        .filter(|s| s.state < 32 && states & (1 << s.state) != 0)
        .filter(|s| {
            ports.contains(&s.local.port()) || (remote_too && ports.contains(&s.remote.port()))
        })
        .collect()
}

/// `query` answered from the /proc/net table of one address family. A missing table (IPv6
/// disabled) has no sockets.
pub fn inet_family(query: &InetQuery, ipv6: bool) -> Result<Vec<InetSocket>, String> {
    let path = table_path(query.transport, ipv6);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(parse_proc_net(
            &text,
            query.states,
            query.ports,
            query.remote_too,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{path}: {}", crate::util::io_reason(&e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 574360 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:1628 01 00000000:00000000 00:00000000 00000000  1000        0 574361 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:9C41 0100007F:DDF1 01 00000000:00000000 00:00000000 00000000  1000        0 574362 1 0000000000000000 20 4 30 10 -1
   3: garbage
";

    #[test]
    fn filters_state_and_exact_port() {
        let established = 1 << 1;
        let rows = parse_proc_net(TCP, established, &[5672], true);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].inode, 574361);
        assert_eq!(rows[0].uid, 1000);
        assert_eq!(rows[0].remote, "127.0.0.1:5672".parse().unwrap());
        // 0xDDF1 = 56817: not 5681.
        assert!(parse_proc_net(TCP, established, &[5681], true).is_empty());
        let listen = 1 << 10;
        assert_eq!(parse_proc_net(TCP, listen, &[5672], false)[0].inode, 574360);
        assert!(parse_proc_net(TCP, established, &[5672], false).is_empty());
    }

    #[test]
    fn ipv6_addresses() {
        // ::1 port 5672 as /proc/net/tcp6 writes it on a little-endian machine.
        let addr = parse_address("00000000000000000000000001000000:1628").unwrap();
        if cfg!(target_endian = "little") {
            assert_eq!(addr, "[::1]:5672".parse().unwrap());
        }
        assert!(parse_address("0000:1628").is_none());
        assert!(parse_address("0100007F").is_none());
    }

    #[test]
    fn reads_the_live_table() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let text = std::fs::read_to_string(table_path(Transport::Tcp, false)).unwrap();
        let rows = parse_proc_net(&text, 1 << 10, &[port], false);
        assert_eq!(rows.len(), 1, "{rows:?}");
    }
}

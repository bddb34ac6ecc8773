//! Finding sockets with netlink NETLINK_SOCK_DIAG instead of reading /proc/net/* and every
//! process's fds: the kernel filters by port (inet_diag bytecode) and TCP state, so the cost
//! follows the number of matching sockets, not the size of the host.
//!
//! The request builders and the reply parsers are pure functions over bytes (fuzzed in
//! `fuzz/fuzz_targets/{inet_diag,unix_diag}.rs`); only [`inet_family`] and [`unix_sockets`]
//! touch a socket. Layouts are those of `<linux/netlink.h>`, `<linux/inet_diag.h>` and
//! `<linux/unix_diag.h>`. Which source answers a question is [`super`]'s choice.

use super::{InetQuery, InetSocket, UnixSocket};
use crate::deadline::Deadline;
use nix::sys::socket::{
    self, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};

const NLMSG_HDRLEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const SOCK_DIAG_BY_FAMILY: u16 = 20;

const INET_DIAG_REQ_BYTECODE: u16 = 1;
const INET_DIAG_BC_JMP: u8 = 1;
const INET_DIAG_BC_S_EQ: u8 = 11;
const INET_DIAG_BC_D_EQ: u8 = 12;
/// `struct inet_diag_req_v2`: family, protocol, ext, pad, states, then `inet_diag_sockid`.
const INET_DIAG_REQ_LEN: usize = 56;
/// `struct inet_diag_msg`: family, state, timer, retrans, sockid (48), expires, rqueue, wqueue, uid, inode.
const INET_DIAG_MSG_LEN: usize = 72;

const UDIAG_SHOW_NAME: u32 = 0x1;
const UDIAG_SHOW_VFS: u32 = 0x2;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_VFS: u16 = 1;
/// `struct unix_diag_msg`: family, type, state, pad, ino, cookie[2].
const UNIX_DIAG_MSG_LEN: usize = 16;
const UNIX_DIAG_REQ_LEN: usize = 24;

/// inet_diag bytecode accepting a socket whose source (and with `remote_too`, destination) port is
/// one of `ports`: a chain of tests joined by jumps, the way `ss` compiles `a or b`.
///
/// Each test is an 8-byte op pair `{S_EQ|D_EQ, yes: 8, no: 12} {0, 0, port}`. A hit goes on to the
/// 4-byte `{JMP, 4, to-the-end}` that follows it (JMP always takes `no`: accept); a miss skips that
/// jump to the next test. The last test has no jump: its hit runs off the end (accept) and its miss
/// lands 4 bytes past the end (reject), as the kernel's `inet_diag_bc_run` defines. The kernel's
/// audit requires every `no` target to lie on the chain of `yes` steps, which this layout keeps.
pub fn port_filter_bytecode(ports: &[u16], remote_too: bool) -> Vec<u8> {
    const TEST_LEN: u16 = 8;
    const JUMP_LEN: u16 = 4;
    let codes: &[u8] = if remote_too {
        &[INET_DIAG_BC_S_EQ, INET_DIAG_BC_D_EQ]
    } else {
        &[INET_DIAG_BC_S_EQ]
    };
    let tests: Vec<(u8, u16)> = ports
        .iter()
        .flat_map(|&p| codes.iter().map(move |&c| (c, p)))
        .collect();
    let total = (tests.len() * (TEST_LEN + JUMP_LEN) as usize).saturating_sub(JUMP_LEN as usize);
    let mut code = Vec::with_capacity(total);
    let mut op = |code_byte: u8, yes: u16, no: u16| {
        code.push(code_byte);
        code.push(yes as u8);
        code.extend_from_slice(&no.to_ne_bytes());
    };
    for (i, (test, port)) in tests.iter().enumerate() {
        op(*test, TEST_LEN, TEST_LEN + JUMP_LEN);
        op(0, 0, *port); // the operand: the port, in the `no` field
        let is_last = i + 1 == tests.len();
        if !is_last {
            let after_jump = total - (i + 1) * (TEST_LEN + JUMP_LEN) as usize;
            op(INET_DIAG_BC_JMP, JUMP_LEN, JUMP_LEN + after_jump as u16);
        }
    }
    code
}

/// Most ports one request filters on; more are asked for in several requests.
pub const MAX_FILTER_PORTS: usize = 256;

fn netlink_header(payload_len: usize, seq: u32) -> Vec<u8> {
    let mut msg = Vec::with_capacity(NLMSG_HDRLEN + payload_len);
    msg.extend_from_slice(&((NLMSG_HDRLEN + payload_len) as u32).to_ne_bytes());
    msg.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    msg.extend_from_slice(&seq.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg
}

/// The full netlink request for one address family of an inet query.
pub fn inet_request(query: &InetQuery, family: u8, seq: u32) -> Vec<u8> {
    let bytecode = port_filter_bytecode(query.ports, query.remote_too);
    let attr_len = 4 + bytecode.len();
    let mut msg = netlink_header(INET_DIAG_REQ_LEN + attr_len, seq);
    msg.extend_from_slice(&[family, query.transport.ip_protocol(), 0, 0]);
    msg.extend_from_slice(&query.states.to_ne_bytes());
    msg.extend_from_slice(&[0u8; 48]); // inet_diag_sockid: unused for dumps
    msg.extend_from_slice(&(attr_len as u16).to_ne_bytes());
    msg.extend_from_slice(&INET_DIAG_REQ_BYTECODE.to_ne_bytes());
    msg.extend_from_slice(&bytecode);
    msg
}

/// The netlink request dumping every unix socket with its name and socket-file identity.
pub fn unix_request(seq: u32) -> Vec<u8> {
    let mut msg = netlink_header(UNIX_DIAG_REQ_LEN, seq);
    msg.extend_from_slice(&[nix::libc::AF_UNIX as u8, 0, 0, 0]);
    msg.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    msg.extend_from_slice(&0u32.to_ne_bytes()); // any inode
    msg.extend_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS).to_ne_bytes());
    msg.extend_from_slice(&[0xff; 8]); // cookie: none
    msg
}

/// The records of one reply datagram, and whether the dump ended in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed<T> {
    pub records: Vec<T>,
    pub done: bool,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Split a reply datagram into sock_diag payloads; stop at NLMSG_DONE, fail on NLMSG_ERROR.
fn split_messages(buf: &[u8]) -> Result<(Vec<&[u8]>, bool), String> {
    let mut payloads = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= buf.len() {
        let len = u32_at(buf, at).unwrap_or(0) as usize;
        let kind = u16_at(buf, at + 4).unwrap_or(0);
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return Err(format!(
                "malformed netlink reply (message length {len} at offset {at})"
            ));
        }
        let payload = &buf[at + NLMSG_HDRLEN..at + len];
        match kind {
            NLMSG_DONE => {
                // A dump that failed part-way reports the error in the DONE message.
                match u32_at(payload, 0).map(|v| v as i32) {
                    Some(err) if err < 0 => return Err(errno_reason(err)),
                    _ => return Ok((payloads, true)),
                }
            }
            NLMSG_ERROR => {
                let err = u32_at(payload, 0)
                    .map(|v| v as i32)
                    .unwrap_or(-nix::libc::EIO);
                // Error 0 is an acknowledgement, not a failure.
                if err != 0 {
                    return Err(errno_reason(err));
                }
            }
            SOCK_DIAG_BY_FAMILY => payloads.push(payload),
            _ => {} // NOOP and anything else carries nothing for us
        }
        at += align4(len);
    }
    Ok((payloads, false))
}

fn errno_reason(err: i32) -> String {
    // The kernel sends -errno; anything else (only a corrupt reply could) reads as EIO.
    let errno = err
        .checked_neg()
        .filter(|e| *e > 0)
        .unwrap_or(nix::libc::EIO);
    format!(
        "sock_diag refused the request: {}",
        nix::errno::Errno::from_raw(errno).desc()
    )
}

fn inet_addr(family: u8, raw: &[u8], port: u16) -> Option<SocketAddr> {
    let ip = match family as i32 {
        nix::libc::AF_INET => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(raw.get(..4)?).ok()?)),
        nix::libc::AF_INET6 => {
            IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(raw.get(..16)?).ok()?))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Parse one reply datagram of an inet_diag dump.
pub fn parse_inet_diag_msgs(buf: &[u8]) -> Result<Parsed<InetSocket>, String> {
    let (payloads, done) = split_messages(buf)?;
    let mut records = Vec::with_capacity(payloads.len());
    for p in payloads {
        if p.len() < INET_DIAG_MSG_LEN {
            return Err(format!("short inet_diag message ({} bytes)", p.len()));
        }
        let port = |at: usize| u16::from_be_bytes([p[at], p[at + 1]]);
        let (family, state) = (p[0], p[1]);
        let local = inet_addr(family, &p[8..24], port(4));
        let remote = inet_addr(family, &p[24..40], port(6));
        let (Some(local), Some(remote)) = (local, remote) else {
            return Err(format!(
                "inet_diag message of unknown address family {family}"
            ));
        };
        let uid = u32_at(p, 64).unwrap_or(0);
        let inode = u32_at(p, 68).unwrap_or(0) as u64;
        records.push(InetSocket {
            state,
            local,
            remote,
            inode,
            uid,
        });
    }
    Ok(Parsed { records, done })
}

/// Parse one reply datagram of a unix_diag dump.
pub fn parse_unix_diag_msgs(buf: &[u8]) -> Result<Parsed<UnixSocket>, String> {
    let (payloads, done) = split_messages(buf)?;
    let mut records = Vec::with_capacity(payloads.len());
    for p in payloads {
        if p.len() < UNIX_DIAG_MSG_LEN {
            return Err(format!("short unix_diag message ({} bytes)", p.len()));
        }
        let inode = u32_at(p, 4).unwrap_or(0) as u64;
        let mut socket = UnixSocket {
            inode,
            name: None,
            vfs: None,
        };
        let mut at = UNIX_DIAG_MSG_LEN;
        while at + 4 <= p.len() {
            let len = u16_at(p, at).unwrap_or(0) as usize;
            let kind = u16_at(p, at + 2).unwrap_or(0);
            if len < 4 || at + len > p.len() {
                return Err(format!("malformed unix_diag attribute (length {len})"));
            }
            let value = &p[at + 4..at + len];
            match kind {
                UNIX_DIAG_NAME => socket.name = Some(value.to_vec()),
                UNIX_DIAG_VFS => socket.vfs = u32_at(value, 0).zip(u32_at(value, 4)),
                _ => {}
            }
            at += align4(len);
        }
        records.push(socket);
    }
    Ok(Parsed { records, done })
}

fn open_sock_diag() -> Result<OwnedFd, String> {
    socket::socket(
        AddressFamily::Netlink,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkSockDiag,
    )
    .map_err(|e| format!("cannot open a netlink sock_diag socket: {}", e.desc()))
}

/// Send one dump request and collect every record of the reply, within the deadline.
fn dump<T>(
    fd: &OwnedFd,
    request: &[u8],
    parse: fn(&[u8]) -> Result<Parsed<T>, String>,
    deadline: &Deadline,
) -> Result<Vec<T>, String> {
    let kernel = NetlinkAddr::new(0, 0);
    socket::sendto(fd.as_raw_fd(), request, &kernel, MsgFlags::empty())
        .map_err(|e| format!("cannot send a sock_diag request: {}", e.desc()))?;
    // Large enough for any single dump datagram the kernel builds (it caps them at 32 KiB).
    let mut buf = vec![0u8; 64 * 1024];
    let mut records = Vec::new();
    loop {
        let left = deadline.remaining("waiting for the kernel's socket list")?;
        let timeout = nix::sys::time::TimeVal::new(left.as_secs() as _, left.subsec_micros() as _);
        socket::setsockopt(fd, socket::sockopt::ReceiveTimeout, &timeout)
            .map_err(|e| format!("cannot set a timeout on the sock_diag socket: {}", e.desc()))?;
        let n = match socket::recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()) {
            Ok(n) => n,
            // Interrupted, or the receive timeout ran out: the deadline check above decides.
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => continue,
            Err(e) => return Err(format!("cannot read the sock_diag reply: {}", e.desc())),
        };
        let parsed = parse(&buf[..n])?;
        records.extend(parsed.records);
        if parsed.done || n == 0 {
            return Ok(records);
        }
    }
}

/// The kernel's answer to `query` for one address family, or why it refused.
pub fn inet_family(
    query: &InetQuery,
    ipv6: bool,
    deadline: &Deadline,
) -> Result<Vec<InetSocket>, String> {
    let family = if ipv6 {
        nix::libc::AF_INET6
    } else {
        nix::libc::AF_INET
    } as u8;
    let seq = if ipv6 { 2 } else { 1 };
    let fd = open_sock_diag()?;
    let mut found = Vec::new();
    for chunk in query.ports.chunks(MAX_FILTER_PORTS) {
        let part = InetQuery {
            ports: chunk,
            ..query.clone()
        };
        found.extend(dump(
            &fd,
            &inet_request(&part, family, seq),
            parse_inet_diag_msgs,
            deadline,
        )?);
    }
    Ok(found)
}

/// Every unix socket on the host (network namespace), with names.
pub fn unix_sockets(deadline: &Deadline) -> Result<Vec<UnixSocket>, String> {
    let fd = open_sock_diag()?;
    dump(&fd, &unix_request(1), parse_unix_diag_msgs, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::sockets::tcp_state;

    fn nlmsg(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDRLEN + payload.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(payload);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    fn inet_msg(state: u8, sport: u16, dport: u16, inode: u32) -> Vec<u8> {
        let mut p = vec![nix::libc::AF_INET as u8, state, 0, 0];
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[127, 0, 0, 1]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&src);
        p.extend_from_slice(&[0; 8 + 4 + 12]); // if, cookie, expires, rqueue, wqueue
        p.extend_from_slice(&1000u32.to_ne_bytes());
        p.extend_from_slice(&inode.to_ne_bytes());
        p
    }

    #[test]
    fn parses_inet_records_and_done() {
        let mut buf = nlmsg(
            SOCK_DIAG_BY_FAMILY,
            &inet_msg(tcp_state::ESTABLISHED, 40000, 5672, 4242),
        );
        buf.extend(nlmsg(NLMSG_DONE, &0i32.to_ne_bytes()));
        let parsed = parse_inet_diag_msgs(&buf).unwrap();
        assert!(parsed.done);
        assert_eq!(parsed.records.len(), 1);
        let s = &parsed.records[0];
        assert_eq!(
            (s.state, s.local.port(), s.remote.port(), s.inode, s.uid),
            (1, 40000, 5672, 4242, 1000)
        );
        assert_eq!(s.local.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn rejects_malformed_replies() {
        let short = nlmsg(SOCK_DIAG_BY_FAMILY, &[0; 10]);
        assert!(parse_inet_diag_msgs(&short).is_err());
        let mut lying = nlmsg(SOCK_DIAG_BY_FAMILY, &inet_msg(1, 1, 2, 3));
        lying[0] = 200;
        assert!(parse_inet_diag_msgs(&lying).is_err());
        let error = nlmsg(NLMSG_ERROR, &(-nix::libc::EINVAL).to_ne_bytes());
        assert!(parse_inet_diag_msgs(&error)
            .unwrap_err()
            .contains("Invalid argument"));
        assert_eq!(
            parse_inet_diag_msgs(&[]).unwrap(),
            Parsed {
                records: vec![],
                done: false
            }
        );
        // Found by the fuzzer: i32::MIN as an error code.
        let weird = nlmsg(NLMSG_ERROR, &i32::MIN.to_ne_bytes());
        assert!(parse_inet_diag_msgs(&weird).unwrap_err().contains("I/O"));
    }

    #[test]
    fn parses_unix_records() {
        let mut p = vec![nix::libc::AF_UNIX as u8, 1, 10, 0];
        p.extend_from_slice(&777u32.to_ne_bytes());
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&(4u16 + 5).to_ne_bytes());
        p.extend_from_slice(&UNIX_DIAG_NAME.to_ne_bytes());
        p.extend_from_slice(b"\0abc\0\0\0\0"); // 5 bytes of name + padding
        let buf = nlmsg(SOCK_DIAG_BY_FAMILY, &p);
        let parsed = parse_unix_diag_msgs(&buf).unwrap();
        assert_eq!(
            parsed.records,
            vec![UnixSocket {
                inode: 777,
                name: Some(b"\0abc\0".to_vec()),
                vfs: None
            }]
        );
    }

    #[test]
    fn bytecode_layout() {
        let code = port_filter_bytecode(&[5671, 5672], true);
        assert_eq!(code.len(), 4 * 8 + 3 * 4);
        // First test: S_EQ, yes = 8 (its jump), no = 12 (the next test), then the port.
        assert_eq!(code[..2], [INET_DIAG_BC_S_EQ, 8]);
        assert_eq!(u16::from_ne_bytes([code[2], code[3]]), 12);
        assert_eq!(u16::from_ne_bytes([code[6], code[7]]), 5671);
        // Its jump goes to the end: 4 + the 32 bytes after it.
        assert_eq!(code[8..10], [INET_DIAG_BC_JMP, 4]);
        assert_eq!(u16::from_ne_bytes([code[10], code[11]]), 36);
        // Last test: D_EQ for 5672, no jump after it.
        assert_eq!(code[36..38], [INET_DIAG_BC_D_EQ, 8]);
        assert_eq!(u16::from_ne_bytes([code[42], code[43]]), 5672);
        assert!(port_filter_bytecode(&[], true).is_empty());
    }
}

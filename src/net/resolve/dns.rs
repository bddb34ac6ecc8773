//! A small DNS stub resolver: A and AAAA queries over UDP to the nameservers of
//! /etc/resolv.conf, bounded by the check's deadline. Used only for names that
//! /etc/hosts does not know (a static binary cannot use glibc's NSS). Replies are
//! accepted only from the queried server (connected socket), with our random id and
//! our exact question; the parsers are pure functions over bytes, so fuzzable.

use crate::deadline::Deadline;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

pub const TYPE_A: u16 = 1;
pub const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
const RCODE_NXDOMAIN: u8 = 3;
/// Most search domains tried, like glibc.
const MAX_SEARCH: usize = 6;
/// Longest a single server is waited for before trying the next one.
const PER_SERVER_WAIT: Duration = Duration::from_secs(3);

/// What resolv.conf says: servers, search list and `options ndots:N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameservers: Vec<IpAddr>,
    pub search: Vec<String>,
    pub ndots: usize,
}

/// Parse resolv.conf text; no nameserver means the local one, as glibc assumes.
pub fn parse_resolv_conf(text: &str) -> ResolvConf {
    let mut conf = ResolvConf {
        nameservers: Vec::new(),
        search: Vec::new(),
        ndots: 1,
    };
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("");
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                if let Some(ip) = words.next().and_then(|w| w.split('%').next()?.parse().ok()) {
                    conf.nameservers.push(ip);
                }
            }
            Some("search") | Some("domain") => {
                conf.search = words.take(MAX_SEARCH).map(String::from).collect()
            }
            Some("options") => {
                for opt in words {
                    if let Some(n) = opt
                        .strip_prefix("ndots:")
                        .and_then(|n| n.parse::<usize>().ok())
                    {
                        conf.ndots = n.min(15);
                    }
                }
            }
            _ => {}
        }
    }
    if conf.nameservers.is_empty() {
        conf.nameservers.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    conf
}

/// The names to query for `name`, in order (resolv.conf's search and ndots rules).
pub fn candidates(name: &str, conf: &ResolvConf) -> Vec<String> {
    if let Some(absolute) = name.strip_suffix('.') {
        return vec![absolute.to_string()];
    }
    let searched = conf
        .search
        .iter()
        .map(|d| format!("{name}.{}", d.trim_end_matches('.')));
    if name.matches('.').count() >= conf.ndots {
        std::iter::once(name.to_string()).chain(searched).collect()
    } else {
        searched.chain(std::iter::once(name.to_string())).collect()
    }
}

/// A DNS query for `name` and `qtype` with `id` (recursion desired).
pub fn build_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut q = Vec::with_capacity(18 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    if name.is_empty() || name.len() > 253 {
        return Err(format!("{name:?} is not a valid host name"));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{name:?} is not a valid host name"));
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(q)
}

/// What one reply said about our question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Addresses(Vec<IpAddr>),
    /// The name does not exist (NXDOMAIN) or has no record of this type.
    Nothing,
    /// A server failure or refusal: ask the next server.
    Failed(String),
}

/// Parse `reply` to our query (`id`, `name`, `qtype`). `Ok(None)` when the datagram
/// is not the reply to this question (wrong id or question): keep waiting.
pub fn parse_reply(
    reply: &[u8],
    id: u16,
    name: &str,
    qtype: u16,
) -> Result<Option<Answer>, String> {
    let mut r = Cursor { buf: reply, pos: 0 };
    let got_id = r.u16()?;
    let flags = r.u16()?;
    let (qdcount, ancount) = (r.u16()?, r.u16()?);
    r.skip(4)?;
    if got_id != id || flags & 0x8000 == 0 || qdcount != 1 {
        return Ok(None);
    }
    let qname = r.name()?;
    let (got_type, got_class) = (r.u16()?, r.u16()?);
    if !qname.eq_ignore_ascii_case(name) || got_type != qtype || got_class != CLASS_IN {
        return Ok(None);
    }
    match (flags & 0x000f) as u8 {
        0 => {}
        RCODE_NXDOMAIN => return Ok(Some(Answer::Nothing)),
        rcode => {
            return Ok(Some(Answer::Failed(format!(
                "DNS server answered with error code {rcode}"
            ))))
        }
    }
    let mut addrs = Vec::new();
    for _ in 0..ancount {
        r.name()?;
        let (rtype, rclass) = (r.u16()?, r.u16()?);
        r.skip(4)?;
        let len = r.u16()? as usize;
        let data = r.take(len)?;
        // CNAMEs are followed by the recursive server; their targets' records follow.
        match (rtype, rclass, data.len()) {
            (TYPE_A, CLASS_IN, 4) if qtype == TYPE_A => addrs.push(IpAddr::V4(Ipv4Addr::new(
                data[0], data[1], data[2], data[3],
            ))),
            (TYPE_AAAA, CLASS_IN, 16) if qtype == TYPE_AAAA => {
                let octets: [u8; 16] = data.try_into().expect("length checked");
                addrs.push(IpAddr::V6(Ipv6Addr::from(octets)))
            }
            _ => {}
        }
    }
    Ok(Some(if addrs.is_empty() {
        Answer::Nothing
    } else {
        Answer::Addresses(addrs)
    }))
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or("truncated DNS reply")?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn skip(&mut self, n: usize) -> Result<(), String> {
        self.take(n).map(|_| ())
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Read a (possibly compressed) name at the cursor, leaving the cursor after it.
    fn name(&mut self) -> Result<String, String> {
        let mut labels: Vec<String> = Vec::new();
        let mut pos = self.pos;
        let mut resume = None;
        // Each pointer must go backwards, so a bounded number of hops ends any loop.
        for _ in 0..128 {
            let len = *self.buf.get(pos).ok_or("truncated DNS name")? as usize;
            match len {
                0 => {
                    self.pos = resume.unwrap_or(pos + 1);
                    return Ok(labels.join("."));
                }
                l if l & 0xc0 == 0xc0 => {
                    let low = *self.buf.get(pos + 1).ok_or("truncated DNS name")? as usize;
                    let target = ((l & 0x3f) << 8) | low;
                    if target >= pos {
                        return Err("DNS name pointer does not point backwards".into());
                    }
                    resume.get_or_insert(pos + 2);
                    pos = target;
                }
                l if l <= 63 => {
                    let label = self
                        .buf
                        .get(pos + 1..pos + 1 + l)
                        .ok_or("truncated DNS name")?;
                    labels.push(String::from_utf8_lossy(label).into_owned());
                    pos += 1 + l;
                }
                _ => return Err("bad DNS label".into()),
            }
        }
        Err("DNS name too long".into())
    }
}

/// Look `name` up (A and AAAA) with the resolv.conf at `conf_text`, within `deadline`.
pub fn lookup(name: &str, conf_text: &str, deadline: Deadline) -> Result<Vec<IpAddr>, String> {
    let conf = parse_resolv_conf(conf_text);
    let servers: Vec<SocketAddr> = conf
        .nameservers
        .iter()
        .map(|ip| SocketAddr::new(*ip, 53))
        .collect();
    let mut last_failure = None;
    for candidate in candidates(name, &conf) {
        match query_servers(&servers, &candidate, deadline) {
            Ok(addrs) if !addrs.is_empty() => return Ok(addrs),
            Ok(_) => {}
            Err(e) => last_failure = Some(e),
        }
        if deadline.expired() {
            break;
        }
    }
    Err(match last_failure {
        Some(e) => format!("cannot resolve {name:?}: {e}"),
        None => {
            format!("cannot resolve {name:?}: no such host (not in the hosts file, not in DNS)")
        }
    })
}

/// Ask each server in turn for `name`'s A and AAAA records; the first server that
/// answers decides (an empty list: the name has no addresses).
pub fn query_servers(
    servers: &[SocketAddr],
    name: &str,
    deadline: Deadline,
) -> Result<Vec<IpAddr>, String> {
    let mut last = "no nameserver".to_string();
    for (i, server) in servers.iter().enumerate() {
        let left = deadline.remaining("waiting for DNS")?;
        // Leave time for the remaining servers, but no less than a round trip.
        let share = (left / (servers.len() - i) as u32)
            .clamp(Duration::from_millis(200), PER_SERVER_WAIT)
            .min(left);
        match query_one(*server, name, share) {
            Ok(addrs) => return Ok(addrs),
            Err(e) => last = format!("DNS server {}: {e}", server.ip()),
        }
    }
    Err(last)
}

fn query_one(server: SocketAddr, name: &str, wait: Duration) -> Result<Vec<IpAddr>, String> {
    let local: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse()
    } else {
        "[::]:0".parse()
    }
    .expect("literal");
    let io = |e: std::io::Error| crate::util::io_reason(&e);
    let sock = UdpSocket::bind(local).map_err(io)?;
    sock.connect(server).map_err(io)?;
    let base = random_id();
    let mut pending = vec![(base, TYPE_A), (base.wrapping_add(1), TYPE_AAAA)];
    for (id, qtype) in &pending {
        sock.send(&build_query(*id, name, *qtype)?).map_err(io)?;
    }
    let until = std::time::Instant::now() + wait;
    let mut addrs = Vec::new();
    let mut answered = false;
    let mut buf = [0u8; 1500];
    while !pending.is_empty() {
        let now = std::time::Instant::now();
        if now >= until {
            break;
        }
        sock.set_read_timeout(Some(until - now)).map_err(io)?;
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break
            }
            Err(e) => return Err(io(e)),
        };
        let Some(index) = pending.iter().position(|(id, qtype)| {
            matches!(parse_reply(&buf[..n], *id, name, *qtype), Ok(Some(_)))
        }) else {
            continue;
        };
        let (id, qtype) = pending.remove(index);
        match parse_reply(&buf[..n], id, name, qtype)?.expect("matched above") {
            Answer::Addresses(found) => addrs.extend(found),
            Answer::Nothing => {}
            Answer::Failed(e) => return Err(e),
        }
        answered = true;
    }
    if answered {
        Ok(addrs)
    } else {
        Err(format!("no reply within {:.1}s", wait.as_secs_f64()))
    }
}

/// A query id that an off-path attacker cannot predict easily (no crate for this:
/// std's per-process random hash keys are good enough for a health check).
fn random_id() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish() as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply to `query` with the given rcode and answer records (type, rdata).
    fn reply(query: &[u8], rcode: u8, answers: &[(u16, &[u8])]) -> Vec<u8> {
        let mut r = query.to_vec();
        r[2] = 0x81;
        r[3] = 0x80 | rcode;
        r[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for (rtype, data) in answers {
            r.extend_from_slice(&[0xc0, 12]); // pointer to the question name
            r.extend_from_slice(&rtype.to_be_bytes());
            r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            r.extend_from_slice(&(data.len() as u16).to_be_bytes());
            r.extend_from_slice(data);
        }
        r
    }

    #[test]
    fn resolv_conf() {
        let c = parse_resolv_conf("# x\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\nsearch a.example b.example\noptions ndots:2 rotate\n");
        assert_eq!(
            c.nameservers,
            vec![
                "192.0.2.53".parse::<IpAddr>().unwrap(),
                "fe80::1".parse().unwrap()
            ]
        );
        assert_eq!(c.search, vec!["a.example", "b.example"]);
        assert_eq!(c.ndots, 2);
        assert_eq!(
            parse_resolv_conf("").nameservers,
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
        );
        assert_eq!(
            candidates("ctl", &c),
            vec!["ctl.a.example", "ctl.b.example", "ctl"]
        );
        assert_eq!(candidates("x.y.z", &c)[0], "x.y.z");
        assert_eq!(candidates("abs.", &c), vec!["abs"]);
    }

    #[test]
    fn parses_replies() {
        let q = build_query(0x1234, "ctl.example", TYPE_A).unwrap();
        let r = reply(&q, 0, &[(5, b"\x03foo\x00"), (TYPE_A, &[192, 0, 2, 7])]);
        assert_eq!(
            parse_reply(&r, 0x1234, "CTL.example", TYPE_A).unwrap(),
            Some(Answer::Addresses(vec!["192.0.2.7".parse().unwrap()]))
        );
        assert_eq!(
            parse_reply(&r, 0x1235, "ctl.example", TYPE_A).unwrap(),
            None,
            "wrong id"
        );
        assert_eq!(
            parse_reply(&r, 0x1234, "other.example", TYPE_A).unwrap(),
            None,
            "wrong question"
        );
        assert_eq!(
            parse_reply(&reply(&q, 3, &[]), 0x1234, "ctl.example", TYPE_A).unwrap(),
            Some(Answer::Nothing)
        );
        assert!(matches!(
            parse_reply(&reply(&q, 2, &[]), 0x1234, "ctl.example", TYPE_A).unwrap(),
            Some(Answer::Failed(_))
        ));
        assert!(parse_reply(&r[..r.len() - 2], 0x1234, "ctl.example", TYPE_A).is_err());
        let mut looped = r.clone();
        looped[12] = 0xc0;
        looped[13] = 12;
        assert!(parse_reply(&looped, 0x1234, "ctl.example", TYPE_A).is_err());
        assert!(build_query(1, "a..b", TYPE_A).is_err());
    }

    #[test]
    fn queries_a_real_udp_server() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            for _ in 0..2 {
                let (n, from) = server.recv_from(&mut buf).unwrap();
                let q = &buf[..n];
                // A stray datagram with a wrong id first: it must be ignored.
                let mut stray = reply(q, 0, &[(TYPE_A, &[6, 6, 6, 6])]);
                stray[0] ^= 0xff;
                server.send_to(&stray, from).unwrap();
                let is_a = q[n - 3] == TYPE_A as u8;
                let answer = if is_a {
                    reply(q, 0, &[(TYPE_A, &[127, 0, 0, 9])])
                } else {
                    reply(q, 0, &[])
                };
                server.send_to(&answer, from).unwrap();
            }
        });
        let got =
            query_servers(&[addr], "svc.test", Deadline::after(Duration::from_secs(3))).unwrap();
        assert_eq!(got, vec!["127.0.0.9".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn silent_server_ends_at_the_deadline() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let start = std::time::Instant::now();
        let err = query_servers(
            &[silent.local_addr().unwrap()],
            "svc.test",
            Deadline::after(Duration::from_millis(300)),
        );
        assert!(err.is_err());
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}

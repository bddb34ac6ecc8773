//! Name resolution without glibc's NSS, which a static binary in an empty root
//! cannot load: IP literals never touch a resolver; names come from /etc/hosts (the
//! checked system's: a container's own, seen from the host agent).
//! DNS over UDP to the servers in /etc/resolv.conf (see [`dns`]) is the fallback
//! for names the hosts file does not know. An IPv6 literal may carry a zone
//! (`fe80::1%eth0`, `fe80::1%2`), which becomes the address's scope id, as curl and
//! `getaddrinfo` take it.

pub mod dns;

use crate::context::Context;
use crate::system::System;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// Resolve `host` to socket addresses on `port`: an IP literal as is, else /etc/hosts,
/// else DNS (UDP to the nameservers in /etc/resolv.conf) within the deadline.
pub fn resolve(host: &str, port: u16, ctx: &Context) -> Result<Vec<SocketAddr>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if let Some(addr) = zoned_ipv6(host, port)? {
        return Ok(vec![addr]);
    }
    let sys = &ctx.system;
    let read = |path: &str| {
        sys.given
            .read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let hosts = read(&hosts_path(sys));
    let mut found = lookup_hosts(&hosts, host);
    if found.is_empty() && host.eq_ignore_ascii_case("localhost") {
        found = vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
    }
    if !found.is_empty() {
        ctx.trace(format_args!(
            "resolved {host} via {}: {found:?}",
            hosts_path(sys)
        ));
    } else {
        let conf = read(&resolv_conf_path(sys));
        found = dns::lookup(host, &conf, ctx.deadline)?;
        ctx.trace(format_args!("resolved {host} via DNS: {found:?}"));
    }
    Ok(found
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

/// `ADDR%ZONE` as a socket address whose scope id is the zone: an interface name
/// (its index) or an index. `None` when `host` is no IPv6 literal with a zone.
pub fn zoned_ipv6(host: &str, port: u16) -> Result<Option<SocketAddr>, String> {
    let Some((addr, zone)) = host.split_once('%') else {
        return Ok(None);
    };
    let Ok(ip) = addr.parse::<Ipv6Addr>() else {
        return Ok(None);
    };
    let scope = match zone.parse::<u32>() {
        Ok(index) => index,
        Err(_) if zone.is_empty() => return Err(format!("empty zone in {host:?}")),
        Err(_) => nix::net::if_::if_nametoindex(zone)
            .map_err(|_| format!("{host:?}: no network interface {zone:?}"))?,
    };
    Ok(Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope))))
}

fn hosts_path(sys: &System) -> String {
    sys.var("HEALTHCHECK_HOSTS_FILE")
        .unwrap_or_else(|| "/etc/hosts".to_string())
}

fn resolv_conf_path(sys: &System) -> String {
    sys.var("HEALTHCHECK_RESOLV_CONF")
        .unwrap_or_else(|| "/etc/resolv.conf".to_string())
}

/// Addresses for `name` in a hosts file's text, in file order (IPv4 first on ties
/// does not matter: we try each in turn).
pub fn lookup_hosts(text: &str, name: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        let Ok(ip) = addr.split('%').next().unwrap_or(addr).parse::<IpAddr>() else {
            continue;
        };
        if fields.any(|n| n.eq_ignore_ascii_case(name)) && !out.contains(&ip) {
            out.push(ip);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file() {
        let text = "127.0.0.1 localhost\n::1 localhost ip6-localhost # comment\n# 10.0.0.1 ctl\n192.0.2.5 ctl ctl.example\nbad line\n";
        assert_eq!(
            lookup_hosts(text, "ctl.example"),
            vec!["192.0.2.5".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(lookup_hosts(text, "localhost").len(), 2);
        assert!(lookup_hosts(text, "ctl.other").is_empty());
        assert!(lookup_hosts(text, "10.0.0.1").is_empty());
    }

    #[test]
    fn zones_become_scope_ids() {
        let lo = nix::net::if_::if_nametoindex("lo").unwrap();
        let SocketAddr::V6(a) = zoned_ipv6("fe80::1%lo", 80).unwrap().unwrap() else {
            panic!("not v6")
        };
        assert_eq!((a.scope_id(), a.port()), (lo, 80));
        let SocketAddr::V6(a) = zoned_ipv6("fe80::1%7", 80).unwrap().unwrap() else {
            panic!("not v6")
        };
        assert_eq!(a.scope_id(), 7);
        assert!(zoned_ipv6("fe80::1%no-such-if0", 80)
            .unwrap_err()
            .contains("no network interface"));
        assert_eq!(zoned_ipv6("fe80::1", 80).unwrap(), None);
        assert_eq!(zoned_ipv6("host%x", 80).unwrap(), None);
    }
}

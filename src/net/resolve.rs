//! Name resolution without glibc's NSS, which a static binary in an empty root
//! cannot load: IP literals never touch a resolver; names come from /etc/hosts (the
//! checked system's: a container's own, seen from the host agent).
//! DNS over UDP to the servers in /etc/resolv.conf (see [`dns`]) is the fallback
//! for names the hosts file does not know.

pub mod dns;

use crate::context::Context;
use crate::system::System;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Resolve `host` to socket addresses on `port`: an IP literal as is, else /etc/hosts,
/// else DNS (UDP to the nameservers in /etc/resolv.conf) within the deadline.
pub fn resolve(host: &str, port: u16, ctx: &Context) -> Result<Vec<SocketAddr>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
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
}

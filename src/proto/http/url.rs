//! The URLs an HTTP check takes (`http://`, `https://`, or curl's scheme-less
//! `HOST:PORT/path`, IPv6 in brackets), Basic credentials, and the proxy curl would
//! pick from the environment.

use crate::net::split_host_port;

/// A parsed request URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    /// Host name or IP literal, without IPv6 brackets. An IPv6 zone follows a `%`,
    /// decoded (`fe80::1%eth0` from `[fe80::1%25eth0]`, RFC 6874, or curl's `[fe80::1%eth0]`).
    pub host: String,
    pub port: u16,
    /// Origin-form request target: path and query, never empty.
    pub path: String,
    /// `user:password` from the URL, percent-decoded as curl decodes it (`us%40er` is
    /// `us@er`), with the `:` always there (`http://user@h/` sends `user:`), sent as
    /// Basic credentials.
    pub userinfo: Option<String>,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        // Whatever fails below, the credentials are known secrets first.
        remember_url_secrets(text);
        let (https, rest) = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (false, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (true, rest),
            Some((scheme, _)) => {
                return Err(format!(
                    "unsupported URL scheme {scheme:?}: use http:// or https://"
                ))
            }
            // Like curl: no scheme means http.
            None => (false, text),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let tail = tail.split('#').next().unwrap_or("");
        if tail
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(format!(
                "URL {:?} has spaces or control characters in its path",
                redact_userinfo(text)
            ));
        }
        let path = match tail {
            "" => "/".to_string(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_string(),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((user, hostport)) => (Some(decode_userinfo(user)), hostport),
            None => (None, authority),
        };
        // The error quotes the host and port only, never what came before an '@'; and not
        // even those when an '@' follows (a password with a '/' cut short: curl, too,
        // ends the authority at the first '/', and what it read as host and port may be
        // the start of a password).
        let (host, port) = split_host_port(hostport).map_err(|e| {
            if rest[end..].contains('@') {
                "bad URL: bad host or port (is there a '/', '?' or '#' in the password? \
                 write it percent-encoded, as %2F, %3F, %23)"
                    .to_string()
            } else {
                format!("bad URL: {e}")
            }
        })?;
        if host.is_empty() {
            return Err(format!("URL {:?} has no host", redact_userinfo(text)));
        }
        let host = match host.split_once('%') {
            Some((addr, zone)) if hostport.starts_with('[') => zoned_host(addr, zone)?,
            Some(_) => return Err(format!("bad URL: '%' in the host name {host:?}")),
            None => host,
        };
        Ok(Url {
            https,
            host,
            port: port.unwrap_or(if https { 443 } else { 80 }),
            path,
            userinfo,
        })
    }

    fn default_port(&self) -> bool {
        self.port == if self.https { 443 } else { 80 }
    }

    /// The host as it goes on the wire: IPv6 in brackets, without its zone (which
    /// means something on this host only; curl leaves it out of `Host` too).
    fn wire_host(&self) -> String {
        let bare = self.host.split('%').next().unwrap_or(&self.host);
        if bare.contains(':') {
            format!("[{bare}]")
        } else {
            bare.to_string()
        }
    }

    /// `host[:port]` as the Host header and CONNECT want it (IPv6 in brackets).
    pub fn host_header(&self) -> String {
        if self.default_port() {
            self.wire_host()
        } else {
            format!("{}:{}", self.wire_host(), self.port)
        }
    }

    /// `host:port` with the port always given (IPv6 in brackets, without a zone).
    pub fn authority(&self) -> String {
        format!("{}:{}", self.wire_host(), self.port)
    }

    /// `host:port` for messages: like [`Url::authority`], with the zone (`[fe80::1%eth0]:80`).
    pub fn shown_authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            self.authority()
        }
    }

    /// The absolute form a plain-HTTP proxy expects, without credentials.
    pub fn absolute(&self) -> String {
        format!(
            "{}://{}{}",
            if self.https { "https" } else { "http" },
            self.host_header(),
            self.path
        )
    }

    /// `Basic ...` for the URL's `user:password`, if any.
    pub fn basic_auth(&self) -> Option<String> {
        self.userinfo.as_deref().map(basic_credentials)
    }
}

/// `fe80::1` and the text after its `%` as `fe80::1%ZONE`: RFC 6874 writes the `%`
/// itself as `%25`; curl also takes it bare. The zone is an interface name or index.
fn zoned_host(addr: &str, zone: &str) -> Result<String, String> {
    if addr.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(format!(
            "bad URL: a zone after {addr:?}, which is no IPv6 address"
        ));
    }
    let zone = match zone.strip_prefix("25") {
        Some(rest) if !rest.is_empty() => percent_decode(rest),
        _ => percent_decode(zone),
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
    if zone.is_empty() || !zone.chars().all(valid) {
        return Err(format!("bad URL: bad IPv6 zone {zone:?} after {addr}"));
    }
    Ok(format!("{addr}%{zone}"))
}

/// `%XX` sequences decoded (others left as they are), as curl reads URL userinfo.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Raw userinfo (`us%40er:p%3Ass`) as `user:password`, each part decoded.
fn decode_userinfo(raw: &str) -> String {
    let (user, password) = raw.split_once(':').unwrap_or((raw, ""));
    format!("{}:{}", percent_decode(user), percent_decode(password))
}

/// Remember every form a URL's password can be printed in (as typed, decoded, inside
/// the Basic credentials) before anything can fail. The userinfo is what curl takes
/// for it: the authority (up to the first `/`, `?` or `#`) up to its last `@`. When an
/// `@` comes later, in the path, the text from the authority's first `:` to that `@`
/// is remembered too: it may be a password with an unencoded `/` (which curl cuts
/// short), and masking a path with an `@` is the safer mistake.
pub fn remember_url_secrets(text: &str) {
    let rest = text.split_once("://").map(|(_, r)| r).unwrap_or(text);
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if let Some((user, password)) = authority
        .rsplit_once('@')
        .and_then(|(u, _)| u.split_once(':'))
    {
        crate::secrets::remember(password);
        crate::secrets::remember(&percent_decode(password));
        let decoded = format!("{}:{}", percent_decode(user), percent_decode(password));
        crate::secrets::remember(&base64(decoded.as_bytes()));
    }
    if authority.contains('@') || authority.starts_with('[') {
        return;
    }
    if let (Some(colon), Some(at)) = (authority.find(':'), rest[authority_end..].rfind('@')) {
        crate::secrets::remember(&rest[colon + 1..authority_end + at]);
    }
}

/// `Basic base64(user:password)` for an Authorization header.
pub fn basic_credentials(userinfo: &str) -> String {
    format!("Basic {}", base64(userinfo.as_bytes()))
}

/// Standard base64 (RFC 4648) for Basic credentials: too small a need for a dependency.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The URL text with any `user:password@` replaced, for output lines.
pub fn redact_userinfo(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), text),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((_, hostport)) => format!("{scheme}***@{hostport}{}", &rest[end..]),
        None => text.to_string(),
    }
}

/// An HTTP proxy from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    pub userinfo: Option<String>,
}

impl Proxy {
    pub fn basic_auth(&self) -> Option<String> {
        self.userinfo.as_deref().map(basic_credentials)
    }
}

/// The proxy curl would use for `url` (`http_proxy`, `https_proxy`/`HTTPS_PROXY`,
/// `all_proxy`/`ALL_PROXY`, minus `no_proxy`/`NO_PROXY`); only `http://` proxies.
pub fn proxy_for(url: &Url, sys: &crate::system::System) -> Result<Option<Proxy>, String> {
    proxy_from(url, &|name| sys.var(name).filter(|v| !v.trim().is_empty()))
}

/// [`proxy_for`] with the environment passed in (for tests).
pub fn proxy_from(
    url: &Url,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, String> {
    // curl reads only the lower-case http_proxy (HTTP_PROXY can be set by a client in CGI).
    let names: &[&str] = if url.https {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "all_proxy", "ALL_PROXY"]
    };
    let Some((name, value)) = names.iter().find_map(|n| env(n).map(|v| (*n, v))) else {
        return Ok(None);
    };
    let no_proxy = env("no_proxy")
        .or_else(|| env("NO_PROXY"))
        .unwrap_or_default();
    if bypasses_proxy(&url.host, &no_proxy) {
        return Ok(None);
    }
    let parsed = match value.split_once("://") {
        Some((scheme, _)) if !scheme.eq_ignore_ascii_case("http") => {
            return Err(format!(
                "{name}: proxy scheme {scheme:?} is not supported (only http:// proxies)"
            ))
        }
        _ => Url::parse(&value).map_err(|e| format!("{name}: {e}"))?,
    };
    // A proxy without a port is on 1080, as curl assumes.
    let port = if value
        .trim_end_matches('/')
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        parsed.port
    } else {
        1080
    };
    Ok(Some(Proxy {
        host: parsed.host,
        port,
        userinfo: parsed.userinfo,
    }))
}

/// Whether `host` matches the `no_proxy` list as curl matches it: the whole list `*`
/// matches every host; entries are separated by commas and blanks; a name matches
/// itself and its subdomains (`example.com` and `.example.com` both match
/// `api.example.com`, never `notexample.com`), case-insensitively, trailing dots
/// ignored; an IP address matches an address or a CIDR block of its family
/// (`10.0.0.0/8`, `::1/128`; a prefix length of 0, or none, means the whole address,
/// a longer one than the address matches nothing). curl 7.88 compares IPv6 entries
/// as text and so never matches a v6 CIDR block: we match it, as curl documents.
pub fn bypasses_proxy(host: &str, no_proxy: &str) -> bool {
    if no_proxy == "*" {
        return true;
    }
    let host = host.split('%').next().unwrap_or(host);
    let ip = host.parse::<std::net::IpAddr>().ok();
    let name = host.strip_suffix('.').unwrap_or(host);
    no_proxy
        .split([',', ' ', '\t'])
        .filter(|token| !token.is_empty())
        .any(|token| match ip {
            Some(ip) => in_cidr(ip, token),
            None => {
                let token = token.strip_suffix('.').unwrap_or(token);
                let token = token.strip_prefix('.').unwrap_or(token);
                !token.is_empty()
                    && (name.eq_ignore_ascii_case(token)
                        || (name.len() > token.len()
                            && name.as_bytes()[name.len() - token.len() - 1] == b'.'
                            && name[name.len() - token.len()..].eq_ignore_ascii_case(token)))
            }
        })
}

/// Whether `ip` is in the `ADDR[/BITS]` block `entry` (see [`bypasses_proxy`]).
fn in_cidr(ip: std::net::IpAddr, entry: &str) -> bool {
    use std::net::IpAddr;
    let (addr, bits) = match entry.split_once('/') {
        // Like C's atoi: the leading digits, 0 without any.
        Some((addr, bits)) => {
            let digits: String = bits.chars().take_while(char::is_ascii_digit).collect();
            let bits = match digits.as_str() {
                "" => 0,
                d => d.parse::<u32>().unwrap_or(u32::MAX),
            };
            (addr, bits)
        }
        None => (entry, 0),
    };
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let bits = if bits == 0 { width } else { bits };
    if bits > width {
        return false;
    }
    let shift = width - bits;
    (ip >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = Url::parse("http://[::1]:8080/v2?x=1#frag").unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.path.as_str()),
            (false, "::1", 8080, "/v2?x=1")
        );
        assert_eq!(u.host_header(), "[::1]:8080");
        assert_eq!(u.authority(), "[::1]:8080");
        assert_eq!(u.absolute(), "http://[::1]:8080/v2?x=1");
        let u = Url::parse("HTTPS://ctl.example").unwrap();
        assert_eq!(
            (u.https, u.port, u.path.as_str(), u.host_header().as_str()),
            (true, 443, "/", "ctl.example")
        );
        assert_eq!(u.authority(), "ctl.example:443");
        let u = Url::parse("1.2.3.4:9293").unwrap();
        assert_eq!((u.https, u.host.as_str(), u.port), (false, "1.2.3.4", 9293));
        let u = Url::parse("http://openstack:pw@10.0.0.1:1984?q").unwrap();
        assert_eq!(
            (u.userinfo.as_deref(), u.path.as_str()),
            (Some("openstack:pw"), "/?q")
        );
        assert_eq!(u.basic_auth().unwrap(), "Basic b3BlbnN0YWNrOnB3");
        assert!(Url::parse("ftp://x/")
            .unwrap_err()
            .contains("unsupported URL scheme"));
        assert!(Url::parse("http://x/a b").is_err());
        assert!(Url::parse("http://:80/").is_err());
        assert!(Url::parse("http://[::1/").is_err());
        assert!(Url::parse("http://host:99999/").is_err());
    }

    #[test]
    fn userinfo_is_percent_decoded_like_curl() {
        let u = Url::parse("http://us%40er:p%3Ass@h:1/").unwrap();
        assert_eq!(u.userinfo.as_deref(), Some("us@er:p:ss"));
        assert_eq!(u.basic_auth().unwrap(), "Basic dXNAZXI6cDpzcw==");
        // curl sends "user:" for a user without a password.
        assert_eq!(
            Url::parse("http://user@h/").unwrap().basic_auth().unwrap(),
            "Basic dXNlcjo="
        );
        for secret in ["p%3Ass", "p:ss", "dXNAZXI6cDpzcw=="] {
            assert_eq!(crate::secrets::redact(&format!("<{secret}>")), "<***>");
        }
    }

    #[test]
    fn ipv6_zones() {
        for text in [
            "http://[fe80::1%25eth0]:8080/x",
            "http://[fe80::1%eth0]:8080/x",
        ] {
            let u = Url::parse(text).unwrap();
            assert_eq!(u.host, "fe80::1%eth0", "{text}");
            assert_eq!(u.host_header(), "[fe80::1]:8080");
            assert_eq!(u.authority(), "[fe80::1]:8080");
            assert_eq!(u.shown_authority(), "[fe80::1%eth0]:8080");
            assert_eq!(u.absolute(), "http://[fe80::1]:8080/x");
        }
        assert_eq!(Url::parse("http://[::1%25lo]/").unwrap().host, "::1%lo");
        assert!(Url::parse("http://[fe80::1%25]/").is_ok(), "zone index 25");
        assert!(Url::parse("http://[fe80::1%]/").is_err());
        assert!(Url::parse("http://[fe80::1%e/th]/").is_err());
        assert!(Url::parse("http://host%eth0/").is_err());
        assert!(Url::parse("http://[nothost%eth0]/").is_err());
    }

    #[test]
    fn a_password_cut_short_by_a_slash_is_never_quoted() {
        let err = Url::parse("http://u:Zq9/xy@host/").unwrap_err();
        assert!(!err.contains("Zq9"), "{err}");
        assert_eq!(
            crate::secrets::redact("http://u:Zq9/xy@host/"),
            "http://u:***@host/"
        );
    }

    #[test]
    fn no_proxy_like_curl() {
        let cases: &[(&str, &str, bool)] = &[
            ("127.0.0.1", "127.0.0.0/8", true),
            ("127.0.0.1", "10.0.0.0/8", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.1/32", true),
            ("127.0.0.1", "127.0.0.2/31", false),
            ("127.0.0.1", "127.0.0.0/33", false),
            ("127.0.0.1", "10.0.0.0/0", false),
            ("127.0.0.1", "127.0.0.1/x", true),
            ("127.0.0.1", "localhost", false),
            ("127.0.0.1", "foo 127.0.0.1", true),
            ("127.0.0.1", " 127.0.0.1 ,x", true),
            ("127.0.0.1", ",,127.0.0.0/8", true),
            ("::1", "::1/128", true),
            ("::1", "::/0", false),
            ("::1", "::1", true),
            ("::1", "[::1]", true),
            ("::1", "fe80::/10", false),
            ("fe80::1%eth0", "fe80::/10", true),
            ("::1", "127.0.0.1", false),
            ("localhost", "localhost", true),
            ("localhost", ".localhost", true),
            ("localhost", "LOCALHOST", true),
            ("api.example.com", "example.com", true),
            ("api.example.com", ".example.com", true),
            ("notexample.com", "example.com", false),
            ("api.example.com.", "example.com.", true),
            ("anything", "*", true),
            ("anything", "foo,*", false),
            ("anything", "", false),
        ];
        for (host, list, expected) in cases {
            assert_eq!(bypasses_proxy(host, list), *expected, "{host} in {list:?}");
        }
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_userinfo("http://u:p@h:1/x@y"), "http://***@h:1/x@y");
        assert_eq!(redact_userinfo("h:1/a"), "h:1/a");
    }

    #[test]
    fn picks_proxies() {
        let url = Url::parse("http://ctl.example:8774/").unwrap();
        let tls = Url::parse("https://ctl.example/").unwrap();
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let p = proxy_from(&url, &env(&[("http_proxy", "http://u:pw@proxy:3128/")]))
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.userinfo.as_deref()),
            ("proxy", 3128, Some("u:pw"))
        );
        assert_eq!(
            proxy_from(&url, &env(&[("HTTP_PROXY", "proxy:3128")])).unwrap(),
            None
        );
        assert_eq!(
            proxy_from(&tls, &env(&[("HTTPS_PROXY", "proxy")]))
                .unwrap()
                .unwrap()
                .port,
            1080
        );
        assert_eq!(
            proxy_from(
                &url,
                &env(&[("ALL_PROXY", "p:1"), ("no_proxy", "localhost,.example")])
            )
            .unwrap(),
            None
        );
        assert!(proxy_from(&url, &env(&[("all_proxy", "socks5://p:1")])).is_err());
    }
}

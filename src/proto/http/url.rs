//! The URLs an HTTP check takes (`http://`, `https://`, or curl's scheme-less
//! `HOST:PORT/path`, IPv6 in brackets), Basic credentials, and the proxy curl would
//! pick from the environment.

use crate::net::split_host_port;

/// A parsed request URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    /// Host name or IP literal, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Origin-form request target: path and query, never empty.
    pub path: String,
    /// `user:password` from the URL, sent as Basic credentials.
    pub userinfo: Option<String>,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
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
            Some((user, hostport)) => (Some(user.to_string()), hostport),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport).map_err(|e| format!("bad URL: {e}"))?;
        if host.is_empty() {
            return Err(format!("URL {:?} has no host", redact_userinfo(text)));
        }
        if let Some(secret) = userinfo
            .as_deref()
            .and_then(|u| u.split_once(':'))
            .map(|(_, p)| p)
        {
            crate::secrets::remember(secret);
        }
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

    /// `host[:port]` as the Host header and CONNECT want it (IPv6 in brackets).
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// `host:port` with the port always given (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
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
pub fn proxy_for(url: &Url) -> Result<Option<Proxy>, String> {
    proxy_from(url, &|name| {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    })
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

/// Whether `host` matches the `no_proxy` list (`*`, exact names, domain suffixes).
fn bypasses_proxy(host: &str, no_proxy: &str) -> bool {
    no_proxy
        .split([',', ' '])
        .map(|e| e.trim().trim_start_matches('.'))
        .filter(|e| !e.is_empty())
        .any(|entry| {
            entry == "*"
                || host.eq_ignore_ascii_case(entry)
                || host
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", entry.to_ascii_lowercase()))
        })
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

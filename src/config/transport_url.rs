//! oslo.messaging's `transport_url` (`[DEFAULT] transport_url` of every OpenStack
//! service): `rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost?query`, read as
//! oslo.messaging's `TransportURL.parse` reads it: the scheme, the comma-separated hosts
//! each with its own optional credentials (user and password percent-decoded), the
//! virtual host (the percent-decoded path without its leading `/`) and the query.
//!
//! Passwords are registered with `secrets` as soon as they are read, in both their
//! decoded and their written form, so no output line can carry one; errors name the
//! part that is wrong, never the URL's text.

/// One broker of a transport URL.
#[derive(Clone, PartialEq, Eq)]
pub struct TransportHost {
    pub hostname: String,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Debug output never shows the password.
impl std::fmt::Debug for TransportHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportHost")
            .field("hostname", &self.hostname)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A parsed transport URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportUrl {
    /// `rabbit`, `kombu+memory`, ...
    pub scheme: String,
    pub hosts: Vec<TransportHost>,
    /// The path without its `/`, decoded; `None` without a path.
    pub virtual_host: Option<String>,
    /// Query parameters, repeated keys joined with commas (as oslo.messaging does).
    pub query: Vec<(String, String)>,
}

impl TransportUrl {
    /// The URL without credentials or query, fit for a verdict line:
    /// `rabbit://host1:5672,host2/vhost`.
    pub fn display_without_credentials(&self) -> String {
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|h| {
                let host = if h.hostname.contains(':') {
                    format!("[{}]", h.hostname)
                } else {
                    h.hostname.clone()
                };
                match h.port {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                }
            })
            .collect();
        format!(
            "{}://{}/{}",
            self.scheme,
            hosts.join(","),
            self.virtual_host.as_deref().unwrap_or("")
        )
    }
}

/// Parse a transport URL. Every password met is remembered as a secret first.
pub fn parse(text: &str) -> Result<TransportUrl, String> {
    let text = text.trim();
    let (scheme, rest) = text
        .split_once("://")
        .ok_or("transport_url has no scheme (expected rabbit://...)")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Err("transport_url has no valid scheme (expected rabbit://...)".into());
    }
    // As urlparse: the network location ends at the first '/', '?' or '#'.
    let netloc_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, after) = rest.split_at(netloc_end);
    let (path, query_text) = match after.split_once('?') {
        Some((p, q)) => (p, q.split('#').next().unwrap_or("")),
        None => (after.split('#').next().unwrap_or(""), ""),
    };
    // Register every password before anything can fail and quote it.
    for piece in netloc.split(',') {
        if let Some((userinfo, _)) = piece.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                crate::secrets::remember(password);
                crate::secrets::remember(&percent_decode(password, false));
            }
        }
    }
    let mut hosts = Vec::new();
    for (index, piece) in netloc.split(',').enumerate() {
        if piece.is_empty() {
            continue;
        }
        hosts
            .push(parse_host(piece).map_err(|e| format!("transport_url host {}: {e}", index + 1))?);
    }
    let virtual_host = path.strip_prefix('/').map(|p| percent_decode(p, false));
    Ok(TransportUrl {
        scheme: scheme.to_string(),
        hosts,
        virtual_host,
        query: parse_query(query_text),
    })
}

fn parse_host(piece: &str) -> Result<TransportHost, String> {
    let (mut username, mut password) = (None, None);
    let mut hostport = piece;
    if let Some((userinfo, host)) = piece.rsplit_once('@') {
        hostport = host;
        match userinfo.split_once(':') {
            Some((user, pass)) => {
                username = Some(percent_decode(user, false));
                password = Some(percent_decode(pass, false));
            }
            None => username = Some(percent_decode(userinfo, false)),
        }
    }
    let (hostname, port_text) = if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or("an IPv6 address without its closing ']'")?;
        (host.to_string(), after.strip_prefix(':'))
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if hostname.is_empty() {
        return Err("no host name".into());
    }
    let port = match port_text {
        None | Some("") => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("port {p:?} is not a port number"))?,
        ),
    };
    Ok(TransportHost {
        hostname,
        port,
        username,
        password,
    })
}

/// `a=1&b=2&a=3` as `[(a, "1,3"), (b, "2")]`, values decoded with `+` as space.
fn parse_query(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in text.split(['&', ';']).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let (key, value) = (percent_decode(key, true), percent_decode(value, true));
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&value);
            }
            None => out.push((key, value)),
        }
    }
    out
}

/// Python's `unquote` (and, with `plus`, `unquote_plus`): `%XX` becomes that byte, a
/// `%` not followed by two hex digits stays as written, and the bytes are read as
/// UTF-8 (invalid sequences replaced).
pub fn percent_decode(text: &str, plus: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_host_with_its_credentials() {
        let url = parse(
            "rabbit://nova:Tu%40ss%3Aw0rd@ctl-0:5672,nova:Tu%40ss%3Aw0rd@[fd00::2]:5671,ctl-2/%2Fprod?ssl=1&x=a&x=b",
        )
        .unwrap();
        assert_eq!(url.scheme, "rabbit");
        assert_eq!(url.hosts.len(), 3);
        assert_eq!(url.hosts[0].hostname, "ctl-0");
        assert_eq!(url.hosts[0].port, Some(5672));
        assert_eq!(url.hosts[0].username.as_deref(), Some("nova"));
        assert_eq!(url.hosts[0].password.as_deref(), Some("Tu@ss:w0rd"));
        assert_eq!(url.hosts[1].hostname, "fd00::2");
        assert_eq!(url.hosts[1].port, Some(5671));
        assert_eq!(url.hosts[2].hostname, "ctl-2");
        assert_eq!(url.hosts[2].port, None);
        assert_eq!(url.hosts[2].username, None);
        assert_eq!(url.virtual_host.as_deref(), Some("/prod"));
        assert_eq!(
            url.query,
            vec![("ssl".into(), "1".into()), ("x".into(), "a,b".into())]
        );
        assert_eq!(
            url.display_without_credentials(),
            "rabbit://ctl-0:5672,[fd00::2]:5671,ctl-2//prod"
        );
        assert!(!format!("{url:?}").contains("w0rd"));
    }

    #[test]
    fn passwords_are_secrets_before_any_error() {
        let err = parse("rabbit://u:Tr-url-secret-1@h:notaport/").unwrap_err();
        assert!(err.contains("host 1") && err.contains("notaport"), "{err}");
        assert!(!crate::secrets::redact("x Tr-url-secret-1 y").contains("Tr-url-secret-1"));
        parse("rabbit://u:Tr%2Durl%2Dsecret%2D2@h/").unwrap();
        assert!(!crate::secrets::redact("Tr-url-secret-2").contains("secret-2"));
        assert!(!crate::secrets::redact("Tr%2Durl%2Dsecret%2D2").contains("secret%2D2"));
    }

    #[test]
    fn the_password_may_hold_an_at_sign_and_the_vhost_may_be_empty() {
        // The host is after the last '@', as oslo.messaging splits it.
        let url = parse("rabbit://u:Tu-at@b@h:5672/").unwrap();
        assert_eq!(url.hosts[0].password.as_deref(), Some("Tu-at@b"));
        assert_eq!(url.hosts[0].hostname, "h");
        assert_eq!(url.virtual_host.as_deref(), Some(""));
        assert_eq!(parse("rabbit://h").unwrap().virtual_host, None);
    }

    #[test]
    fn malformed_urls_are_one_line_errors() {
        assert!(parse("ctl-0:5672").unwrap_err().contains("no scheme"));
        assert!(parse("://h").unwrap_err().contains("scheme"));
        assert!(parse("rabbit://u:Tu-v6-pw@[fd00::1:5672/")
            .unwrap_err()
            .contains("closing ']'"));
        assert!(parse("rabbit://u:Tu-nohost-pw@:5672/")
            .unwrap_err()
            .contains("no host"));
        assert!(parse("rabbit:///").unwrap().hosts.is_empty());
    }

    #[test]
    fn percent_decoding_follows_python() {
        assert_eq!(percent_decode("a%2Fb%zz%4", false), "a/b%zz%4");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("a+b%2B", true), "a b+");
        assert_eq!(percent_decode("%", false), "%");
        assert_eq!(percent_decode("%C3%A9", false), "é");
    }
}

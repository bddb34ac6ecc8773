//! redis.conf: the directives the Redis check needs (`bind`, `port`, `requirepass`,
//! `tls-port`). Redis reads directives in order and the last one wins; arguments may be
//! quoted. The original script only looked at the first `bind`/`port` line and broke on
//! quoted passwords; this reader follows Redis' own rules.

/// Where and how to reach the Redis server a redis.conf describes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RedisConf {
    /// The first address of the last `bind` line (a leading `-`, "optional", removed).
    pub bind: Option<String>,
    pub port: Option<u16>,
    pub tls_port: Option<u16>,
    pub requirepass: Option<String>,
}

pub const DEFAULT_PORT: u16 = 6379;

impl RedisConf {
    /// The address to connect to: the bound address, with wildcards mapped to loopback.
    pub fn host(&self) -> String {
        match self.bind.as_deref() {
            None | Some("*") | Some("0.0.0.0") => "127.0.0.1".into(),
            Some("::") | Some("::*") => "::1".into(),
            Some(addr) => addr.to_string(),
        }
    }

    /// The plain-text port; an error when the file turns it off (`port 0`, TLS only).
    pub fn plain_port(&self) -> Result<u16, String> {
        match (self.port, self.tls_port) {
            (Some(0), Some(tls)) => Err(format!(
                "redis.conf disables the plain port (port 0) and serves TLS on {tls} only"
            )),
            (Some(0), None) => Err("redis.conf disables TCP (port 0)".into()),
            (Some(p), _) => Ok(p),
            (None, _) => Ok(DEFAULT_PORT),
        }
    }
}

/// Parse redis.conf text. Errors name the line.
pub fn parse(text: &str) -> Result<RedisConf, String> {
    let mut conf = RedisConf::default();
    for (index, line) in text.lines().enumerate() {
        let lineno = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = split_args(line).map_err(|e| format!("line {lineno}: {e}"))?;
        let Some((name, args)) = words.split_first() else {
            continue;
        };
        let first = || {
            args.first()
                .cloned()
                .ok_or_else(|| format!("line {lineno}: '{name}' needs a value"))
        };
        let port = |text: String| {
            text.parse::<u16>()
                .map_err(|_| format!("line {lineno}: '{name}' is not a port number: {text:?}"))
        };
        match name.to_ascii_lowercase().as_str() {
            "bind" => conf.bind = Some(first()?.trim_start_matches('-').to_string()),
            "port" => conf.port = Some(port(first()?)?),
            "tls-port" => conf.tls_port = Some(port(first()?)?),
            "requirepass" => conf.requirepass = Some(first()?).filter(|p| !p.is_empty()),
            _ => {}
        }
    }
    Ok(conf)
}

/// Split a directive line into words as Redis does: whitespace-separated, with
/// "double quotes" (backslash escapes) and 'single quotes'.
fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == first {
                    closed = true;
                    break;
                }
                if c == '\\' && first == '"' {
                    word.push(unescape(chars.next().ok_or("unbalanced quotes")?));
                } else {
                    word.push(c);
                }
            }
            if !closed {
                return Err("unbalanced quotes".into());
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return Err("closing quote must be followed by a space".into());
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
    Ok(words)
}

fn unescape(c: char) -> char {
    match c {
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tripleo_style_conf() {
        let text =
            "# Redis\nbind 172.17.1.20 ::1\nport 6379\ntimeout 0\nrequirepass \"s3 cr\\\"et\"\n";
        let conf = parse(text).unwrap();
        assert_eq!(conf.host(), "172.17.1.20");
        assert_eq!(conf.plain_port().unwrap(), 6379);
        assert_eq!(conf.requirepass.as_deref(), Some("s3 cr\"et"));
    }

    #[test]
    fn defaults_wildcards_and_last_wins() {
        let conf = parse("").unwrap();
        assert_eq!(
            (conf.host(), conf.plain_port().unwrap(), conf.requirepass),
            ("127.0.0.1".into(), 6379, None)
        );
        let conf = parse("bind 10.0.0.1\nbind * -::*\nport 7000\nport 7001\n").unwrap();
        assert_eq!(
            (conf.host(), conf.plain_port().unwrap()),
            ("127.0.0.1".into(), 7001)
        );
        assert_eq!(parse("bind -::1\n").unwrap().host(), "::1");
    }

    #[test]
    fn tls_only_is_reported() {
        let conf = parse("port 0\ntls-port 6380\n").unwrap();
        assert!(conf.plain_port().unwrap_err().contains("TLS on 6380"));
    }

    #[test]
    fn malformed_lines_are_clear_errors() {
        assert!(parse("port abc\n").unwrap_err().contains("line 1"));
        assert!(parse("port 99999\n").unwrap_err().contains("not a port"));
        assert!(parse("requirepass \"open\n")
            .unwrap_err()
            .contains("unbalanced"));
        assert!(parse("bind\n").unwrap_err().contains("needs a value"));
        assert!(parse("requirepass 'a'b\n")
            .unwrap_err()
            .contains("closing quote"));
    }
}

//! memcached text protocol client: send `version`, read back the `VERSION x.y.z` line.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange::{self, first_line, printable};

pub const DEFAULT_PORT: u16 = 11211;

/// A version line is short; anything longer is not memcached.
const REPLY_LIMIT: usize = 1024;

/// Send `version`; the version the server states, or why its reply is not one.
pub fn version(endpoint: &Endpoint, ctx: &Context) -> Result<String, String> {
    let reply = exchange::request(endpoint, ctx, b"version\r\n", REPLY_LIMIT, |b| {
        first_line(b).is_some()
    })?;
    parse_version_reply(&reply)
}

/// The version from a reply to `version`, or why the reply is not one.
pub fn parse_version_reply(reply: &[u8]) -> Result<String, String> {
    let line = first_line(reply)
        .ok_or_else(|| format!("incomplete reply \"{}\"", printable(reply, 60)))?;
    if let Some(version) = line.strip_prefix(b"VERSION ") {
        let version = std::str::from_utf8(version).unwrap_or("").trim();
        if !version.is_empty() && version.chars().all(|c| c.is_ascii_graphic()) {
            return Ok(version.to_string());
        }
    }
    let text = printable(line, 80);
    if line == b"ERROR" || line.starts_with(b"CLIENT_ERROR") || line.starts_with(b"SERVER_ERROR") {
        return Err(format!("memcached refused 'version': {text}"));
    }
    Err(format!("not a memcached reply: \"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_replies() {
        assert_eq!(
            parse_version_reply(b"VERSION 1.6.18\r\n").unwrap(),
            "1.6.18"
        );
        assert!(parse_version_reply(b"ERROR\r\n")
            .unwrap_err()
            .contains("refused 'version': ERROR"));
        assert!(parse_version_reply(b"SERVER_ERROR out of memory\r\n")
            .unwrap_err()
            .contains("out of memory"));
        assert!(parse_version_reply(b"VERSION \r\n")
            .unwrap_err()
            .contains("not a memcached reply"));
        assert!(parse_version_reply(b"HTTP/1.1 400 Bad\r\n")
            .unwrap_err()
            .contains("not a memcached reply"));
        assert!(parse_version_reply(b"VERSION 1.6")
            .unwrap_err()
            .contains("incomplete"));
        assert!(parse_version_reply(b"VERSION \xff\x00\r\n").is_err());
    }
}

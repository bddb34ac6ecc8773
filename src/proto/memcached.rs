//! memcached text protocol: send `version`, expect a `VERSION x.y.z` line. The
//! original TripleO check sent the command and never read the reply; this one does.

use crate::cli::probes::ProbeKind;
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange::{self, first_line, printable};
use crate::verdict::{Checked, Outcome};
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "memcached",
    about: "memcached: the 'version' command must answer VERSION",
    args,
    run,
    http_budget: false,
};

pub const DEFAULT_PORT: u16 = 11211;

/// A version line is short; anything longer is not memcached.
const REPLY_LIMIT: usize = 1024;

fn args(cmd: Command) -> Command {
    cmd.arg(exchange::address_arg("HOST[:PORT] (default port 11211) or unix:PATH").required(true))
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    exchange::with_endpoint(m, None, Some(DEFAULT_PORT), |endpoint| {
        version(endpoint, ctx)
    })
}

/// Send `version`; healthy when a `VERSION x` line comes back.
pub fn version(endpoint: &Endpoint, ctx: &Context) -> Outcome {
    let reply = exchange::request(endpoint, ctx, b"version\r\n", REPLY_LIMIT, |b| {
        first_line(b).is_some()
    })?;
    let version = parse_version_reply(&reply)?;
    Ok(format!("memcached {version} answers"))
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

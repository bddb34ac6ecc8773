//! collectd's unixsock plugin (what `collectdctl -s SOCKET listval` asks): send
//! `LISTVAL`, the first reply line is `N Values found` (N >= 0) or `-1 error`.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange;
use crate::verdict::Checked;

/// Longest reply line we read; the value list that follows the status line is not needed.
const STATUS_LIMIT: usize = 4096;

/// The outcome of the status line of a unixsock reply.
pub fn parse_status(reply: &[u8]) -> Result<String, String> {
    let line = reply.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line).trim().to_string();
    let (code, message) = line.split_once(' ').unwrap_or((line.as_str(), ""));
    match code.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(format!("collectd answered LISTVAL: {n} values")),
        Ok(_) => Err(format!("collectd refused LISTVAL: {message}")),
        Err(_) => Err(format!(
            "not a collectd unixsock reply: {:?}",
            crate::output::truncate(&line, 80)
        )),
    }
}

/// Ask collectd at `endpoint` for its value list.
pub fn listval(endpoint: &Endpoint, ctx: &Context) -> Checked {
    let outcome = exchange::request(endpoint, ctx, b"LISTVAL\n", STATUS_LIMIT, |b| {
        b.contains(&b'\n')
    })
    .and_then(|reply| parse_status(&reply));
    Checked::new(endpoint.to_string(), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert!(parse_status(b"3 Values found\n1 host/load/load\n")
            .unwrap()
            .contains("3 values"));
        assert!(parse_status(b"0 Values found\n").is_ok());
        assert!(parse_status(b"-1 Unknown command: LISTVAL\n")
            .unwrap_err()
            .contains("Unknown command"));
        assert!(parse_status(b"HTTP/1.1 400\r\n")
            .unwrap_err()
            .contains("not a collectd"));
        assert!(parse_status(b"").is_err());
    }
}

//! HAProxy stats socket client: `show info` over unix or tcp, and the `Key: value`
//! lines of its answer (name, version, pid, uptime, soft-stop).

use crate::context::Context;
use crate::net::{self, Endpoint};
use crate::proto::exchange::{self, first_line, printable};

/// `show info` is about 2 KB; the cap bounds a garbage peer.
const REPLY_LIMIT: usize = 64 * 1024;

/// `show info` on the stats socket: what HAProxy says about itself, or why the
/// answer is not HAProxy's.
pub fn show_info(endpoint: &Endpoint, ctx: &Context) -> Result<Info, String> {
    // HAProxy ends the answer with an empty line, then closes (non-interactive mode);
    // an error message may end with the close alone.
    let mut conn = net::connect(endpoint, ctx)?;
    exchange::send(&mut conn, b"show info\n")?;
    let reply = exchange::read_until_close(&mut conn, REPLY_LIMIT, |b| b.ends_with(b"\n\n"))?;
    parse_show_info(&reply)
}

/// What `show info` tells about the running HAProxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub version: String,
    pub pid: u32,
    pub uptime: String,
    /// `Stopping: 1` while a soft-stop (reload) drains the old process.
    pub stopping: bool,
}

/// Parse the `Key: value` lines of `show info`.
pub fn parse_show_info(reply: &[u8]) -> Result<Info, String> {
    let text = String::from_utf8_lossy(reply);
    let field = |key: &str| {
        text.lines().find_map(|line| {
            line.strip_prefix(key)?
                .strip_prefix(':')
                .map(|v| v.trim().to_string())
        })
    };
    match field("Name") {
        Some(name) if name == "HAProxy" => {}
        Some(name) => {
            return Err(format!(
                "stats socket names itself \"{}\", not HAProxy",
                printable(name.as_bytes(), 40)
            ))
        }
        // An error from HAProxy (e.g. "Permission denied", "Unknown command") or another protocol.
        None => {
            let said = first_line(reply).unwrap_or(reply);
            return Err(format!(
                "no 'show info' answer; the socket said \"{}\"",
                printable(said, 80)
            ));
        }
    }
    let required = |key: &str| {
        field(key)
            .filter(|v| !v.is_empty())
            .ok_or(format!("'show info' lacks {key}"))
    };
    let pid = required("Pid")?;
    Ok(Info {
        version: printable(required("Version")?.as_bytes(), 40),
        pid: pid.parse().map_err(|_| {
            format!(
                "'show info' has a bad Pid \"{}\"",
                printable(pid.as_bytes(), 20)
            )
        })?,
        uptime: printable(required("Uptime")?.as_bytes(), 40),
        stopping: field("Stopping").is_some_and(|v| v != "0"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &[u8] =
        b"Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nRelease_date: 2023/03/10\nNbthread: 2\n\
Pid: 4242\nUptime: 0d 0h00m05s\nUptime_sec: 5\nStopping: 0\n\n";

    #[test]
    fn parses_show_info() {
        let info = parse_show_info(INFO).unwrap();
        assert_eq!(
            info,
            Info {
                version: "2.6.12-1+deb12u4".into(),
                pid: 4242,
                uptime: "0d 0h00m05s".into(),
                stopping: false
            }
        );
        let stopping = String::from_utf8_lossy(INFO).replace("Stopping: 0", "Stopping: 1");
        assert!(parse_show_info(stopping.as_bytes()).unwrap().stopping);
    }

    #[test]
    fn errors_and_other_peers_are_reasons() {
        assert!(parse_show_info(b"Permission denied\n\n")
            .unwrap_err()
            .contains("Permission denied"));
        assert!(parse_show_info(b"Name: nginx\n\n")
            .unwrap_err()
            .contains("not HAProxy"));
        assert!(
            parse_show_info(b"Name: HAProxy\nVersion: 2\nUptime: 1s\n\n")
                .unwrap_err()
                .contains("lacks Pid")
        );
        assert!(
            parse_show_info(b"Name: HAProxy\nVersion: 2\nPid: x\nUptime: 1s\n\n")
                .unwrap_err()
                .contains("bad Pid")
        );
    }
}

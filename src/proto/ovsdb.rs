//! OVSDB JSON-RPC (RFC 7047) over unix or TCP: `list_dbs`, healthy when the server
//! answers it (and, with `--database`, lists that database, e.g. OVN_Southbound).
//! JSON-RPC over a stream has no framing: one message ends where its outermost
//! brace closes, so the reader counts braces outside strings before parsing.

use crate::context::Context;
use crate::net::Endpoint;
use crate::probes::ProbeKind;
use crate::proto::exchange::{self, printable};
use crate::verdict::{Checked, Outcome};
use clap::{Arg, ArgMatches, Command};
use serde_json::Value;

pub const PROBE: ProbeKind = ProbeKind {
    name: "ovsdb",
    about: "OVSDB (OVS, OVN NB/SB): JSON-RPC list_dbs, optionally a named database present",
    args,
    run,
    http_budget: false,
};

/// The IANA port of OVSDB (OVN uses 6641 for NB and 6642 for SB).
pub const DEFAULT_PORT: u16 = 6640;

/// A list_dbs reply is a few hundred bytes; the cap also bounds unrelated messages
/// (an `echo` request) that may precede it.
const REPLY_LIMIT: usize = 256 * 1024;

/// Our request id; the reply must carry the same.
const REQUEST_ID: u64 = 1;

fn args(cmd: Command) -> Command {
    cmd.arg(exchange::address_arg("unix:PATH or tcp:HOST:PORT (default port 6640)").required(true)).arg(
        Arg::new("database")
            .long("database")
            .value_name("NAME")
            .help("Unhealthy unless the server lists this database (Open_vSwitch, OVN_Northbound, OVN_Southbound)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let address = m
        .get_one::<String>("address")
        .map(String::as_str)
        .unwrap_or("");
    if address.starts_with("ssl:") {
        return Checked::new(
            address,
            Err(
                "ssl: OVSDB endpoints are not supported; probe the unix socket or a tcp: remote"
                    .into(),
            ),
        );
    }
    let want_db = m.get_one::<String>("database").map(String::as_str);
    exchange::with_endpoint(m, None, Some(DEFAULT_PORT), |endpoint| {
        list_dbs(endpoint, want_db, ctx)
    })
}

/// JSON-RPC list_dbs; healthy when it answers (and lists `want_db` when given).
pub fn list_dbs(endpoint: &Endpoint, want_db: Option<&str>, ctx: &Context) -> Outcome {
    let request = format!(r#"{{"method":"list_dbs","params":[],"id":{REQUEST_ID}}}"#);
    let reply = exchange::request(endpoint, ctx, request.as_bytes(), REPLY_LIMIT, |b| {
        find_reply(b, REQUEST_ID).is_some()
    })?;
    let databases =
        find_reply(&reply, REQUEST_ID).unwrap_or_else(|| Err("no reply to list_dbs".into()))?;
    let listed = databases.join(", ");
    match want_db {
        Some(want) if databases.iter().any(|d| d == want) => {
            Ok(format!("serves {want} (databases: {listed})"))
        }
        Some(want) => Err(format!("does not serve {want}; it serves: {listed}")),
        None => Ok(format!("databases: {listed}")),
    }
}

/// Scan the complete messages in `buf` for the reply with `id`: `None` while it has
/// not arrived, `Some(Ok(databases))` or `Some(Err(why))` once it has (or once the
/// stream is known to be garbage). Other messages (an `echo` request) are skipped.
pub fn find_reply(buf: &[u8], id: u64) -> Option<Result<Vec<String>, String>> {
    let mut at = 0;
    loop {
        let end = match message_end(&buf[at..]) {
            Ok(Some(len)) => at + len,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let message: Value = match serde_json::from_slice(&buf[at..end]) {
            Ok(v) => v,
            Err(e) => return Some(Err(format!("invalid JSON from the server: {e}"))),
        };
        if message.get("id").and_then(Value::as_u64) == Some(id) {
            return Some(databases_from_reply(&message));
        }
        at = end;
    }
}

/// The database names of a list_dbs reply, or the server's error.
pub fn databases_from_reply(reply: &Value) -> Result<Vec<String>, String> {
    if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
        return Err(format!(
            "list_dbs failed: {}",
            printable(error.to_string().as_bytes(), 160)
        ));
    }
    let names = reply
        .get("result")
        .and_then(Value::as_array)
        .ok_or("list_dbs reply has no result array")?;
    names
        .iter()
        .map(|n| {
            n.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("list_dbs result holds a non-string: {n}"))
        })
        .collect()
}

/// Length of the first JSON-RPC message (an object) in `buf`, including leading
/// whitespace: `Ok(None)` while its closing brace has not arrived.
pub fn message_end(buf: &[u8]) -> Result<Option<usize>, String> {
    let Some(start) = buf.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(None);
    };
    if buf[start] != b'{' {
        return Err(format!(
            "not a JSON-RPC message: starts with \"{}\"",
            printable(&buf[start..], 40)
        ));
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in buf.iter().enumerate().skip(start) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or("unbalanced JSON from the server")?;
                if depth == 0 {
                    return Ok(Some(i + 1));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_message_ends() {
        assert_eq!(message_end(br#"{"a":1}"#).unwrap(), Some(7));
        assert_eq!(message_end(b"  {\"a\":[1,{}]} {\"b\"").unwrap(), Some(14));
        assert_eq!(message_end(br#"{"a":"}\"}"}x"#).unwrap(), Some(12));
        assert_eq!(message_end(br#"{"a":"#).unwrap(), None);
        assert_eq!(message_end(b"   ").unwrap(), None);
        assert!(message_end(b"HTTP/1.1 400").is_err());
        assert!(find_reply(b"{]", 1).unwrap().is_err());
    }

    #[test]
    fn reads_the_reply_with_our_id() {
        let reply = br#"{"id":1,"result":["Open_vSwitch","_Server"],"error":null}"#;
        assert_eq!(
            find_reply(reply, 1).unwrap().unwrap(),
            vec!["Open_vSwitch", "_Server"]
        );
        let after_echo = br#"{"id":"echo","method":"echo","params":[]}{"id":1,"result":["OVN_Southbound"],"error":null}"#;
        assert_eq!(
            find_reply(after_echo, 1).unwrap().unwrap(),
            vec!["OVN_Southbound"]
        );
        assert!(find_reply(br#"{"id":1,"result":["a""#, 1).is_none());
    }

    #[test]
    fn server_errors_and_bad_replies_are_reasons() {
        let err = find_reply(br#"{"id":1,"result":null,"error":"unknown method"}"#, 1)
            .unwrap()
            .unwrap_err();
        assert!(err.contains("unknown method"), "{err}");
        assert!(find_reply(br#"{"id":1,"result":[1]}"#, 1)
            .unwrap()
            .unwrap_err()
            .contains("non-string"));
        assert!(find_reply(br#"{"id":1}"#, 1)
            .unwrap()
            .unwrap_err()
            .contains("no result"));
        assert!(find_reply(b"{\"id\":1,,}", 1)
            .unwrap()
            .unwrap_err()
            .contains("invalid JSON"));
        assert!(find_reply(b"garbage", 1).unwrap().is_err());
    }
}

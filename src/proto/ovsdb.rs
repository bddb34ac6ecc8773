//! OVSDB JSON-RPC (RFC 7047) client over unix or TCP: `list_dbs`, a database's
//! row in the `_Server` database (OVS 2.9+): its model and whether it is connected to
//! its cluster and its leader, and the `external_ids` of the local Open vSwitch
//! database (where ovn-controller is told its southbound database, `ovn-remote`).
//!
//! JSON-RPC over a stream has no framing: one message ends where its outermost
//! brace closes, so the reader counts braces outside strings before parsing.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange::{self, printable};
use serde_json::{json, Value};

/// The IANA port of OVSDB (OVN uses 6641 for NB and 6642 for SB).
pub const DEFAULT_PORT: u16 = 6640;

/// A list_dbs reply is a few hundred bytes; the cap also bounds unrelated messages
/// (an `echo` request) that may precede it.
const REPLY_LIMIT: usize = 256 * 1024;

/// Our request ids; each reply carries its request's.
const LIST_DBS_ID: u64 = 1;
const STATUS_ID: u64 = 2;
const EXTERNAL_IDS_ID: u64 = 3;

/// What the server answered: the databases it serves and, when a database was asked
/// about, its `_Server` row.
#[derive(Debug, Clone)]
pub struct Answer {
    pub databases: Vec<String>,
    /// `None` when no database was asked about.
    pub cluster: Option<Result<Cluster, String>>,
}

/// The cluster status of the asked database, as far as the server can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cluster {
    Status(ClusterStatus),
    /// No usable `_Server` row (servers older than OVS 2.9 have no `_Server` database): why.
    Unknown(String),
}

/// JSON-RPC list_dbs and, with `want_db`, a `_Server` select of that database's row.
/// Both requests go out in one write; the server answers them in order. The row is
/// read only when the server lists `want_db`.
pub fn list_dbs(
    endpoint: &Endpoint,
    want_db: Option<&str>,
    ctx: &Context,
) -> Result<Answer, String> {
    let mut request = rpc_request(LIST_DBS_ID, "list_dbs", json!([]));
    let mut ids = vec![LIST_DBS_ID];
    if let Some(want) = want_db {
        request.push_str(&rpc_request(STATUS_ID, "transact", status_query(want)));
        ids.push(STATUS_ID);
    }
    let reply = exchange::request(endpoint, ctx, request.as_bytes(), REPLY_LIMIT, |b| {
        ids.iter().all(|&id| find_reply(b, id).is_some())
    })?;
    let answer = |id| find_reply(&reply, id).unwrap_or_else(|| Err("no reply".into()));
    let databases = databases_from_reply(&answer(LIST_DBS_ID)?)?;
    let cluster = match want_db {
        Some(want) if databases.iter().any(|d| d == want) => Some(answer(STATUS_ID).map(
            |status| match cluster_status(&status, want) {
                Ok(status) => Cluster::Status(status),
                Err(e) => Cluster::Unknown(e),
            },
        )),
        _ => None,
    };
    Ok(Answer { databases, cluster })
}

fn rpc_request(id: u64, method: &str, params: Value) -> String {
    json!({"method": method, "params": params, "id": id}).to_string()
}

/// A `_Server` select of the row describing database `name`.
fn status_query(name: &str) -> Value {
    json!(["_Server", {
        "op": "select",
        "table": "Database",
        "where": [["name", "==", name]],
        "columns": ["connected", "leader", "model"],
    }])
}

/// A database's row in `_Server.Database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterStatus {
    /// "standalone", "clustered" or "relay".
    pub model: String,
    pub connected: bool,
    pub leader: bool,
}

impl ClusterStatus {
    /// "clustered, leader", "standalone", "clustered, disconnected"...
    pub fn describe(&self) -> String {
        match (self.model.as_str(), self.connected, self.leader) {
            ("clustered", true, true) => "clustered, leader".into(),
            ("clustered", true, false) => "clustered, follower".into(),
            (model, true, _) => model.to_string(),
            (model, false, _) => format!("{model}, disconnected"),
        }
    }
}

/// The `_Server.Database` row of `name` from the reply to [`status_query`].
pub fn cluster_status(reply: &Value, name: &str) -> Result<ClusterStatus, String> {
    if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
        return Err(printable(error.to_string().as_bytes(), 120));
    }
    let row = reply
        .pointer("/result/0/rows/0")
        .ok_or_else(|| format!("_Server has no row for {name}"))?;
    let flag = |key: &str| {
        row.get(key)
            .and_then(Value::as_bool)
            .ok_or(format!("_Server row lacks {key}"))
    };
    Ok(ClusterStatus {
        model: printable(
            row.get("model")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .as_bytes(),
            20,
        ),
        connected: flag("connected")?,
        leader: flag("leader")?,
    })
}

/// The `external_ids` map of the Open_vSwitch table's one row, in the server's order.
pub fn open_vswitch_external_ids(
    endpoint: &Endpoint,
    ctx: &Context,
) -> Result<Vec<(String, String)>, String> {
    let query = json!(["Open_vSwitch", {
        "op": "select",
        "table": "Open_vSwitch",
        "where": [],
        "columns": ["external_ids"],
    }]);
    let request = rpc_request(EXTERNAL_IDS_ID, "transact", query);
    let reply = exchange::request(endpoint, ctx, request.as_bytes(), REPLY_LIMIT, |b| {
        find_reply(b, EXTERNAL_IDS_ID).is_some()
    })?;
    let message = find_reply(&reply, EXTERNAL_IDS_ID).unwrap_or_else(|| Err("no reply".into()))?;
    external_ids_from_reply(&message)
}

/// The `external_ids` of the first row of a select reply (an OVSDB map:
/// `["map", [[key, value], ...]]`).
pub fn external_ids_from_reply(reply: &Value) -> Result<Vec<(String, String)>, String> {
    if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
        return Err(format!(
            "reading Open_vSwitch failed: {}",
            printable(error.to_string().as_bytes(), 160)
        ));
    }
    if let Some(error) = reply.pointer("/result/0/error") {
        return Err(format!(
            "reading Open_vSwitch failed: {}",
            printable(error.to_string().as_bytes(), 160)
        ));
    }
    let map = reply
        .pointer("/result/0/rows/0/external_ids")
        .ok_or("the Open_vSwitch table has no row (ovs-vsctl init has not run?)")?;
    let pairs = match map.as_array().map(Vec::as_slice) {
        Some([tag, pairs]) if tag == "map" => pairs.as_array().ok_or("bad external_ids map")?,
        _ => return Err(format!("external_ids is not an OVSDB map: {map}")),
    };
    pairs
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), v.clone())),
            _ => Err(format!("bad external_ids entry: {pair}")),
        })
        .collect()
}

/// Scan the complete messages in `buf` for the reply with `id`: `None` while it has
/// not arrived, `Some(Ok(message))` or `Some(Err(why))` once it has (or once the
/// stream is known to be garbage). Other messages (an `echo` request) are skipped.
pub fn find_reply(buf: &[u8], id: u64) -> Option<Result<Value, String>> {
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
            return Some(Ok(message));
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

    /// The list_dbs answer with id 1 in `buf`, through the same steps as the probe.
    fn dbs(buf: &[u8]) -> Result<Vec<String>, String> {
        databases_from_reply(&find_reply(buf, 1).expect("a complete reply")?)
    }

    #[test]
    fn reads_the_reply_with_our_id() {
        let reply = br#"{"id":1,"result":["Open_vSwitch","_Server"],"error":null}"#;
        assert_eq!(dbs(reply).unwrap(), vec!["Open_vSwitch", "_Server"]);
        let after_echo = br#"{"id":"echo","method":"echo","params":[]}{"id":1,"result":["OVN_Southbound"],"error":null}"#;
        assert_eq!(dbs(after_echo).unwrap(), vec!["OVN_Southbound"]);
        assert!(find_reply(br#"{"id":1,"result":["a""#, 1).is_none());
        let both = br#"{"id":1,"result":[],"error":null}{"id":2,"result":[],"error":null}"#;
        assert!(find_reply(both, 2).is_some() && find_reply(both, 3).is_none());
    }

    #[test]
    fn server_errors_and_bad_replies_are_reasons() {
        let err = dbs(br#"{"id":1,"result":null,"error":"unknown method"}"#).unwrap_err();
        assert!(err.contains("unknown method"), "{err}");
        assert!(dbs(br#"{"id":1,"result":[1]}"#)
            .unwrap_err()
            .contains("non-string"));
        assert!(dbs(br#"{"id":1}"#).unwrap_err().contains("no result"));
        assert!(dbs(b"{\"id\":1,,}").unwrap_err().contains("invalid JSON"));
        assert!(dbs(b"garbage").is_err());
    }

    #[test]
    fn reads_external_ids() {
        let parse = |text: &str| external_ids_from_reply(&serde_json::from_str(text).unwrap());
        let ids = parse(
            r#"{"id":3,"error":null,"result":[{"rows":[{"external_ids":["map",[["ovn-remote","tcp:127.0.0.1:16641"],["system-id","c1"]]]}]}]}"#,
        )
        .unwrap();
        assert_eq!(ids[0], ("ovn-remote".into(), "tcp:127.0.0.1:16641".into()));
        assert_eq!(ids.len(), 2);
        assert!(parse(r#"{"id":3,"error":null,"result":[{"rows":[]}]}"#)
            .unwrap_err()
            .contains("has no row"));
        assert!(
            parse(r#"{"id":3,"error":null,"result":[{"error":"unknown table"}]}"#)
                .unwrap_err()
                .contains("unknown table")
        );
        assert!(parse(
            r#"{"id":3,"error":null,"result":[{"rows":[{"external_ids":["set",[]]}]}]}"#
        )
        .unwrap_err()
        .contains("not an OVSDB map"));
    }

    #[test]
    fn reads_the_cluster_status() {
        let reply = |row: &str| -> Value {
            serde_json::from_str(&format!(
                r#"{{"id":2,"result":[{{"rows":[{row}]}}],"error":null}}"#
            ))
            .unwrap()
        };
        let leader = cluster_status(
            &reply(r#"{"connected":true,"leader":true,"model":"clustered"}"#),
            "SB",
        )
        .unwrap();
        assert_eq!(leader.describe(), "clustered, leader");
        let cut_off = cluster_status(
            &reply(r#"{"connected":false,"leader":false,"model":"clustered"}"#),
            "SB",
        );
        assert_eq!(cut_off.unwrap().describe(), "clustered, disconnected");
        assert!(cluster_status(&reply(""), "SB")
            .unwrap_err()
            .contains("no row for SB"));
        assert!(cluster_status(&reply(r#"{"leader":true}"#), "SB")
            .unwrap_err()
            .contains("lacks connected"));
        let unknown_db: Value =
            serde_json::from_str(r#"{"id":2,"result":null,"error":{"error":"unknown database"}}"#)
                .unwrap();
        assert!(cluster_status(&unknown_db, "SB")
            .unwrap_err()
            .contains("unknown database"));
    }
}

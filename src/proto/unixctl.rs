//! Open vSwitch's unixctl protocol, as `ovs-appctl` and `ovn-appctl` speak it to a
//! daemon's control socket (`<rundir>/<daemon>.<pid>.ctl`): one JSON-RPC request whose
//! method is the command and whose params are its arguments as strings, one reply whose
//! `result` is the command's output text or whose `error` says why it failed (Open
//! vSwitch `lib/unixctl.c`). The stream framing is OVSDB's (the same JSON-RPC library
//! on both ends), so the reply is found with [`ovsdb::find_reply`].
//!
//! Which socket a daemon name means follows `ovs-appctl -t TARGET`: a TARGET with a
//! slash is the socket's path; a bare name is looked up as `<rundir>/<name>.pid`, whose
//! pid names the socket `<rundir>/<name>.<pid>.ctl`.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange::{self, printable};
use crate::proto::ovsdb;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Replies are a few lines (`version`, `connection-status`, `ofproto/list`); the cap
/// bounds a daemon that answers with a flow dump or garbage.
const REPLY_LIMIT: usize = 1024 * 1024;

/// The id of our one request (ovs-appctl's first id is 0 too).
const REQUEST_ID: u64 = 0;

/// What the daemon answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The command ran: its output (text; a JSON result is given as compact JSON).
    Output(String),
    /// The daemon refused or failed the command: its error text.
    Error(String),
}

/// Run `command ARGS...` on the daemon listening on `endpoint`.
pub fn transact(
    endpoint: &Endpoint,
    command: &str,
    args: &[String],
    ctx: &Context,
) -> Result<Reply, String> {
    let request = json!({"method": command, "params": args, "id": REQUEST_ID}).to_string();
    ctx.trace(format_args!(
        "{endpoint}: unixctl {command} {}",
        args.join(" ")
    ));
    let reply = exchange::request(endpoint, ctx, request.as_bytes(), REPLY_LIMIT, |b| {
        ovsdb::find_reply(b, REQUEST_ID).is_some()
    })?;
    let message =
        ovsdb::find_reply(&reply, REQUEST_ID).unwrap_or_else(|| Err("no reply".into()))?;
    reply_from(&message)
}

/// The [`Reply`] in a JSON-RPC reply message.
pub fn reply_from(message: &Value) -> Result<Reply, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (message.get("error"), message.get("result")) {
        (Some(error), _) if !error.is_null() => Ok(Reply::Error(text(error))),
        (_, Some(result)) if !result.is_null() => Ok(Reply::Output(text(result))),
        _ => Err(format!(
            "not a unixctl reply: {}",
            printable(message.to_string().as_bytes(), 120)
        )),
    }
}

/// The run directories `ovs-appctl`/`ovn-appctl` use: `OVN_RUNDIR` (else `/var/run/ovn`)
/// and `OVS_RUNDIR` (else `/var/run/openvswitch`), OVN's first.
pub fn default_rundirs() -> Vec<PathBuf> {
    let from_env = |name: &str, default: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::config::host_path(default))
    };
    vec![
        from_env("OVN_RUNDIR", "/var/run/ovn"),
        from_env("OVS_RUNDIR", "/var/run/openvswitch"),
    ]
}

/// The control socket `target` names: a path when it has a slash, else the socket of
/// the daemon whose pidfile `<dir>/<target>.pid` is in the first of `rundirs` that has one.
pub fn socket_for(target: &str, rundirs: &[PathBuf]) -> Result<Endpoint, String> {
    if target.is_empty() {
        return Err("empty unixctl target".into());
    }
    if target.contains('/') {
        return Ok(Endpoint::Unix(target.to_string()));
    }
    if target.starts_with('.') {
        return Err(format!(
            "bad unixctl target {target:?}: a daemon name or a socket path"
        ));
    }
    for dir in rundirs {
        let pidfile = dir.join(format!("{target}.pid"));
        let text = match std::fs::read_to_string(&pidfile) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(format!(
                    "cannot read {}: {}",
                    pidfile.display(),
                    crate::util::io_reason(&e)
                ))
            }
        };
        let pid = pid_from(&text).ok_or_else(|| {
            format!(
                "{}: not a pid: {:?}",
                pidfile.display(),
                printable(text.as_bytes(), 40)
            )
        })?;
        return Ok(Endpoint::Unix(ctl_path(dir, target, pid)));
    }
    let searched: Vec<String> = rundirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "no {target}.pid in {}: is {target} running (or its run directory elsewhere: OVN_RUNDIR, OVS_RUNDIR)?",
        searched.join(", ")
    ))
}

fn pid_from(text: &str) -> Option<u32> {
    text.trim().parse::<u32>().ok().filter(|p| *p > 0)
}

fn ctl_path(dir: &Path, target: &str, pid: u32) -> String {
    dir.join(format!("{target}.{pid}.ctl"))
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> Result<Reply, String> {
        reply_from(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn reads_results_and_errors() {
        assert_eq!(
            reply(r#"{"id":0,"result":"connected\n","error":null}"#).unwrap(),
            Reply::Output("connected\n".into())
        );
        assert_eq!(
            reply(r#"{"id":0,"result":null,"error":"\"x\" is not a valid command"}"#).unwrap(),
            Reply::Error("\"x\" is not a valid command".into())
        );
        assert_eq!(
            reply(r#"{"id":0,"result":{"a":1},"error":null}"#).unwrap(),
            Reply::Output(r#"{"a":1}"#.into())
        );
        assert!(reply(r#"{"id":0}"#)
            .unwrap_err()
            .contains("not a unixctl reply"));
    }

    #[test]
    fn targets_resolve_through_pidfiles() {
        let dir = std::env::temp_dir().join(format!("ohc-unixctl-{}", std::process::id()));
        let (ovn, ovs) = (dir.join("ovn"), dir.join("ovs"));
        std::fs::create_dir_all(&ovn).unwrap();
        std::fs::create_dir_all(&ovs).unwrap();
        std::fs::write(ovs.join("ovs-vswitchd.pid"), "4242\n").unwrap();
        std::fs::write(ovn.join("ovn-controller.pid"), "17\n").unwrap();
        std::fs::write(ovn.join("broken.pid"), "x\n").unwrap();
        let dirs = [ovn.clone(), ovs.clone()];
        assert_eq!(
            socket_for("ovs-vswitchd", &dirs).unwrap(),
            Endpoint::Unix(ovs.join("ovs-vswitchd.4242.ctl").display().to_string())
        );
        assert_eq!(
            socket_for("ovn-controller", &dirs).unwrap(),
            Endpoint::Unix(ovn.join("ovn-controller.17.ctl").display().to_string())
        );
        assert_eq!(
            socket_for("/run/x.ctl", &dirs).unwrap(),
            Endpoint::Unix("/run/x.ctl".into())
        );
        assert!(socket_for("broken", &dirs)
            .unwrap_err()
            .contains("not a pid"));
        let err = socket_for("ovn-northd", &dirs).unwrap_err();
        assert!(err.contains("no ovn-northd.pid in"), "{err}");
        assert!(socket_for("../etc", &dirs).is_ok()); // a path: it has a slash
        assert!(socket_for("..", &dirs).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

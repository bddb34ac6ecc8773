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
use crate::system::{Root, System};
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

/// The run directories `ovs-appctl`/`ovn-appctl` use on `sys`: its `OVN_RUNDIR` (else
/// `/var/run/ovn`) and `OVS_RUNDIR` (else `/var/run/openvswitch`), OVN's first; paths as
/// `sys.given` reads them (the defaults in the configuration root).
pub fn default_rundirs(sys: &System) -> Vec<PathBuf> {
    let from_env = |name: &str, default: &str| {
        sys.var(name)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(sys.files.as_given(default)))
    };
    vec![
        from_env("OVN_RUNDIR", "/var/run/ovn"),
        from_env("OVS_RUNDIR", "/var/run/openvswitch"),
    ]
}

/// The control socket `target` names: a path when it has a slash, else the socket of
/// the daemon whose pidfile `<dir>/<target>.pid` is in the first of `rundirs` that has one
/// (pidfiles read in `root`, the checked system's paths as given).
pub fn socket_for(target: &str, rundirs: &[PathBuf], root: &Root) -> Result<Endpoint, String> {
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
        let text = match root.read(&pidfile.to_string_lossy()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
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
    fn a_containers_run_directories() {
        let tree = crate::config::testing::Tree::new("unixctl-container");
        tree.write("/srv/ovn/ovn-controller.pid", "31\n");
        tree.write("/var/run/openvswitch/ovs-vswitchd.pid", "7\n");
        let sys = tree.container(&["OVN_RUNDIR=/srv/ovn"]);
        let dirs = default_rundirs(&sys);
        assert_eq!(
            dirs,
            [
                PathBuf::from("/srv/ovn"),
                PathBuf::from("/var/run/openvswitch")
            ]
        );
        assert_eq!(
            socket_for("ovn-controller", &dirs, &sys.given).unwrap(),
            Endpoint::Unix("/srv/ovn/ovn-controller.31.ctl".into())
        );
        assert_eq!(
            socket_for("ovs-vswitchd", &dirs, &sys.given).unwrap(),
            Endpoint::Unix("/var/run/openvswitch/ovs-vswitchd.7.ctl".into())
        );
        // On the host, the same names are not found: the pidfiles are the container's.
        assert!(socket_for("ovn-controller", &dirs, &Root::Host).is_err());
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
            socket_for("ovs-vswitchd", &dirs, &Root::Host).unwrap(),
            Endpoint::Unix(ovs.join("ovs-vswitchd.4242.ctl").display().to_string())
        );
        assert_eq!(
            socket_for("ovn-controller", &dirs, &Root::Host).unwrap(),
            Endpoint::Unix(ovn.join("ovn-controller.17.ctl").display().to_string())
        );
        assert_eq!(
            socket_for("/run/x.ctl", &dirs, &Root::Host).unwrap(),
            Endpoint::Unix("/run/x.ctl".into())
        );
        assert!(socket_for("broken", &dirs, &Root::Host)
            .unwrap_err()
            .contains("not a pid"));
        let err = socket_for("ovn-northd", &dirs, &Root::Host).unwrap_err();
        assert!(err.contains("no ovn-northd.pid in"), "{err}");
        assert!(socket_for("../etc", &dirs, &Root::Host).is_ok()); // a path: it has a slash
        assert!(socket_for("..", &dirs, &Root::Host).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! OVN's own view of its health, asked over the daemons' control sockets instead of
//! guessed from sockets: ovn-controller's `connection-status` (is it connected to the
//! southbound database it was told to use?), the southbound endpoint it was told to use
//! (`external_ids:ovn-remote` of the local Open vSwitch database, which may be a relay on
//! a 1664N port, not 6642), ovs-vswitchd holding the integration bridge, and ovn-northd
//! answering `version` (what TripleO's ovn-dbs check asks with `ovs-appctl`).

use super::unixctl::{self, output_of};
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange::printable;
use crate::proto::{ovsdb, unixctl as ctl};
use crate::verdict::{Checked, Outcome};
use std::path::PathBuf;

/// Where ovn-controller looks for its southbound database.
const OVN_REMOTE: &str = "ovn-remote";
/// The integration bridge ovn-controller programs (`external_ids:ovn-bridge`, default br-int).
const OVN_BRIDGE: &str = "ovn-bridge";
const DEFAULT_BRIDGE: &str = "br-int";

/// Where the daemons of one chassis are.
#[derive(Debug, Clone)]
pub struct Chassis {
    /// Run directories holding the daemons' pidfiles and control sockets.
    pub rundirs: Vec<PathBuf>,
    /// The local Open vSwitch database (`db.sock`).
    pub ovs_db: Endpoint,
}

/// ovn-controller is healthy when its `connection-status` says `connected` and, where
/// ovs-vswitchd runs on the chassis (its pidfile is there), ovs-vswitchd answers
/// `ofproto/list` with the integration bridge in it. The reason names the southbound
/// endpoint from `external_ids:ovn-remote`.
pub fn controller(chassis: &Chassis, ctx: &Context) -> Checked {
    let endpoint = match ctl::socket_for("ovn-controller", &chassis.rundirs) {
        Ok(ep) => ep,
        Err(e) => return Checked::new("ovn-controller", Err(e)),
    };
    let ids = ovsdb::open_vswitch_external_ids(&chassis.ovs_db, ctx);
    let southbound = match &ids {
        Ok(ids) => match lookup(ids, OVN_REMOTE) {
            Some(remote) => format!(
                "the OVN southbound DB at {} (external_ids:ovn-remote)",
                printable(remote.as_bytes(), 120)
            ),
            None => "the OVN southbound DB (no external_ids:ovn-remote set)".to_string(),
        },
        Err(e) => format!("the OVN southbound DB (ovn-remote unknown: {e})"),
    };
    let outcome = connection_status(&endpoint, &southbound, ctx).and_then(|connected| {
        let bridge = ids
            .as_ref()
            .ok()
            .and_then(|ids| lookup(ids, OVN_BRIDGE))
            .unwrap_or(DEFAULT_BRIDGE);
        match vswitchd_bridges(&chassis.rundirs, bridge, ctx)? {
            Some(have) => Ok(format!("{connected}; ovs-vswitchd has {have}")),
            None => Ok(connected),
        }
    });
    Checked::new(endpoint.to_string(), outcome)
}

/// `connection-status` over ovn-controller's control socket: `connected` or why not.
fn connection_status(endpoint: &Endpoint, southbound: &str, ctx: &Context) -> Outcome {
    let status = output_of(endpoint, "connection-status", &[], ctx)
        .map_err(|e| format!("ovn-controller does not answer: {e}"))?;
    match status.trim() {
        "connected" => Ok(format!("ovn-controller connected to {southbound}")),
        other => Err(format!(
            "ovn-controller not connected to {southbound}: connection-status answered \"{}\"",
            unixctl::quote(other)
        )),
    }
}

/// The integration bridge in ovs-vswitchd's `ofproto/list`; `None` when ovs-vswitchd has
/// no pidfile in the run directories (it runs elsewhere, and is not ours to judge).
fn vswitchd_bridges(
    rundirs: &[PathBuf],
    bridge: &str,
    ctx: &Context,
) -> Result<Option<String>, String> {
    let Ok(endpoint) = ctl::socket_for("ovs-vswitchd", rundirs) else {
        ctx.trace("no ovs-vswitchd pidfile: the integration bridge is not checked");
        return Ok(None);
    };
    let list = output_of(&endpoint, "ofproto/list", &[], ctx)
        .map_err(|e| format!("ovs-vswitchd does not answer: {e}"))?;
    if list.lines().any(|l| l.trim() == bridge) {
        Ok(Some(format!("the integration bridge {bridge}")))
    } else {
        Err(format!(
            "ovs-vswitchd has no integration bridge {bridge} (ofproto/list: \"{}\")",
            unixctl::quote(&list)
        ))
    }
}

/// When a port check of ovn-controller fails, what the local Open vSwitch database says
/// the southbound endpoint is, if none of `ports` is its port: the TripleO check pins
/// 6642, which a southbound relay (1664N) never uses. `None` when it cannot tell or
/// when the checked ports do include the remote's.
pub fn remote_hint(ovs_db: &Endpoint, ports: &[u16], ctx: &Context) -> Option<String> {
    let ids = match ovsdb::open_vswitch_external_ids(ovs_db, ctx) {
        Ok(ids) => ids,
        Err(e) => {
            ctx.trace(format_args!("no ovn-remote from {ovs_db}: {e}"));
            return None;
        }
    };
    let remote = lookup(&ids, OVN_REMOTE)?;
    let remote_ports = remote_ports(remote);
    if remote_ports.is_empty() || remote_ports.iter().any(|p| ports.contains(p)) {
        return None;
    }
    Some(format!(
        "external_ids:ovn-remote is {}: HEALTHCHECK_DEEP=ovn asks ovn-controller itself",
        printable(remote.as_bytes(), 120)
    ))
}

/// The TCP/SSL ports of an OVN remote list (`tcp:IP:PORT,ssl:IP:PORT,...`).
pub fn remote_ports(remote: &str) -> Vec<u16> {
    remote
        .split(',')
        .map(str::trim)
        .filter_map(|r| r.strip_prefix("tcp:").or_else(|| r.strip_prefix("ssl:")))
        .filter_map(|hostport| hostport.rsplit_once(':'))
        .filter_map(|(_, port)| port.parse().ok())
        .collect()
}

/// ovn-northd answers `version` on its control socket (TripleO's `ovs-appctl -t
/// ovn-northd version`).
pub fn northd_version(endpoint: &Endpoint, ctx: &Context) -> Outcome {
    let version = output_of(endpoint, "version", &[], ctx)
        .map_err(|e| format!("ovn-northd does not answer: {e}"))?;
    Ok(format!("ovn-northd answers: {}", unixctl::quote(&version)))
}

fn lookup<'a>(ids: &'a [(String, String)], key: &str) -> Option<&'a str> {
    ids.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_of_remote_lists() {
        assert_eq!(remote_ports("tcp:127.0.0.1:16641"), vec![16641]);
        assert_eq!(
            remote_ports("tcp:[fd00::1]:16642, ssl:10.0.0.2:6642"),
            vec![16642, 6642]
        );
        assert!(remote_ports("unix:/run/ovn/ovnsb_db.sock").is_empty());
        assert!(remote_ports("tcp:host:notaport").is_empty());
    }
}

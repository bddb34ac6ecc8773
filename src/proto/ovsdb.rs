//! OVSDB JSON-RPC (RFC 7047): list_dbs, optional database presence.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use crate::net::Endpoint;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "ovsdb", about: "OVSDB (OVS, OVN NB/SB): JSON-RPC list_dbs, optionally a named database present", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// JSON-RPC list_dbs; healthy when it answers (and lists `want_db` when given).
pub fn list_dbs(endpoint: &Endpoint, _want_db: Option<&str>, _ctx: &Context) -> Outcome {
    Err(format!("{endpoint}: not implemented yet"))
}

//! TCP connect check.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "tcp", about: "TCP connect to HOST:PORT", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Connect to `endpoint` (host:port, unix path, @abstract): healthy when it accepts.
pub fn connect(endpoint: &crate::net::Endpoint, _ctx: &Context) -> Checked {
    Checked::new(endpoint.to_string(), Err("not implemented yet".into()))
}

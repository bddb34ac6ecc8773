//! HAProxy: stats socket `show info` (unix or tcp), or an HTTP monitor URI.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use crate::net::Endpoint;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "haproxy", about: "HAProxy: stats socket 'show info' or the monitor URI", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// `show info` on the stats socket; healthy when it reports a Pid/Uptime.
pub fn show_info(endpoint: &Endpoint, _ctx: &Context) -> Outcome {
    Err(format!("{endpoint}: not implemented yet"))
}

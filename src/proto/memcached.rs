//! memcached text protocol: send version, expect a VERSION line.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use crate::net::Endpoint;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "memcached", about: "memcached: the 'version' command must answer VERSION", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Send `version`; healthy when a `VERSION x` line comes back.
pub fn version(endpoint: &Endpoint, _ctx: &Context) -> Outcome {
    Err(format!("{endpoint}: not implemented yet"))
}

//! Port check: a matching process has an ESTABLISHED TCP socket or a UDP socket on one of the ports.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "port", about: "A process holds an established TCP or a UDP socket on one of the ports", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Healthy when a process matching `process` has an ESTABLISHED TCP socket, or a
/// UDP socket, whose local or remote port is one of `ports`.
pub fn check(process: &str, ports: &[u16], _ctx: &Context) -> Checked {
    Checked::new(format!("{process}:{ports:?}"), Err("not implemented yet".into()))
}

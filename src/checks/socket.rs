//! Socket check: a matching process holds the unix socket PATH (also abstract).

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "socket", about: "A process holds a unix socket", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Healthy when a process matching `process` holds the unix socket `path` (or `@abstract`).
pub fn check(process: &str, path: &str, _ctx: &Context) -> Checked {
    Checked::new(format!("{process}:{path}"), Err("not implemented yet".into()))
}

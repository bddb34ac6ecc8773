//! Process check: a process whose command line matches runs (never the checker, never a zombie).

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "process", about: "A process with a matching command line runs", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Healthy when a process whose command line (or comm) matches `pattern` runs.
pub fn check(pattern: &str, _ctx: &Context) -> Checked {
    Checked::new(pattern, Err("not implemented yet".into()))
}

/// Whether a process matching `pattern` runs (not the checker itself, not a zombie).
pub fn running(_pattern: &str) -> bool {
    false
}

//! File modification check: PATH exists and its mtime is within SECONDS.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "filemod", about: "A file was modified within SECONDS", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Healthy when `path` exists and was modified within `max_age`.
pub fn check(path: &str, _max_age: std::time::Duration, _ctx: &Context) -> Checked {
    Checked::new(path, Err("not implemented yet".into()))
}

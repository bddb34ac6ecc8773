//! HTTP(S) check (curl --fail semantics): status < 400 is healthy, redirects are not followed.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "http", about: "HTTP(S) GET: healthy when the status is below 400", args, run, http_budget: true };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

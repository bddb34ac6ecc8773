//! etcd health endpoint: GET /health, JSON {"health":"true"}.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "etcd", about: "etcd: the /health endpoint must report health true", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// GET `<client url>/health`; healthy when the JSON says health is true.
pub fn health(client_url: &str, _ctx: &Context) -> Outcome {
    Err(format!("{client_url}: not implemented yet"))
}

//! Redis RESP: optional AUTH, PING, expect +PONG.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use crate::net::Endpoint;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "redis", about: "Redis: AUTH (password from a file) and PING, expecting +PONG", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// AUTH (when a password is given) then PING; healthy on +PONG.
pub fn ping(endpoint: &Endpoint, _password: Option<&str>, _ctx: &Context) -> Outcome {
    Err(format!("{endpoint}: not implemented yet"))
}

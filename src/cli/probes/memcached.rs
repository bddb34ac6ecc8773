//! `probe memcached ADDR`: `checks::memcached::probe`.

use super::args::{address_arg, required};
use super::ProbeKind;
use crate::checks::memcached;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "memcached",
    about: "memcached: the 'version' command must answer VERSION",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(address_arg("HOST[:PORT] (default port 11211) or unix:PATH").required(true))
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    memcached::probe(required(m, "address"), ctx)
}

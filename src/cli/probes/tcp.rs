//! `probe tcp ENDPOINT`: `checks::tcp::probe`.

use super::args::required;
use super::ProbeKind;
use crate::checks::tcp;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "tcp",
    about: "TCP connect to HOST:PORT",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("endpoint")
            .required(true)
            .value_name("HOST:PORT|unix:PATH|@NAME")
            .help("Where to connect: HOST:PORT, [IPv6]:PORT, unix:PATH (or /PATH), @ABSTRACT-NAME"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    tcp::probe(required(m, "endpoint"), ctx)
}

//! `probe process PATTERN`: `checks::process::check`.

use super::args::required;
use super::ProbeKind;
use crate::checks::process;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "process",
    about: "A process with a matching command line runs",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("pattern")
            .required(true)
            .value_name("PATTERN")
            .help(
            "Matched like pgrep -f: extended-regex subset on the command line or the 15-char name",
        ),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    process::check(required(m, "pattern"), ctx)
}

//! `probe socket PROCESS PATH`: `checks::socket::check`.

use super::args::required;
use super::ProbeKind;
use crate::checks::socket;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "socket",
    about: "A process holds a unix socket",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("process")
            .required(true)
            .value_name("PROCESS")
            .help("Pattern matched like pgrep -f (command line or 15-char name)"),
    )
    .arg(
        Arg::new("path")
            .required(true)
            .value_name("PATH")
            .help("Socket path, or @name for an abstract socket"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    socket::check(required(m, "process"), required(m, "path"), ctx)
}

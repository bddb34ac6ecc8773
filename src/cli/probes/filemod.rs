//! `probe filemod PATH SECONDS`: `checks::filemod::check_args`.

use super::args::required;
use super::ProbeKind;
use crate::checks::filemod;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "filemod",
    about: "A file was modified within SECONDS",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(Arg::new("path").required(true).value_name("PATH"))
        .arg(
            Arg::new("seconds")
                .required(true)
                .value_name("SECONDS")
                .help("Largest age of the last modification"),
        )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    filemod::check_args(required(m, "path"), required(m, "seconds"), ctx)
}

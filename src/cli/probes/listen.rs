//! `probe listen PROCESS PORT...`: `checks::listen::check`.

use super::args::{many, process_and_ports, required};
use super::ProbeKind;
use crate::checks::{listen, port};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "listen",
    about: "A process listens on one of the ports",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    process_and_ports(cmd)
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    port::with_port_args(
        required(m, "process"),
        &many(m, "ports"),
        ctx,
        listen::check,
    )
}

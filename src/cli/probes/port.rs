//! `probe port PROCESS PORT...`: `checks::port::check`.

use super::args::{many, process_and_ports, required};
use super::ProbeKind;
use crate::checks::port;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "port",
    about: "A process holds an established TCP or a UDP socket on one of the ports",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    process_and_ports(cmd)
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    port::with_port_args(required(m, "process"), &many(m, "ports"), ctx, port::check)
}

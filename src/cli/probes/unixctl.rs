//! `probe unixctl TARGET COMMAND [ARGS...] [--expect TEXT]`: [`UnixctlOptions`], then
//! `checks::unixctl::probe`.

use super::args::{many, optional, required};
use super::ProbeKind;
use crate::checks::unixctl::{self, UnixctlOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "unixctl",
    about: "Open vSwitch/OVN control socket: run a command like ovs-appctl -t TARGET (e.g. ovn-controller connection-status)",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("target")
            .required(true)
            .value_name("TARGET")
            .help("Daemon name (its pidfile in OVN_RUNDIR or OVS_RUNDIR, default /var/run/ovn and /var/run/openvswitch, names the socket) or the socket's path"),
    )
    .arg(
        Arg::new("command")
            .required(true)
            .value_name("COMMAND")
            .help("unixctl command: version, connection-status, ofproto/list, status..."),
    )
    .arg(
        Arg::new("args")
            .value_name("ARGS")
            .num_args(0..)
            .allow_hyphen_values(true)
            .help("The command's arguments"),
    )
    .arg(
        Arg::new("expect")
            .long("expect")
            .value_name("TEXT")
            .help("Healthy only when a line of the answer is exactly TEXT (e.g. connected)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let opts = UnixctlOptions {
        target: required(m, "target").to_string(),
        command: required(m, "command").to_string(),
        args: many(m, "args"),
        expect: optional(m, "expect"),
    };
    unixctl::probe(&opts, ctx)
}

//! `probe libvirt [ADDR] [--uri URI]`: `checks::libvirt::probe`.

use super::args::address_arg;
use super::ProbeKind;
use crate::checks::libvirt;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "libvirt",
    about: "libvirt: connect to the daemon socket and ask its version (virsh version --daemon)",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(address_arg(
        "The daemon socket (default unix:/run/libvirt/libvirt-sock)",
    ))
    .arg(Arg::new("uri").long("uri").value_name("URI").help(
        "Connection URI to open, e.g. qemu:///system (default: empty, the daemon's default driver)",
    ))
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let address = m.get_one::<String>("address").map(String::as_str);
    let uri = m.get_one::<String>("uri").map(String::as_str);
    libvirt::probe(address, uri, ctx)
}

//! libvirt RPC (XDR over a unix socket): CONNECT_OPEN and CONNECT_GET_LIB_VERSION, like virsh version --daemon.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use crate::net::Endpoint;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "libvirt", about: "libvirt: connect to the daemon socket and ask its version (virsh version --daemon)", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Open a connection on the libvirt socket and ask the daemon its version.
pub fn daemon_version(endpoint: &Endpoint, _ctx: &Context) -> Outcome {
    Err(format!("{endpoint}: not implemented yet"))
}

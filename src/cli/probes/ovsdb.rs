//! `probe ovsdb ADDR [--database NAME]`: `checks::ovsdb::probe`.

use super::args::{address_arg, required};
use super::ProbeKind;
use crate::checks::ovsdb;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "ovsdb",
    about: "OVSDB (OVS, OVN NB/SB): JSON-RPC list_dbs, optionally a named database present",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(address_arg("unix:PATH or tcp:HOST:PORT (default port 6640)").required(true)).arg(
        Arg::new("database")
            .long("database")
            .value_name("NAME")
            .help("Unhealthy unless the server lists this database (Open_vSwitch, OVN_Northbound, OVN_Southbound)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let database = m.get_one::<String>("database").map(String::as_str);
    ovsdb::probe(required(m, "address"), database, ctx)
}

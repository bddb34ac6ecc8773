//! `probe mysql [TARGET] --defaults-file FILE [--galera]`: [`MysqlOptions`], then `checks::mysql::probe`.

use super::args::optional;
use super::ProbeKind;
use crate::checks::mysql::{self, MysqlOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgAction, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "mysql",
    about: "MySQL/MariaDB: log in with the [client] credentials of a defaults file, SELECT 1 (--galera: Synced)",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(Arg::new("target").value_name("HOST:PORT|SOCKET").help(
        "Server address or unix socket path (default: host/port/socket from the defaults file)",
    ))
    .arg(
        Arg::new("defaults-file")
            .long("defaults-file")
            .value_name("FILE")
            .help(
                "Option file whose [client]/[mysql] groups give user, password, host, port, socket",
            ),
    )
    .arg(
        Arg::new("galera")
            .long("galera")
            .action(ArgAction::SetTrue)
            .help("Healthy only when the node is a Synced Galera member (wsrep_local_state 4)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let opts = MysqlOptions {
        target: optional(m, "target"),
        defaults_file: optional(m, "defaults-file"),
        galera: m.get_flag("galera"),
    };
    mysql::probe(&opts, ctx)
}

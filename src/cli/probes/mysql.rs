//! `probe mysql [TARGET] --defaults-file FILE [--galera[=ROLE]] [--datadir DIR]`:
//! [`MysqlOptions`], then `checks::mysql::probe`.

use super::args::optional;
use super::ProbeKind;
use crate::checks::mysql::{self, GaleraRole, MysqlOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "mysql",
    about: "MySQL/MariaDB: log in with the [client] credentials of a defaults file, SELECT 1 (--galera: the node's Galera role)",
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
            .value_name("ROLE")
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("ready")
            .value_parser(PossibleValuesParser::new(GaleraRole::NAMES))
            .help(
                "Galera role the node must be fit for: ready (Synced; --galera alone), \
                 alive (in the Primary component, a Donor/Desynced node too), \
                 starting (alive, or joining, or its state transfer running)",
            ),
    )
    .arg(
        Arg::new("datadir")
            .long("datadir")
            .value_name("DIR")
            .help("Data directory holding a state transfer's sst_in_progress marker (--galera=starting; default /var/lib/mysql)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    // `--galera` takes its role only as `--galera=ROLE`, so that `--galera` alone stays
    // what it was wherever it stands; `--galera alive` would make "alive" the target.
    if let Some(role) = optional(m, "target").filter(|t| GaleraRole::NAMES.contains(&t.as_str())) {
        return Checked::cannot_tell(
            "",
            format!(
                "usage: the Galera role goes with an equals sign: --galera={role} (\"{role}\" is not a server address)"
            ),
        );
    }
    let galera = match optional(m, "galera")
        .map(|role| GaleraRole::parse(&role))
        .transpose()
    {
        Ok(role) => role,
        Err(e) => return Checked::cannot_tell("", e),
    };
    let opts = MysqlOptions {
        target: optional(m, "target"),
        defaults_file: optional(m, "defaults-file"),
        galera,
        datadir: optional(m, "datadir"),
    };
    mysql::probe(&opts, ctx)
}

//! `probe heartbeat --config FILE... --service NAME [--host HOST]`:
//! [`HeartbeatOptions`], then `checks::heartbeat::probe`.

use super::args::{many, optional, required};
use super::ProbeKind;
use crate::checks::heartbeat::{self, HeartbeatOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgAction, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "heartbeat",
    about: "The service's heartbeat row in its database (services.updated_at, neutron agents.heartbeat_timestamp) is younger than its down time",
    args: arguments,
    run,
    http_budget: false,
};

fn arguments(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("config")
            .long("config")
            .value_name("FILE")
            .required(true)
            .action(ArgAction::Append)
            .help(
                "The service's oslo.config file ([database] connection, host, service_down_time \
                 or agent_down_time); repeat it as the service does: later files win, and may be absent",
            ),
    )
    .arg(
        Arg::new("service")
            .long("service")
            .value_name("NAME")
            .required(true)
            .help(
                "The binary its row names (nova-conductor, cinder-volume, neutron-dhcp-agent...)",
            ),
    )
    .arg(
        Arg::new("host")
            .long("host")
            .value_name("HOST")
            .help("The host of the row (default: [DEFAULT] host, else this host's name)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let opts = HeartbeatOptions {
        configs: many(m, "config"),
        service: required(m, "service").to_string(),
        host: optional(m, "host"),
    };
    heartbeat::probe(&opts, ctx)
}

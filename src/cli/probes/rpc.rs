//! `probe rpc --config FILE... --topic TOPIC [--server HOST] [--exchange NAME]`:
//! [`RpcOptions`], then `checks::rpc::probe`.

use super::args::{many, optional, required};
use super::ProbeKind;
use crate::checks::rpc::{self, RpcOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgAction, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "rpc",
    about: "oslo.messaging RPC: ping (baseapi 1.1) TOPIC.HOST through the broker of the service's transport_url; healthy on any reply",
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
                "The service's oslo.config file (transport_url, control_exchange, host, \
                 [oslo_messaging_rabbit] ssl*); repeat it as the service does: later files win, and may be absent",
            ),
    )
    .arg(
        Arg::new("topic")
            .long("topic")
            .value_name("TOPIC")
            .required(true)
            .help(
                "The topic the service's RPC server listens on (conductor, compute, dhcp_agent...)",
            ),
    )
    .arg(
        Arg::new("server")
            .long("server")
            .value_name("HOST")
            .help("The server part of the queue (default: [DEFAULT] host, else this host's name)"),
    )
    .arg(
        Arg::new("exchange")
            .long("exchange")
            .value_name("NAME")
            .help(
                "Publish to this exchange (default: control_exchange, else the first config \
                 file's name: nova.conf gives nova)",
            ),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let opts = RpcOptions {
        configs: many(m, "config"),
        topic: required(m, "topic").to_string(),
        server: optional(m, "server"),
        exchange: optional(m, "exchange"),
        default_exchange: None,
        backends_key: None,
    };
    rpc::probe(&opts, ctx)
}

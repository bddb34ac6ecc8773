//! `probe amqp ADDR [--user --password-file --vhost --tls ...]`: [`AmqpOptions`], then
//! `checks::amqp::probe`.

use super::args::{self, address_arg, optional, required};
use super::ProbeKind;
use crate::checks::amqp::{self, AmqpOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgAction, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "amqp",
    about: "AMQP 0-9-1 (RabbitMQ): protocol header and Connection.Start; with credentials, login and vhost open",
    args: arguments,
    run,
    http_budget: false,
};

fn arguments(cmd: Command) -> Command {
    args::tls_file_args(
        cmd.arg(address_arg("Broker HOST[:PORT] (default port 5672)").required(true)),
    )
    .arg(
        Arg::new("user")
            .long("user")
            .value_name("USER")
            .help("Log in as USER (needs --password-file)"),
    )
    .arg(
        Arg::new("password-file")
            .long("password-file")
            .value_name("FILE")
            .help("File whose first line is the password (never given on the command line)"),
    )
    .arg(
        Arg::new("vhost")
            .long("vhost")
            .value_name("VHOST")
            .default_value("/")
            .help("Virtual host to open"),
    )
    .arg(Arg::new("tls").long("tls").action(ArgAction::SetTrue).help(
        "Speak AMQP over TLS (amqps); the certificate is verified only with --cacert, like curl",
    ))
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let opts = AmqpOptions {
        address: required(m, "address").to_string(),
        user: optional(m, "user"),
        password_file: optional(m, "password-file"),
        vhost: optional(m, "vhost").unwrap_or_else(|| "/".into()),
        tls: m.get_flag("tls"),
        tls_files: args::tls_options(m),
    };
    amqp::probe(&opts, ctx)
}

//! `probe etcd URL [--cacert --cert --key]`: [`EtcdOptions`], then `checks::etcd::probe`.

use super::args::optional;
use super::ProbeKind;
use crate::checks::etcd::{self, EtcdOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "etcd",
    about: "etcd: the /health endpoint must report health true",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    let file = |name: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name("FILE").help(help)
    };
    cmd.arg(
        Arg::new("url")
            .value_name("URL")
            .required(true)
            .help("A client URL, e.g. http://127.0.0.1:2379"),
    )
    .arg(file(
        "cacert",
        "CA bundle (PEM) to verify the server against (default: not verified, like curl -k)",
    ))
    .arg(file(
        "cert",
        "Client certificate (PEM) when etcd requires client TLS",
    ))
    .arg(file("key", "Client key (PEM) for --cert"))
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let opts = EtcdOptions {
        url: optional(m, "url").unwrap_or_default(),
        ca_file: optional(m, "cacert"),
        client_cert: optional(m, "cert"),
        client_key: optional(m, "key"),
    };
    etcd::probe(&opts, ctx)
}

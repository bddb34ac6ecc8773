//! `probe http URL`: curl-like flags into [`HttpOptions`], then `checks::http::probe`.

use super::args::{self, many, optional};
use super::ProbeKind;
use crate::checks::http::{self, HttpOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgAction, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "http",
    about: "HTTP(S) GET: healthy when the status is below 400",
    args: arguments,
    run,
    http_budget: true,
};

fn arguments(cmd: Command) -> Command {
    args::tls_file_args(
        cmd.arg(
            Arg::new("url")
                .required(true)
                .value_name("URL")
                .help("http:// or https:// URL (IPv6 as http://[::1]:8080/)"),
        ),
    )
    .arg(
        Arg::new("verify")
            .long("verify")
            .action(ArgAction::SetTrue)
            .help("Verify the server certificate (against --cacert, else the system CA bundle)"),
    )
    .arg(
        Arg::new("insecure")
            .long("insecure")
            .short('k')
            .action(ArgAction::SetTrue)
            .conflicts_with_all(["verify", "cacert"])
            .help("Do not verify the server certificate (the default, like curl -k)"),
    )
    .arg(
        Arg::new("header")
            .long("header")
            .short('H')
            .value_name("NAME: VALUE")
            .action(ArgAction::Append)
            .help("Extra request header"),
    )
    .arg(
        Arg::new("user-agent")
            .long("user-agent")
            .value_name("UA")
            .help("User-Agent (default curl-healthcheck)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let url = optional(m, "url").unwrap_or_default();
    let tls = args::tls_options(m);
    let mut opts = HttpOptions {
        verify: m.get_flag("verify"),
        ca_file: tls.ca_file,
        client_cert: tls.client_cert,
        client_key: tls.client_key,
        ..HttpOptions::default()
    };
    if let Some(ua) = optional(m, "user-agent") {
        opts.user_agent = ua;
    }
    http::probe(&url, &opts, &many(m, "header"), ctx)
}

//! Arguments several probe kinds share, and reading them back from the matches.

use crate::net::tls::TlsOptions;
use clap::{Arg, ArgMatches, Command};

/// The positional address argument of a probe (`ADDR`).
pub fn address_arg(help: &'static str) -> Arg {
    Arg::new("address").value_name("ADDR").help(help)
}

/// The certificate files a TLS client takes (`--cacert`, `--cert`, `--key`), named as curl names them.
pub fn tls_file_args(cmd: Command) -> Command {
    let file = |name: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name("FILE").help(help)
    };
    cmd.arg(file(
        "cacert",
        "Verify the server certificate against this CA bundle (PEM)",
    ))
    .arg(file("cert", "Client certificate (PEM) to present"))
    .arg(file("key", "Private key (PEM) of the client certificate"))
}

/// The options given by [`tls_file_args`]: a CA file turns verification on, as it does for curl.
pub fn tls_options(m: &ArgMatches) -> TlsOptions {
    TlsOptions {
        verify: optional(m, "cacert").is_some(),
        chain_only: false,
        ca_file: optional(m, "cacert"),
        client_cert: optional(m, "cert"),
        client_key: optional(m, "key"),
    }
}

/// The arguments shared by `probe port` and `probe listen`: PROCESS PORT...
pub fn process_and_ports(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("process")
            .required(true)
            .value_name("PROCESS")
            .help("Pattern matched like pgrep -f (command line or 15-char name)"),
    )
    .arg(
        Arg::new("ports")
            .required(true)
            .num_args(1..)
            .value_name("PORT"),
    )
}

/// The value of an optional string argument.
pub fn optional(m: &ArgMatches, name: &str) -> Option<String> {
    m.get_one::<String>(name).cloned()
}

/// The value of a string argument, "" when absent (clap has enforced the required ones).
pub fn required<'a>(m: &'a ArgMatches, name: &str) -> &'a str {
    m.get_one::<String>(name)
        .map(String::as_str)
        .unwrap_or_default()
}

/// Every value of a repeatable or multi-valued argument.
pub fn many(m: &ArgMatches, name: &str) -> Vec<String> {
    m.get_many::<String>(name)
        .map(|values| values.cloned().collect())
        .unwrap_or_default()
}

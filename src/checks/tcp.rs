//! TCP connect check: healthy when something accepts a connection on the endpoint
//! (`HOST:PORT`, `[v6]:PORT`, `unix:PATH`, `@abstract`), within the deadline.

use crate::cli::probes::ProbeKind;
use crate::context::Context;
use crate::net::{self, Endpoint};
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "tcp",
    about: "TCP connect to HOST:PORT",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("endpoint")
            .required(true)
            .value_name("HOST:PORT|unix:PATH|@NAME")
            .help("Where to connect: HOST:PORT, [IPv6]:PORT, unix:PATH (or /PATH), @ABSTRACT-NAME"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let text = m
        .get_one::<String>("endpoint")
        .map(String::as_str)
        .unwrap_or("");
    match Endpoint::parse(text, None) {
        Ok(endpoint) => connect(&endpoint, ctx),
        Err(e) => Checked::new(
            text,
            Err(format!("{e} (expected HOST:PORT, unix:PATH or @NAME)")),
        ),
    }
}

/// Connect to `endpoint` (host:port, unix path, @abstract): healthy when it accepts.
pub fn connect(endpoint: &Endpoint, ctx: &Context) -> Checked {
    let outcome = net::connect(endpoint, ctx).map(|conn| {
        let peer = conn
            .peer
            .map(|a| a.to_string())
            .unwrap_or_else(|| endpoint.to_string());
        format!(
            "connected to {peer} in {:.3}s",
            ctx.deadline.elapsed().as_secs_f64()
        )
    });
    Checked::new(endpoint.to_string(), outcome)
}

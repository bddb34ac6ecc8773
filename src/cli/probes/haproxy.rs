//! `probe haproxy ADDR|URL`: `checks::haproxy::probe`.

use super::args::{address_arg, required};
use super::ProbeKind;
use crate::checks::haproxy;
use crate::context::Context;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "haproxy",
    about: "HAProxy: stats socket 'show info' or the monitor URI",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(
        address_arg(
            "Stats socket (unix:PATH or tcp:HOST:PORT) or the monitor-uri URL (http://...)",
        )
        .required(true),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    haproxy::probe(required(m, "address"), ctx)
}

//! `probe redis ADDR [--password-file FILE] [--user USER]`: [`RedisOptions`], then
//! `checks::redis::probe`.

use super::args::{address_arg, optional, required};
use super::ProbeKind;
use crate::checks::redis::{self, RedisOptions};
use crate::context::Context;
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "redis",
    about: "Redis: AUTH (password from a file) and PING, expecting +PONG",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(address_arg("HOST[:PORT] (default port 6379) or unix:PATH").required(true))
        .arg(
            Arg::new("password-file")
                .long("password-file")
                .value_name("FILE")
                .help("File whose first line is the password (requirepass or the ACL user's)"),
        )
        .arg(
            Arg::new("user")
                .long("user")
                .value_name("USER")
                .help("ACL user name for AUTH (Redis 6+)"),
        )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let opts = RedisOptions {
        address: required(m, "address").to_string(),
        password_file: optional(m, "password-file"),
        user: optional(m, "user"),
    };
    redis::probe(&opts, ctx)
}

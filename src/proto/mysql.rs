//! MySQL/MariaDB client protocol: handshake, authentication (mysql_native_password, caching_sha2_password, ed25519), SELECT 1, Galera state.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use crate::net::Endpoint;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "mysql", about: "MySQL/MariaDB: log in with the [client] credentials of a defaults file, SELECT 1 (--galera: Synced)", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Log in as `user` (password from a file, never argv) and run `SELECT 1`; with
/// `galera`, healthy only when wsrep_local_state is 4 (Synced).
pub fn select1(endpoint: &Endpoint, _user: &str, _password: Option<&str>, _galera: bool, _ctx: &Context) -> Outcome {
    Err(format!("{endpoint}: not implemented yet"))
}

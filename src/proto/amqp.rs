//! AMQP 0-9-1 client: protocol header, Connection.Start/StartOk (PLAIN), Tune, Open of a vhost, Close.

use crate::context::Context;
use crate::probes::ProbeKind;
use crate::verdict::{Checked, Outcome};
use crate::net::Endpoint;
use clap::{ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind { name: "amqp", about: "AMQP 0-9-1 (RabbitMQ): protocol header and Connection.Start; with credentials, login and vhost open", args, run, http_budget: false };

fn args(cmd: Command) -> Command {
    cmd
}

fn run(_m: &ArgMatches, _ctx: &Context) -> Checked {
    Checked::new("", Err("not implemented yet".into()))
}

/// Credentials for a full AMQP login.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
    pub vhost: String,
}

/// Speak AMQP to `endpoint`: Connection.Start must arrive; with `login`, log in and open the vhost.
pub fn handshake(endpoint: &Endpoint, _login: Option<&Login>, _tls: bool, _ctx: &Context) -> Outcome {
    Err(format!("{endpoint}: not implemented yet"))
}

//! The registry of probe kinds behind `openstack-healthcheck probe <kind>`: one module
//! per kind, each exporting a [`ProbeKind`] with its name, its help, its clap
//! arguments, and how its matches become the check's typed options before the call
//! into `checks`. A new kind is a new module here and one line in [`all`].

mod args;

mod amqp;
mod etcd;
mod filemod;
mod haproxy;
mod heartbeat;
mod http;
mod libvirt;
mod listen;
mod memcached;
mod mysql;
mod ovsdb;
mod port;
mod process;
mod redis;
mod rpc;
mod socket;
mod tcp;
mod unixctl;

use crate::context::Context;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub struct ProbeKind {
    pub name: &'static str,
    pub about: &'static str,
    /// Adds this kind's arguments to its subcommand.
    pub args: fn(Command) -> Command,
    /// Turns the matches into the check's options and runs the check.
    pub run: fn(&ArgMatches, &Context) -> Checked,
    /// Whether the default budget is HTTP's (`HEALTHCHECK_CURL_MAX_TIME`).
    pub http_budget: bool,
}

/// Every probe kind, in the order `--help` lists them.
pub fn all() -> &'static [&'static ProbeKind] {
    &[
        &http::PROBE,
        &tcp::PROBE,
        &port::PROBE,
        &listen::PROBE,
        &socket::PROBE,
        &filemod::PROBE,
        &process::PROBE,
        &mysql::PROBE,
        &amqp::PROBE,
        &rpc::PROBE,
        &heartbeat::PROBE,
        &memcached::PROBE,
        &redis::PROBE,
        &ovsdb::PROBE,
        &unixctl::PROBE,
        &etcd::PROBE,
        &haproxy::PROBE,
        &libvirt::PROBE,
    ]
}

pub fn find(name: &str) -> Option<&'static ProbeKind> {
    all().iter().copied().find(|p| p.name == name)
}

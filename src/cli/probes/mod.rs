//! The registry of probe kinds behind `openstack-healthcheck probe <kind>`: each kind
//! lives in its own module (under `checks/` or `proto/`) and exports a [`ProbeKind`].

use crate::context::Context;
use crate::verdict::Checked;
use clap::{ArgMatches, Command};

pub struct ProbeKind {
    pub name: &'static str,
    pub about: &'static str,
    /// Adds this kind's arguments to its subcommand.
    pub args: fn(Command) -> Command,
    pub run: fn(&ArgMatches, &Context) -> Checked,
    /// Whether the default budget is HTTP's (`HEALTHCHECK_CURL_MAX_TIME`).
    pub http_budget: bool,
}

/// Every probe kind, in the order `--help` lists them.
pub fn all() -> &'static [&'static ProbeKind] {
    &[
        &crate::checks::http::PROBE,
        &crate::checks::tcp::PROBE,
        &crate::checks::port::PROBE,
        &crate::checks::listen::PROBE,
        &crate::checks::socket::PROBE,
        &crate::checks::filemod::PROBE,
        &crate::checks::process::PROBE,
        &crate::proto::mysql::PROBE,
        &crate::proto::amqp::PROBE,
        &crate::proto::memcached::PROBE,
        &crate::proto::redis::PROBE,
        &crate::proto::ovsdb::PROBE,
        &crate::proto::etcd::PROBE,
        &crate::proto::haproxy::PROBE,
        &crate::proto::libvirt::PROBE,
    ]
}

pub fn find(name: &str) -> Option<&'static ProbeKind> {
    all().iter().copied().find(|p| p.name == name)
}

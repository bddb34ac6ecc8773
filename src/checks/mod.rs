//! The verdict logic, one module per check kind: each takes typed options (or plain
//! arguments) and a [`Context`](crate::context::Context), and returns a [`Checked`]. The command line (`cli`) and
//! the service table (`services`) both call in here; this layer parses no arguments and
//! knows neither of them. Protocol checks (mysql, amqp, redis, unixctl, ...) drive the clients of
//! `proto` and turn what those report into healthy or unhealthy reasons.

pub mod filemod;
pub mod http;
pub mod listen;
pub mod port;
pub mod process;
pub mod socket;
pub mod tcp;

// Protocol checks: the verdict on what a `proto` client reports.
pub mod amqp;
pub mod etcd;
pub mod haproxy;
pub mod heartbeat;
pub mod libvirt;
pub mod mariadb;
pub mod memcached;
pub mod mysql;
pub mod ovn;
pub mod ovsdb;
pub mod rabbitmq;
pub mod redis;
pub mod rpc;
pub mod unixctl;

// Service-specific checks used by the services table (not probe kinds of their own).
pub mod amqp1;
pub mod collectd;
pub mod cron;
pub mod multipathd;
pub mod swift_recon;

use crate::net::Endpoint;
use crate::verdict::{Checked, Outcome};

/// Parse a probe's address (or `default_address` when it is optional and absent)
/// and run `probe` on it; a missing or bad address is a verdict naming it (cannot tell).
pub fn with_endpoint(
    address: Option<&str>,
    default_address: Option<&str>,
    default_port: Option<u16>,
    probe: impl FnOnce(&Endpoint) -> Outcome,
) -> Checked {
    let Some(text) = address.or(default_address) else {
        return Checked::cannot_tell("", "no address given");
    };
    match Endpoint::parse(text, default_port) {
        Ok(endpoint) => Checked::new(endpoint.to_string(), probe(&endpoint)),
        Err(e) => Checked::cannot_tell(text, format!("bad address: {e}")),
    }
}

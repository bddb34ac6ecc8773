//! The check primitives, one module per kind: each exports a `PROBE` for
//! `openstack-healthcheck probe <kind>` and plain functions the service table calls.

pub mod filemod;
pub mod http;
pub mod listen;
pub mod port;
pub mod process;
pub mod socket;
pub mod tcp;

// Service-specific checks used by the services table (not probe kinds of their own).
pub mod amqp1;
pub mod collectd;
pub mod cron;
pub mod multipathd;
pub mod swift_recon;

//! The integration tests: one test binary that runs the built `openstack-healthcheck` against
//! real peers (servers from Debian packages, Python peers, the original scripts side by side).
//!
//! One binary rather than one per file: each test binary is linked on its own, and in the
//! release profile every link is a fat-LTO build of the whole crate. The modules share one
//! process, so every helper in `util` keeps each test to its own temp dirs, ports, peers and
//! environment (see `util`'s doc comment). Run part of it with a filter on the module path:
//! `cargo test --release --test integration -- probes_small::`.

mod util;

mod cli;
mod config;
mod filemod;
mod galera;
mod http;
mod kolla;
mod kolla_rabbitmq;
mod listen;
mod monitoring_textfile;
mod ovn;
mod port;
mod probe_amqp;
mod probe_heartbeat;
mod probe_mysql;
mod probe_rpc;
mod probes_over_http;
mod probes_small;
mod services;
mod socket;
mod tcp;

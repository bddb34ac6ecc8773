//! Replies of the small service protocols (collectd unixsock, multipathd, the AMQP 1.0
//! header) and the files the service checks read (swift recon cache, crontab, passwd):
//! whatever a peer or a file holds, decoding it must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::checks::{amqp1, collectd, cron, multipathd, swift_recon};
use openstack_healthcheck::config::passwd;

fuzz_target!(|data: &[u8]| {
    let _ = collectd::parse_status(data);
    let _ = multipathd::parse_reply(data);
    let _ = amqp1::parse_header(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = swift_recon::replication_last(text);
        let _ = cron::count_entries(text);
        let _ = passwd::parse(text);
    }
});

//! The small text replies from the network (memcached `version`, HAProxy `show info`,
//! etcd `/health`) must never panic their parsers.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::checks::etcd;
use openstack_healthcheck::proto::{haproxy, memcached};

fuzz_target!(|data: &[u8]| {
    let _ = memcached::parse_version_reply(data);
    let _ = haproxy::parse_show_info(data);
    let _ = etcd::evaluate(200, data);
});

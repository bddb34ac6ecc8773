//! Apache vhost files and sysconfig files → URLs and addresses: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::config::{qdrouterd, sysconfig, vhost};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vhost::url_from_vhost(text);
        let _ = vhost::listen_port(text);
        let _ = sysconfig::parse(text);
        if let Ok(blocks) = qdrouterd::parse(text) {
            let _ = qdrouterd::listener(&blocks);
        }
    }
});

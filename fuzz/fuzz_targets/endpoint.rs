//! Addresses come from config files and arguments: parsing one must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::net::{resolve::lookup_hosts, Endpoint};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ep) = Endpoint::parse(text, Some(1)) {
            let _ = ep.to_string();
        }
        let _ = lookup_hosts(text, "localhost");
    }
});

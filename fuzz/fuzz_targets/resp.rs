//! Redis replies come from the network: decoding RESP must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::checks::redis::evaluate;
use openstack_healthcheck::proto::redis::resp;

fuzz_target!(|data: &[u8]| {
    if let Ok(values) = resp::parse_all(data) {
        let _ = evaluate(&["AUTH", "PING"], &values, Some("user"));
    }
    let _ = resp::parse(data);
});

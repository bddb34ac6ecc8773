//! libvirt RPC packets from the network: length framing, header and error decoding must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proto::libvirt::{error_reason, packet_len, parse_reply};

fuzz_target!(|data: &[u8]| {
    if let Some(len) = packet_len(data) {
        let _ = parse_reply(&data[..len.min(data.len())], 157, 2);
    }
    let _ = parse_reply(data, 1, 1);
    let _ = error_reason(data);
});

//! DNS replies arrive over UDP from the network: parsing one must never panic, and
//! resolv.conf parsing must cope with any text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::net::resolve::dns::{parse_reply, parse_resolv_conf, TYPE_A, TYPE_AAAA};

fuzz_target!(|data: &[u8]| {
    let id = u16::from_be_bytes([
        data.first().copied().unwrap_or(0),
        data.get(1).copied().unwrap_or(0),
    ]);
    for qtype in [TYPE_A, TYPE_AAAA] {
        let _ = parse_reply(data, id, "ctl.example", qtype);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let conf = parse_resolv_conf(text);
        assert!(!conf.nameservers.is_empty());
    }
});

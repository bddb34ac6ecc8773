//! OVSDB JSON-RPC from the network: framing and the list_dbs reply must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proto::ovsdb::{find_reply, message_end};

fuzz_target!(|data: &[u8]| {
    let _ = message_end(data);
    let _ = find_reply(data, 1);
});

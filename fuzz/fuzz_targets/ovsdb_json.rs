//! OVSDB JSON-RPC from the network: framing, the list_dbs reply and the cluster
//! status must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proto::ovsdb::{
    cluster_status, databases_from_reply, find_reply, message_end,
};

fuzz_target!(|data: &[u8]| {
    let _ = message_end(data);
    if let Some(Ok(message)) = find_reply(data, 1) {
        let _ = databases_from_reply(&message);
        let _ = cluster_status(&message, "OVN_Southbound");
    }
});

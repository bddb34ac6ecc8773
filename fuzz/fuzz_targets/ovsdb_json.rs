//! OVSDB JSON-RPC from the network: framing, the list_dbs reply, the cluster status,
//! the Open_vSwitch external_ids and a unixctl reply (the same framing) must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proto::ovsdb::{
    cluster_status, databases_from_reply, external_ids_from_reply, find_reply, message_end,
};
use openstack_healthcheck::proto::unixctl;

fuzz_target!(|data: &[u8]| {
    let _ = message_end(data);
    if let Some(Ok(message)) = find_reply(data, 1) {
        let _ = databases_from_reply(&message);
        let _ = cluster_status(&message, "OVN_Southbound");
        let _ = external_ids_from_reply(&message);
    }
    if let Some(Ok(message)) = find_reply(data, 0) {
        let _ = unixctl::reply_from(&message);
    }
});

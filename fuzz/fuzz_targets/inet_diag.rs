//! inet_diag replies come from the kernel, but a parser must not trust lengths: no panic on any bytes.
//! The /proc/net fallback parser gets the same bytes as text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proc::sockets::procnet::parse_proc_net;
use openstack_healthcheck::proc::sockets::sockdiag::{parse_inet_diag_msgs, port_filter_bytecode};

fuzz_target!(|data: &[u8]| {
    let _ = parse_inet_diag_msgs(data);
    let _ = parse_proc_net(&String::from_utf8_lossy(data), u32::MAX, &[5672, 0], true);
    // Any port list yields bytecode of the announced shape.
    let ports: Vec<u16> = data
        .chunks_exact(2)
        .take(64)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect();
    let code = port_filter_bytecode(&ports, data.first().is_some_and(|b| b & 1 == 1));
    assert_eq!(code.len() % 4, 0);
});

//! unix_diag replies (names are arbitrary bytes, attributes carry their own lengths): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proc::sockets::sockdiag::parse_unix_diag_msgs;

fuzz_target!(|data: &[u8]| {
    let _ = parse_unix_diag_msgs(data);
});

//! /proc/PID/{status,cmdline} and fd links are written by other users' processes (names,
//! arguments): parsing them, and matching patterns against them, must not panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proc::{fds::parse_socket_link, pattern::Pattern, process};

fuzz_target!(|data: &[u8]| {
    let _ = process::parse_status(data);
    let line = process::join_cmdline(data);
    let _ = parse_socket_link(data);
    // First line: a pattern; the rest: the subject it is matched against.
    if let Some(split) = data.iter().position(|&b| b == b'\n') {
        if let Ok(text) = std::str::from_utf8(&data[..split]) {
            if let Ok(pattern) = Pattern::parse(text) {
                let _ = pattern.min_len();
                let _ = pattern.is_match(&data[split + 1..]);
                let _ = pattern.is_match(line.as_bytes());
            }
        }
    }
});

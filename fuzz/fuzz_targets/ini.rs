//! oslo.config and my.cnf files are read from the container: parsing one must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::config::{ini, mycnf};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ini) = ini::parse(text) {
            let _ = ini.get("DEFAULT", "bind_host");
            let _ = ini.get_or("vnc", "novncproxy_port", "6080");
        }
        let _ = mycnf::parse(text);
    }
});

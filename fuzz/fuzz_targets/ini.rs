//! oslo.config and my.cnf files are read from the container: parsing one must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::config::ini::{parse_dialect, Dialect};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for dialect in [Dialect::Oslo, Dialect::MyCnf] {
            if let Ok(ini) = parse_dialect(text, dialect) {
                let _ = ini.get("DEFAULT", "bind_host");
                let _ = ini.get_or("vnc", "novncproxy_port", "6080");
            }
        }
    }
});

//! oslo.config and my.cnf files are read from the container, and the URLs in them
//! (transport_url, [database] connection): parsing one must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::config::{db_url, ini, mycnf, transport_url};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ini) = ini::parse(text) {
            let _ = ini.get("DEFAULT", "bind_host");
            let _ = ini.get_or("vnc", "novncproxy_port", "6080");
        }
        let _ = mycnf::parse(text);
        let _ = transport_url::parse(text);
        let _ = db_url::parse(text);
    }
});

//! redis.conf is read from the container: parsing it must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::config::redis_conf;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(conf) = redis_conf::parse(text) {
            let _ = conf.host();
            let _ = conf.plain_port();
        }
    }
});

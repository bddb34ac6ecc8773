//! rabbitmq.conf, enabled_plugins and the definitions file are read from the container:
//! parsing them must never panic, and no parse may show a password in its Debug form.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::config::rabbitmq;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rabbitmq::parse_conf(text);
        let _ = rabbitmq::plugin_enabled(text, "rabbitmq_management");
        if let Ok(definitions) = rabbitmq::parse_definitions(text) {
            let _ = definitions.check_user();
            let _ = format!("{definitions:?}");
        }
    }
});

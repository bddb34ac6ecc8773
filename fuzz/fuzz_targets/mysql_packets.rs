//! Everything a MySQL/MariaDB server (or an impostor) sends passes through these
//! decoders: none may panic, loop or allocate without bound on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::config::mycnf;
use openstack_healthcheck::proto::mysql::packet;

fuzz_target!(|data: &[u8]| {
    let _ = packet::split_greeting(data);
    let mut rest = data;
    while let Ok(Some((pkt, used))) = packet::split_packet(rest) {
        let _ = packet::parse_handshake(&pkt.payload);
        let _ = packet::parse_auth_reply(&pkt.payload);
        let _ = packet::parse_query_reply(&pkt.payload);
        let _ = packet::parse_text_row(&pkt.payload, u64::from(pkt.seq));
        let _ = packet::is_eof(&pkt.payload);
        rest = &rest[used..];
    }
    let _ = mycnf::parse(&String::from_utf8_lossy(data));
});

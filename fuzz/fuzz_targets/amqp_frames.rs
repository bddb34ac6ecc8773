//! Everything an AMQP broker (or an impostor) sends passes through these decoders:
//! none may panic, recurse without bound or allocate without bound on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proto::amqp::frame;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((f, used))) = frame::split_frame(rest) {
        if let Ok(frame::Method::Start {
            server_properties, ..
        }) = frame::parse_method(&f.payload)
        {
            let _ = frame::str_property(&server_properties, "product");
        }
        rest = &rest[used..];
    }
    // Method payloads without the frame around them, too.
    let _ = frame::parse_method(data);
});

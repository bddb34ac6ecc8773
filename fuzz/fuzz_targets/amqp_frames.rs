//! Everything an AMQP broker (or an impostor) sends passes through these decoders:
//! none may panic, recurse without bound or allocate without bound on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proto::amqp::{basic, frame};
use openstack_healthcheck::proto::oslo_rpc;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((f, used))) = frame::split_frame(rest) {
        if let Ok(frame::Method::Start {
            server_properties, ..
        }) = frame::parse_method(&f.payload)
        {
            let _ = frame::str_property(&server_properties, "product");
        }
        let _ = basic::parse_method(&f.payload);
        let _ = basic::parse_content_header(&f.payload);
        rest = &rest[used..];
    }
    // Method payloads without the frame around them, too, and an RPC reply body.
    let _ = frame::parse_method(data);
    let _ = basic::parse_method(data);
    let _ = basic::parse_content_header(data);
    let _ = oslo_rpc::parse_reply(data, "m");
});

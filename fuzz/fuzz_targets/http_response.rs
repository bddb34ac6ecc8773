//! HTTP replies come from whatever listens on the port. ureq parses them; what we still
//! read of them ourselves (the scan that bounds the reply head and quotes its start in
//! errors) must never panic, and must find the same end however the bytes are split
//! across reads. URLs come from config files: parsing one must not panic either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::proto::http::{
    absolute_request_line, printable, scan_head, HeadScan, Url,
};

fuzz_target!(|data: &[u8]| {
    // Credentials in a URL are remembered for redaction for the life of the process,
    // so inputs with `@` would only grow that list here.
    let text = String::from_utf8_lossy(data);
    if !text.contains('@') {
        if let Ok(url) = Url::parse(&text) {
            let absolute = url.absolute();
            let _ = (url.host_header(), url.authority());
            let _ = absolute_request_line(data, &absolute);
        }
    }
    let whole = scan_head(data, 0);
    if let HeadScan::Complete(end) = whole {
        assert!(end <= data.len());
    }
    let split = data
        .first()
        .map(|b| *b as usize % (data.len() + 1))
        .unwrap_or(0);
    if scan_head(&data[..split], 0) == HeadScan::Incomplete {
        assert_eq!(scan_head(data, split), whole);
    }
    assert!(!printable(data).contains('\n'));
});

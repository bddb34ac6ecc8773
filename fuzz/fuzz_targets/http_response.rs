//! HTTP replies come from whatever listens on the port: parsing one must never panic,
//! whatever the bytes and however they are split across reads. URLs likewise.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openstack_healthcheck::checks::http::Url;
use openstack_healthcheck::proto::http1::{body_framing, parse_response_head, ChunkedDecoder};

fuzz_target!(|data: &[u8]| {
    // URLs come from config files: parsing one must not panic either. (Credentials
    // in a URL are remembered for redaction for the life of the process, so inputs
    // with `@` would only grow that list here.)
    let text = String::from_utf8_lossy(data);
    if !text.contains('@') {
        if let Ok(url) = Url::parse(&text) {
            let _ = (url.host_header(), url.absolute());
        }
    }
    if let Ok(Some((head, used))) = parse_response_head(data) {
        assert!(used <= data.len());
        let _ = body_framing(&head);
        let _ = head.status_text();
    }
    // The chunked decoder fed the same bytes whole and split in two must agree.
    let mut whole = Vec::new();
    let whole_result =
        ChunkedDecoder::default().feed(data, &mut |b: &[u8]| whole.extend_from_slice(b));
    let split_at = data
        .first()
        .map(|b| *b as usize % (data.len() + 1))
        .unwrap_or(0);
    let mut split = Vec::new();
    let mut decoder = ChunkedDecoder::default();
    let first = decoder.feed(&data[..split_at], &mut |b: &[u8]| {
        split.extend_from_slice(b)
    });
    if let (Ok(whole_used), Ok(first_used)) = (&whole_result, first) {
        if first_used == split_at && !decoder.done() {
            if let Ok(rest_used) = decoder.feed(&data[split_at..], &mut |b: &[u8]| {
                split.extend_from_slice(b)
            }) {
                assert_eq!(first_used + rest_used, *whole_used);
                assert_eq!(split, whole);
            }
        }
    }
});

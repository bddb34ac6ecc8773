//! The exit and output contract of the binary as a whole.
mod common;
use common::*;

#[test]
fn unknown_service_is_one_line_and_unhealthy() {
    let r = run(&["no-such-service"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("unknown service"), "{r:?}");
}

#[test]
fn bad_option_is_one_line_and_unhealthy() {
    let r = run(&["--bogus"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("usage"), "{r:?}");
}

#[test]
fn json_format_is_valid_json() {
    let r = run(&["--format", "json", "no-such-service"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json line");
    assert_eq!(v["healthy"], false);
    assert!(v["reason"].as_str().unwrap().contains("unknown service"));
}

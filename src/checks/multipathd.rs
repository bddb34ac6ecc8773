//! multipathd's control socket (what `multipathd show status` does): a command is sent
//! as a native-endian `size_t` length followed by the NUL-terminated text, and the reply
//! comes back framed the same way. A reply of `fail` means the command failed.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange;
use crate::verdict::Checked;

/// multipathd's abstract socket name.
pub const SOCKET: &str = "/org/kernel/linux/storage/multipathd";
const LEN_BYTES: usize = std::mem::size_of::<u64>();
const REPLY_LIMIT: usize = 64 * 1024;

/// Frame `command` for multipathd.
pub fn frame(command: &str) -> Vec<u8> {
    let mut out = ((command.len() + 1) as u64).to_ne_bytes().to_vec();
    out.extend_from_slice(command.as_bytes());
    out.push(0);
    out
}

/// Whether `buf` holds a whole framed reply (or a length we will refuse).
fn complete(buf: &[u8]) -> bool {
    match declared_len(buf) {
        Some(len) => len > REPLY_LIMIT || buf.len() >= LEN_BYTES + len,
        None => false,
    }
}

fn declared_len(buf: &[u8]) -> Option<usize> {
    let head: [u8; LEN_BYTES] = buf.get(..LEN_BYTES)?.try_into().ok()?;
    Some(usize::try_from(u64::from_ne_bytes(head)).unwrap_or(usize::MAX))
}

/// The outcome of a framed reply.
pub fn parse_reply(buf: &[u8]) -> Result<String, String> {
    let len = declared_len(buf).ok_or("reply shorter than its length header")?;
    if len > REPLY_LIMIT {
        return Err(format!("reply claims {len} bytes: not multipathd"));
    }
    let body = buf
        .get(LEN_BYTES..LEN_BYTES + len)
        .ok_or("reply shorter than its length")?;
    let text = String::from_utf8_lossy(body)
        .trim_end_matches('\0')
        .trim()
        .to_string();
    if text.is_empty() || text.starts_with("fail") {
        return Err(format!(
            "multipathd failed 'show status': {:?}",
            crate::output::truncate(&text, 80)
        ));
    }
    let first = text.lines().next().unwrap_or_default();
    Ok(format!("multipathd answered 'show status' ({first})"))
}

/// Ask multipathd at `endpoint` for its status.
pub fn show_status(endpoint: &Endpoint, ctx: &Context) -> Checked {
    let outcome = exchange::request(
        endpoint,
        ctx,
        &frame("show status"),
        REPLY_LIMIT + LEN_BYTES,
        complete,
    )
    .and_then(|reply| parse_reply(&reply));
    Checked::new(endpoint.to_string(), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_replies() {
        let f = frame("show status");
        assert_eq!(f.len(), 8 + 12);
        assert_eq!(*f.last().unwrap(), 0);
        let reply = frame("path checkers states:\nup 2\n");
        assert!(complete(&reply));
        assert!(!complete(&reply[..10]));
        assert!(parse_reply(&reply).unwrap().contains("path checkers"));
        assert!(parse_reply(&frame("fail")).unwrap_err().contains("failed"));
        assert!(parse_reply(&u64::MAX.to_ne_bytes())
            .unwrap_err()
            .contains("not multipathd"));
        assert!(parse_reply(b"abc").is_err());
        assert!(parse_reply(&frame("x")[..9]).is_err());
    }
}

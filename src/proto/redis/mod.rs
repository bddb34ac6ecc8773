//! Redis client: AUTH (password, optionally as an ACL user) then PING, both commands in
//! one write, and the replies read in order (RESP, in [`resp`]).

pub mod resp;

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange;
use resp::Value;

pub const DEFAULT_PORT: u16 = 6379;

/// The replies to AUTH and PING are a few bytes; anything near this is not Redis.
const REPLY_LIMIT: usize = 64 * 1024;

/// The commands sent, in order, and the replies that came back (fewer when an error
/// reply made the rest moot).
#[derive(Debug, Clone)]
pub struct Replies {
    pub asked: Vec<&'static str>,
    pub values: Vec<Value>,
}

/// AUTH (when a password is given, with the ACL `user` if any) then PING.
pub fn auth_and_ping(
    endpoint: &Endpoint,
    user: Option<&str>,
    password: Option<&str>,
    ctx: &Context,
) -> Result<Replies, String> {
    let mut request = Vec::new();
    let mut asked = Vec::new();
    if let Some(password) = password {
        let mut auth: Vec<&[u8]> = vec![b"AUTH"];
        auth.extend(user.map(str::as_bytes));
        auth.push(password.as_bytes());
        request.extend(resp::command(&auth));
        asked.push("AUTH");
    }
    request.extend(resp::command(&[b"PING"]));
    asked.push("PING");
    let reply = exchange::request(endpoint, ctx, &request, REPLY_LIMIT, |b| {
        replies_complete(b, asked.len())
    })?;
    Ok(Replies {
        values: resp::parse_all(&reply)?,
        asked,
    })
}

/// Whether the pipelined replies are all in (or an error makes the rest moot, or
/// the bytes cannot be RESP, which the caller's parse then reports).
fn replies_complete(buf: &[u8], expected: usize) -> bool {
    match resp::parse_all(buf) {
        Ok(values) => values.len() >= expected || matches!(values.first(), Some(Value::Error(_))),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_waits_for_every_reply_unless_an_error_comes_first() {
        assert!(!replies_complete(b"+OK\r\n", 2));
        assert!(replies_complete(b"+OK\r\n+PONG\r\n", 2));
        assert!(replies_complete(b"-WRONGPASS x\r\n", 2));
        assert!(replies_complete(b"garbage\n", 2));
    }
}

//! RESP (REdis Serialization Protocol, version 2) replies: just enough of a decoder
//! to read the answers to AUTH and PING from a byte stream that may be incomplete,
//! garbage, or hostile (sizes are bounded, nesting is bounded).

/// One decoded reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `+OK`
    Simple(String),
    /// `-ERR message`
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`, `$-1` (None)
    Bulk(Option<Vec<u8>>),
    /// `*2 ...`, `*-1` (None)
    Array(Option<Vec<Value>>),
}

/// Nesting deeper than this is not a reply to AUTH or PING.
const MAX_DEPTH: usize = 8;
/// No reply we read may announce more elements or bytes than this.
const MAX_LEN: i64 = 1 << 20;

/// Decode one value at the start of `buf`: `Ok(None)` while incomplete,
/// `Ok(Some((value, bytes used)))` once complete, `Err` when it cannot be RESP.
pub fn parse(buf: &[u8]) -> Result<Option<(Value, usize)>, String> {
    parse_at(buf, 0, 0)
}

/// Decode as many complete values as `buf` holds (stopping at the first incomplete one).
pub fn parse_all(buf: &[u8]) -> Result<Vec<Value>, String> {
    let mut values = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        match parse_at(buf, at, 0)? {
            Some((value, next)) => {
                values.push(value);
                at = next;
            }
            None => break,
        }
    }
    Ok(values)
}

fn parse_at(buf: &[u8], at: usize, depth: usize) -> Result<Option<(Value, usize)>, String> {
    if depth > MAX_DEPTH {
        return Err("RESP reply nested too deeply".into());
    }
    let Some(&kind) = buf.get(at) else {
        return Ok(None);
    };
    if !b"+-:$*".contains(&kind) {
        return Err(format!("not a RESP reply (starts with byte 0x{kind:02x})"));
    }
    let Some((line, after)) = line_at(buf, at + 1)? else {
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(line).into_owned();
    let value = match kind {
        b'+' => Value::Simple(text()),
        b'-' => Value::Error(text()),
        b':' => Value::Integer(number(line)?),
        b'$' => {
            let Some(len) = length(line)? else {
                return Ok(Some((Value::Bulk(None), after)));
            };
            let end = after + len;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err("RESP bulk string not followed by CRLF".into());
            }
            return Ok(Some((Value::Bulk(Some(buf[after..end].to_vec())), end + 2)));
        }
        b'*' => {
            let Some(count) = length(line)? else {
                return Ok(Some((Value::Array(None), after)));
            };
            let mut items = Vec::new();
            let mut next = after;
            for _ in 0..count {
                match parse_at(buf, next, depth + 1)? {
                    Some((item, n)) => {
                        items.push(item);
                        next = n;
                    }
                    None => return Ok(None),
                }
            }
            return Ok(Some((Value::Array(Some(items)), next)));
        }
        _ => unreachable!("kind checked above"),
    };
    Ok(Some((value, after)))
}

/// The line starting at `at` (without CRLF) and the index after its CRLF.
fn line_at(buf: &[u8], at: usize) -> Result<Option<(&[u8], usize)>, String> {
    let rest = buf.get(at..).unwrap_or(&[]);
    match rest.windows(2).position(|w| w == b"\r\n") {
        Some(end) => Ok(Some((&rest[..end], at + end + 2))),
        // A bare LF inside a RESP header line means this is some other protocol.
        None if rest.contains(&b'\n') => Err("not a RESP reply (bare LF in a header line)".into()),
        None => Ok(None),
    }
}

fn number(line: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            format!(
                "bad RESP number \"{}\"",
                crate::proto::exchange::printable(line, 20)
            )
        })
}

/// A bulk or array length: `None` for the null value (-1), bounded otherwise.
fn length(line: &[u8]) -> Result<Option<usize>, String> {
    match number(line)? {
        -1 => Ok(None),
        n if (0..=MAX_LEN).contains(&n) => Ok(Some(n as usize)),
        n => Err(format!("RESP length {n} out of range")),
    }
}

/// Encode a command as a RESP array of bulk strings.
pub fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_simple_values() {
        assert_eq!(
            parse(b"+PONG\r\n").unwrap(),
            Some((Value::Simple("PONG".into()), 7))
        );
        assert_eq!(
            parse(b"-NOAUTH Authentication required.\r\n")
                .unwrap()
                .unwrap()
                .0,
            Value::Error("NOAUTH Authentication required.".into())
        );
        assert_eq!(parse(b":-3\r\n").unwrap().unwrap().0, Value::Integer(-3));
        assert_eq!(parse(b"$-1\r\n").unwrap().unwrap().0, Value::Bulk(None));
        assert_eq!(
            parse(b"$4\r\nPONG\r\n").unwrap().unwrap().0,
            Value::Bulk(Some(b"PONG".to_vec()))
        );
        assert_eq!(
            parse(b"*2\r\n+a\r\n:1\r\n").unwrap().unwrap().0,
            Value::Array(Some(vec![Value::Simple("a".into()), Value::Integer(1)]))
        );
    }

    #[test]
    fn waits_for_incomplete_values() {
        for partial in [
            &b""[..],
            b"+PON",
            b"+PONG\r",
            b"$4\r\nPO",
            b"$4\r\nPONG\r",
            b"*2\r\n+a\r\n",
        ] {
            assert_eq!(parse(partial).unwrap(), None, "{partial:?}");
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(
            parse(b"xxxx").is_err(),
            "a wrong first byte is enough to reject"
        );
        assert!(parse(b"+PONG\n").is_err());
        assert!(parse(b"$99999999999\r\n").is_err());
        assert!(parse(b"$4\r\nPONGxx").is_err());
        assert!(parse(b":abc\r\n").is_err());
        assert!(parse(&b"*1\r\n".repeat(20)).is_err());
    }

    #[test]
    fn parses_pipelined_replies() {
        let all = parse_all(b"+OK\r\n+PONG\r\n+PA").unwrap();
        assert_eq!(
            all,
            vec![Value::Simple("OK".into()), Value::Simple("PONG".into())]
        );
    }

    #[test]
    fn encodes_commands() {
        assert_eq!(
            command(&[b"AUTH", b"pw"]),
            b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"
        );
    }
}

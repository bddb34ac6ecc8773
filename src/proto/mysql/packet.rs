//! MySQL wire format, decoding side: packet framing, the server's greeting
//! (handshake v10), OK/ERR/EOF, auth switch and auth-more-data packets, and text
//! result-set rows. Pure functions over bytes, so the fuzz target can reach them.

use crate::proto::framed::peer_text as printable;

/// Largest payload of one wire packet; a payload this long continues in the next one.
pub const MAX_PAYLOAD: usize = 0xff_ffff;

/// Capability flags we use (see the MySQL client/server protocol documentation).
pub mod caps {
    pub const LONG_PASSWORD: u32 = 0x0000_0001;
    pub const PROTOCOL_41: u32 = 0x0000_0200;
    pub const TRANSACTIONS: u32 = 0x0000_2000;
    pub const SECURE_CONNECTION: u32 = 0x0000_8000;
    pub const MULTI_RESULTS: u32 = 0x0002_0000;
    pub const PLUGIN_AUTH: u32 = 0x0008_0000;
    pub const PLUGIN_AUTH_LENENC_DATA: u32 = 0x0020_0000;
    pub const DEPRECATE_EOF: u32 = 0x0100_0000;
}

/// One packet as framed on the wire: its sequence number and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub seq: u8,
    pub payload: Vec<u8>,
}

/// Largest reply packet we accept: a health check's replies are tiny, and a
/// garbage peer's first bytes read as a length are usually huge.
pub const MAX_REPLY: usize = 1 << 20;

/// Split one complete packet off the front of `buf`: `Ok(None)` when more bytes
/// are needed, else the packet and how many bytes it used. Packets longer than
/// [`MAX_REPLY`] (which includes the 16 MiB ones that continue in a next packet)
/// are refused rather than waited for.
pub fn split_packet(buf: &[u8]) -> Result<Option<(Packet, usize)>, String> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = usize::from(buf[0]) | usize::from(buf[1]) << 8 | usize::from(buf[2]) << 16;
    if len > MAX_REPLY {
        return Err(format!(
            "server announced a packet of {len} bytes: not a reply to a health check"
        ));
    }
    if buf.len() < 4 + len {
        return Ok(None);
    }
    Ok(Some((
        Packet {
            seq: buf[3],
            payload: buf[4..4 + len].to_vec(),
        },
        4 + len,
    )))
}

/// Split the server's first packet, refusing at once what cannot be a greeting
/// (sequence number 0, protocol version 10 or an ERR packet) so a peer speaking
/// another protocol is named as such instead of waited for.
pub fn split_greeting(buf: &[u8]) -> Result<Option<(Packet, usize)>, String> {
    if let (Some(&seq), Some(&first)) = (buf.get(3), buf.get(4)) {
        if seq != 0 || !matches!(first, 10 | 0xff) {
            let head = printable(&buf[..buf.len().min(16)]);
            return Err(format!(
                "not a MySQL/MariaDB server greeting (it starts with {:?})",
                head.trim()
            ));
        }
    }
    split_packet(buf)
}

/// Frame `payload` as one packet with sequence number `seq`.
pub fn frame(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len().min(MAX_PAYLOAD - 1) as u32;
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&len.to_le_bytes()[..3]);
    out.push(seq);
    out.extend_from_slice(payload);
    out
}

/// A cursor over a payload whose reads fail with a reason instead of panicking.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn remaining(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let end = end.ok_or_else(|| format!("packet too short for {what}"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.bytes(1, what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A NUL-terminated string; a missing NUL takes the rest of the packet.
    pub fn nul_str(&mut self) -> &'a [u8] {
        let rest = self.remaining();
        match rest.iter().position(|b| *b == 0) {
            Some(i) => {
                self.pos += i + 1;
                &rest[..i]
            }
            None => {
                self.pos = self.data.len();
                rest
            }
        }
    }

    /// A length-encoded integer; `None` is the NULL marker (0xfb).
    pub fn lenenc_int(&mut self, what: &str) -> Result<Option<u64>, String> {
        let first = self.u8(what)?;
        let wide = |r: &mut Self, n: usize| -> Result<u64, String> {
            let b = r.bytes(n, what)?;
            Ok(b.iter().rev().fold(0u64, |acc, x| acc << 8 | u64::from(*x)))
        };
        match first {
            0xfb => Ok(None),
            0xfc => wide(self, 2).map(Some),
            0xfd => wide(self, 3).map(Some),
            0xfe => wide(self, 8).map(Some),
            0xff => Err(format!("bad length-encoded integer in {what}")),
            n => Ok(Some(u64::from(n))),
        }
    }

    /// A length-encoded string; `None` is SQL NULL.
    pub fn lenenc_bytes(&mut self, what: &str) -> Result<Option<&'a [u8]>, String> {
        match self.lenenc_int(what)? {
            None => Ok(None),
            Some(n) => {
                let n = usize::try_from(n).map_err(|_| format!("{what} too long"))?;
                self.bytes(n, what).map(Some)
            }
        }
    }
}

/// The server's greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub server_version: String,
    pub connection_id: u32,
    pub capabilities: u32,
    /// The nonce the client's auth response is computed from (usually 20 bytes).
    pub scramble: Vec<u8>,
    /// The auth plugin the server expects first (`mysql_native_password` when not named).
    pub auth_plugin: String,
}

impl Handshake {
    /// MariaDB announces itself in the version string (older ones after a `5.5.5-` prefix).
    pub fn product(&self) -> &'static str {
        if self.server_version.contains("MariaDB") {
            "MariaDB"
        } else {
            "MySQL"
        }
    }

    /// The version without MariaDB's replication-compatibility prefix and build suffix.
    pub fn version(&self) -> &str {
        let v = self
            .server_version
            .strip_prefix("5.5.5-")
            .unwrap_or(&self.server_version);
        v.split(['-', ' ']).next().unwrap_or(v)
    }
}

/// Decode the first packet a server sends. An ERR packet here (too many
/// connections, host not allowed) becomes its message.
pub fn parse_handshake(payload: &[u8]) -> Result<Handshake, String> {
    if payload.first() == Some(&0xff) {
        return Err(parse_err(payload).to_string());
    }
    let mut r = Reader::new(payload);
    let protocol = r.u8("protocol version")?;
    if protocol != 10 {
        return Err(format!(
            "not a MySQL/MariaDB server greeting (protocol version {protocol}, expected 10)"
        ));
    }
    let server_version = printable(r.nul_str());
    let connection_id = r.u32("connection id")?;
    let mut scramble = r.bytes(8, "scramble")?.to_vec();
    r.u8("filler")?;
    let mut capabilities = u32::from(r.u16("capabilities")?);
    let mut auth_plugin = String::from("mysql_native_password");
    if !r.is_empty() {
        r.u8("character set")?;
        r.u16("status flags")?;
        capabilities |= u32::from(r.u16("capabilities")?) << 16;
        let scramble_len = usize::from(r.u8("scramble length")?);
        r.bytes(10, "reserved bytes")?;
        if capabilities & caps::SECURE_CONNECTION != 0 {
            // The second part is max(13, len - 8) bytes, the last one a NUL.
            let part2 = r.bytes(scramble_len.saturating_sub(8).max(13), "scramble")?;
            let part2 = part2.strip_suffix(&[0]).unwrap_or(part2);
            scramble.extend_from_slice(part2);
        }
        if capabilities & caps::PLUGIN_AUTH != 0 {
            let name = printable(r.nul_str());
            if !name.is_empty() {
                auth_plugin = name;
            }
        }
    }
    if capabilities & caps::PROTOCOL_41 == 0 {
        return Err(format!(
            "server {server_version} does not speak protocol 4.1: too old to support"
        ));
    }
    Ok(Handshake {
        server_version,
        connection_id,
        capabilities,
        scramble,
        auth_plugin,
    })
}

/// An ERR packet: error code, SQL state and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub code: u16,
    /// The five-character SQL state ("28000" for access denied), empty when not sent.
    pub sql_state: String,
    pub message: String,
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

/// Decode an ERR packet (first byte 0xff). Never fails: a short one has code 0.
pub fn parse_err(payload: &[u8]) -> ServerError {
    let mut r = Reader::new(payload.get(1..).unwrap_or(&[]));
    let code = r.u16("error code").unwrap_or(0);
    let mut rest = r.remaining();
    let mut sql_state = String::new();
    // Protocol 4.1 puts '#' and a five-character SQL state before the message.
    if rest.first() == Some(&b'#') && rest.len() >= 6 {
        sql_state = printable(&rest[1..6]);
        rest = &rest[6..];
    }
    ServerError {
        code,
        sql_state,
        message: printable(rest),
    }
}

/// What the server said after a step of the login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthReply {
    Ok,
    Err(ServerError),
    /// Use another plugin, with this nonce.
    Switch {
        plugin: String,
        data: Vec<u8>,
    },
    /// Plugin-specific data (caching_sha2_password: 3 fast auth ok, 4 full auth needed).
    MoreData(Vec<u8>),
}

pub fn parse_auth_reply(payload: &[u8]) -> Result<AuthReply, String> {
    match payload.first() {
        Some(0x00) => Ok(AuthReply::Ok),
        Some(0xff) => Ok(AuthReply::Err(parse_err(payload))),
        Some(0xfe) if payload.len() == 1 => {
            Err("server asks for the pre-4.1 password hash (mysql_old_password): not supported, it is insecure".into())
        }
        Some(0xfe) => {
            let mut r = Reader::new(&payload[1..]);
            let plugin = printable(r.nul_str());
            // The nonce as sent: some plugins add a NUL after it, and each plugin
            // takes the length it expects (a random nonce may itself end in 0).
            Ok(AuthReply::Switch { plugin, data: r.remaining().to_vec() })
        }
        Some(0x01) => Ok(AuthReply::MoreData(payload[1..].to_vec())),
        Some(other) => Err(format!("unexpected packet 0x{other:02x} during login")),
        None => Err("empty packet during login".into()),
    }
}

/// The first packet of a query's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryReply {
    /// A statement without a result set.
    Ok,
    Err(ServerError),
    /// A result set with this many columns follows.
    Columns(u64),
}

pub fn parse_query_reply(payload: &[u8]) -> Result<QueryReply, String> {
    match payload.first() {
        Some(0x00) => Ok(QueryReply::Ok),
        Some(0xff) => Ok(QueryReply::Err(parse_err(payload))),
        Some(0xfb) => Err("server asks for a local file (LOAD DATA LOCAL): refused".into()),
        Some(_) => match Reader::new(payload).lenenc_int("column count")? {
            Some(0) | None => Err("bad column count in the query reply".into()),
            Some(n) => Ok(QueryReply::Columns(n)),
        },
        None => Err("empty reply to the query".into()),
    }
}

/// True for the packet that ends a run of column definitions or rows: EOF
/// (0xfe, short) or, with CLIENT_DEPRECATE_EOF, an OK packet with a 0xfe header.
pub fn is_eof(payload: &[u8]) -> bool {
    payload.first() == Some(&0xfe) && payload.len() < 9
}

/// One row of a text result set: each column a string or NULL.
pub fn parse_text_row(payload: &[u8], columns: u64) -> Result<Vec<Option<String>>, String> {
    let mut r = Reader::new(payload);
    let mut row = Vec::new();
    for _ in 0..columns {
        row.push(r.lenenc_bytes("row value")?.map(printable));
    }
    if !r.is_empty() {
        return Err("row longer than its columns".into());
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MariaDB 10.11 greeting as captured on the wire (payload only).
    fn mariadb_greeting() -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(b"5.5.5-10.11.6-MariaDB-0+deb12u1\0");
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(b"abcdefgh\0");
        p.extend_from_slice(&0xf7feu16.to_le_bytes());
        p.push(45);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&0x81ffu16.to_le_bytes());
        p.push(21);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(b"ijklmnopqrst\0");
        p.extend_from_slice(b"mysql_native_password\0");
        p
    }

    #[test]
    fn parses_mariadb_greeting() {
        let h = parse_handshake(&mariadb_greeting()).unwrap();
        assert_eq!(h.product(), "MariaDB");
        assert_eq!(h.version(), "10.11.6");
        assert_eq!(h.connection_id, 7);
        assert_eq!(h.scramble, b"abcdefghijklmnopqrst");
        assert_eq!(h.auth_plugin, "mysql_native_password");
        assert!(h.capabilities & caps::PLUGIN_AUTH != 0);
    }

    #[test]
    fn greeting_errors_are_reasons() {
        let mut err = vec![0xff];
        err.extend_from_slice(&1040u16.to_le_bytes());
        err.extend_from_slice(b"Too many connections");
        assert_eq!(
            parse_handshake(&err).unwrap_err(),
            "error 1040: Too many connections"
        );
        assert!(parse_handshake(b"HTTP/1.1 400")
            .unwrap_err()
            .contains("protocol version 72"));
        let greeting = mariadb_greeting();
        for cut in 0..greeting.len() - 30 {
            let _ = parse_handshake(&greeting[..cut]);
        }
    }

    #[test]
    fn frames_and_splits() {
        let wire = frame(3, b"hello");
        assert_eq!(&wire[..4], &[5, 0, 0, 3]);
        let (p, used) = split_packet(&wire).unwrap().unwrap();
        assert_eq!((p.seq, p.payload.as_slice(), used), (3, &b"hello"[..], 9));
        assert_eq!(split_packet(&wire[..6]).unwrap(), None);
        assert!(split_packet(&[0xff, 0xff, 0xff, 0])
            .unwrap_err()
            .contains("16777215 bytes"));
        assert!(split_greeting(b"HTTP/1.1 400 Bad")
            .unwrap_err()
            .contains("\"HTTP/1.1 400 Bad\""));
        assert_eq!(split_greeting(&[5, 0, 0, 0]).unwrap(), None);
    }

    #[test]
    fn decodes_auth_replies() {
        assert_eq!(parse_auth_reply(&[0, 0, 0, 2, 0]).unwrap(), AuthReply::Ok);
        let switch = parse_auth_reply(b"\xfemysql_native_password\0nonce-of-twenty-b\0").unwrap();
        assert_eq!(
            switch,
            AuthReply::Switch {
                plugin: "mysql_native_password".into(),
                data: b"nonce-of-twenty-b\0".to_vec()
            }
        );
        let denied =
            parse_auth_reply(b"\xff\x15\x04#28000Access denied for user 'u'@'localhost'").unwrap();
        assert_eq!(
            denied,
            AuthReply::Err(ServerError {
                code: 1045,
                sql_state: "28000".into(),
                message: "Access denied for user 'u'@'localhost'".into()
            })
        );
        assert_eq!(
            parse_auth_reply(&[1, 3]).unwrap(),
            AuthReply::MoreData(vec![3])
        );
        assert!(parse_auth_reply(&[0xfe]).is_err());
    }

    #[test]
    fn decodes_result_rows() {
        assert_eq!(parse_query_reply(&[1]).unwrap(), QueryReply::Columns(1));
        assert_eq!(
            parse_text_row(&[1, b'1'], 1).unwrap(),
            vec![Some("1".to_string())]
        );
        assert_eq!(
            parse_text_row(&[0xfb, 1, b'4'], 2).unwrap(),
            vec![None, Some("4".to_string())]
        );
        assert!(parse_text_row(&[5, b'1'], 1).is_err());
        assert!(is_eof(&[0xfe, 0, 0, 2, 0]));
        assert!(!is_eof(&[0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        let mut r = Reader::new(&[0xfc, 0x01, 0x02, 0xfe, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(r.lenenc_int("x").unwrap(), Some(0x0201));
        assert_eq!(r.lenenc_int("x").unwrap(), Some(1));
    }
}

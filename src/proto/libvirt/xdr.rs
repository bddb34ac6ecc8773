//! XDR (RFC 4506) as libvirt's RPC uses it: big-endian 32/64-bit integers, strings
//! padded to 4 bytes, optional values as a 0/1 discriminant. Decoding is bounded by
//! the packet: a length that runs past the end is an error, never a panic.

/// Appends XDR values to a buffer.
#[derive(Default)]
pub struct Encoder(pub Vec<u8>);

impl Encoder {
    pub fn u32(mut self, value: u32) -> Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn string(mut self, text: &str) -> Self {
        self = self.u32(text.len() as u32);
        self.0.extend_from_slice(text.as_bytes());
        self.0.resize(self.0.len().next_multiple_of(4), 0);
        self
    }

    /// An optional string (`remote_string`): absent, or present then the string.
    pub fn optional_string(self, text: Option<&str>) -> Self {
        match text {
            Some(text) => self.u32(1).string(text),
            None => self.u32(0),
        }
    }
}

/// Reads XDR values from a received packet.
pub struct Decoder<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder { buf, at: 0 }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&end| end <= self.buf.len())
            .ok_or("libvirt reply truncated")?;
        let bytes = &self.buf[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("took 4 bytes"),
        ))
    }

    pub fn i32(&mut self) -> Result<i32, String> {
        self.u32().map(|v| v as i32)
    }

    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().expect("took 8 bytes"),
        ))
    }

    pub fn string(&mut self) -> Result<String, String> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        self.take(len.next_multiple_of(4) - len)?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    pub fn optional_string(&mut self) -> Result<Option<String>, String> {
        match self.u32()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            other => Err(format!(
                "libvirt reply has a bad optional-value flag {other}"
            )),
        }
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.at..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let bytes = Encoder::default()
            .u32(7)
            .string("abcde")
            .optional_string(None)
            .optional_string(Some("x"))
            .0;
        assert_eq!(bytes.len(), 4 + 4 + 8 + 4 + 4 + 4 + 4);
        let mut d = Decoder::new(&bytes);
        assert_eq!(d.u32().unwrap(), 7);
        assert_eq!(d.string().unwrap(), "abcde");
        assert_eq!(d.optional_string().unwrap(), None);
        assert_eq!(d.optional_string().unwrap().as_deref(), Some("x"));
        assert!(d.rest().is_empty());
        assert!(d.u32().is_err());
    }

    #[test]
    fn lengths_past_the_end_are_errors() {
        assert!(Decoder::new(&[0xff, 0xff, 0xff, 0xff, b'a'])
            .string()
            .is_err());
        assert!(Decoder::new(&[0, 0, 0, 2]).optional_string().is_err());
        assert!(Decoder::new(&[0, 0, 0]).u64().is_err());
    }
}

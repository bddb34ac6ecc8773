//! qdrouterd.conf (Qpid Dispatch Router): `name { key: value ... }` blocks. The check
//! needs the first `listener` block's host, port and sslProfile. The original grepped
//! seven lines after the word "listener"; this reads the blocks properly (and keeps the
//! colons of IPv6 hosts).

/// One `name { ... }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl Block {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse the blocks of the file; errors name the line.
pub fn parse(text: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (index, line) in text.lines().enumerate() {
        let lineno = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_suffix('{') {
            if current.is_some() {
                return Err(format!("line {lineno}: nested block {line:?}"));
            }
            current = Some(Block {
                name: name.trim().to_string(),
                entries: Vec::new(),
            });
        } else if line == "}" {
            blocks.push(
                current
                    .take()
                    .ok_or_else(|| format!("line {lineno}: '}}' without a block"))?,
            );
        } else {
            let block = current
                .as_mut()
                .ok_or_else(|| format!("line {lineno}: {line:?} outside a block"))?;
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| format!("line {lineno}: expected 'key: value': {line:?}"))?;
            block
                .entries
                .push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    if let Some(open) = current {
        return Err(format!("block {:?} is not closed", open.name));
    }
    Ok(blocks)
}

/// The first `listener` block's host and port.
pub fn listener(blocks: &[Block]) -> Result<(String, u16), String> {
    let listener = blocks
        .iter()
        .find(|b| b.name == "listener")
        .ok_or("no listener block")?;
    let host = listener.get("host").unwrap_or("127.0.0.1");
    let host = if host.is_empty() || host == "0.0.0.0" {
        "127.0.0.1"
    } else {
        host
    };
    let port_text = listener.get("port").unwrap_or("5672");
    let port = port_text
        .parse::<u16>()
        .map_err(|_| format!("listener port is not a number: {port_text:?}"))?;
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_listener() {
        let text = "router {\n    mode: interior\n}\n\n# listener { host: wrong }\nlistener {\n    host: fd00::5\n    port: 31459\n    \
                    sslProfile: p\n}\nlistener {\n    host: 10.0.0.1\n    port: 1\n}\n";
        let blocks = parse(text).unwrap();
        assert_eq!(listener(&blocks).unwrap(), ("fd00::5".to_string(), 31459));
        assert_eq!(blocks[1].get("sslProfile"), Some("p"));
    }

    #[test]
    fn malformed_is_a_clear_error() {
        assert!(parse("listener {\nhost: x\n")
            .unwrap_err()
            .contains("not closed"));
        assert!(parse("}\n").unwrap_err().contains("without a block"));
        assert!(parse("host: x\n").unwrap_err().contains("outside a block"));
        assert!(parse("a {\nb {\n").unwrap_err().contains("nested"));
        assert!(listener(&parse("router {\n}\n").unwrap())
            .unwrap_err()
            .contains("no listener"));
        assert!(listener(&parse("listener {\nport: amqp\n}\n").unwrap()).is_err());
    }
}

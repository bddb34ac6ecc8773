//! Secrets (passwords, tokens) are read from files only, and every secret read is
//! remembered so that no output line (verdict or debug trace) can ever contain it,
//! whatever a peer echoes back or an error message quotes.

use std::sync::Mutex;

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Register a secret that must never be printed.
pub fn remember(secret: &str) {
    if secret.is_empty() {
        return;
    }
    if let Ok(mut known) = KNOWN.lock() {
        // The host agent reads the same secrets every round: keep each once.
        if !known.iter().any(|k| k == secret) {
            known.push(secret.to_string());
        }
    }
}

/// Read a secret from a file of `root`: the first line, without its line ending. The
/// file's content is remembered for redaction; the error never quotes the content.
pub fn read_secret_file(root: &crate::system::Root, path: &str) -> Result<String, String> {
    let raw = root.read(path).map_err(|e| {
        format!(
            "cannot read secret file {path}: {}",
            crate::util::io_reason(&e)
        )
    })?;
    let text = String::from_utf8(raw).map_err(|_| format!("secret file {path} is not UTF-8"))?;
    let secret = text.lines().next().unwrap_or("").to_string();
    remember(&secret);
    Ok(secret)
}

/// Replace every remembered secret in `text` with `***`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(known) = KNOWN.lock() {
        for s in known.iter() {
            if !s.is_empty() && out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_remembered() {
        remember("s3cr3t-xyz");
        assert_eq!(
            redact("login failed for s3cr3t-xyz!"),
            "login failed for ***!"
        );
        assert_eq!(redact("nothing here"), "nothing here");
    }
}

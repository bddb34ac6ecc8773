//! Secrets (passwords, tokens) are read from files only, and every secret read is
//! remembered so that no output line (verdict or debug trace) can ever contain it,
//! whatever a peer echoes back or an error message quotes.

use std::sync::Mutex;

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Register a secret that must never be printed, and its percent-encoded form (how it
/// shows inside a URL).
pub fn remember(secret: &str) {
    if secret.is_empty() {
        return;
    }
    if let Ok(mut known) = KNOWN.lock() {
        // The host agent reads the same secrets every round: keep each once.
        let mut added = false;
        for form in [secret.to_string(), percent_encoded(secret)] {
            if !known.contains(&form) {
                known.push(form);
                added = true;
            }
        }
        if added {
            // Longest first: a secret that contains another is masked whole.
            known.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }
}

/// `text` with every byte but RFC 3986's unreserved ones as `%XX`.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
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

/// Replace every remembered secret in `text` with `***`: every occurrence that is not
/// part of a longer word. A secret that starts (ends) with a letter, digit or `_` is
/// not masked where the text goes on with one before (after) it, so the word
/// `password` stays whole when the secret is `pass`, as does any word that merely
/// contains the secret's letters; where a secret shows, it is next to something that
/// is not part of a word (`user:secret@host`, `"secret"`, the end of a line).
pub fn redact(text: &str) -> String {
    let Ok(known) = KNOWN.lock() else {
        return text.to_string();
    };
    let mut out = text.to_string();
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = mask(&out, secret);
        }
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `text` with the occurrences of `secret` that stand on their own replaced by `***`.
fn mask(text: &str, secret: &str) -> String {
    let starts_word = secret.chars().next().is_some_and(is_word);
    let ends_word = secret.chars().next_back().is_some_and(is_word);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(secret) {
        let (head, tail) = rest.split_at(at);
        let prev = head.chars().next_back().or(before);
        let next = tail[secret.len()..].chars().next();
        let glued =
            (starts_word && prev.is_some_and(is_word)) || (ends_word && next.is_some_and(is_word));
        out.push_str(head);
        if glued {
            // Keep one character and look again after it (occurrences may overlap).
            let first = tail.chars().next().unwrap_or_default();
            out.push(first);
            before = Some(first);
            rest = &tail[first.len_utf8()..];
        } else {
            out.push_str("***");
            before = secret.chars().next_back();
            rest = &tail[secret.len()..];
        }
    }
    out.push_str(rest);
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

    #[test]
    fn masks_whole_occurrences_only() {
        // Distinctive words only: the list is the whole test process's.
        remember("qpassq");
        assert_eq!(
            redact("qpassqword qpassq qpassqive byqpassq user:qpassq@h \"qpassq\" qpassq"),
            "qpassqword *** qpassqive byqpassq user:***@h \"***\" ***"
        );
        remember("Zq9-x");
        assert_eq!(redact("aZq9-x Zq9-x. Zq9-xy"), "aZq9-x ***. Zq9-xy");
        remember("p@ss/w");
        assert_eq!(redact("http://u:p%40ss%2Fw@h/"), "http://u:***@h/");
        assert_eq!(redact("#p@ss/w#"), "#***#");
    }
}

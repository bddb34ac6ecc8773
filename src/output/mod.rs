//! Output formats for a verdict: one module per format. Whatever the format, the
//! result is a single line of at most [`MAX_LINE`] bytes with secrets redacted,
//! because Docker keeps 4096 bytes and podman 500 characters of a check's output.

pub mod json;
pub mod text;

use crate::verdict::Verdict;

/// podman keeps 500 characters of health check output; stay within that.
pub const MAX_LINE: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    pub fn parse(name: &str) -> Result<Format, String> {
        match name {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown --format {other:?}: use text or json")),
        }
    }
}

/// Render a verdict as one line (no trailing newline), redacted and bounded.
pub fn render(verdict: &Verdict, format: Format) -> String {
    match format {
        Format::Text => one_line(&text::render(verdict), MAX_LINE),
        Format::Json => json::render(verdict, MAX_LINE),
    }
}

/// Redact secrets, fold control characters to spaces, and cut at `max` bytes on a
/// character boundary (marking the cut with "...").
pub fn one_line(text: &str, max: usize) -> String {
    let redacted = crate::secrets::redact(text);
    let folded: String = redacted
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let folded = folded.trim().to_string();
    truncate(&folded, max)
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max.saturating_sub(3);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &s[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_truncates() {
        assert_eq!(one_line("a\nb\r\tc", 100), "a b  c");
        let long = "é".repeat(400);
        let out = one_line(&long, MAX_LINE);
        assert!(out.len() <= MAX_LINE);
        assert!(out.ends_with("..."));
    }
}

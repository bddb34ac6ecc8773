//! Output formats for a verdict: one module per format, each exporting an
//! [`OutputFormat`] entry, listed once in [`FORMATS`]; `--format`'s accepted values and
//! [`Format::parse`] come from that list, so a new format is a new file and one line
//! there. Whatever the format, the result is a single line of at most [`MAX_LINE`] bytes
//! with secrets redacted, because Docker keeps 4096 bytes and podman 500 characters of a
//! check's output.

pub mod json;
pub mod text;

use crate::verdict::Verdict;

/// podman keeps 500 characters of health check output; stay within that.
pub const MAX_LINE: usize = 500;

/// One output format: the name `--format` takes, and how it renders a verdict as one
/// line of at most the given number of bytes, redacted.
#[derive(Debug)]
pub struct OutputFormat {
    pub name: &'static str,
    pub render: fn(&Verdict, usize) -> String,
}

/// Every format, the default first.
pub const FORMATS: &[&OutputFormat] = &[&text::FORMAT, &json::FORMAT];

/// A format chosen from [`FORMATS`].
#[derive(Debug, Clone, Copy)]
pub struct Format(&'static OutputFormat);

impl Format {
    pub fn parse(name: &str) -> Result<Format, String> {
        FORMATS
            .iter()
            .find(|f| f.name == name)
            .map(|f| Format(f))
            .ok_or_else(|| format!("unknown --format {name:?}: use {}", alternatives()))
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }
}

/// The first format of [`FORMATS`] (text).
impl Default for Format {
    fn default() -> Self {
        Format(FORMATS[0])
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Format {}

/// The names `--format` accepts, in registry order.
pub fn names() -> impl Iterator<Item = &'static str> {
    FORMATS.iter().map(|f| f.name)
}

/// "text or json" (or "a, b or c"): the names for an error message.
fn alternatives() -> String {
    let names: Vec<&str> = names().collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Render a verdict as one line (no trailing newline), redacted and bounded.
pub fn render(verdict: &Verdict, format: Format) -> String {
    (format.0.render)(verdict, MAX_LINE)
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
    fn formats_come_from_the_registry() {
        assert_eq!(names().collect::<Vec<_>>(), ["text", "json"]);
        assert_eq!(Format::parse("json").unwrap().name(), "json");
        assert_eq!(Format::default().name(), "text");
        assert_eq!(
            Format::parse("xml").unwrap_err(),
            "unknown --format \"xml\": use text or json"
        );
    }

    #[test]
    fn folds_and_truncates() {
        assert_eq!(one_line("a\nb\r\tc", 100), "a b  c");
        let long = "é".repeat(400);
        let out = one_line(&long, MAX_LINE);
        assert!(out.len() <= MAX_LINE);
        assert!(out.ends_with("..."));
    }
}

//! Output formats for a verdict: one module per format, each exporting an
//! [`OutputFormat`] entry, listed once in [`FORMATS`]; `--format`'s accepted values and
//! [`Format::parse`] come from that list, so a new format is a new file and one line
//! there. The line formats (text, json, nagios) give a single line of at most [`MAX_LINE`]
//! bytes with secrets redacted, because Docker keeps 4096 bytes and podman 500 characters
//! of a check's output; prometheus gives an exposition document for a scraper or a
//! textfile collector, never for an engine. Each format also names its exit contract
//! ([`Contract`]): the engines' 0/1, except Nagios' plugin statuses for `nagios`.
//! `textfile` is not a format of one verdict: it renders the host agent's round of
//! containers for node_exporter's textfile collector.

pub mod json;
pub mod nagios;
pub mod prometheus;
pub mod text;
pub mod textfile;

pub use crate::exit::Contract;
use crate::verdict::Verdict;

/// podman keeps 500 characters of health check output; stay within that.
pub const MAX_LINE: usize = 500;

/// One output format: the name `--format` takes, how it renders a verdict (a line format:
/// as one line of at most the given number of bytes, redacted), and the exit statuses that
/// go with it.
#[derive(Debug)]
pub struct OutputFormat {
    pub name: &'static str,
    pub render: fn(&Verdict, usize) -> String,
    pub contract: Contract,
}

/// Every format, the default first.
pub const FORMATS: &[&OutputFormat] = &[
    &text::FORMAT,
    &json::FORMAT,
    &nagios::FORMAT,
    &prometheus::FORMAT,
];

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

    /// The exit statuses that go with the format.
    pub fn contract(self) -> Contract {
        self.0.contract
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

/// Render a verdict in `format` (no trailing newline); a line format's is one line,
/// redacted and bounded.
pub fn render(verdict: &Verdict, format: Format) -> String {
    (format.0.render)(verdict, MAX_LINE)
}

/// The exit status of `verdict` under `format`'s contract.
pub fn exit_code(verdict: &Verdict, format: Format) -> i32 {
    format.contract().code(verdict.health)
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
        assert_eq!(
            names().collect::<Vec<_>>(),
            ["text", "json", "nagios", "prometheus"]
        );
        assert_eq!(Format::parse("json").unwrap().name(), "json");
        assert_eq!(Format::default().name(), "text");
        assert_eq!(
            Format::parse("xml").unwrap_err(),
            "unknown --format \"xml\": use text, json, nagios or prometheus"
        );
        // Only the format chosen for Nagios leaves the engines' contract.
        for format in FORMATS {
            let expected = if format.name == "nagios" {
                Contract::Nagios
            } else {
                Contract::Engine
            };
            assert_eq!(format.contract, expected, "{}", format.name);
        }
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

//! oslo.config-style INI files (what TripleO's `get_config_val` read with crudini):
//! `[section]` headers, `key = value` or `key: value` (whichever separator comes first),
//! `#`/`;` comment lines, indented lines continuing the previous value (joined with a
//! newline), a blank line ending a value, one pair of matching quotes stripped, the last
//! value of a key winning, and `[DEFAULT]` as the fallback of every section. A
//! `FILE.d/*.conf` directory is read after the file, in name order, as oslo.config does
//! with `--config-dir`. (MySQL option files, with their includes and bare flags, are
//! read by `config::mycnf`.)

use std::collections::HashMap;

/// The section every lookup falls back to.
pub const DEFAULT_SECTION: &str = "DEFAULT";

/// A parsed INI file: section → key → value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    sections: HashMap<String, HashMap<String, String>>,
}

impl Ini {
    /// The value of `key` in `section`, else in `[DEFAULT]`.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        self.get_exact(section, key)
            .or_else(|| self.get_exact(DEFAULT_SECTION, key))
    }

    /// The value of `key` in `section` only, without the `[DEFAULT]` fallback.
    pub fn get_exact(&self, section: &str, key: &str) -> Option<String> {
        self.sections.get(section).and_then(|s| s.get(key)).cloned()
    }

    /// [`Ini::get`] with a default, like `get_config_val FILE SECTION KEY DEFAULT`.
    /// An empty value counts as unset, as it did for the shell callers.
    pub fn get_or(&self, section: &str, key: &str, default: &str) -> String {
        self.get(section, key)
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_string())
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(section)
    }

    /// Overlay `later` on this file: its values win (a later file of a config dir).
    pub fn merge(&mut self, later: Ini) {
        for (name, keys) in later.sections {
            self.sections.entry(name).or_default().extend(keys);
        }
    }

    fn set(&mut self, section: &str, key: String, value: String) {
        self.sections
            .entry(section.to_string())
            .or_default()
            .insert(key, value);
    }
}

/// Parse oslo.config INI text: every line is a header, an assignment, a comment or a
/// continuation. Errors name the line number and what is wrong.
pub fn parse(text: &str) -> Result<Ini, String> {
    let mut ini = Ini::default();
    let mut section: Option<String> = None;
    // The assignment being read, kept open for continuation lines.
    let mut pending: Option<(String, Vec<String>)> = None;

    let flush =
        |ini: &mut Ini, section: &Option<String>, pending: &mut Option<(String, Vec<String>)>| {
            if let (Some(s), Some((key, lines))) = (section, pending.take()) {
                ini.set(s, key, lines.join("\n"));
            }
        };

    for (index, raw) in text.lines().enumerate() {
        let lineno = index + 1;
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            // A blank line ends a multi-line value.
            flush(&mut ini, &section, &mut pending);
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match pending.as_mut() {
                Some((_, lines)) => lines.push(trimmed.to_string()),
                None => {
                    return Err(format!(
                        "line {lineno}: indented line continues no value: {trimmed:?}"
                    ))
                }
            }
            continue;
        }
        flush(&mut ini, &section, &mut pending);
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.strip_suffix(']').ok_or_else(|| {
                format!("line {lineno}: section header without closing ']': {line:?}")
            })?;
            if name.trim().is_empty() {
                return Err(format!("line {lineno}: empty section name"));
            }
            section = Some(name.trim().to_string());
            continue;
        }
        let (key, value) = match split_assignment(line) {
            Some(kv) => kv,
            None => {
                return Err(format!(
                    "line {lineno}: expected 'key = value', '[section]' or a comment: {line:?}"
                ))
            }
        };
        if key.is_empty() {
            return Err(format!("line {lineno}: assignment without a key: {line:?}"));
        }
        if section.is_none() {
            return Err(format!(
                "line {lineno}: '{key}' comes before any [section] header"
            ));
        }
        pending = Some((key, vec![value]));
    }
    flush(&mut ini, &section, &mut pending);
    Ok(ini)
}

/// Split `key = value` / `key: value` at whichever separator comes first; strip one pair
/// of matching quotes around the value (oslo.config's rule).
fn split_assignment(line: &str) -> Option<(String, String)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim().to_string();
    let value = line[at + 1..].trim();
    Some((key, unquote(value).to_string()))
}

/// `"x"` or `'x'` → `x`; anything else unchanged.
pub fn unquote(value: &str) -> &str {
    let bytes = value.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        &value[1..value.len() - 1]
    } else {
        value
    }
}

/// Load `path` (under `HEALTHCHECK_ROOT`) and then `path.d/*.conf` in name order.
/// A missing file (and no `.d` directory) gives an empty `Ini`, so lookups fall back to
/// their defaults as `get_config_val` did; an unreadable or malformed file is an error.
pub fn load(path: &str) -> Result<Ini, String> {
    let mut ini = Ini::default();
    let conf_d = format!("{path}.d");
    let files = std::iter::once(path.to_string()).chain(super::conf_d_files(&conf_d)?);
    for file in files {
        if let Some(text) = super::read_optional(&file)? {
            let parsed = parse(&text).map_err(|e| super::in_file(&file, e))?;
            ini.merge(parsed);
        }
    }
    Ok(ini)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOVA: &str = "\
[DEFAULT]
# comment
; another
ssl_only=True
my_ip = 172.17.1.12
debug: false

[vnc]
novncproxy_host=fd00:fd00::12
novncproxy_port = \"6080\"
enabled=true
enabled=false

[pipeline:main]
pipeline = catch_errors
    healthcheck proxy-logging
\tproxy-server
";

    #[test]
    fn sections_default_fallback_and_last_value_wins() {
        let ini = parse(NOVA).unwrap();
        assert_eq!(
            ini.get("vnc", "novncproxy_host").as_deref(),
            Some("fd00:fd00::12")
        );
        assert_eq!(ini.get("vnc", "novncproxy_port").as_deref(), Some("6080"));
        assert_eq!(ini.get("vnc", "ssl_only").as_deref(), Some("True"));
        assert_eq!(ini.get_exact("vnc", "ssl_only"), None);
        assert_eq!(ini.get("vnc", "enabled").as_deref(), Some("false"));
        assert_eq!(ini.get("DEFAULT", "debug").as_deref(), Some("false"));
        assert_eq!(ini.get("nosuch", "my_ip").as_deref(), Some("172.17.1.12"));
        assert_eq!(ini.get("vnc", "missing"), None);
        assert_eq!(ini.get_or("vnc", "missing", "127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn continuation_lines_join_with_newlines() {
        let ini = parse(NOVA).unwrap();
        assert_eq!(
            ini.get("pipeline:main", "pipeline").as_deref(),
            Some("catch_errors\nhealthcheck proxy-logging\nproxy-server")
        );
    }

    #[test]
    fn separator_is_the_first_of_equals_and_colon() {
        let ini = parse("[s]\nurl = http://h:1/x\ncolon: a=b\n").unwrap();
        assert_eq!(ini.get("s", "url").as_deref(), Some("http://h:1/x"));
        assert_eq!(ini.get("s", "colon").as_deref(), Some("a=b"));
    }

    #[test]
    fn blank_line_ends_a_value_and_empty_values_count_as_unset_for_defaults() {
        let ini = parse("[s]\na = 1\n\n  # indented comment\nb =\n").unwrap();
        assert_eq!(ini.get("s", "a").as_deref(), Some("1"));
        assert_eq!(ini.get("s", "b").as_deref(), Some(""));
        assert_eq!(ini.get_or("s", "b", "dflt"), "dflt");
    }

    #[test]
    fn malformed_input_is_a_clear_error() {
        assert!(parse("key = before section\n")
            .unwrap_err()
            .contains("before any [section]"));
        assert!(parse("[open\n").unwrap_err().contains("closing ']'"));
        assert!(parse("[]\n").unwrap_err().contains("empty section"));
        assert!(parse("[s]\njust words\n").unwrap_err().contains("line 2"));
        assert!(parse("[s]\n= value\n")
            .unwrap_err()
            .contains("without a key"));
        assert!(parse("  orphan continuation\n")
            .unwrap_err()
            .contains("continues no value"));
    }

    #[test]
    fn a_my_cnf_is_not_an_oslo_file() {
        // Includes and bare flags belong to config::mycnf, which reads my.cnf.
        assert!(parse("!includedir /etc/my.cnf.d\n[client]\nuser=root\n").is_err());
        assert!(parse("[mysqld]\nskip-name-resolve\n").is_err());
    }

    #[test]
    fn merge_lets_later_files_win() {
        let mut a = parse("[DEFAULT]\nbind_port = 9292\nbind_host = ::\n").unwrap();
        a.merge(parse("[DEFAULT]\nbind_port = 9393\n").unwrap());
        assert_eq!(a.get("DEFAULT", "bind_port").as_deref(), Some("9393"));
        assert_eq!(a.get("DEFAULT", "bind_host").as_deref(), Some("::"));
    }

    #[test]
    fn load_reads_the_conf_d_directory_after_the_file() {
        let tree = crate::config::testing::Tree::new("ini");
        tree.write(
            "/etc/glance/glance-api.conf",
            "[DEFAULT]\nbind_port = 9292\nbind_host = 10.0.0.1\n",
        );
        tree.write(
            "/etc/glance/glance-api.conf.d/20-late.conf",
            "[DEFAULT]\nbind_port = 9999\n",
        );
        tree.write(
            "/etc/glance/glance-api.conf.d/10-early.conf",
            "[DEFAULT]\nbind_port = 1111\nbind_host = 10.0.0.2\n",
        );
        tree.write("/etc/broken.conf", "[DEFAULT\n");
        let _g = crate::config::testing::with_root(&tree.0);
        let ini = load("/etc/glance/glance-api.conf").unwrap();
        assert_eq!(ini.get("DEFAULT", "bind_port").as_deref(), Some("9999"));
        assert_eq!(ini.get("DEFAULT", "bind_host").as_deref(), Some("10.0.0.2"));
        assert_eq!(load("/etc/missing.conf").unwrap(), Ini::default());
        let err = load("/etc/broken.conf").unwrap_err();
        assert!(
            err.contains("broken.conf") && err.contains("line 1"),
            "{err}"
        );
    }
}

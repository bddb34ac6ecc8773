//! oslo.config INI files, read as the services read them (oslo.config's own parser, which
//! TripleO's `get_config_val` approximated with crudini):
//!
//! - `[section]` headers, the name as written between the brackets; `[DEFAULT]` is the
//!   default group only spelled so (`[default]` is another group), every other group
//!   name is case-insensitive (`[VNC]` is `vnc`), and sections of one group merge.
//! - `key = value` or `key: value` (whichever separator comes first), keys as written
//!   (case-sensitive); one pair of matching quotes around the whole value stripped
//!   (a lone `"` is an empty value); no inline comments (`a # b` is the value).
//! - A line starting with `#` or `;` is a comment and ends the value before it; a line
//!   starting with a space or tab continues the value being read (joined with a
//!   newline), whatever it holds, and is an error where no value is being read (after
//!   a blank line, a comment or a header); a blank line ends a value.
//! - The last value of a key wins, across sections of the group and across files.
//! - Values are interpolated when read ([`Ini::get`]): `$name` and `${name}` are the
//!   option `name` of the same group, else of `[DEFAULT]`; `${group.name}` (and
//!   `$group.name`) the option of that group; `$$` and `\$` are a `$`; a `$` before
//!   anything else stays. A reference to an option the file does not set is an error
//!   naming it (oslo.config would use the option's registered default, which a reader
//!   of the file cannot know), as is a loop. Group names in references are lower-case,
//!   as every service registers them (oslo.config matches them as registered).
//!   `$my_ip` unset in the file is the one default known here, the same in every
//!   service that has the option: this host's primary IPv4 address, as oslo.utils
//!   finds it ([`crate::net::primary_ipv4`]).
//! - Booleans ([`Ini::flag`]) in every spelling oslo.config takes: true/false, yes/no,
//!   on/off, 1/0, any case; anything else is an error, as it is for the service.
//!
//! `[DEFAULT]` is also the fallback of every lookup, as crudini gave it to the original
//! scripts and as oslo.config gives it to options moved out of `[DEFAULT]`
//! (`deprecated_group`). A `FILE.d/*.conf` directory is read after the file, in name
//! order, as oslo.config does with `--config-dir`. (MySQL option files, with their
//! includes and bare flags, are read by `config::mycnf`.)

use crate::system::Root;
use std::collections::HashMap;

/// The section every lookup falls back to.
pub const DEFAULT_SECTION: &str = "DEFAULT";

/// Deepest chain of references followed (`a = $b`, `b = $c`...); deeper is a loop.
const MAX_REFERENCE_DEPTH: usize = 32;

/// A parsed INI file: group → key → raw value (before interpolation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    sections: HashMap<String, HashMap<String, String>>,
}

/// A group name as oslo.config normalises it: `DEFAULT` as is, any other lower-case.
fn group_name(section: &str) -> String {
    if section == DEFAULT_SECTION {
        section.to_string()
    } else {
        section.to_lowercase()
    }
}

impl Ini {
    /// The value of `key` in `section`, else in `[DEFAULT]`, interpolated (see the
    /// module documentation); an unresolvable reference is an error.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, String> {
        let group = group_name(section);
        match self.raw_with_fallback(&group, key) {
            Some((found_in, raw)) => self
                .interpolate(found_in, raw, 0)
                .map(Some)
                .map_err(|e| format!("[{section}] {key} = {raw:?}: {e}")),
            None => Ok(None),
        }
    }

    /// The value of `key` in `section` only, without the `[DEFAULT]` fallback, as written.
    pub fn get_exact(&self, section: &str, key: &str) -> Option<String> {
        self.raw(&group_name(section), key).map(str::to_string)
    }

    /// [`Ini::get`] with a default, like `get_config_val FILE SECTION KEY DEFAULT`.
    /// An empty value counts as unset, as it did for the shell callers.
    pub fn get_or(&self, section: &str, key: &str, default: &str) -> Result<String, String> {
        Ok(self
            .get(section, key)?
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_string()))
    }

    /// A boolean option as oslo.config reads it (see the module documentation);
    /// `default` when the file does not set it.
    pub fn flag(&self, section: &str, key: &str, default: bool) -> Result<bool, String> {
        let Some(value) = self.get(section, key)? else {
            return Ok(default);
        };
        match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(format!(
                "[{section}] {key} = {value:?} is not a boolean (true/false, yes/no, on/off, 1/0)"
            )),
        }
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(&group_name(section))
    }

    /// Overlay `later` on this file: its values win (a later file of a config dir).
    pub fn merge(&mut self, later: Ini) {
        for (name, keys) in later.sections {
            self.sections.entry(name).or_default().extend(keys);
        }
    }

    fn set(&mut self, section: &str, key: String, value: String) {
        self.sections
            .entry(group_name(section))
            .or_default()
            .insert(key, value);
    }

    fn raw(&self, group: &str, key: &str) -> Option<&str> {
        self.sections
            .get(group)
            .and_then(|s| s.get(key))
            .map(String::as_str)
    }

    /// The raw value of `key` in `group`, else in `[DEFAULT]`, with the group it was found in.
    fn raw_with_fallback<'a>(&'a self, group: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
        self.raw(group, key)
            .map(|v| (group, v))
            .or_else(|| self.raw(DEFAULT_SECTION, key).map(|v| (DEFAULT_SECTION, v)))
    }

    /// `raw` (a value of `group`) with its references replaced, as oslo.config's
    /// `string.Template.safe_substitute` with its option lookup does.
    fn interpolate(&self, group: &str, raw: &str, depth: usize) -> Result<String, String> {
        if depth > MAX_REFERENCE_DEPTH {
            return Err("the references loop".into());
        }
        let raw = raw.replace("\\$", "$$");
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                out.push('$');
                rest = tail;
                continue;
            }
            let (name, tail) = match after.strip_prefix('{') {
                Some(braced) => match braced.split_once('}') {
                    Some((name, tail)) if is_reference(name) => (name, tail),
                    _ => ("", after),
                },
                None => {
                    let len = reference_len(after);
                    (&after[..len], &after[len..])
                }
            };
            if name.is_empty() {
                // Not a reference: the `$` stays, as safe_substitute leaves it.
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(&self.resolve(group, name, depth)?);
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The value a reference `name` (`opt` or `group.opt`) made from `group` stands for.
    fn resolve(&self, group: &str, name: &str, depth: usize) -> Result<String, String> {
        let found = match name.split_once('.') {
            Some((other, opt)) => {
                if other != other.to_lowercase() || other == "default" || other == DEFAULT_SECTION {
                    return Err(format!("${{{name}}}: no group {other:?} (groups are referenced in lower case; [DEFAULT]'s options by their name alone)"));
                }
                self.raw(other, opt).map(|v| (other, v))
            }
            None => self.raw_with_fallback(group, name),
        };
        match found {
            Some((found_in, value)) => self.interpolate(found_in, value, depth + 1),
            // The one default every service that has the option shares: the host's address.
            None if name == "my_ip" => Ok(crate::net::primary_ipv4()),
            None => Err(format!(
                "${name} is not set in the file (the service would use the option's default, which is not known here)"
            )),
        }
    }
}

/// Whether `name` is what oslo.config's template takes for a reference:
/// `[_a-z][._a-z0-9]*`, any case.
fn is_reference(name: &str) -> bool {
    !name.is_empty() && reference_len(name) == name.len()
}

/// The length of the reference at the start of `text` (0 if there is none).
fn reference_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
        _ => return 0,
    }
    bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.'))
        .unwrap_or(bytes.len())
}

/// Parse oslo.config INI text, line by line as oslo.config's parser does (see the module
/// documentation). Errors name the line number and what is wrong.
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
        if line.is_empty() {
            // A blank line ends a multi-line value.
            flush(&mut ini, &section, &mut pending);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match pending.as_mut() {
                Some((_, lines)) => lines.push(line.trim_start().to_string()),
                None => {
                    return Err(format!(
                        "line {lineno}: indented line continues no value: {:?}",
                        line.trim_start()
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
            if name.is_empty() {
                return Err(format!("line {lineno}: empty section name"));
            }
            section = Some(name.to_string());
            continue;
        }
        if line.starts_with(['#', ';']) {
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

/// `"x"` or `'x'` → `x` (and a lone quote → empty, as oslo.config strips it); anything
/// else unchanged.
pub fn unquote(value: &str) -> &str {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if (first == b'"' || first == b'\'') && first == last => value
            .get(1..value.len().saturating_sub(1).max(1))
            .unwrap_or(""),
        _ => value,
    }
}

/// Load `path` (of `root`) and then `path.d/*.conf` in name order.
/// A missing file (and no `.d` directory) gives an empty `Ini`, so lookups fall back to
/// their defaults as `get_config_val` did; an unreadable or malformed file is an error.
pub fn load(root: &Root, path: &str) -> Result<Ini, String> {
    let mut ini = Ini::default();
    let conf_d = format!("{path}.d");
    let files = std::iter::once(path.to_string()).chain(super::conf_d_files(root, &conf_d)?);
    for file in files {
        if let Some(text) = super::read_optional(root, &file)? {
            let parsed = parse(&text).map_err(|e| super::in_file(root, &file, e))?;
            ini.merge(parsed);
        }
    }
    Ok(ini)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(ini: &Ini, section: &str, key: &str) -> Option<String> {
        ini.get(section, key).unwrap()
    }

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
            get(&ini, "vnc", "novncproxy_host").as_deref(),
            Some("fd00:fd00::12")
        );
        assert_eq!(get(&ini, "vnc", "novncproxy_port").as_deref(), Some("6080"));
        assert_eq!(get(&ini, "vnc", "ssl_only").as_deref(), Some("True"));
        assert_eq!(ini.get_exact("vnc", "ssl_only"), None);
        assert_eq!(get(&ini, "vnc", "enabled").as_deref(), Some("false"));
        assert_eq!(get(&ini, "DEFAULT", "debug").as_deref(), Some("false"));
        assert_eq!(get(&ini, "nosuch", "my_ip").as_deref(), Some("172.17.1.12"));
        assert_eq!(get(&ini, "vnc", "missing"), None);
        assert_eq!(
            ini.get_or("vnc", "missing", "127.0.0.1").unwrap(),
            "127.0.0.1"
        );
    }

    #[test]
    fn continuation_lines_join_with_newlines() {
        let ini = parse(NOVA).unwrap();
        assert_eq!(
            get(&ini, "pipeline:main", "pipeline").as_deref(),
            Some("catch_errors\nhealthcheck proxy-logging\nproxy-server")
        );
    }

    #[test]
    fn separator_is_the_first_of_equals_and_colon() {
        let ini = parse("[s]\nurl = http://h:1/x\ncolon: a=b\n").unwrap();
        assert_eq!(get(&ini, "s", "url").as_deref(), Some("http://h:1/x"));
        assert_eq!(get(&ini, "s", "colon").as_deref(), Some("a=b"));
    }

    #[test]
    fn blank_line_ends_a_value_and_empty_values_count_as_unset_for_defaults() {
        let ini = parse("[s]\na = 1\n\n# comment\nb =\n").unwrap();
        assert_eq!(get(&ini, "s", "a").as_deref(), Some("1"));
        assert_eq!(get(&ini, "s", "b").as_deref(), Some(""));
        assert_eq!(ini.get_or("s", "b", "dflt").unwrap(), "dflt");
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
        assert_eq!(get(&a, "DEFAULT", "bind_port").as_deref(), Some("9393"));
        assert_eq!(get(&a, "DEFAULT", "bind_host").as_deref(), Some("::"));
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
        let root = tree.root();
        let ini = load(&root, "/etc/glance/glance-api.conf").unwrap();
        assert_eq!(get(&ini, "DEFAULT", "bind_port").as_deref(), Some("9999"));
        assert_eq!(
            get(&ini, "DEFAULT", "bind_host").as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(load(&root, "/etc/missing.conf").unwrap(), Ini::default());
        let err = load(&root, "/etc/broken.conf").unwrap_err();
        assert!(
            err.contains("broken.conf") && err.contains("line 1"),
            "{err}"
        );
    }
}

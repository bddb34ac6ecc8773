//! Process patterns: the POSIX extended regular expressions that `pgrep -f PATTERN` callers pass,
//! matched with the `regex-lite` crate.
//!
//! The originals pass PATTERN to `pgrep -f`, which compiles it as an extended regular expression
//! (glibc `regcomp`, no `REG_NEWLINE`) and searches the command line, unanchored. Every pattern in
//! tripleo-common 18.0.0 and kolla 23.0.0 is a plain process name (`nova-conductor`,
//! `neutron-openvswitch-agent`, `ceilometer-polling`, `rsync`...).
//!
//! ERE and the crate's syntax differ, so a pattern is translated token by token, never passed
//! through: characters the crate treats as syntax but ERE does not (`#`, `&`, `~`, `-`, a
//! backslash inside brackets) become escaped literals; `.` also matches a newline, and `^`/`$`
//! anchor at the ends of the command line, as in `regcomp`. Supported: literals, `\x` for a
//! punctuation character x, `.`, bracket expressions (`[abc]`, `[a-z]`, `[^...]`), anchors,
//! alternation, groups and the repetitions `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, `{,n}` (n <= 255).
//! Constructs that would silently mean something else are rejected with a one-line error: back-
//! references, escaped letters (GNU's `\w`, `\b`, `\<`... or undefined in POSIX), `[:class:]`
//! names, a repetition of a repetition (`a+?` is lazy in the crate, optional in ERE).
//!
//! A plain name, which is what every real pattern is, is searched for as a substring (the crate
//! has no literal optimisation and a process scan matches hundreds of command lines); anything
//! else runs the crate's matcher, linear in the command line and bounded by a compiled-size limit.

use regex_lite::{Regex, RegexBuilder};

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    matcher: Matcher,
    /// A lower bound on the length in bytes of any text it matches (see [`Pattern::min_len`]).
    min_len: usize,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// A pattern without any ERE syntax: the text itself.
    Literal(String),
    Regex(Regex),
}

/// Longest pattern accepted; process names are far shorter.
const MAX_PATTERN_LEN: usize = 512;
/// Deepest group nesting accepted.
const MAX_GROUP_DEPTH: u32 = 16;
/// Largest repetition count in an interval.
const MAX_REPEAT: u32 = 255;
/// Compiled size limit (bytes, as the crate estimates it). A search costs up to the compiled
/// size times the command line's length, so this bounds memory and the cost per command line:
/// a 512-byte pattern compiles to about 16 KiB; `(a|b){255}x` (35 KiB) does not fit. What is
/// left of a pathological pattern's cost (seconds over 64 KiB command lines) ends at the
/// check's deadline, like any other check that overruns.
const COMPILED_SIZE_LIMIT: usize = 32 * 1024;
/// The crate's own nesting limit (groups, repetitions, alternations), behind ours.
const NEST_LIMIT: u32 = 64;

impl Pattern {
    /// Compile `source`, or say in one line which construct is not supported.
    pub fn parse(source: &str) -> Result<Pattern, String> {
        if source.is_empty() {
            return Err("empty process pattern".into());
        }
        if source.len() > MAX_PATTERN_LEN {
            return Err(format!(
                "process pattern longer than {MAX_PATTERN_LEN} bytes"
            ));
        }
        let (translated, min_len) =
            translate(source).map_err(|e| format!("process pattern {source:?}: {e}"))?;
        let matcher = if source.chars().all(|c| !is_ere_special(c)) {
            Matcher::Literal(source.to_string())
        } else {
            let regex = RegexBuilder::new(&translated)
                .dot_matches_new_line(true)
                .size_limit(COMPILED_SIZE_LIMIT)
                .nest_limit(NEST_LIMIT)
                .build()
                .map_err(|e| format!("process pattern {source:?}: {e}"))?;
            Matcher::Regex(regex)
        };
        Ok(Pattern {
            source: source.to_string(),
            matcher,
            min_len,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// A lower bound on the length in bytes of any text the pattern matches (exact for ASCII):
    /// a process scan skips reading a 15-byte comm for a pattern that needs more.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// Whether the pattern occurs anywhere in `subject` (like `grep -E`, unanchored). Bytes that
    /// are not UTF-8 (a command line may hold any) each read as U+FFFD: `.` matches one.
    pub fn is_match(&self, subject: &[u8]) -> bool {
        let subject = String::from_utf8_lossy(subject);
        match &self.matcher {
            Matcher::Literal(text) => subject.contains(text.as_str()),
            Matcher::Regex(regex) => regex.is_match(&subject),
        }
    }
}

/// Characters with a meaning in ERE outside brackets.
fn is_ere_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '.' | '[' | ']' | '(' | ')' | '*' | '+' | '?' | '{' | '}' | '|' | '^' | '$'
    )
}

/// `c` as a literal in the crate's syntax (inside or outside a class).
fn push_literal(out: &mut String, c: char) {
    if regex_lite::escape(c.encode_utf8(&mut [0; 4])).len() > c.len_utf8() {
        out.push('\\');
    }
    out.push(c);
}

/// Shortest-match bookkeeping for one group level while translating.
#[derive(Default)]
struct Level {
    /// Shortest of the alternatives already closed by `|`.
    alternatives: Option<usize>,
    /// Shortest match of the current alternative so far.
    sequence: usize,
    /// Shortest match of the last atom, which a repetition multiplies; `None` when
    /// nothing precedes (start, after `(` or `|`) or the last thing was a repetition.
    last_atom: Option<usize>,
    /// Whether the last token was a repetition (a second one is rejected).
    after_repetition: bool,
}

impl Level {
    fn atom(&mut self, len: usize) {
        self.sequence = self.sequence.saturating_add(len);
        self.last_atom = Some(len);
        self.after_repetition = false;
    }

    fn shortest(&self) -> usize {
        self.alternatives
            .map_or(self.sequence, |a| a.min(self.sequence))
    }
}

/// Translate ERE `source` into the crate's syntax, with the bound of [`Pattern::min_len`].
fn translate(source: &str) -> Result<(String, usize), String> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() * 2);
    let mut levels = vec![Level::default()];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let level = levels.last_mut().expect("the top level is never popped");
        match c {
            '*' | '+' | '?' | '{' if level.after_repetition => {
                return Err("repetition of a repetition is not supported".into());
            }
            '*' | '+' | '?' => {
                let atom = level
                    .last_atom
                    .ok_or_else(|| format!("'{c}' with nothing to repeat"))?;
                if c != '+' {
                    level.sequence -= atom; // zero occurrences will do
                }
                out.push(c);
                level.last_atom = None;
                level.after_repetition = true;
            }
            '{' if level.last_atom.is_some() => {
                let atom = level.last_atom.unwrap_or(0);
                let (min, max, used) = interval(&chars[i..])?;
                i += used;
                // Saturating: nested intervals multiply (the crate rejects such sizes anyway).
                level.sequence =
                    (level.sequence - atom).saturating_add(atom.saturating_mul(min as usize));
                match max {
                    Some(max) => out.push_str(&format!("{{{min},{max}}}")),
                    None => out.push_str(&format!("{{{min},}}")),
                }
                level.last_atom = None;
                level.after_repetition = true;
            }
            '.' => {
                out.push('.');
                level.atom(1);
            }
            '^' | '$' => {
                out.push(c);
                level.atom(0);
            }
            '|' => {
                level.alternatives = Some(level.shortest());
                level.sequence = 0;
                level.last_atom = None;
                level.after_repetition = false;
                out.push('|');
            }
            '(' => {
                if levels.len() > MAX_GROUP_DEPTH as usize {
                    return Err(format!("groups nested deeper than {MAX_GROUP_DEPTH}"));
                }
                levels.push(Level::default());
                out.push_str("(?:");
            }
            ')' => {
                if levels.len() == 1 {
                    return Err("unmatched ')'".into());
                }
                let group = levels.pop().expect("checked above").shortest();
                levels
                    .last_mut()
                    .expect("the top level is never popped")
                    .atom(group);
                out.push(')');
            }
            '[' => {
                i += bracket(&chars[i..], &mut out)?;
                level.atom(1);
            }
            '\\' => {
                let escaped = *chars.get(i).ok_or("trailing backslash")?;
                i += 1;
                if escaped.is_ascii_digit() {
                    return Err("back-references are not supported".into());
                }
                if escaped.is_ascii_alphabetic() || matches!(escaped, '<' | '>' | '`' | '\'') {
                    return Err(format!(
                        "\\{escaped} is a GNU extension or undefined in POSIX ERE: not supported"
                    ));
                }
                push_literal(&mut out, escaped);
                level.atom(escaped.len_utf8());
            }
            // `{` with nothing to repeat, `}` and `]` outside brackets: literals, as glibc
            // takes them.
            other => {
                push_literal(&mut out, other);
                level.atom(other.len_utf8());
            }
        }
    }
    if levels.len() > 1 {
        return Err("unmatched '('".into());
    }
    Ok((out, levels[0].shortest()))
}

/// Parse an interval body after `{`: (min, max or unbounded, characters used incl. `}`).
fn interval(rest: &[char]) -> Result<(u32, Option<u32>, usize), String> {
    let close = rest.iter().position(|&c| c == '}').ok_or("unmatched '{'")?;
    let body: String = rest[..close].iter().collect();
    let bad = || format!("bad interval {{{body}}}");
    let number = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_REPEAT)
            .ok_or_else(bad)
    };
    let (min, max) = match body.split_once(',') {
        None => (number(&body)?, Some(number(&body)?)),
        Some((lo, "")) => (number(lo)?, None),
        // glibc reads `{,n}` as `{0,n}`.
        Some(("", hi)) => (0, Some(number(hi)?)),
        Some((lo, hi)) => (number(lo)?, Some(number(hi)?)),
    };
    if max.is_some_and(|max| min > max) {
        return Err(bad());
    }
    Ok((min, max, close + 1))
}

/// Translate a bracket expression after `[` into a class; returns the characters used
/// including the closing `]`. Inside brackets ERE has no escapes: every character is
/// itself, `]` first is a member, `-` first or last is a member.
fn bracket(rest: &[char], out: &mut String) -> Result<usize, String> {
    let mut i = 0;
    out.push('[');
    if rest.first() == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let c = *rest.get(i).ok_or("unmatched '['")?;
        i += 1;
        if c == ']' && !first {
            break;
        }
        first = false;
        if c == '[' && matches!(rest.get(i), Some(':' | '=' | '.')) {
            return Err("character class names like [:alpha:] are not supported".into());
        }
        let end = match (rest.get(i), rest.get(i + 1)) {
            (Some('-'), Some(&end)) if end != ']' => {
                i += 2;
                end
            }
            _ => c,
        };
        if end < c {
            return Err(format!("invalid range {c}-{end}"));
        }
        push_literal(out, c);
        if end != c {
            out.push('-');
            push_literal(out, end);
        }
    }
    out.push(']');
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, subject: &str) -> bool {
        Pattern::parse(pattern)
            .unwrap()
            .is_match(subject.as_bytes())
    }

    #[test]
    fn plain_names_are_substrings() {
        assert!(m(
            "nova-conductor",
            "/usr/bin/python3 /usr/bin/nova-conductor --config-file x"
        ));
        assert!(!m("nova-conductor", "/usr/bin/nova-compute"));
        assert!(m("neutron-openvsw", "neutron-openvsw"));
    }

    #[test]
    fn ere_subset() {
        assert!(m("^/usr/bin/nova", "/usr/bin/nova-api"));
        assert!(!m("^nova", "/usr/bin/nova-api"));
        assert!(m("api$", "/usr/bin/nova-api"));
        assert!(m("nova-(api|conductor)", "x nova-conductor y"));
        assert!(!m("nova-(api|conductor)", "x nova-compute y"));
        assert!(m("ceilometer-[a-z]+ ", "ceilometer-polling --x"));
        assert!(m("a.c", "abc"));
        assert!(m("a\\.c", "a.c"));
        assert!(!m("a\\.c", "abc"));
        assert!(m("ab?c", "ac"));
        assert!(m("x{2,3}y", "xxy"));
        assert!(!m("^x{2}y", "xxxy"));
        assert!(m("[^0-9]z", "az"));
        assert!(m("rsync|sshd", "/usr/sbin/sshd -D"));
        assert!(m("(a*)*b", "aaab"));
    }

    #[test]
    fn shortest_match() {
        let len = |p: &str| Pattern::parse(p).unwrap().min_len();
        assert_eq!(len("neutron-openvswitch-agent"), 25);
        assert_eq!(len("^nova-(api|conductor)$"), 8);
        assert_eq!(len("a*b+c?d{3,5}"), 4);
        assert_eq!(len("x|"), 0);
    }

    #[test]
    fn rejects_unsupported() {
        for bad in [
            "",
            "(",
            "a)",
            "[abc",
            "*a",
            "a**",
            "\\1",
            "[[:alpha:]]",
            "x{3,1}",
            "a\\",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn plain_name_found_at_the_end_of_a_long_command_line() {
        let mut cmdline = "java -cp ".to_string() + &"nova-conducto:".repeat(4000);
        cmdline.push_str(" nova-conductor");
        assert!(m("nova-conductor", &cmdline));
    }

    #[test]
    fn ere_where_the_crate_syntax_differs() {
        // Characters that are syntax to the crate only.
        assert!(m("a#b&c~d-e", "x a#b&c~d-e y"));
        assert!(m("^a#b.c", "a#bxc"));
        assert!(m("x[&~-]y", "x~y"));
        // A backslash is itself inside brackets.
        assert!(m("a[\\]b", "a\\b"));
        assert!(m("a[\\n]b", "anb"));
        assert!(!m("a[\\n]b", "a\nb"));
        assert!(m("[]x]+$", "ab]x"));
        assert!(m("[^]x]$", "xb"));
        assert!(!m("[^]x]$", "b]"));
        // `.` and negated brackets match a newline; anchors hold at the ends only.
        assert!(m("a.b", "a\nb"));
        assert!(m("a[^x]b", "a\nb"));
        assert!(!m("^b", "a\nb"));
        // `{,n}` is glibc's `{0,n}`; `{` with nothing to repeat is itself.
        assert!(m("^x{,2}y$", "y"));
        assert!(!m("^x{,2}y$", "xxxy"));
        assert!(m("{a", "{a"));
        assert!(m("a}", "a}"));
        assert!(m("(|b)c", "c"));
        // `\x` is the punctuation character x itself.
        assert!(m("a\\-\\{\\#", "a-{#"));
    }

    #[test]
    fn min_len_counts_bytes_and_groups() {
        let len = |p: &str| Pattern::parse(p).unwrap().min_len();
        assert_eq!(len("é."), 3);
        assert_eq!(len("(ab|c){2}d+"), 3);
        assert_eq!(len("((ab)*|x)y"), 1);
        assert_eq!(len("[a-z]{3,}"), 3);
    }

    #[test]
    fn command_lines_that_are_not_utf8_still_match() {
        let p = Pattern::parse("nova-api").unwrap();
        assert!(p.is_match(b"/usr/bin/\xff\xfe nova-api"));
        let p = Pattern::parse("^a.b$").unwrap();
        assert!(p.is_match(b"a\xffb"));
    }

    #[test]
    fn rejects_what_would_mean_something_else_in_one_line() {
        for (bad, says) in [
            ("\\w+", "\\w is a GNU extension"),
            ("\\<nova", "\\< is a GNU extension"),
            ("a+?", "repetition of a repetition"),
            ("a{2}*", "repetition of a repetition"),
            ("(?i)nova", "'?' with nothing to repeat"),
            ("[[=a=]]", "class names"),
            ("[z-a]", "invalid range z-a"),
            ("a{256}", "bad interval {256}"),
            (
                "((((((((((((((((((a))))))))))))))))))",
                "nested deeper than 16",
            ),
            ("(a|b){255}x", "exceeded size limit"),
        ] {
            let e = Pattern::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
            assert!(!e.contains('\n'), "{bad:?}: {e}");
        }
    }

    #[test]
    fn longest_pattern_fits_the_size_limit() {
        let longest = format!("{}.x", "ab-".repeat(170));
        assert_eq!(longest.len(), MAX_PATTERN_LEN);
        assert!(m(&longest, &format!("{}?x", "ab-".repeat(170))));
        assert!(Pattern::parse(&format!("{longest}y")).is_err());
    }

    #[test]
    fn pathological_pattern_terminates() {
        let p = Pattern::parse("(a|a)*(a|a)*(a|a)*b").unwrap();
        assert!(!p.is_match("a".repeat(200).as_bytes()));
    }
}

//! Process patterns: the subset of POSIX extended regular expressions that `pgrep -f PATTERN` callers use.
//!
//! The originals pass PATTERN to `pgrep -f`, which treats it as an extended regular expression and
//! searches (unanchored) the command line. Every pattern in tripleo-common 18.0.0 and kolla 23.0.0 is a
//! plain process name (`nova-conductor`, `neutron-openvswitch-agent`, `ceilometer-polling`, `rsync`...),
//! where `-` and `_` are literal and `.` matches any character. We do not pull in a regex crate for
//! that; this module implements the subset:
//!
//! - literals, `\x` (the character x, literally), `.` (any character)
//! - bracket expressions `[abc]`, `[a-z]`, `[^...]` (no `[:class:]` names)
//! - anchors `^` and `$`, alternation `|`, groups `( ... )`
//! - repetition `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}` (n <= 255)
//!
//! Anything else (back-references, character-class names) is rejected with a clear error instead of
//! silently matching something else. Matching is backtracking with a step budget, so a pathological
//! pattern cannot stretch a check past its deadline.

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    root: Alternation,
    /// The length of the shortest text it matches (see [`Pattern::min_len`]).
    min_len: usize,
}

type Alternation = Vec<Sequence>;
type Sequence = Vec<Piece>;

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    min: u32,
    max: u32,
}

#[derive(Debug, Clone)]
enum Atom {
    Byte(u8),
    Any,
    Class {
        negated: bool,
        ranges: Vec<(u8, u8)>,
    },
    Group(Alternation),
    LineStart,
    LineEnd,
}

/// Longest pattern accepted; process names are far shorter.
const MAX_PATTERN_LEN: usize = 512;
/// Backtracking steps allowed per subject before the match is abandoned as "no match": a
/// fixed allowance plus some per byte, so a plain name always gets through a long command
/// line (it needs a step or two per start position), while a pathological pattern stops.
const STEP_BUDGET: u32 = 100_000;
const STEPS_PER_BYTE: u32 = 32;
/// Unbounded repetition (`*`, `+`, `{m,}`).
const UNBOUNDED: u32 = u32::MAX;

impl Pattern {
    /// Compile `source`, or say which construct is not supported.
    pub fn parse(source: &str) -> Result<Pattern, String> {
        if source.is_empty() {
            return Err("empty process pattern".into());
        }
        if source.len() > MAX_PATTERN_LEN {
            return Err(format!(
                "process pattern longer than {MAX_PATTERN_LEN} bytes"
            ));
        }
        let mut parser = Parser {
            bytes: source.as_bytes(),
            pos: 0,
            depth: 0,
        };
        let root = parser
            .alternation()
            .map_err(|e| format!("process pattern {source:?}: {e}"))?;
        if parser.pos != parser.bytes.len() {
            return Err(format!("process pattern {source:?}: unmatched ')'"));
        }
        let min_len = shortest(&root);
        Ok(Pattern {
            source: source.to_string(),
            root,
            min_len,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The length of the shortest text the pattern can match: a process scan skips reading a
    /// 15-byte comm for a pattern that needs more.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// Whether the pattern occurs anywhere in `subject` (like `grep -E`, unanchored).
    pub fn is_match(&self, subject: &[u8]) -> bool {
        let mut steps =
            STEP_BUDGET.saturating_add(STEPS_PER_BYTE.saturating_mul(subject.len() as u32));
        (0..=subject.len()).any(|start| {
            let mut matcher = Matcher {
                subject,
                steps: &mut steps,
            };
            matcher.alternation(&self.root, start, &mut |_, _| true)
        })
    }
}

fn shortest(alts: &Alternation) -> usize {
    let piece = |p: &Piece| {
        let one = match &p.atom {
            Atom::Byte(_) | Atom::Any | Atom::Class { .. } => 1,
            Atom::Group(alts) => shortest(alts),
            Atom::LineStart | Atom::LineEnd => 0,
        };
        one.saturating_mul(p.min as usize)
    };
    alts.iter()
        .map(|seq| seq.iter().map(piece).fold(0usize, usize::saturating_add))
        .min()
        .unwrap_or(0)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn alternation(&mut self) -> Result<Alternation, String> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            alternatives.push(self.sequence()?);
        }
        Ok(alternatives)
    }

    fn sequence(&mut self) -> Result<Sequence, String> {
        let mut pieces = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let atom = self.atom()?;
            let (min, max) = self.repetition()?;
            pieces.push(Piece { atom, min, max });
        }
        Ok(pieces)
    }

    fn atom(&mut self) -> Result<Atom, String> {
        let c = self.bytes[self.pos];
        self.pos += 1;
        Ok(match c {
            b'.' => Atom::Any,
            b'^' => Atom::LineStart,
            b'$' => Atom::LineEnd,
            b'\\' => {
                let escaped = self.peek().ok_or("trailing backslash")?;
                self.pos += 1;
                if escaped.is_ascii_digit() {
                    return Err("back-references are not supported".into());
                }
                Atom::Byte(escaped)
            }
            b'[' => self.class()?,
            b'(' => {
                self.depth += 1;
                if self.depth > 16 {
                    return Err("groups nested deeper than 16".into());
                }
                let inner = self.alternation()?;
                if self.peek() != Some(b')') {
                    return Err("unmatched '('".into());
                }
                self.pos += 1;
                self.depth -= 1;
                Atom::Group(inner)
            }
            b'*' | b'+' | b'?' => return Err(format!("'{}' with nothing to repeat", c as char)),
            other => Atom::Byte(other),
        })
    }

    fn class(&mut self) -> Result<Atom, String> {
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek().ok_or("unmatched '['")?;
            self.pos += 1;
            if c == b']' && !first {
                break;
            }
            first = false;
            if c == b'[' && matches!(self.peek(), Some(b':' | b'=' | b'.')) {
                return Err("character class names like [:alpha:] are not supported".into());
            }
            let end = if self.peek() == Some(b'-')
                && self.bytes.get(self.pos + 1).is_some_and(|&n| n != b']')
            {
                let end = self.bytes[self.pos + 1];
                self.pos += 2;
                end
            } else {
                c
            };
            if end < c {
                return Err(format!("invalid range {}-{}", c as char, end as char));
            }
            ranges.push((c, end));
        }
        Ok(Atom::Class { negated, ranges })
    }

    fn repetition(&mut self) -> Result<(u32, u32), String> {
        let bounds = match self.peek() {
            Some(b'*') => (0, UNBOUNDED),
            Some(b'+') => (1, UNBOUNDED),
            Some(b'?') => (0, 1),
            Some(b'{') => return self.interval(),
            _ => return Ok((1, 1)),
        };
        self.pos += 1;
        if matches!(self.peek(), Some(b'*' | b'+' | b'?' | b'{')) {
            return Err("repetition of a repetition is not supported".into());
        }
        Ok(bounds)
    }

    fn interval(&mut self) -> Result<(u32, u32), String> {
        let close = self.bytes[self.pos..]
            .iter()
            .position(|&b| b == b'}')
            .ok_or("unmatched '{'")?;
        let body = std::str::from_utf8(&self.bytes[self.pos + 1..self.pos + close])
            .map_err(|_| "bad interval")?;
        let number = |s: &str| {
            s.parse::<u32>()
                .ok()
                .filter(|n| *n <= 255)
                .ok_or(format!("bad interval {{{body}}}"))
        };
        let (min, max) = match body.split_once(',') {
            None => (number(body)?, number(body)?),
            Some((lo, "")) => (number(lo)?, UNBOUNDED),
            Some((lo, hi)) => (number(lo)?, number(hi)?),
        };
        if min > max {
            return Err(format!("bad interval {{{body}}}"));
        }
        self.pos += close + 1;
        Ok((min, max))
    }
}

/// Backtracking matcher in continuation-passing style: each step calls `next` with the
/// position after what it matched, so alternatives and repetitions can retry on failure.
type Continuation<'c, M> = dyn FnMut(usize, &mut M) -> bool + 'c;

struct Matcher<'a, 'b> {
    subject: &'a [u8],
    steps: &'b mut u32,
}

impl Matcher<'_, '_> {
    fn tick(&mut self) -> bool {
        if *self.steps == 0 {
            return false;
        }
        *self.steps -= 1;
        true
    }

    fn alternation(
        &mut self,
        alts: &Alternation,
        pos: usize,
        next: &mut Continuation<'_, Self>,
    ) -> bool {
        alts.iter().any(|seq| self.sequence(seq, pos, next))
    }

    fn sequence(&mut self, seq: &[Piece], pos: usize, next: &mut Continuation<'_, Self>) -> bool {
        match seq.split_first() {
            None => next(pos, self),
            Some((piece, rest)) => self.repeat(piece, 0, pos, &mut |p, m: &mut Self| {
                m.sequence(rest, p, next)
            }),
        }
    }

    /// Match `piece` greedily: try one more occurrence first, then fall back to stopping here.
    fn repeat(
        &mut self,
        piece: &Piece,
        count: u32,
        pos: usize,
        next: &mut Continuation<'_, Self>,
    ) -> bool {
        if !self.tick() {
            return false;
        }
        if count < piece.max {
            let more = {
                let mut after_one = |p: usize, m: &mut Self| {
                    // An empty occurrence cannot help further repetitions; stop to avoid looping.
                    if p == pos && count >= piece.min {
                        return false;
                    }
                    m.repeat(piece, count + 1, p, next)
                };
                self.one(&piece.atom, pos, &mut after_one)
            };
            if more {
                return true;
            }
        }
        count >= piece.min && next(pos, self)
    }

    fn one(&mut self, atom: &Atom, pos: usize, next: &mut Continuation<'_, Self>) -> bool {
        let byte = self.subject.get(pos).copied();
        match atom {
            Atom::Byte(b) => byte == Some(*b) && next(pos + 1, self),
            Atom::Any => byte.is_some() && next(pos + 1, self),
            Atom::Class { negated, ranges } => match byte {
                Some(b) => {
                    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&b)) != *negated
                        && next(pos + 1, self)
                }
                None => false,
            },
            Atom::LineStart => pos == 0 && next(pos, self),
            Atom::LineEnd => pos == self.subject.len() && next(pos, self),
            Atom::Group(alts) => self.alternation(alts, pos, next),
        }
    }
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
    fn pathological_pattern_terminates() {
        let p = Pattern::parse("(a|a)*(a|a)*(a|a)*b").unwrap();
        assert!(!p.is_match("a".repeat(200).as_bytes()));
    }
}

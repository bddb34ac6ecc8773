//! A container's configured health test (`.Config.Healthcheck.Test`) as the command line
//! it runs: Docker's and podman's exec form `["CMD", ARGS...]`, or the shell form
//! `["CMD-SHELL", "TEXT"]` that kolla-ansible writes (`healthcheck_curl http://...`).
//!
//! The shell form is ours only when its text is a plain command line: words, single
//! quotes, double quotes and backslash escapes, split as a POSIX shell would split them.
//! Anything a shell would do more with (variables, globs, redirections, pipes, lists,
//! command substitution, assignments, comments, `~`) would need a shell to mean what it
//! says, and the agent never starts one: such a test is not ours and stays the engine's.

/// What a health test runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthTest {
    /// No test configured (or `["NONE"]`, which disables the image's).
    None,
    /// A command line, from the exec form or a plain shell form.
    Command(Vec<String>),
    /// A test the agent cannot run without a shell or an engine; why.
    Other(String),
}

/// Interpret `.Config.Healthcheck.Test` (absent: `None`).
pub fn parse(test: Option<&[String]>) -> HealthTest {
    let Some(test) = test else {
        return HealthTest::None;
    };
    match test.split_first() {
        None => HealthTest::None,
        Some((kind, _)) if kind == "NONE" => HealthTest::None,
        Some((kind, args)) if kind == "CMD" => {
            if args.is_empty() || args[0].is_empty() {
                HealthTest::Other("CMD without a command".into())
            } else {
                HealthTest::Command(args.to_vec())
            }
        }
        Some((kind, args)) if kind == "CMD-SHELL" => {
            let text = args.join(" ");
            match split_plain(&text) {
                Ok(words) if !words.is_empty() => HealthTest::Command(words),
                Ok(_) => HealthTest::Other("empty CMD-SHELL".into()),
                Err(why) => HealthTest::Other(format!("CMD-SHELL needs a shell: {why}")),
            }
        }
        Some((kind, _)) => HealthTest::Other(format!("unknown health test form {kind:?}")),
    }
}

/// Split `text` into words like a POSIX shell when it is a plain command line; `Err` names
/// the first thing that would need the shell itself.
pub fn split_plain(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word is open (so `''` makes an empty word).
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => match chars.next() {
                // A backslash-newline is a line continuation, which is shell syntax we refuse.
                Some('\n') | None => return Err("a trailing backslash".into()),
                Some(next) => {
                    word.push(next);
                    in_word = true;
                }
            },
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(q) => word.push(q),
                        None => return Err("an unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            // Inside double quotes a backslash escapes only these.
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some('\n') => return Err("a line continuation".into()),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err("an unterminated double quote".into()),
                        },
                        Some(q @ ('$' | '`')) => {
                            return Err(format!("{q:?} inside double quotes (expansion)"))
                        }
                        Some(q) => word.push(q),
                        None => return Err("an unterminated double quote".into()),
                    }
                }
            }
            '#' if !in_word => return Err("a comment".into()),
            '~' if !in_word => return Err("a tilde expansion".into()),
            '=' if in_word && words.is_empty() && is_name(&word) => {
                return Err("a variable assignment".into())
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' | '*' | '?' | '[' | '{' | '}'
            | '\n' | '\r' | '!' => return Err(format!("{c:?}")),
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Whether `word` is a shell variable name (so `NAME=...` as a first word assigns).
fn is_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn forms() {
        assert_eq!(parse(None), HealthTest::None);
        assert_eq!(parse(Some(&s(&["NONE"]))), HealthTest::None);
        assert_eq!(parse(Some(&[])), HealthTest::None);
        assert_eq!(
            parse(Some(&s(&["CMD", "/openstack/healthcheck", "5672"]))),
            HealthTest::Command(s(&["/openstack/healthcheck", "5672"]))
        );
        assert_eq!(
            parse(Some(&s(&[
                "CMD-SHELL",
                "healthcheck_curl http://10.0.0.1:8774 "
            ]))),
            HealthTest::Command(s(&["healthcheck_curl", "http://10.0.0.1:8774"]))
        );
        assert!(matches!(parse(Some(&s(&["CMD"]))), HealthTest::Other(_)));
        assert!(matches!(
            parse(Some(&s(&["CMD-SHELL", "/openstack/healthcheck || exit 1"]))),
            HealthTest::Other(why) if why.contains("'|'")
        ));
        assert!(matches!(
            parse(Some(&s(&["SHELL", "x"]))),
            HealthTest::Other(_)
        ));
        assert!(matches!(
            parse(Some(&s(&["CMD-SHELL", "  "]))),
            HealthTest::Other(_)
        ));
    }

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split_plain(r#"healthcheck_port nova-conductor '5671 5672'"#).unwrap(),
            s(&["healthcheck_port", "nova-conductor", "5671 5672"])
        );
        assert_eq!(
            split_plain(r#"a "b c" d\ e 'f'"g"h '' """#).unwrap(),
            s(&["a", "b c", "d e", "fgh", "", ""])
        );
        assert_eq!(
            split_plain(r#"x "\"q\" \\ \a" url=http://h/?a"#).unwrap_err(),
            "'?'"
        );
        assert_eq!(
            split_plain(r#"x "\"q\" \\ \a" --data=a=b"#).unwrap(),
            s(&["x", r#""q" \ \a"#, "--data=a=b"])
        );
        assert_eq!(split_plain("a\tb").unwrap(), s(&["a", "b"]));
        assert_eq!(split_plain("x#y").unwrap(), s(&["x#y"]));
        assert_eq!(split_plain("a ~b").unwrap_err(), "a tilde expansion");
        assert_eq!(split_plain("a b~").unwrap(), s(&["a", "b~"]));
    }

    #[test]
    fn refuses_what_needs_a_shell() {
        for text in [
            "check; true",
            "check && true",
            "check > /dev/null",
            "check $PORT",
            "check \"$PORT\"",
            "check `id`",
            "check \"`id`\"",
            "check *.conf",
            "check {a,b}",
            "(check)",
            "check # comment",
            "PORT=1 check",
            "check 'open",
            "check \"open",
            "check \\",
            "check\nother",
            "! check",
        ] {
            assert!(split_plain(text).is_err(), "{text:?} needs a shell");
        }
        // An assignment-looking word after the command is a plain argument.
        assert_eq!(split_plain("check a=b").unwrap(), s(&["check", "a=b"]));
        assert_eq!(split_plain("./x=y").unwrap(), s(&["./x=y"]));
    }
}

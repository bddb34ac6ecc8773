//! /etc/sysconfig-style files (`KEY=VALUE` shell assignments: memcached, clustercheck,
//! etcd.conf, rabbitmq-env.conf): comments, `export`, single and double quotes, and
//! backslash escapes in double quotes. No expansion of `$VARS` (the checks never need it).

/// The assignments of a file, in order (later ones win in [`get`]).
pub type Assignments = Vec<(String, String)>;

/// Parse the text; errors name the line.
pub fn parse(text: &str) -> Result<Assignments, String> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let (key, raw) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected KEY=VALUE: {line:?}", index + 1))?;
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("line {}: not a variable name: {key:?}", index + 1));
        }
        let value = shell_value(raw).map_err(|e| format!("line {}: {key}: {e}", index + 1))?;
        out.push((key.to_string(), value));
    }
    Ok(out)
}

/// The last value assigned to `key`.
pub fn get<'a>(assignments: &'a Assignments, key: &str) -> Option<&'a str> {
    assignments
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// One shell word (possibly made of quoted and unquoted pieces); a trailing `# comment`
/// after whitespace is dropped.
fn shell_value(raw: &str) -> Result<String, String> {
    let mut value = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err("unterminated single quote".into()),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => value.push(chars.next().ok_or("unterminated double quote")?),
                    Some(c) => value.push(c),
                    None => return Err("unterminated double quote".into()),
                }
            },
            '\\' => value.push(chars.next().unwrap_or('\\')),
            c if c.is_whitespace() => {
                let rest = chars.as_str().trim_start();
                if rest.is_empty() || rest.starts_with('#') {
                    break;
                }
                return Err("unquoted whitespace in the value (quote it)".into());
            }
            c => value.push(c),
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memcached_and_clustercheck_styles() {
        let text = "PORT=\"11211\"\nUSER=\"memcached\"\nOPTIONS=\"-l 172.17.1.5,notls:172.17.1.5:11211 -U 0\"\n\
                    # comment\nTRIPLEO_SOCAT_BIND='tcp4-listen:9200,bind=\"172.17.1.5\",reuseaddr,fork'\n\
                    export ETCD_NAME=node1 # trailing comment\nPORT=11212\n";
        let a = parse(text).unwrap();
        assert_eq!(get(&a, "PORT"), Some("11212"));
        assert_eq!(
            get(&a, "OPTIONS"),
            Some("-l 172.17.1.5,notls:172.17.1.5:11211 -U 0")
        );
        assert_eq!(
            get(&a, "TRIPLEO_SOCAT_BIND"),
            Some("tcp4-listen:9200,bind=\"172.17.1.5\",reuseaddr,fork")
        );
        assert_eq!(get(&a, "ETCD_NAME"), Some("node1"));
        assert_eq!(get(&a, "MISSING"), None);
    }

    #[test]
    fn escapes_and_empty_values() {
        let a = parse("A=\"x\\\"y\"\nB=\nC=a'b c'd\n").unwrap();
        assert_eq!(get(&a, "A"), Some("x\"y"));
        assert_eq!(get(&a, "B"), Some(""));
        assert_eq!(get(&a, "C"), Some("ab cd"));
    }

    #[test]
    fn malformed_lines_are_clear_errors() {
        assert!(parse("just words\n").unwrap_err().contains("KEY=VALUE"));
        assert!(parse("A='open\n")
            .unwrap_err()
            .contains("unterminated single"));
        assert!(parse("A=\"open\n")
            .unwrap_err()
            .contains("unterminated double"));
        assert!(parse("BAD-NAME=1\n")
            .unwrap_err()
            .contains("not a variable"));
        assert!(parse("A=two words\n")
            .unwrap_err()
            .contains("unquoted whitespace"));
    }
}

//! Client options from a MySQL/MariaDB option file (`my.cnf` format), as the
//! `mysql`/`mariadb` clients read them with `--defaults-file`: the `[client]`,
//! `[client-server]`, `[client-mariadb]`, `[mysql]` and `[mariadb-client]` groups,
//! later lines winning, `!include FILE` and `!includedir DIR` (`*.cnf`, sorted), each
//! line read as the clients read it (comments, quotes and backslash escapes, in quoted
//! and unquoted values alike: see [`parse`]).
//! The service checks read the checked system's standard option files the same way (in
//! its root), and also take the server's own socket from `[mysqld]`.

use crate::system::{Root, System};
use std::path::Path;

/// Groups a command-line client reads, in the clients' own order of precedence.
const CLIENT_GROUPS: &[&str] = &[
    "client",
    "client-server",
    "client-mariadb",
    "mysql",
    "mariadb-client",
];

/// Groups the server reads: its `socket` there is where it listens.
const SERVER_GROUPS: &[&str] = &["server", "mysqld", "mariadb", "mariadbd"];

/// Nesting limit for `!include`, against include loops.
const MAX_INCLUDE_DEPTH: usize = 10;

/// What a health check needs from the option file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientOptions {
    pub user: Option<String>,
    /// `None` when absent, or given bare (`password` alone means "prompt" to the clients).
    pub password: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<String>,
    /// The server's `socket` (`[mysqld]` and its aliases): where the clients' own
    /// default would be wrong, the server's configuration still says where it listens.
    pub server_socket: Option<String>,
}

/// How file names in the option files are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Files {
    /// As given, every named file must exist (`--defaults-file`).
    AsGiven,
    /// The standard option files of the checked system: missing files and directories
    /// are skipped, as the clients skip the standard option files that are not there.
    Standard,
}

/// Read the client options of an option file (as given, in `root`) and its includes. The
/// password is registered with the redaction list as soon as it is read.
pub fn read_defaults_file(root: &Root, path: &str) -> Result<ClientOptions, String> {
    read_files(root, &[path.to_string()], Files::AsGiven)
}

/// Read the standard option files `paths` of `root` (absolute, in the clients' order,
/// later winning) with their includes; missing ones are skipped.
pub fn read_host_option_files(root: &Root, paths: &[&str]) -> Result<ClientOptions, String> {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    read_files(root, &paths, Files::Standard)
}

fn read_files(root: &Root, paths: &[String], files: Files) -> Result<ClientOptions, String> {
    let mut opts = ClientOptions::default();
    for path in paths {
        read_into(root, path, &mut opts, 0, files, "")?;
    }
    if let Some(pw) = &opts.password {
        crate::secrets::remember(pw);
    }
    Ok(opts)
}

/// Which option files a client reads, as its `--no-defaults`, `--defaults-file`,
/// `--defaults-extra-file` and `--defaults-group-suffix` choose them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Read no option file at all.
    pub no_defaults: bool,
    /// Read only this file (it must exist).
    pub defaults_file: Option<String>,
    /// Read this file after the global ones, before the user's (it must exist).
    pub extra_file: Option<String>,
    /// Also read the groups named with this suffix (`[client_hc]` for `_hc`).
    pub group_suffix: Option<String>,
}

/// The client options a client of `sys` reads with `selection`: nothing with
/// `no_defaults`; only the defaults file when one is named; else the system's `global`
/// files (in its configuration root, missing ones skipped), the extra file, then
/// `user_file` (the user's `~/.my.cnf`, skipped when missing), later values winning.
/// Named files and the user's file are paths as the client sees them (`sys.given`).
pub fn read_selected(
    sys: &System,
    selection: &Selection,
    global: &[&str],
    user_file: Option<&str>,
) -> Result<ClientOptions, String> {
    let mut opts = ClientOptions::default();
    let suffix = selection.group_suffix.as_deref().unwrap_or("");
    if selection.no_defaults {
        return Ok(opts);
    }
    if let Some(file) = &selection.defaults_file {
        read_into(&sys.given, file, &mut opts, 0, Files::AsGiven, suffix)?;
    } else {
        for path in global {
            read_into(&sys.files, path, &mut opts, 0, Files::Standard, suffix)?;
        }
        if let Some(extra) = &selection.extra_file {
            read_into(&sys.given, extra, &mut opts, 0, Files::AsGiven, suffix)?;
        }
        if let Some(user) = user_file {
            read_into(&sys.given, user, &mut opts, 0, Files::Standard, suffix)?;
        }
    }
    if let Some(pw) = &opts.password {
        crate::secrets::remember(pw);
    }
    Ok(opts)
}

/// Whether a client reads `group`: one of [`CLIENT_GROUPS`], or one of them with the
/// `--defaults-group-suffix`.
fn client_group(group: &str, suffix: &str) -> bool {
    CLIENT_GROUPS.iter().any(|base| {
        group == *base || (!suffix.is_empty() && group.strip_prefix(base) == Some(suffix))
    })
}

fn read_into(
    root: &Root,
    path: &str,
    opts: &mut ClientOptions,
    depth: usize,
    files: Files,
    suffix: &str,
) -> Result<(), String> {
    if depth > MAX_INCLUDE_DEPTH {
        return Err(format!(
            "{}: !include nested more than {MAX_INCLUDE_DEPTH} deep (a loop?)",
            root.shown(path)
        ));
    }
    let raw = match root.read(path) {
        Ok(raw) => raw,
        Err(e) if files == Files::Standard && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(())
        }
        Err(e) => {
            let what = if files == Files::AsGiven {
                "defaults file"
            } else {
                "option file"
            };
            return Err(format!(
                "cannot read {what} {}: {}",
                root.shown(path),
                crate::util::io_reason(&e)
            ));
        }
    };
    let text = String::from_utf8_lossy(&raw);
    for line in parse(&text) {
        match line {
            Line::Include(file) => {
                read_into(root, &resolve(path, &file), opts, depth + 1, files, suffix)?
            }
            Line::IncludeDir(dir) => {
                for file in cnf_files(root, &resolve(path, &dir), files)? {
                    read_into(root, &file, opts, depth + 1, files, suffix)?;
                }
            }
            Line::Option { group, key, value } if client_group(&group, suffix) => {
                apply(opts, &key, value, &root.shown(path))?;
            }
            Line::Option { group, key, value }
                if key == "socket" && SERVER_GROUPS.contains(&group.as_str()) =>
            {
                opts.server_socket = value;
            }
            Line::Option { .. } => {}
        }
    }
    Ok(())
}

fn apply(
    opts: &mut ClientOptions,
    key: &str,
    value: Option<String>,
    shown_path: &str,
) -> Result<(), String> {
    match key {
        "user" => opts.user = value,
        "password" => {
            // Known at once: a later line or file may fail and be quoted.
            if let Some(pw) = &value {
                crate::secrets::remember(pw);
            }
            opts.password = value
        }
        "host" => opts.host = value,
        "socket" => opts.socket = value,
        "port" => {
            opts.port =
                match value {
                    None => None,
                    Some(v) => Some(v.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
                        format!("{shown_path}: port = {v:?} is not a port number")
                    })?),
                }
        }
        _ => {}
    }
    Ok(())
}

/// Relative include paths are relative to the including file's directory; absolute ones
/// are in the same root.
fn resolve(from: &str, target: &str) -> String {
    match Path::new(from).parent() {
        Some(dir) if Path::new(target).is_relative() => {
            dir.join(target).to_string_lossy().into_owned()
        }
        _ => target.to_string(),
    }
}

fn cnf_files(root: &Root, dir: &str, files: Files) -> Result<Vec<String>, String> {
    let entries = match root.read_dir_names(dir) {
        Ok(entries) => entries,
        Err(e) if files == Files::Standard && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new())
        }
        Err(e) => {
            return Err(format!(
                "cannot read !includedir {}: {}",
                root.shown(dir),
                crate::util::io_reason(&e)
            ))
        }
    };
    let mut found: Vec<String> = entries
        .into_iter()
        .map(|name| Path::new(dir).join(name).to_string_lossy().into_owned())
        .filter(|p| Path::new(p).extension().is_some_and(|x| x == "cnf") && root.is_file(p))
        .collect();
    found.sort();
    Ok(found)
}

/// One meaningful line of an option file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Include(String),
    IncludeDir(String),
    /// `key` is lower-case with `_` for `-` and without a `loose-` prefix; `value`
    /// is `None` for a bare option.
    Option {
        group: String,
        key: String,
        value: Option<String>,
    },
}

/// Parse option-file text into its meaningful lines, without touching the file system.
pub fn parse(text: &str) -> Vec<Line> {
    let mut group = String::new();
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("!includedir") {
            out.push(Line::IncludeDir(rest.trim().to_string()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("!include") {
            out.push(Line::Include(rest.trim().to_string()));
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            group = rest
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            continue;
        }
        // As the clients read a line (mysys' search_default_file): a '#' outside quotes
        // ends it, the key ends at the first '=', the value is trimmed, unquoted when it
        // starts and ends with the same quote, and its backslash escapes read.
        let line = remove_end_comment(line);
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(option_value(v))),
            None => (line, None),
        };
        let key = key.trim().to_ascii_lowercase().replace('-', "_");
        let key = key.strip_prefix("loose_").unwrap_or(&key).to_string();
        out.push(Line::Option {
            group: group.clone(),
            key,
            value,
        });
    }
    out
}

/// The line up to a `#` that is outside quotes (a quote inside quotes may be escaped
/// with a backslash), as mysys' `remove_end_comment` cuts it.
fn remove_end_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        if (c == '\'' || c == '"') && !escaped {
            match quote {
                None => quote = Some(c),
                Some(q) if q == c => quote = None,
                Some(_) => {}
            }
        }
        if quote.is_none() && c == '#' {
            return &line[..at];
        }
        escaped = quote.is_some() && c == '\\' && !escaped;
    }
    line
}

/// An option's value as the clients read it: trimmed; one pair of quotes stripped when
/// the value (two characters or more) starts and ends with the same one; then, quoted
/// or not, `\n` `\t` `\r` `\b` `\s` (a space) `\"` `\'` `\\` read as what they
/// stand for, any other backslash kept with what follows it, and a last backslash kept.
fn option_value(raw: &str) -> String {
    let value = raw.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}');
    let bytes = value.as_bytes();
    let value = match bytes {
        [first @ (b'"' | b'\''), .., last] if first == last => &value[1..value.len() - 1],
        _ => value,
    };
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' || chars.peek().is_none() {
            out.push(c);
            continue;
        }
        let next = chars.next().unwrap_or_default();
        match next {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            's' => out.push(' '),
            '"' | '\'' | '\\' => out.push(next),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(group: &str, key: &str, value: Option<&str>) -> Line {
        Line::Option {
            group: group.into(),
            key: key.into(),
            value: value.map(String::from),
        }
    }

    #[test]
    fn parses_groups_quotes_and_comments() {
        let text = "# comment\n[client]\nuser = monitor\npassword=\"p#ss \\\"w\\\" \" # trailing\n\
                    [mysqld]\nport=3306\n[Client]\nloose-socket = /run/mysqld/mysqld.sock # here\nno-beep\n\
                    !include /etc/extra.cnf\n!includedir /etc/my.cnf.d\n";
        assert_eq!(
            parse(text),
            vec![
                opt("client", "user", Some("monitor")),
                opt("client", "password", Some("p#ss \"w\" ")),
                opt("mysqld", "port", Some("3306")),
                opt("client", "socket", Some("/run/mysqld/mysqld.sock")),
                opt("client", "no_beep", None),
                Line::Include("/etc/extra.cnf".into()),
                Line::IncludeDir("/etc/my.cnf.d".into()),
            ]
        );
    }

    #[test]
    fn selections_choose_files_and_groups() {
        let dir = std::env::temp_dir().join(format!("ohc-mycnf-sel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let global = dir.join("global.cnf");
        std::fs::write(&global, "[client]\nuser=global\nport=3307\n").unwrap();
        let extra = dir.join("extra.cnf");
        std::fs::write(
            &extra,
            "[client]\nuser=extra\n[client_hc]\npassword=Mycnf-hc-secret\n",
        )
        .unwrap();
        let home = dir.join("home.cnf");
        std::fs::write(&home, "[mariadb-client]\nsocket=/s\n").unwrap();
        let globals = [global.to_str().unwrap()];
        let home = home.to_string_lossy().into_owned();
        let sys = System {
            files: Root::Host,
            ..System::from_process()
        };
        let mut sel = Selection {
            extra_file: Some(extra.to_string_lossy().into_owned()),
            ..Selection::default()
        };
        let opts = read_selected(&sys, &sel, &globals, Some(&home)).unwrap();
        assert_eq!(opts.user.as_deref(), Some("extra"));
        assert_eq!(
            (opts.port, opts.socket.as_deref()),
            (Some(3307), Some("/s"))
        );
        assert_eq!(opts.password, None);
        sel.group_suffix = Some("_hc".into());
        assert_eq!(
            read_selected(&sys, &sel, &globals, Some(&home))
                .unwrap()
                .password
                .as_deref(),
            Some("Mycnf-hc-secret")
        );
        sel.defaults_file = Some(home.clone());
        let only = read_selected(&sys, &sel, &globals, None).unwrap();
        assert_eq!((only.user, only.port), (None, None));
        sel.no_defaults = true;
        assert_eq!(
            read_selected(&sys, &sel, &globals, None).unwrap(),
            ClientOptions::default()
        );
        let missing = Selection {
            extra_file: Some(dir.join("absent.cnf").to_string_lossy().into_owned()),
            ..Selection::default()
        };
        assert!(read_selected(&sys, &missing, &globals, None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_files_with_includes() {
        let dir = std::env::temp_dir().join(format!("ohc-mycnf-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        std::fs::write(
            dir.join("my.cnf"),
            "[client]\nuser=a\nport=1\n!includedir conf.d\n[mysql]\nhost=db\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("conf.d/10.cnf"),
            "[client]\nuser=b\npassword='x y'\n",
        )
        .unwrap();
        std::fs::write(dir.join("conf.d/ignored.txt"), "[client]\nuser=c\n").unwrap();
        let opts = read_defaults_file(&Root::Host, dir.join("my.cnf").to_str().unwrap()).unwrap();
        assert_eq!(opts.user.as_deref(), Some("b"));
        assert_eq!(opts.password.as_deref(), Some("x y"));
        assert_eq!(opts.port, Some(1));
        assert_eq!(opts.host.as_deref(), Some("db"));
        std::fs::write(dir.join("loop.cnf"), "!include loop.cnf\n").unwrap();
        assert!(
            read_defaults_file(&Root::Host, dir.join("loop.cnf").to_str().unwrap())
                .unwrap_err()
                .contains("loop")
        );
        std::fs::write(dir.join("badport.cnf"), "[client]\nport=x\n").unwrap();
        assert!(
            read_defaults_file(&Root::Host, dir.join("badport.cnf").to_str().unwrap()).is_err()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Client options from a MySQL/MariaDB option file (`my.cnf` format), as the
//! `mysql`/`mariadb` clients read them with `--defaults-file`: the `[client]`,
//! `[client-server]`, `[client-mariadb]`, `[mysql]` and `[mariadb-client]` groups,
//! later lines winning, `!include FILE` and `!includedir DIR` (`*.cnf`, sorted).
//! The service checks read the host's standard option files the same way, under
//! `HEALTHCHECK_ROOT`, and also take the server's own socket from `[mysqld]`.

use std::path::{Path, PathBuf};

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
    /// Absolute names under `HEALTHCHECK_ROOT`, missing files and directories skipped,
    /// as the clients skip the standard option files that are not there.
    OnHost,
}

/// Read the client options of an option file and its includes. The password is
/// registered with the redaction list as soon as it is read.
pub fn read_defaults_file(path: &str) -> Result<ClientOptions, String> {
    read_files(&[Path::new(path).to_path_buf()], Files::AsGiven)
}

/// Read the host's option files `paths` (absolute, in the clients' order, later
/// winning) under `HEALTHCHECK_ROOT`, with their includes; missing ones are skipped.
pub fn read_host_option_files(paths: &[&str]) -> Result<ClientOptions, String> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| crate::config::host_path(p)).collect();
    read_files(&paths, Files::OnHost)
}

fn read_files(paths: &[PathBuf], files: Files) -> Result<ClientOptions, String> {
    let mut opts = ClientOptions::default();
    for path in paths {
        read_into(path, &mut opts, 0, files, "")?;
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

/// The client options a client reads with `selection`: nothing with `no_defaults`; only
/// the defaults file when one is named; else the host's `global` files (under
/// `HEALTHCHECK_ROOT`, missing ones skipped), the extra file, then `user_file` (the
/// user's `~/.my.cnf`, skipped when missing), later values winning.
pub fn read_selected(
    selection: &Selection,
    global: &[&str],
    user_file: Option<&Path>,
) -> Result<ClientOptions, String> {
    let mut opts = ClientOptions::default();
    let suffix = selection.group_suffix.as_deref().unwrap_or("");
    if selection.no_defaults {
        return Ok(opts);
    }
    if let Some(file) = &selection.defaults_file {
        read_into(Path::new(file), &mut opts, 0, Files::AsGiven, suffix)?;
    } else {
        for path in global {
            let path = crate::config::host_path(path);
            read_into(&path, &mut opts, 0, Files::OnHost, suffix)?;
        }
        if let Some(extra) = &selection.extra_file {
            read_into(Path::new(extra), &mut opts, 0, Files::AsGiven, suffix)?;
        }
        if let Some(user) = user_file {
            read_into(user, &mut opts, 0, Files::OnHost, suffix)?;
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
    path: &Path,
    opts: &mut ClientOptions,
    depth: usize,
    files: Files,
    suffix: &str,
) -> Result<(), String> {
    if depth > MAX_INCLUDE_DEPTH {
        return Err(format!(
            "{}: !include nested more than {MAX_INCLUDE_DEPTH} deep (a loop?)",
            path.display()
        ));
    }
    let raw = match std::fs::read(path) {
        Ok(raw) => raw,
        Err(e) if files == Files::OnHost && e.kind() == std::io::ErrorKind::NotFound => {
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
                path.display(),
                crate::util::io_reason(&e)
            ));
        }
    };
    let text = String::from_utf8_lossy(&raw);
    for line in parse(&text) {
        match line {
            Line::Include(file) => {
                read_into(&resolve(path, &file, files), opts, depth + 1, files, suffix)?
            }
            Line::IncludeDir(dir) => {
                for file in cnf_files(&resolve(path, &dir, files), files)? {
                    read_into(&file, opts, depth + 1, files, suffix)?;
                }
            }
            Line::Option { group, key, value } if client_group(&group, suffix) => {
                apply(opts, &key, value, path)?;
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
    path: &Path,
) -> Result<(), String> {
    match key {
        "user" => opts.user = value,
        "password" => opts.password = value,
        "host" => opts.host = value,
        "socket" => opts.socket = value,
        "port" => {
            opts.port = match value {
                None => None,
                Some(v) => Some(v.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
                    format!("{}: port = {v:?} is not a port number", path.display())
                })?),
            }
        }
        _ => {}
    }
    Ok(())
}

/// Relative include paths are relative to the including file's directory; absolute
/// ones on the host are under `HEALTHCHECK_ROOT`.
fn resolve(from: &Path, target: &str, files: Files) -> PathBuf {
    match from.parent() {
        Some(dir) if Path::new(target).is_relative() => dir.join(target),
        _ if files == Files::OnHost => crate::config::host_path(target),
        _ => PathBuf::from(target),
    }
}

fn cnf_files(dir: &Path, files: Files) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if files == Files::OnHost && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new())
        }
        Err(e) => {
            return Err(format!(
                "cannot read !includedir {}: {}",
                dir.display(),
                crate::util::io_reason(&e)
            ))
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cnf") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
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
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(unquote(v.trim()))),
            None => (strip_comment(line), None),
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

/// A value: quoted ('...' or "...", with backslash escapes) up to its closing
/// quote, else everything before a `#` comment, trimmed.
fn unquote(value: &str) -> String {
    let mut chars = value.chars();
    let quote = match chars.next() {
        Some(q @ ('"' | '\'')) => q,
        _ => return strip_comment(value).trim_end().to_string(),
    };
    let mut out = String::new();
    let mut escaped = false;
    for c in chars {
        if escaped {
            out.push(match c {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' => '\u{8}',
                's' => ' ',
                other => other,
            });
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return out;
        } else {
            out.push(c);
        }
    }
    // No closing quote: the clients take the text as it stands.
    value.to_string()
}

fn strip_comment(text: &str) -> &str {
    text.split('#').next().unwrap_or("")
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
        let mut sel = Selection {
            extra_file: Some(extra.to_string_lossy().into_owned()),
            ..Selection::default()
        };
        let opts = read_selected(&sel, &globals, Some(&home)).unwrap();
        assert_eq!(opts.user.as_deref(), Some("extra"));
        assert_eq!(
            (opts.port, opts.socket.as_deref()),
            (Some(3307), Some("/s"))
        );
        assert_eq!(opts.password, None);
        sel.group_suffix = Some("_hc".into());
        assert_eq!(
            read_selected(&sel, &globals, Some(&home))
                .unwrap()
                .password
                .as_deref(),
            Some("Mycnf-hc-secret")
        );
        sel.defaults_file = Some(home.to_string_lossy().into_owned());
        let only = read_selected(&sel, &globals, None).unwrap();
        assert_eq!((only.user, only.port), (None, None));
        sel.no_defaults = true;
        assert_eq!(
            read_selected(&sel, &globals, None).unwrap(),
            ClientOptions::default()
        );
        let missing = Selection {
            extra_file: Some(dir.join("absent.cnf").to_string_lossy().into_owned()),
            ..Selection::default()
        };
        assert!(read_selected(&missing, &globals, None).is_err());
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
        let opts = read_defaults_file(dir.join("my.cnf").to_str().unwrap()).unwrap();
        assert_eq!(opts.user.as_deref(), Some("b"));
        assert_eq!(opts.password.as_deref(), Some("x y"));
        assert_eq!(opts.port, Some(1));
        assert_eq!(opts.host.as_deref(), Some("db"));
        std::fs::write(dir.join("loop.cnf"), "!include loop.cnf\n").unwrap();
        assert!(read_defaults_file(dir.join("loop.cnf").to_str().unwrap())
            .unwrap_err()
            .contains("loop"));
        std::fs::write(dir.join("badport.cnf"), "[client]\nport=x\n").unwrap();
        assert!(read_defaults_file(dir.join("badport.cnf").to_str().unwrap()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

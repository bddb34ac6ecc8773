//! kolla's `healthcheck_curl` as a drop-in: the script runs
//! `curl -q -g -k -s -S --fail -o "$HEALTHCHECK_CURL_OUTPUT" --max-time ... --user-agent ...
//! --write-out ... "$@"`, so its callers pass a URL and sometimes curl flags (kolla-ansible's
//! haproxy check passes `-u user:password`). We take the flags such callers use, refuse
//! any other with a clear message, read the same `HEALTHCHECK_CURL_*` variables (an
//! empty one means its default, as the script's `${VAR:=default}` does), and print the
//! write-out line — as one line — on success.
//!
//! One deliberate difference: an explicit `--cacert` verifies the server against that CA
//! (the script's built-in `-k` would silently disable it), unless `-k` is also given.

use super::{check_status, fetch_inner, parse_header, url, HttpOptions, HttpResponse};
use crate::context::Context;
use crate::deadline::{parse_max_time, Deadline};
use crate::system::Root;
use crate::verdict::Checked;

const DEFAULT_WRITE_OUT: &str =
    "\\n%{http_code} %{remote_ip}:%{remote_port} %{time_total} seconds\\n";

/// What the arguments and environment ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    pub url: String,
    pub insecure: bool,
    pub ca_file: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub user: Option<String>,
    pub headers: Vec<(String, String)>,
    pub output: Option<String>,
    pub max_time: Option<String>,
    pub user_agent: Option<String>,
    pub write_out: Option<String>,
}

/// Flags without a value: curl's output and failure switches the script already
/// sets, which callers sometimes repeat.
fn is_switch(flag: &str) -> Option<bool> {
    match flag {
        "-q" | "--disable" | "-g" | "--globoff" | "-s" | "--silent" | "-S" | "--show-error"
        | "-f" | "--fail" => Some(false),
        "-k" | "--insecure" => Some(true),
        _ => None,
    }
}

/// Flags that take a value, short and long spellings.
const VALUED: &[(&str, &str)] = &[
    ("-o", "--output"),
    ("-m", "--max-time"),
    ("-A", "--user-agent"),
    ("-w", "--write-out"),
    ("-u", "--user"),
    ("-H", "--header"),
    ("-E", "--cert"),
    ("", "--cacert"),
    ("", "--key"),
];

/// Parse the script's arguments: flags (bundled short ones like `-sS`, `-oFILE`,
/// `--flag value`, `--flag=value`) and exactly one URL.
pub fn parse_args(args: &[String]) -> Result<Invocation, String> {
    let mut inv = Invocation::default();
    let mut urls = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let mut take_value = |flag: &str, inline: Option<&str>| -> Result<String, String> {
            if let Some(v) = inline {
                return Ok(v.to_string());
            }
            i += 1;
            args.get(i - 1)
                .cloned()
                .ok_or_else(|| format!("healthcheck_curl: option {flag} needs a value"))
        };
        if arg == "--" {
            urls.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v)),
                None => (arg.clone(), None),
            };
            if let Some(insecure) = is_switch(&name) {
                inv.insecure |= insecure;
            } else if VALUED.iter().any(|(_, l)| *l == name) {
                let value = take_value(&name, inline)?;
                inv.set(&name, value)?;
            } else {
                return Err(unsupported(&name));
            }
        } else if arg.len() > 1 && arg.starts_with('-') {
            // Bundled short flags: switches until one that takes a value.
            let chars: Vec<char> = arg[1..].chars().collect();
            for (k, c) in chars.iter().enumerate() {
                let flag = format!("-{c}");
                if let Some(insecure) = is_switch(&flag) {
                    inv.insecure |= insecure;
                } else if let Some((_, long)) = VALUED.iter().find(|(s, _)| *s == flag) {
                    let rest: String = chars[k + 1..].iter().collect();
                    let value = take_value(&flag, (!rest.is_empty()).then_some(rest.as_str()))?;
                    inv.set(long, value)?;
                    break;
                } else {
                    return Err(unsupported(&flag));
                }
            }
        } else {
            urls.push(arg.clone());
        }
    }
    match urls.as_slice() {
        [url] => inv.url = url.clone(),
        [] => {
            return Err(
                "healthcheck_curl: no URL given (usage: healthcheck_curl [curl options] URL)"
                    .into(),
            )
        }
        _ => {
            return Err(format!(
                "healthcheck_curl: one URL expected, got {}",
                urls.len()
            ))
        }
    }
    Ok(inv)
}

fn unsupported(flag: &str) -> String {
    format!(
        "healthcheck_curl: unsupported curl option {flag} (supported: -k --cacert --cert --key -u -H -o -m -A -w -s -S -f -g -q)"
    )
}

impl Invocation {
    fn set(&mut self, long: &str, value: String) -> Result<(), String> {
        match long {
            "--output" => self.output = Some(value),
            "--max-time" => self.max_time = Some(value),
            "--user-agent" => self.user_agent = Some(value),
            "--write-out" => self.write_out = Some(value),
            "--user" => {
                let Some((_, password)) = value.split_once(':') else {
                    return Err(
                        "healthcheck_curl: -u needs USER:PASSWORD (no prompt in a health check)"
                            .into(),
                    );
                };
                crate::secrets::remember(password);
                self.user = Some(value);
            }
            "--header" => self.headers.push(parse_header(&value)?),
            "--cert" => self.client_cert = Some(value),
            "--cacert" => self.ca_file = Some(value),
            "--key" => self.client_key = Some(value),
            other => unreachable!("flag {other} is listed in VALUED"),
        }
        Ok(())
    }

    /// Fill what the flags left open from the script's environment variables.
    fn with_env(mut self, env: &dyn Fn(&str) -> Option<String>) -> Self {
        self.user_agent = self
            .user_agent
            .or_else(|| env("HEALTHCHECK_CURL_USER_AGENT"));
        self.write_out = self.write_out.or_else(|| env("HEALTHCHECK_CURL_WRITE_OUT"));
        self.output = self.output.or_else(|| env("HEALTHCHECK_CURL_OUTPUT"));
        self
    }

    fn options(&self) -> HttpOptions {
        let defaults = HttpOptions::default();
        HttpOptions {
            verify: self.ca_file.is_some() && !self.insecure,
            ca_file: if self.insecure {
                None
            } else {
                self.ca_file.clone()
            },
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
            user_agent: self.user_agent.clone().unwrap_or(defaults.user_agent),
        }
    }
}

/// Run kolla's `healthcheck_curl ARGS` with the process environment.
pub fn run(args: &[String], ctx: &Context) -> Checked {
    let env = |name: &str| ctx.system.var(name);
    let inv = match parse_args(args) {
        Ok(inv) => inv.with_env(&env),
        Err(e) => {
            // The target shown is the URL, if one can be told (not whatever came last,
            // which may be the value of `-u`).
            return Checked::cannot_tell(
                args.iter()
                    .rev()
                    .find(|a| a.contains("://"))
                    .map(|a| url::redact_userinfo(a))
                    .unwrap_or_default(),
                e,
            );
        }
    };
    // `--max-time` on the command line can only shorten the deadline already set
    // from HEALTHCHECK_CURL_MAX_TIME (whose watchdog is running); 0 is curl's "no
    // limit", which leaves that deadline as it is.
    let mut ctx = ctx.clone();
    if let Some(max) = &inv.max_time {
        match parse_max_time(max) {
            Ok(Some(t)) if t < ctx.deadline.budget() => ctx.deadline = Deadline::after(t),
            Ok(_) => {}
            Err(e) => {
                return Checked::cannot_tell(
                    url::redact_userinfo(&inv.url),
                    format!("--max-time: {e}"),
                )
            }
        }
    }
    let mut headers = inv.headers.clone();
    if let Some(user) = &inv.user {
        headers.push(("Authorization".into(), url::basic_credentials(user)));
    }
    let fetched = fetch_inner(&inv.url, &inv.options(), &headers, &ctx);
    let line = fetched.as_ref().ok().map(|r| {
        write_out(
            inv.write_out.as_deref().unwrap_or(DEFAULT_WRITE_OUT),
            r,
            &inv.url,
        )
    });
    let save = fetched
        .as_ref()
        .ok()
        .filter(|r| r.status < 400)
        .map(|r| save_body(&ctx.system.given, inv.output.as_deref(), &r.body));
    let mut checked = check_status(&inv.url, fetched);
    if let Some(Err(e)) = save {
        checked.outcome = Err(e);
    }
    if checked.outcome.is_ok() {
        checked.compat_line = line;
    }
    checked
}

/// Write the body where `-o` / `HEALTHCHECK_CURL_OUTPUT` says (default: nowhere).
/// `-` (stdout) is not honoured: the output contract is one line.
fn save_body(root: &Root, output: Option<&str>, body: &[u8]) -> Result<(), String> {
    match output {
        None | Some("/dev/null") | Some("-") => Ok(()),
        Some(path) => root.write(path, body).map_err(|e| {
            format!(
                "cannot write the body to {path}: {}",
                crate::util::io_reason(&e)
            )
        }),
    }
}

/// Expand curl's `--write-out` variables and escapes, then fold the result to one
/// line (kolla's default starts and ends with `\n`).
pub fn write_out(format: &str, r: &HttpResponse, url_text: &str) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%{") {
            if let Some((name, tail)) = after.split_once('}') {
                out.push_str(&variable(name, r, url_text));
                rest = tail;
                continue;
            }
        }
        let (text, len) = match (c, rest.as_bytes().get(1)) {
            ('%', Some(b'%')) => ("%", 2),
            ('\\', Some(b'n')) | ('\\', Some(b'r')) => ("\n", 2),
            ('\\', Some(b't')) => ("\t", 2),
            ('\\', Some(b'\\')) => ("\\", 2),
            _ => ("", 0),
        };
        if len > 0 {
            out.push_str(text);
            rest = &rest[len..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn variable(name: &str, r: &HttpResponse, url_text: &str) -> String {
    match name {
        "http_code" | "response_code" => format!("{:03}", r.status),
        "remote_ip" => r.remote.map(|a| a.ip().to_string()).unwrap_or_default(),
        "remote_port" => r.remote.map(|a| a.port().to_string()).unwrap_or_default(),
        "time_total" => format!("{:.6}", r.elapsed.as_secs_f64()),
        "size_download" => r.body.len().to_string(),
        "url_effective" | "url" => url::redact_userinfo(url_text),
        "content_type" => r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        // curl prints nothing for variables it does not know either.
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_kolla_arguments() {
        let inv = parse_args(&s(&["-u", "openstack:pw", "1.2.3.4:9293"])).unwrap();
        assert_eq!(
            (inv.url.as_str(), inv.user.as_deref()),
            ("1.2.3.4:9293", Some("openstack:pw"))
        );
        let inv = parse_args(&s(&[
            "-ksS",
            "-HX-A: 1",
            "--cacert=/ca.pem",
            "--cert",
            "/c",
            "--key",
            "/k",
            "https://h/",
        ]))
        .unwrap();
        assert!(inv.insecure);
        assert_eq!(inv.headers, vec![("X-A".to_string(), "1".to_string())]);
        assert_eq!(
            (
                inv.ca_file.as_deref(),
                inv.client_cert.as_deref(),
                inv.client_key.as_deref()
            ),
            (Some("/ca.pem"), Some("/c"), Some("/k"))
        );
        assert!(!inv.options().verify, "-k wins over --cacert, as in curl");
        assert!(
            parse_args(&s(&["--cacert", "/ca", "https://h/"]))
                .unwrap()
                .options()
                .verify
        );
        assert!(parse_args(&s(&["-L", "http://h/"]))
            .unwrap_err()
            .contains("unsupported curl option -L"));
        assert!(parse_args(&s(&["--location", "http://h/"]))
            .unwrap_err()
            .contains("--location"));
        assert!(parse_args(&s(&["-u", "nopassword", "http://h/"])).is_err());
        assert!(parse_args(&s(&["http://a/", "http://b/"])).is_err());
        assert!(parse_args(&s(&["-o"]))
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse_args(&s(&[])).unwrap_err().contains("no URL"));
    }

    #[test]
    fn environment_fills_the_gaps() {
        let env = |n: &str| (n == "HEALTHCHECK_CURL_USER_AGENT").then(|| "probe/1".to_string());
        let inv = parse_args(&s(&["http://h/"])).unwrap().with_env(&env);
        assert_eq!(inv.options().user_agent, "probe/1");
        let inv = parse_args(&s(&["-A", "mine", "http://h/"]))
            .unwrap()
            .with_env(&env);
        assert_eq!(inv.options().user_agent, "mine");
    }

    #[test]
    fn expands_write_out_to_one_line() {
        let r = HttpResponse {
            status: 200,
            reason: "OK".into(),
            headers: vec![],
            body: b"hi".to_vec(),
            remote: Some("[::1]:8774".parse().unwrap()),
            elapsed: Duration::from_micros(3412),
        };
        assert_eq!(
            write_out(DEFAULT_WRITE_OUT, &r, "http://h/"),
            "200 ::1:8774 0.003412 seconds"
        );
        assert_eq!(
            write_out("%{http_code}%%\\t%{nope}%{size_download} %{", &r, "u"),
            "200%\t2 %{"
        );
    }
}

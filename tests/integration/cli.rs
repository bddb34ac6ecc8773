//! The exit and output contract of the binary as a whole.
use crate::util::*;

#[test]
fn unknown_service_is_one_line_and_unhealthy() {
    let r = run(&["no-such-service"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("unknown service"), "{r:?}");
}

#[test]
fn bad_option_is_one_line_and_unhealthy() {
    let r = run(&["--bogus"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("usage"), "{r:?}");
}

#[test]
fn json_format_is_valid_json() {
    let r = run(&["--format", "json", "no-such-service"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json line");
    assert_eq!(v["healthy"], false);
    assert!(v["reason"].as_str().unwrap().contains("unknown service"));
}

/// How the parent leaves SIGALRM for the check it starts.
#[derive(Debug, Clone, Copy)]
enum Alarm {
    Default,
    Ignored,
    Blocked,
}

/// Our binary with `args`, `HEALTHCHECK_ROOT=root`, SIGALRM as `alarm` says (set in
/// the child between fork and exec, as a parent's disposition and mask are inherited).
fn run_with_alarm(args: &[&str], root: &std::path::Path, alarm: Alarm) -> Run {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(bin());
    cmd.args(args).env("HEALTHCHECK_ROOT", root);
    for (k, _) in std::env::vars() {
        if k.starts_with("HEALTHCHECK_") && k != "HEALTHCHECK_ROOT" {
            cmd.env_remove(k);
        }
    }
    // SAFETY: only async-signal-safe calls (sigaction, sigprocmask) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            use nix::sys::signal::{self, SigHandler, SigSet, Signal};
            match alarm {
                Alarm::Default => {}
                Alarm::Ignored => {
                    signal::signal(Signal::SIGALRM, SigHandler::SigIgn)?;
                }
                Alarm::Blocked => {
                    let mut set = SigSet::empty();
                    set.add(Signal::SIGALRM);
                    set.thread_block()?;
                }
            }
            Ok(())
        });
    }
    run_cmd(cmd)
}

use std::os::unix::fs::OpenOptionsExt;

/// The watchdog: a check blocked where no deadline of its own reaches (here opening its
/// config file, a named pipe nobody writes to) still ends just after its deadline, with
/// one line and exit 1, whether the parent left SIGALRM alone, ignored or blocked.
#[test]
fn watchdog_ends_a_blocked_check_whatever_the_parent_did_with_sigalrm() {
    let root = TempDir::new("watchdog");
    let etc = root.path().join("etc/redis");
    std::fs::create_dir_all(&etc).unwrap();
    let fifo = etc.join("redis.conf");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    // A check the watchdog fails to end would wait on the pipe for ever: a writer that
    // comes 5 s into a run lets it go on (and the time asserted below fails the test).
    let release_later = |fifo: std::path::PathBuf| {
        let (cancel, wait) = std::sync::mpsc::channel::<()>();
        let writer = std::thread::spawn(move || {
            if wait
                .recv_timeout(std::time::Duration::from_secs(5))
                .is_err()
            {
                let _ = std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(nix::libc::O_NONBLOCK)
                    .open(&fifo);
            }
        });
        (cancel, writer)
    };
    for alarm in [Alarm::Default, Alarm::Ignored, Alarm::Blocked] {
        for format in ["text", "json"] {
            let (cancel, writer) = release_later(fifo.clone());
            let r = run_with_alarm(
                &["--format", format, "--timeout", "1", "redis"],
                root.path(),
                alarm,
            );
            let _ = cancel.send(());
            let _ = writer.join();
            assert_eq!(r.code, 1, "{alarm:?}: {r:?}");
            assert!(
                r.line().contains("timed out: no verdict within 1.0s"),
                "{alarm:?}: {r:?}"
            );
            assert!(
                r.elapsed < std::time::Duration::from_secs(3),
                "{alarm:?}: the watchdog must end the check: {r:?}"
            );
        }
    }
}

/// A peer that accepts and never answers, checked with SIGALRM ignored or blocked by the
/// parent: the check's own deadline ends it, with its own reason.
#[test]
fn deadlines_hold_with_sigalrm_ignored_or_blocked() {
    let root = TempDir::new("alarm-peer");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let url = format!("http://{addr}/");
    for alarm in [Alarm::Ignored, Alarm::Blocked] {
        for args in [
            vec!["--timeout", "1", "probe", "http", url.as_str()],
            vec!["--timeout", "1", "probe", "redis", addr.as_str()],
        ] {
            let r = run_with_alarm(&args, root.path(), alarm);
            assert_eq!(r.code, 1, "{alarm:?}: {r:?}");
            assert!(
                r.line().contains("timed out") && !r.line().contains("no verdict"),
                "{alarm:?}: the check's own deadline, not the watchdog: {r:?}"
            );
            assert!(
                r.elapsed < std::time::Duration::from_secs(3),
                "{alarm:?}: {r:?}"
            );
        }
    }
}

/// A server on loopback answering every connection with `reply` after reading a little.
fn answering(reply: &'static [u8]) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let _ = c.set_read_timeout(Some(std::time::Duration::from_millis(300)));
            let _ = c.read(&mut [0u8; 4096]);
            let _ = c.write_all(reply);
        }
    });
    port
}

/// Our binary as `argv0` with `args`, `env` and `HEALTHCHECK_DEBUG=1` (other
/// HEALTHCHECK_* and proxy variables cleared): all it printed, stdout and stderr.
fn everything_printed(argv0: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = std::process::Command::new(argv0);
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("HEALTHCHECK_") || k.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HEALTHCHECK_DEBUG", "1").envs(env.iter().copied());
    let out = cmd.output().expect("run openstack-healthcheck");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One run of the secrets test: the name we are called by, the arguments, the environment.
type SecretRun<'a> = (&'a std::path::Path, Vec<String>, Vec<(&'a str, &'a str)>);

/// A distinctive secret driven through every probe and service path that takes one
/// (URL userinfo, `-u`, headers, password files, option files, redis.conf, proxy
/// credentials), on their error paths (another option's parse error, a bad URL, TLS,
/// connect and proxy failures) and with peers that echo it back: it never shows, in
/// text or JSON, nor in the HEALTHCHECK_DEBUG trace, in any of its forms.
#[test]
fn a_secret_never_appears_in_any_output() {
    const SECRET: &str = "Zx9-Hunter-Q7";
    // With characters a URL must encode: given encoded, used decoded.
    const ODD: &str = "p@ss:w/rd%Q";
    const ODD_ENCODED: &str = "p%40ss%3Aw%2Frd%25Q";
    let forms = [
        SECRET,
        ODD,
        ODD_ENCODED,
        "WngOLUh1bnRlci1RNw", // base64 of "user:Zx9-Hunter-Q7", unpadded
        "dXNlcjpaeDktSHVudGVyLVE3",
    ];
    let dir = TempDir::new("secrets");
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let password_file = file("password", &format!("{SECRET}\n"));
    let my_cnf = file(
        "my.cnf",
        &format!("[client]\nuser=monitor\npassword={SECRET}\nhost=127.0.0.1\nport=1\n"),
    );
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let echo_http: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 500 {SECRET} Authorization: Bearer {SECRET}\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let echo = answering(echo_http);
    let echo_odd: &'static [u8] = Box::leak(
        format!("HTTP/1.1 500 {ODD} {ODD_ENCODED}\r\nContent-Length: 0\r\n\r\n")
            .into_bytes()
            .into_boxed_slice(),
    );
    let odd_echo = answering(echo_odd);
    let echo_redis: &'static [u8] = Box::leak(
        format!("-WRONGPASS invalid password {SECRET}\r\n")
            .into_bytes()
            .into_boxed_slice(),
    );
    let redis = answering(echo_redis);
    let plain = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let root = TempDir::new("secrets-root");
    let etc = |path: &str, text: &str| {
        let full = root.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    etc(
        "/etc/redis/redis.conf",
        &format!("bind 127.0.0.1\nport {redis}\nrequirepass {SECRET}\n"),
    );
    etc(
        "/etc/my.cnf",
        &format!("[client]\npassword=\"{SECRET}\"\nhost=127.0.0.1\nport={refused}\n"),
    );
    let nova_conf = file(
        "nova.conf",
        &format!("[DEFAULT]\ntransport_url = rabbit://nova:{SECRET}@127.0.0.1:{refused}/\nhost = compute-0\n"),
    );
    let link = dir.path().join("healthcheck_curl");
    std::os::unix::fs::symlink(bin(), &link).unwrap();
    let main = std::path::Path::new(bin());
    let url = |port: u16| format!("http://user:{SECRET}@127.0.0.1:{port}/");
    let odd_url = format!("http://user:{ODD_ENCODED}@127.0.0.1:{odd_echo}/");
    let proxy = format!("http://proxyuser:{SECRET}@127.0.0.1:{refused}");
    let root_text = root.path().display().to_string();
    let bearer = format!("Authorization: Bearer {SECRET}");
    let user = format!("user:{SECRET}");
    let runs: Vec<SecretRun> = vec![
        (
            main,
            vec!["probe".into(), "http".into(), url(refused)],
            vec![],
        ),
        (main, vec!["probe".into(), "http".into(), url(echo)], vec![]),
        (
            main,
            vec!["probe".into(), "http".into(), odd_url.clone()],
            vec![],
        ),
        (
            main,
            vec!["probe".into(), "http".into(), url(echo), "--bogus".into()],
            vec![],
        ),
        (
            main,
            vec!["probe".into(), "http".into(), url(echo), url(echo)],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "http".into(),
                format!("http://user:{SECRET}@127.0.0.1:99999/"),
            ],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "http".into(),
                format!("http://user:{SECRET}/x@127.0.0.1/"),
            ],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "http".into(),
                format!("https://user:{SECRET}@127.0.0.1:{plain}/"),
            ],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "http".into(),
                format!("http://127.0.0.1:{plain}/"),
            ],
            vec![
                ("HEALTHCHECK_USE_PROXY", "1"),
                ("http_proxy", proxy.as_str()),
            ],
        ),
        (
            main,
            vec![
                "probe".into(),
                "http".into(),
                format!("http://127.0.0.1:{echo}/"),
                "-H".into(),
                bearer.clone(),
            ],
            vec![],
        ),
        (
            main,
            vec!["--format".into(), "json".into(), url(echo)],
            vec![],
        ),
        (
            main,
            vec![
                "--timeout".into(),
                "soon".into(),
                "probe".into(),
                "http".into(),
                url(echo),
            ],
            vec![],
        ),
        (
            &link,
            vec![
                "-L".into(),
                "-u".into(),
                user.clone(),
                format!("http://127.0.0.1:{echo}/"),
            ],
            vec![],
        ),
        (
            &link,
            vec![
                format!("http://127.0.0.1:{echo}/"),
                "-L".into(),
                "-u".into(),
                user.clone(),
            ],
            vec![],
        ),
        (
            &link,
            vec![format!("-u{user}"), format!("http://127.0.0.1:{refused}/")],
            vec![],
        ),
        (
            &link,
            vec![
                "-u".into(),
                user.clone(),
                format!("http://127.0.0.1:{echo}/"),
            ],
            vec![],
        ),
        (&link, vec![odd_url.clone()], vec![]),
        (
            &link,
            vec![url(echo), "--max-time".into(), "x".into()],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "amqp".into(),
                format!("127.0.0.1:{refused}"),
                "--user".into(),
                "nova".into(),
                "--password-file".into(),
                password_file.clone(),
            ],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "amqp".into(),
                format!("127.0.0.1:{plain}"),
                "--user".into(),
                "nova".into(),
                "--password-file".into(),
                password_file.clone(),
            ],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "redis".into(),
                format!("127.0.0.1:{redis}"),
                "--password-file".into(),
                password_file.clone(),
            ],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "mysql".into(),
                "--defaults-file".into(),
                my_cnf.clone(),
            ],
            vec![],
        ),
        (
            main,
            vec![
                "probe".into(),
                "mysql".into(),
                format!("127.0.0.1:{echo}"),
                "--defaults-file".into(),
                my_cnf.clone(),
            ],
            vec![],
        ),
        (
            main,
            vec!["redis".into()],
            vec![("HEALTHCHECK_ROOT", root_text.as_str())],
        ),
        (
            main,
            vec![
                "probe".into(),
                "rpc".into(),
                "--config".into(),
                nova_conf.clone(),
                "--topic".into(),
                "conductor".into(),
            ],
            vec![],
        ),
        (
            main,
            vec!["mysql".into()],
            vec![("HEALTHCHECK_ROOT", root_text.as_str())],
        ),
    ];
    for (argv0, args, env) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for format in [None, Some("json")] {
            let mut all = args.clone();
            if let (Some(f), true) = (format, *argv0 == main) {
                all.splice(0..0, ["--format", f]);
            }
            let printed = everything_printed(argv0, &all, env);
            assert!(!printed.trim().is_empty(), "{all:?} printed nothing");
            for form in forms {
                assert!(
                    !printed.contains(form),
                    "{form:?} shows in the output of {argv0:?} {all:?} {env:?}:\n{printed}"
                );
            }
        }
    }
}

/// Redaction masks the secret, not the words that merely contain it.
#[test]
fn redaction_does_not_mangle_other_words() {
    let port = answering(b"HTTP/1.1 503 passive password pass bypass\r\nContent-Length: 0\r\n\r\n");
    let printed = everything_printed(
        std::path::Path::new(bin()),
        &[
            "probe",
            "http",
            &format!("http://user:pass@127.0.0.1:{port}/"),
        ],
        &[],
    );
    assert!(
        printed.contains("HTTP 503 passive password *** bypass"),
        "{printed}"
    );
    assert!(!printed.contains(":pass@"), "{printed}");
}

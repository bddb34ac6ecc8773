//! podman: through its API socket when `podman system service` runs (the Docker-compatible
//! API, asked as [`super::docker::ApiSocket`] asks Docker), otherwise one
//! `podman ps --format json` per round (which gives each container's pid) and one
//! `podman inspect` of all the new ids at once. A socket left behind by a service that no
//! longer runs is passed over for the command.

use super::{docker, Engine, Listed, Runtime, ENGINE_TIMEOUT};
use serde_json::Value;
use std::cell::Cell;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

/// podman's rootful API socket (`CONTAINER_HOST=unix://...` names another).
pub const DEFAULT_SOCKET: &str = "/run/podman/podman.sock";

/// podman by its socket when that answers, else by its command.
pub struct Podman {
    pub api: Option<docker::ApiSocket>,
    pub cli: Option<Cli>,
    /// Whether this round's list came from the socket (the inspection then goes there too).
    by_api: Cell<bool>,
}

impl Podman {
    /// `None` when podman is neither listening nor installed.
    pub fn find() -> Option<Podman> {
        let api =
            super::api_socket("CONTAINER_HOST", DEFAULT_SOCKET).map(|socket| docker::ApiSocket {
                runtime: Runtime::Podman,
                socket,
            });
        let cli = find_program().map(|program| Cli { program });
        (api.is_some() || cli.is_some()).then_some(Podman {
            api,
            cli,
            by_api: Cell::new(false),
        })
    }
}

impl Engine for Podman {
    fn runtime(&self) -> Runtime {
        Runtime::Podman
    }

    fn list(&self) -> Result<Vec<Listed>, String> {
        let from_api = self.api.as_ref().map(|api| api.list());
        match (from_api, &self.cli) {
            (Some(Ok(listed)), _) => {
                self.by_api.set(true);
                Ok(listed)
            }
            (Some(Err(e)), None) => Err(e),
            (_, Some(cli)) => {
                self.by_api.set(false);
                cli.list()
            }
            (None, None) => Err("neither an API socket nor the podman command".into()),
        }
    }

    fn inspect(&self, ids: &[String]) -> Result<Vec<Value>, String> {
        match (&self.api, &self.cli) {
            (Some(api), _) if self.by_api.get() => api.inspect(ids),
            (_, Some(cli)) => cli.inspect(ids),
            (Some(api), None) => api.inspect(ids),
            (None, None) => Ok(Vec::new()),
        }
    }
}

/// The `podman` command on this host.
pub struct Cli {
    pub program: String,
}

impl Engine for Cli {
    fn runtime(&self) -> Runtime {
        Runtime::Podman
    }

    fn list(&self) -> Result<Vec<Listed>, String> {
        let out = run(&self.program, &["ps", "--format", "json"])?;
        docker::parse_list(&out)
    }

    fn inspect(&self, ids: &[String]) -> Result<Vec<Value>, String> {
        let ids: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| docker::is_id(id))
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["inspect", "--type", "container"];
        args.extend(&ids);
        // A container removed since the list makes podman fail for all; its JSON still
        // holds the others.
        let out = run_lenient(&self.program, &args)?;
        let v: Value =
            serde_json::from_slice(&out).map_err(|e| format!("podman inspect: not JSON: {e}"))?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }
}

/// Where `podman` is: the first `podman` in PATH.
pub fn find_program() -> Option<String> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join("podman"))
        .find(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
}

fn run(program: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let (status, out, err) = spawn_bounded(program, args)?;
    if !status.success() {
        return Err(format!(
            "podman {}: {status}: {}",
            args[0],
            String::from_utf8_lossy(&err).lines().last().unwrap_or("")
        ));
    }
    Ok(out)
}

fn run_lenient(program: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let (status, out, err) = spawn_bounded(program, args)?;
    if !status.success() && out.is_empty() {
        return Err(format!(
            "podman {}: {status}: {}",
            args[0],
            String::from_utf8_lossy(&err).lines().last().unwrap_or("")
        ));
    }
    Ok(out)
}

/// Run `program args` with no input, killed when it outlives [`ENGINE_TIMEOUT`].
fn spawn_bounded(
    program: &str,
    args: &[&str],
) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {}", crate::util::io_reason(&e)))?;
    // Read both pipes on threads so a chatty podman cannot fill one and stall.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let end = Instant::now() + ENGINE_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < end => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "podman {} did not finish within {}s",
                    args[0],
                    ENGINE_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("podman {}: {}", args[0], e)),
        }
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    Ok((status, out, err))
}

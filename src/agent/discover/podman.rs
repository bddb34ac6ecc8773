//! podman: through its API socket when `podman system service` runs (the Docker-compatible
//! API, asked as [`super::docker::ApiSocket`] asks Docker), otherwise one
//! `podman ps --format json` per round (which gives each container's pid) and one
//! `podman inspect` of all the new ids at once. A socket left behind by a service that no
//! longer runs is passed over for the command.
//!
//! The command costs the host about 0.2 s of CPU a run, more than the checks of a whole
//! round: it is run again only when the containers' `conmon` processes change (one per
//! running container, a new one on every start) or the last list is [`super::RELIST_ROUNDS`]
//! rounds old. Those processes are read from `/proc`, which costs about a millisecond.

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

    fn fingerprint(&self) -> Option<String> {
        // The socket is cheap to ask every round; the command is not.
        match (&self.api, &self.cli) {
            (None, Some(cli)) => cli.fingerprint(),
            _ => None,
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

    fn fingerprint(&self) -> Option<String> {
        conmon_fingerprint(std::path::Path::new("/proc"))
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

/// The containers' `conmon` processes under `proc` (`/proc`), one `ID:PID:START` per
/// container (an exec session's own conmon left out), sorted; `None` when `proc` cannot be
/// read.
pub fn conmon_fingerprint(proc: &std::path::Path) -> Option<String> {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(proc).ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let dir = entry.path();
        match std::fs::read(dir.join("comm")) {
            Ok(comm) if comm.strip_suffix(b"\n").unwrap_or(&comm) == b"conmon" => {}
            _ => continue,
        }
        let (Ok(cmdline), Ok(stat)) = (
            std::fs::read(dir.join("cmdline")),
            std::fs::read_to_string(dir.join("stat")),
        ) else {
            continue; // gone meanwhile
        };
        if let Some(id) = conmon_container(&cmdline) {
            let start = super::parse_start_time(&stat).unwrap_or(0);
            seen.push(format!("{id}:{pid}:{start}"));
        }
    }
    seen.sort();
    Some(seen.join(" "))
}

/// The container a conmon command line (NUL-separated) runs, unless it is an exec
/// session's (`-e`/`--exec`).
pub fn conmon_container(cmdline: &[u8]) -> Option<String> {
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    if args.iter().any(|a| *a == b"-e" || *a == b"--exec") {
        return None;
    }
    let at = args.iter().position(|a| *a == b"-c" || *a == b"--cid")?;
    let id = std::str::from_utf8(args.get(at + 1)?).ok()?;
    docker::is_id(id).then(|| id.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "288e0339cb85c45d666a25df459292417637d9203162d11ef8cdc286794e2213";

    #[test]
    fn conmon_command_lines() {
        let line = |args: &[&str]| args.join("\0").into_bytes();
        assert_eq!(
            conmon_container(&line(&[
                "/usr/bin/conmon",
                "--api-version",
                "1",
                "-c",
                ID,
                "-u",
                ID
            ])),
            Some(ID.to_string())
        );
        assert_eq!(
            conmon_container(&line(&["/usr/bin/conmon", "--cid", ID])),
            Some(ID.to_string())
        );
        assert_eq!(
            conmon_container(&line(&[
                "/usr/bin/conmon",
                "-c",
                ID,
                "-e",
                "--exec-process-spec",
                "/x"
            ])),
            None,
            "an exec session"
        );
        assert_eq!(
            conmon_container(&line(&["/usr/bin/conmon", "-c", "../x"])),
            None
        );
        assert_eq!(conmon_container(&line(&["/usr/bin/conmon"])), None);
    }

    #[test]
    fn conmon_processes_from_proc() {
        let proc = std::env::temp_dir().join(format!("ohc-conmon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&proc);
        let add = |pid: u32, comm: &str, args: &[&str], start: u64| {
            let dir = proc.join(pid.to_string());
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("comm"), format!("{comm}\n")).unwrap();
            std::fs::write(dir.join("cmdline"), args.join("\0") + "\0").unwrap();
            let stat =
                format!("{pid} ({comm}) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 {start} 0 0");
            std::fs::write(dir.join("stat"), stat).unwrap();
        };
        add(10, "conmon", &["conmon", "-c", ID], 500);
        add(11, "bash", &["bash", "-c", ID], 501);
        add(12, "conmon", &["conmon", "-c", ID, "-e"], 502);
        std::fs::create_dir_all(proc.join("self")).unwrap();
        let first = conmon_fingerprint(&proc).unwrap();
        assert_eq!(first, format!("{ID}:10:500"));
        // The container restarted: a new conmon.
        std::fs::remove_dir_all(proc.join("10")).unwrap();
        add(13, "conmon", &["conmon", "-c", ID], 900);
        assert_eq!(conmon_fingerprint(&proc).unwrap(), format!("{ID}:13:900"));
        std::fs::remove_dir_all(&proc).unwrap();
        assert_eq!(conmon_fingerprint(&proc), None);
    }
}

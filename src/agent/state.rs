//! The agent's state file: every container's latest verdict, rewritten atomically after
//! each round (a temporary file in the same directory, fsync, rename, fsync of the
//! directory), so a reader sees the previous round or this one, never half of either.
//!
//! ```json
//! {"checked_at": "2025-03-01T12:00:30Z", "interval": 30, "errors": [],
//!  "containers": [{"name": "nova_api", "id": "4f2a...", "runtime": "podman",
//!                  "check": "nova-api", "healthy": true, "reason": "...",
//!                  "cannot_tell": false, "duration_seconds": 0.002,
//!                  "output": "healthy: nova-api http://...: 300 ...",
//!                  "checked_at": "2025-03-01T12:00:30Z"}]}
//! ```
//!
//! Times are RFC 3339 in UTC to the second (`...Z`). `healthy` is `null` for a container
//! whose health test is not this project's check (left to its engine; `check` is then
//! `null` and `reason` says why). `output` is the line the same check prints when run in the
//! container (`null` when it did not run). `cannot_tell` is `true` when the check could not
//! tell (then `healthy` is `false`), `duration_seconds` how long the check took (to the
//! microsecond; `null` when it did not report); both are read as `false` and `null` from a
//! file that lacks them. `errors` has one line per engine that could not be asked this round.

use serde_json::{json, Value};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the state file is written unless `--state-file` says otherwise.
pub const DEFAULT_STATE_FILE: &str = "/run/openstack-healthcheck/agent.json";

/// One container's line in the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub id: String,
    pub runtime: String,
    /// The check that ran (service, kolla name or probe kind); `None`: not ours.
    pub check: Option<String>,
    /// `None`: not ours, left to the engine.
    pub healthy: Option<bool>,
    /// The check could not tell (`healthy` is then `Some(false)`).
    pub cannot_tell: bool,
    /// How long the check took, to the microsecond; `None` when it did not report.
    pub duration: Option<Duration>,
    pub reason: String,
    /// The check's one output line, as it prints it in the container.
    pub output: Option<String>,
    /// RFC 3339 UTC.
    pub checked_at: String,
}

/// A whole round.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    pub checked_at: String,
    pub interval: u64,
    pub errors: Vec<String>,
    pub containers: Vec<Entry>,
}

impl State {
    pub fn to_json(&self) -> Value {
        let containers: Vec<Value> = self
            .containers
            .iter()
            .map(|e| {
                json!({
                    "name": e.name,
                    "id": e.id,
                    "runtime": e.runtime,
                    "check": e.check,
                    "healthy": e.healthy,
                    "cannot_tell": e.cannot_tell,
                    "duration_seconds": e.duration.map(seconds),
                    "reason": e.reason,
                    "output": e.output,
                    "checked_at": e.checked_at,
                })
            })
            .collect();
        json!({
            "checked_at": self.checked_at,
            "interval": self.interval,
            "errors": self.errors,
            "containers": containers,
        })
    }

    pub fn from_json(v: &Value) -> Result<State, String> {
        let text = |v: &Value, key: &str| -> Result<String, String> {
            v[key]
                .as_str()
                .map(String::from)
                .ok_or_else(|| format!("{key:?} is missing or not a string"))
        };
        let containers = v["containers"]
            .as_array()
            .ok_or("\"containers\" is missing or not an array")?
            .iter()
            .map(|c| {
                Ok(Entry {
                    name: text(c, "name")?,
                    id: text(c, "id")?,
                    runtime: text(c, "runtime")?,
                    check: c["check"].as_str().map(String::from),
                    healthy: c["healthy"].as_bool(),
                    cannot_tell: c["cannot_tell"].as_bool().unwrap_or(false),
                    duration: c["duration_seconds"].as_f64().and_then(from_seconds),
                    reason: text(c, "reason")?,
                    output: c["output"].as_str().map(String::from),
                    checked_at: text(c, "checked_at")?,
                })
            })
            .collect::<Result<Vec<Entry>, String>>()?;
        Ok(State {
            checked_at: text(v, "checked_at")?,
            interval: v["interval"].as_u64().unwrap_or(0),
            errors: v["errors"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            containers,
        })
    }

    /// `status`: a header line, one row per container, then the engine errors.
    pub fn table(&self) -> String {
        let health = |e: &Entry| match e.healthy {
            Some(true) => "healthy",
            Some(false) => "unhealthy",
            None => "-",
        };
        let header = [
            "CONTAINER",
            "RUNTIME",
            "CHECK",
            "HEALTH",
            "CHECKED AT",
            "REASON",
        ];
        let rows: Vec<[String; 6]> = self
            .containers
            .iter()
            .map(|e| {
                [
                    e.name.clone(),
                    e.runtime.clone(),
                    e.check.clone().unwrap_or_else(|| "-".into()),
                    health(e).to_string(),
                    e.checked_at.clone(),
                    e.reason.clone(),
                ]
            })
            .collect();
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..5).map(width).collect();
        let line = |cells: [&str; 6]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate().take(5) {
                out.push_str(&format!("{cell:w$}  ", w = widths[i]));
            }
            out.push_str(cells[5]);
            out
        };
        let mut lines = vec![format!(
            "round of {} (every {}s): {} containers, {} unhealthy, {} not ours",
            self.checked_at,
            self.interval,
            self.containers.len(),
            self.containers
                .iter()
                .filter(|e| e.healthy == Some(false))
                .count(),
            self.containers
                .iter()
                .filter(|e| e.healthy.is_none())
                .count()
        )];
        lines.push(line(header));
        for r in &rows {
            lines.push(line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
        }
        for e in &self.errors {
            lines.push(format!("error: {e}"));
        }
        lines.join("\n")
    }
}

/// A duration to the microsecond, as the state file keeps it.
pub fn to_micros(d: Duration) -> Duration {
    Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn seconds(d: Duration) -> f64 {
    to_micros(d).as_micros() as f64 / 1e6
}

fn from_seconds(s: f64) -> Option<Duration> {
    (0.0..1e12)
        .contains(&s)
        .then(|| Duration::from_micros((s * 1e6).round() as u64))
}

/// Write `state` to `path` atomically (see the module's doc). The directory is created
/// (0755) if missing; the file is 0644.
pub fn write(path: &Path, state: &State) -> Result<(), String> {
    let mut body = serde_json::to_vec_pretty(&state.to_json()).expect("JSON of strings");
    body.push(b'\n');
    replace(path, &body)
}

/// Replace the file at `path` with `body` atomically: a temporary file beside it (a dot
/// name, so that node_exporter's textfile collector, which reads `*.prom`, never sees it),
/// fsync, rename, fsync of the directory. The directory is created (0755) if missing; the
/// file is 0644.
pub fn replace(path: &Path, body: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create {}: {}", dir.display(), reason(&e)))?;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} names no file", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        file.write_all(body)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {}", path.display(), reason(&e))
    })
}

/// Read the state file at `path`.
pub fn read(path: &Path) -> Result<State, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read {}: {} (is the agent running? see `openstack-healthcheck agent --help`)",
            path.display(),
            reason(&e)
        )
    })?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    State::from_json(&v).map_err(|e| format!("{}: {e}", path.display()))
}

fn reason(e: &std::io::Error) -> String {
    crate::util::io_reason(e)
}

/// Now as RFC 3339 UTC to the second.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// `time` as RFC 3339 UTC to the second (`2025-03-01T12:00:30Z`).
///
/// The date arithmetic (days since 1970 to a proleptic Gregorian date, after Howard
/// Hinnant's `civil_from_days`) is written here: it is the only date the project formats,
/// in UTC only, and a date crate for it would be a dependency for ten lines.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> String {
        rfc3339(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn times() {
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(at(1_735_689_600), "2025-01-01T00:00:00Z");
    }

    fn sample() -> State {
        State {
            checked_at: at(1_735_689_600),
            interval: 30,
            errors: vec!["podman: podman ps: exit status: 125: boom".into()],
            containers: vec![
                Entry {
                    name: "ohc-redis".into(),
                    id: "4f2a".into(),
                    runtime: "docker".into(),
                    check: Some("redis".into()),
                    healthy: Some(false),
                    cannot_tell: false,
                    duration: Some(Duration::from_micros(1500)),
                    reason: "connect to 127.0.0.1:6379: connection refused".into(),
                    output: Some("unhealthy: redis 127.0.0.1:6379: connect ...".into()),
                    checked_at: at(1_735_689_601),
                },
                Entry {
                    name: "web".into(),
                    id: "77".into(),
                    runtime: "podman".into(),
                    check: None,
                    healthy: None,
                    cannot_tell: false,
                    duration: None,
                    reason: "not ours: CMD-SHELL needs a shell: '|'".into(),
                    output: None,
                    checked_at: at(1_735_689_601),
                },
            ],
        }
    }

    #[test]
    fn round_trips_and_writes_atomically() {
        let dir = std::env::temp_dir().join(format!("ohc-agent-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/agent.json");
        let state = sample();
        write(&path, &state).unwrap();
        assert_eq!(read(&path).unwrap(), state);
        let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["containers"][1]["healthy"], Value::Null);
        assert_eq!(v["containers"][0]["healthy"], false);
        assert_eq!(v["containers"][0]["duration_seconds"], 0.0015);
        assert_eq!(v["containers"][1]["duration_seconds"], Value::Null);
        // A file from before `cannot_tell` and `duration_seconds`.
        let mut old = v.clone();
        for c in old["containers"].as_array_mut().unwrap() {
            let c = c.as_object_mut().unwrap();
            c.remove("cannot_tell");
            c.remove("duration_seconds");
        }
        let old = State::from_json(&old).unwrap();
        assert!(!old.containers[0].cannot_tell);
        assert_eq!(old.containers[0].duration, None);
        // Only the state file is left: the temporary one was renamed over it.
        let names: Vec<_> = std::fs::read_dir(dir.join("sub")).unwrap().collect();
        assert_eq!(names.len(), 1);
        assert!(read(&dir.join("missing.json"))
            .unwrap_err()
            .contains("is the agent running"));
        std::fs::write(dir.join("bad.json"), "{\"checked_at\": 1}").unwrap();
        assert!(read(&dir.join("bad.json")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn table_lists_every_container() {
        let table = sample().table();
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[0].contains("2 containers, 1 unhealthy, 1 not ours"),
            "{table}"
        );
        assert!(lines[1].starts_with("CONTAINER"));
        assert!(lines[2].starts_with("ohc-redis") && lines[2].contains("unhealthy"));
        assert!(lines[3].starts_with("web") && lines[3].contains(" - "));
        assert!(lines[4].starts_with("error: podman"));
    }
}

//! One log line per change of a container's state (first seen, healthy <-> unhealthy,
//! not ours, gone), never one per check run: to stderr, and to syslog through `/dev/log`
//! when that socket exists (journald and rsyslog both listen there).

use std::os::unix::net::UnixDatagram;

/// The tag the lines carry in syslog.
const TAG: &str = "openstack-healthcheck-agent";

/// syslog facility daemon (3), severities info (6) and warning (4): `<PRI>` = 8 * 3 + severity.
const PRI_INFO: u8 = 30;
const PRI_WARNING: u8 = 28;

/// Where change lines go.
pub struct Log {
    syslog: Option<UnixDatagram>,
}

impl Log {
    /// stderr, plus `/dev/log` when it exists and accepts a datagram socket.
    pub fn open() -> Log {
        let syslog = UnixDatagram::unbound()
            .ok()
            .filter(|s| s.connect("/dev/log").is_ok());
        Log { syslog }
    }

    /// Log `line`; `warning` for a container that turned unhealthy or went away.
    pub fn line(&self, line: &str, warning: bool) {
        eprintln!("{TAG}: {line}");
        if let Some(socket) = &self.syslog {
            let pri = if warning { PRI_WARNING } else { PRI_INFO };
            let _ = socket.send(syslog_message(pri, std::process::id(), line).as_bytes());
        }
    }
}

/// A syslog datagram as /dev/log takes it (RFC 3164 without the timestamp, which the
/// receiving daemon adds).
pub fn syslog_message(pri: u8, pid: u32, line: &str) -> String {
    format!("<{pri}>{TAG}[{pid}]: {line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_lines() {
        assert_eq!(
            syslog_message(PRI_WARNING, 42, "ohc-redis (docker): unhealthy: x"),
            "<28>openstack-healthcheck-agent[42]: ohc-redis (docker): unhealthy: x"
        );
    }

    #[test]
    fn sends_to_a_log_socket() {
        let dir = std::env::temp_dir().join(format!("ohc-agent-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let receiver = UnixDatagram::bind(&path).unwrap();
        let sender = UnixDatagram::unbound().unwrap();
        sender.connect(&path).unwrap();
        let log = Log {
            syslog: Some(sender),
        };
        log.line("web (podman): healthy: ok", false);
        let mut buf = [0u8; 256];
        let n = receiver.recv(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..n]);
        assert!(got.starts_with("<30>openstack-healthcheck-agent["), "{got}");
        assert!(got.ends_with("]: web (podman): healthy: ok"), "{got}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Multicall dispatch: which check a call means, from the name it was called by.
//!
//! Like coreutils' multicall binaries, one file answers to many names. Images wire
//! `/openstack/healthcheck -> /usr/share/openstack-healthcheck/nova-api -> /usr/bin/openstack-healthcheck`,
//! so the name that says which check to run may sit anywhere along a symlink chain:
//! we walk the chain from the called path and stop at the first name we know.

use std::path::{Path, PathBuf};

/// The name the main binary is installed under; any other unknown name falls back to it.
pub const MAIN_NAME: &str = "openstack-healthcheck";

/// The drop-in names of kolla's scripts, and of MariaDB's `healthcheck.sh` that kolla
/// installs in its mariadb-server image.
pub const KOLLA_NAMES: &[&str] = &[
    "healthcheck_curl",
    "healthcheck_port",
    "healthcheck_listen",
    "healthcheck_socket",
    "healthcheck_filemod",
    "healthcheck_mariadb",
    "healthcheck_rabbitmq",
    "healthcheck.sh",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Personality {
    /// Called as `openstack-healthcheck` (or an unknown name): subcommands.
    Main,
    /// Called through a service name: run that service's check with the arguments.
    Service(String),
    /// Called as one of kolla's `healthcheck_*` scripts.
    Kolla(String),
}

/// Longest symlink chain followed before giving up (the kernel's own limit is 40).
const MAX_HOPS: usize = 16;

/// Decide the personality from argv[0]. `is_service` says whether a name is a known service.
pub fn personality(argv0: &str, is_service: &dyn Fn(&str) -> bool) -> Personality {
    let classify = |name: &str| -> Option<Personality> {
        if name == MAIN_NAME {
            Some(Personality::Main)
        } else if KOLLA_NAMES.contains(&name) {
            Some(Personality::Kolla(name.to_string()))
        } else if is_service(name) {
            Some(Personality::Service(name.to_string()))
        } else {
            None
        }
    };
    let mut path = locate(argv0);
    for _ in 0..MAX_HOPS {
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            if let Some(p) = classify(name) {
                return p;
            }
        }
        match std::fs::read_link(&path) {
            Ok(next) => {
                path = if next.is_absolute() {
                    next
                } else {
                    path.parent().unwrap_or_else(|| Path::new("/")).join(next)
                }
            }
            Err(_) => break,
        }
    }
    Personality::Main
}

/// argv[0] as a path: as given when it has a slash, else looked up in PATH like a shell does.
fn locate(argv0: &str) -> PathBuf {
    if argv0.contains('/') {
        return PathBuf::from(argv0);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(argv0);
            if candidate.symlink_metadata().is_ok() {
                return candidate;
            }
        }
    }
    PathBuf::from(argv0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn svc(name: &str) -> bool {
        name == "nova-api"
    }

    #[test]
    fn names() {
        assert_eq!(
            personality("/usr/bin/openstack-healthcheck", &svc),
            Personality::Main
        );
        assert_eq!(
            personality("healthcheck_curl", &svc),
            Personality::Kolla("healthcheck_curl".into())
        );
        assert_eq!(
            personality("/x/nova-api", &svc),
            Personality::Service("nova-api".into())
        );
        assert_eq!(
            personality("/nonexistent/whatever", &svc),
            Personality::Main
        );
    }

    #[test]
    fn follows_symlink_chain() {
        let dir = std::env::temp_dir().join(format!("ohc-dispatch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("share")).unwrap();
        std::fs::create_dir_all(dir.join("openstack")).unwrap();
        std::fs::write(dir.join("openstack-healthcheck"), b"").unwrap();
        symlink("../openstack-healthcheck", dir.join("share/nova-api")).unwrap();
        symlink(
            dir.join("share/nova-api"),
            dir.join("openstack/healthcheck"),
        )
        .unwrap();
        let p = personality(dir.join("openstack/healthcheck").to_str().unwrap(), &svc);
        assert_eq!(p, Personality::Service("nova-api".into()));
        // A loop ends without hanging.
        symlink(dir.join("loop-b"), dir.join("loop-a")).unwrap();
        symlink(dir.join("loop-a"), dir.join("loop-b")).unwrap();
        assert_eq!(
            personality(dir.join("loop-a").to_str().unwrap(), &svc),
            Personality::Main
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

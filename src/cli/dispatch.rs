//! Multicall dispatch: which check a call means, from the name it was called by.
//!
//! Like coreutils' multicall binaries, one file answers to many names. Images wire
//! `/openstack/healthcheck -> /usr/share/openstack-healthcheck/nova-api -> /usr/bin/openstack-healthcheck`,
//! so the name that says which check to run may sit anywhere along a symlink chain:
//! we walk the chain from the called path and stop at the first name we know.
//!
//! The walk goes through a [`Root`]: this machine's file system for a command line, a
//! container's root for the host agent, which asks the same question of a container's
//! health test (names looked up in the container's PATH, links followed inside its root).

use crate::system::Root;
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

/// Decide the personality from argv[0] on this machine (PATH from the environment).
/// `is_service` says whether a name is a known service.
pub fn personality(argv0: &str, is_service: &dyn Fn(&str) -> bool) -> Personality {
    let path = std::env::var("PATH").ok();
    personality_in(argv0, is_service, &Root::Host, path.as_deref())
}

/// Decide the personality from argv[0] in `root`: a name without a slash is looked up in
/// `path` (a PATH value) there, and links are followed inside it.
pub fn personality_in(
    argv0: &str,
    is_service: &dyn Fn(&str) -> bool,
    root: &Root,
    path: Option<&str>,
) -> Personality {
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
    let mut at = PathBuf::from(locate_in(argv0, root, path));
    for _ in 0..MAX_HOPS {
        if let Some(name) = at.file_name().and_then(|n| n.to_str()) {
            if let Some(p) = classify(name) {
                return p;
            }
        }
        match root.read_link(&at.to_string_lossy()) {
            Ok(next) => {
                at = if next.is_absolute() {
                    next
                } else {
                    at.parent().unwrap_or_else(|| Path::new("/")).join(next)
                }
            }
            Err(_) => break,
        }
    }
    Personality::Main
}

/// argv[0] as a path in `root`: as given when it has a slash, else looked up in `path` (a
/// PATH value) like a shell does; unchanged when not found.
pub fn locate_in(argv0: &str, root: &Root, path: Option<&str>) -> String {
    if argv0.contains('/') {
        return argv0.to_string();
    }
    for dir in path.unwrap_or("").split(':').filter(|d| !d.is_empty()) {
        let candidate = format!("{}/{argv0}", dir.trim_end_matches('/'));
        if root.lexists(&candidate) {
            return candidate;
        }
    }
    argv0.to_string()
}

/// Whether the file at `path` of `root` (links followed inside it) is this project's
/// binary: an ELF file holding the main name and every kolla drop-in name, which each build
/// carries (they are its dispatch table). kolla's own `healthcheck_*` are shell scripts and
/// fail the first test. `Err` says what the file is instead.
pub fn is_this_binary(root: &Root, path: &str) -> Result<(), String> {
    let content = root
        .read(path)
        .map_err(|e| format!("{path}: {}", crate::util::io_reason(&e)))?;
    if !content.starts_with(b"\x7fELF") {
        return Err(format!(
            "{path} is not this project's binary (not an ELF file)"
        ));
    }
    let holds = |needle: &[u8]| content.windows(needle.len()).any(|w| w == needle);
    if holds(MAIN_NAME.as_bytes()) && KOLLA_NAMES.iter().all(|n| holds(n.as_bytes())) {
        Ok(())
    } else {
        Err(format!("{path} is another program"))
    }
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

    #[test]
    fn walks_links_and_path_inside_a_root() {
        let dir = std::env::temp_dir().join(format!("ohc-dispatch-root-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in [
            "usr/bin",
            "usr/share/openstack-healthcheck",
            "openstack",
            "usr/local/bin",
        ] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        // An image's chain, with absolute links as images write them.
        let elf = [
            &b"\x7fELF"[..],
            MAIN_NAME.as_bytes(),
            KOLLA_NAMES.join(" ").as_bytes(),
        ]
        .concat();
        std::fs::write(dir.join("usr/bin/openstack-healthcheck"), elf).unwrap();
        symlink(
            "/usr/bin/openstack-healthcheck",
            dir.join("usr/share/openstack-healthcheck/nova-api"),
        )
        .unwrap();
        symlink(
            "/usr/share/openstack-healthcheck/nova-api",
            dir.join("openstack/healthcheck"),
        )
        .unwrap();
        symlink(
            "/usr/bin/openstack-healthcheck",
            dir.join("usr/local/bin/healthcheck_port"),
        )
        .unwrap();
        std::fs::write(
            dir.join("usr/bin/healthcheck_curl"),
            "#!/bin/bash\ncurl \"$@\"\n",
        )
        .unwrap();
        let root = Root::under(&dir);
        let path = Some("/usr/local/bin:/usr/bin");
        assert_eq!(
            personality_in("/openstack/healthcheck", &svc, &root, path),
            Personality::Service("nova-api".into())
        );
        assert_eq!(
            locate_in("healthcheck_port", &root, path),
            "/usr/local/bin/healthcheck_port"
        );
        assert_eq!(
            locate_in("healthcheck_curl", &root, path),
            "/usr/bin/healthcheck_curl"
        );
        assert_eq!(locate_in("nothing", &root, path), "nothing");
        assert!(is_this_binary(&root, "/openstack/healthcheck").is_ok());
        assert!(is_this_binary(&root, "/usr/local/bin/healthcheck_port").is_ok());
        // kolla's script under the same name is not ours.
        let err = is_this_binary(&root, "/usr/bin/healthcheck_curl").unwrap_err();
        assert!(err.contains("not an ELF"), "{err}");
        std::fs::write(dir.join("usr/bin/other"), b"\x7fELF other").unwrap();
        assert!(is_this_binary(&root, "/usr/bin/other")
            .unwrap_err()
            .contains("another program"));
        assert!(is_this_binary(&root, "/usr/bin/none").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

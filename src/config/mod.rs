//! In-process readers for the configuration files the checks take addresses from:
//! oslo.config INI (`ini`), Apache vhosts (`vhost`), redis.conf (`redis_conf`),
//! /etc/sysconfig-style `KEY=VALUE` files (`sysconfig`), /etc/passwd (`passwd`),
//! qdrouterd.conf (`qdrouterd`), MySQL/MariaDB option files (`mycnf`) and RabbitMQ's
//! rabbitmq.conf, enabled_plugins and definitions file (`rabbitmq`); and the two URLs
//! an OpenStack service's oslo.config file names its peers with: oslo.messaging's
//! `transport_url` (`transport_url`) and SQLAlchemy's database URL (`db_url`).
//!
//! Every parser is a pure function over `&str` (unit-tested and fuzzed); the only file
//! system access is here, and every path a service check reads goes through
//! [`host_path`], so `HEALTHCHECK_ROOT` can point the checks at another tree: a test's
//! temporary directory, or a container's root file system seen from the host.

pub mod db_url;
pub mod ini;
pub mod mycnf;
pub mod passwd;
pub mod qdrouterd;
pub mod rabbitmq;
pub mod redis_conf;
pub mod sysconfig;
pub mod transport_url;
pub mod vhost;

use crate::util::io_reason;
use std::path::PathBuf;

/// The environment variable naming the root the absolute paths of the checks are read under.
pub const ROOT_ENV: &str = "HEALTHCHECK_ROOT";

/// `path` (absolute, as the original scripts name it) under `HEALTHCHECK_ROOT`, or
/// unchanged when that is unset, empty or `/`.
pub fn host_path(path: &str) -> PathBuf {
    match std::env::var(ROOT_ENV) {
        Ok(root) if !root.is_empty() && root != "/" => {
            PathBuf::from(root.trim_end_matches('/')).join(path.trim_start_matches('/'))
        }
        _ => PathBuf::from(path),
    }
}

/// `path` under the root, as text (for messages and for the socket paths we connect to).
pub fn host_path_string(path: &str) -> String {
    host_path(path).to_string_lossy().into_owned()
}

/// Read a text file under the root. `Ok(None)` when it does not exist (the originals
/// fall back to defaults then); any other failure is an error naming the file.
pub fn read_optional(path: &str) -> Result<Option<String>, String> {
    let full = host_path(path);
    match std::fs::read(&full) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{}: not UTF-8 text", full.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {}", full.display(), io_reason(&e))),
    }
}

/// Read a text file under the root that must exist.
pub fn read_required(path: &str) -> Result<String, String> {
    read_optional(path)?.ok_or_else(|| format!("{} does not exist", host_path(path).display()))
}

/// A parse error of the file at `path`, prefixed with where that file is (under the root).
pub fn in_file(path: &str, reason: impl std::fmt::Display) -> String {
    format!("{}: {reason}", host_path(path).display())
}

/// Whether `path` exists under the root.
pub fn exists(path: &str) -> bool {
    host_path(path).exists()
}

/// The `*.conf` files of a directory under the root, sorted by name; empty when the
/// directory does not exist.
pub fn conf_d_files(dir: &str) -> Result<Vec<String>, String> {
    let full = host_path(dir);
    let entries = match std::fs::read_dir(&full) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot list {}: {}", full.display(), io_reason(&e))),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".conf") && !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|n| format!("{}/{n}", dir.trim_end_matches('/')))
        .collect())
}

/// Wrap an IPv6 literal in brackets for a URL (TripleO's `wrap_ipv6`).
pub fn wrap_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A lock for unit tests that set `HEALTHCHECK_ROOT` (the environment is per process).
    use std::sync::{Mutex, MutexGuard};

    static ROOT_LOCK: Mutex<()> = Mutex::new(());

    /// Point `HEALTHCHECK_ROOT` at `root` for as long as the guard lives.
    pub struct RootGuard {
        _lock: MutexGuard<'static, ()>,
    }

    pub fn with_root(root: &std::path::Path) -> RootGuard {
        let lock = ROOT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        std::env::set_var(super::ROOT_ENV, root);
        RootGuard { _lock: lock }
    }

    impl Drop for RootGuard {
        fn drop(&mut self) {
            std::env::remove_var(super::ROOT_ENV);
        }
    }

    /// A temporary tree for a unit test, removed on drop.
    pub struct Tree(pub std::path::PathBuf);

    impl Tree {
        pub fn new(tag: &str) -> Tree {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let p = std::env::temp_dir().join(format!("ohc-unit-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Tree(p)
        }

        /// Write `text` at the absolute `path` inside the tree.
        pub fn write(&self, path: &str, text: &str) {
            let full = self.0.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn root_prefixes_absolute_paths() {
        let tree = Tree::new("root");
        tree.write("/etc/a.conf", "x");
        tree.write("/etc/a.conf.d/20-b.conf", "");
        tree.write("/etc/a.conf.d/10-a.conf", "");
        tree.write("/etc/a.conf.d/ignored.txt", "");
        let _g = with_root(&tree.0);
        assert_eq!(host_path("/etc/a.conf"), tree.0.join("etc/a.conf"));
        assert_eq!(read_required("/etc/a.conf").unwrap(), "x");
        assert_eq!(read_optional("/etc/missing").unwrap(), None);
        assert!(read_required("/etc/missing")
            .unwrap_err()
            .contains("does not exist"));
        assert_eq!(
            conf_d_files("/etc/a.conf.d").unwrap(),
            vec!["/etc/a.conf.d/10-a.conf", "/etc/a.conf.d/20-b.conf"]
        );
        assert!(conf_d_files("/etc/none.d").unwrap().is_empty());
    }

    #[test]
    fn wraps_ipv6_once() {
        assert_eq!(wrap_ipv6("::1"), "[::1]");
        assert_eq!(wrap_ipv6("[::1]"), "[::1]");
        assert_eq!(wrap_ipv6("10.0.0.1"), "10.0.0.1");
    }
}

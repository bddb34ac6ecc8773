//! In-process readers for the configuration files the checks take addresses from:
//! oslo.config INI (`ini`), Apache vhosts (`vhost`), redis.conf (`redis_conf`),
//! /etc/sysconfig-style `KEY=VALUE` files (`sysconfig`), /etc/passwd (`passwd`),
//! qdrouterd.conf (`qdrouterd`), MySQL/MariaDB option files (`mycnf`) and RabbitMQ's
//! rabbitmq.conf, enabled_plugins and definitions file (`rabbitmq`); and the two URLs
//! an OpenStack service's oslo.config file names its peers with: oslo.messaging's
//! `transport_url` (`transport_url`) and SQLAlchemy's database URL (`db_url`).
//!
//! Every parser is a pure function over `&str` (unit-tested and fuzzed); the only file
//! system access is here, and every path a service check reads is read through a
//! [`Root`] (the check's `System::files`), so the checks can read another tree: a test's
//! temporary directory (`HEALTHCHECK_ROOT`), or a container's root file system seen from
//! the host agent, every path resolved inside it.

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

use crate::system::Root;
use crate::util::io_reason;

pub use crate::system::ROOT_ENV;

/// Read a text file of `root`. `Ok(None)` when it does not exist (the originals fall back
/// to defaults then); any other failure is an error naming the file.
pub fn read_optional(root: &Root, path: &str) -> Result<Option<String>, String> {
    match root.read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{}: not UTF-8 text", root.shown(path))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "cannot read {}: {}",
            root.shown(path),
            io_reason(&e)
        )),
    }
}

/// Read a text file of `root` that must exist.
pub fn read_required(root: &Root, path: &str) -> Result<String, String> {
    read_optional(root, path)?.ok_or_else(|| format!("{} does not exist", root.shown(path)))
}

/// A parse error of the file at `path`, prefixed with where that file is.
pub fn in_file(root: &Root, path: &str, reason: impl std::fmt::Display) -> String {
    format!("{}: {reason}", root.shown(path))
}

/// Whether `path` exists in `root`.
pub fn exists(root: &Root, path: &str) -> bool {
    root.exists(path)
}

/// The `*.conf` files of a directory of `root`, sorted by name; empty when the directory
/// does not exist.
pub fn conf_d_files(root: &Root, dir: &str) -> Result<Vec<String>, String> {
    let entries = match root.read_dir_names(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "cannot list {}: {}",
                root.shown(dir),
                io_reason(&e)
            ))
        }
    };
    let mut names: Vec<String> = entries
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
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
    //! Temporary trees for unit tests, read as a root the way `HEALTHCHECK_ROOT` is.
    use crate::system::{Root, System};

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

        /// The tree as a root (`HEALTHCHECK_ROOT=<tree>`).
        pub fn root(&self) -> Root {
            Root::under(&self.0)
        }

        /// This machine's system with its configuration files read from the tree.
        pub fn system(&self) -> System {
            System::with_root(&self.0)
        }

        /// The tree as a container's system, as the host agent sees one: every path (the
        /// checks' own and those given as arguments) inside the tree, the environment
        /// `env` (`KEY=VALUE`) and nothing of this process's, a user of its own.
        pub fn container(&self, env: &[&str]) -> System {
            let dir = std::fs::File::open(&self.0).unwrap();
            let root = Root::open_dir(std::os::fd::OwnedFd::from(dir), "/");
            System {
                files: root.clone(),
                given: root,
                env: crate::system::Env::from_assignments(env),
                uid: Some(0),
                ..System::from_process()
            }
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
        let root = tree.root();
        assert_eq!(
            root.shown("/etc/a.conf"),
            tree.0.join("etc/a.conf").to_string_lossy()
        );
        assert_eq!(read_required(&root, "/etc/a.conf").unwrap(), "x");
        assert_eq!(read_optional(&root, "/etc/missing").unwrap(), None);
        assert!(read_required(&root, "/etc/missing")
            .unwrap_err()
            .contains("does not exist"));
        assert_eq!(
            conf_d_files(&root, "/etc/a.conf.d").unwrap(),
            vec!["/etc/a.conf.d/10-a.conf", "/etc/a.conf.d/20-b.conf"]
        );
        assert!(conf_d_files(&root, "/etc/none.d").unwrap().is_empty());
    }

    #[test]
    fn wraps_ipv6_once() {
        assert_eq!(wrap_ipv6("::1"), "[::1]");
        assert_eq!(wrap_ipv6("[::1]"), "[::1]");
        assert_eq!(wrap_ipv6("10.0.0.1"), "10.0.0.1");
    }
}

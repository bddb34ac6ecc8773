//! Where a check's paths are resolved: the host's file system as it is, or a directory
//! taken as `/`.
//!
//! Inside a root every path is opened with `openat2(2)` and `RESOLVE_IN_ROOT` (Linux 5.6+):
//! the kernel resolves `..`, absolute paths and absolute symlinks against the root, so a
//! link such as `/etc/redis/redis.conf -> /etc/shadow` inside a container names the
//! container's `/etc/shadow`, never the host's. Magic links (`/proc/PID/fd/*`) are refused
//! while resolving. Everything else (metadata, directory listings, symlink targets, unix
//! sockets to connect to) is done on the file descriptor that resolution returned, never
//! on a path the host would resolve again.
//!
//! [`Root::Host`] does what the checks always did (plain `std::fs` calls on the path as
//! given), so the command line pays nothing for the choice.

use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::Mode;
use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where paths are resolved.
#[derive(Debug, Clone, Default)]
pub enum Root {
    /// The file system as this process sees it.
    #[default]
    Host,
    /// A directory taken as `/`.
    InRoot(Arc<InRoot>),
}

/// A directory taken as `/`, how paths in it are shown, and where relative paths start.
#[derive(Debug)]
pub struct InRoot {
    dir: Dir,
    /// Shown before a path in messages (`HEALTHCHECK_ROOT`'s directory); `None`: paths are
    /// shown as the root sees them (a container's view).
    shown: Option<PathBuf>,
    /// The directory relative paths start from, inside the root.
    cwd: String,
}

#[derive(Debug)]
enum Dir {
    /// Opened for each operation (`HEALTHCHECK_ROOT`: a missing root is a missing file).
    Path(PathBuf),
    /// Held open (a container's `/proc/PID/root`: the root cannot change under us).
    Fd(OwnedFd),
}

/// How many times an `openat2` that the kernel asks to retry (a rename raced with the
/// resolution) is tried before giving up.
const EAGAIN_RETRIES: usize = 8;

impl Root {
    /// `dir` as `/`, opened for each operation; paths are shown under `dir` in messages.
    pub fn under(dir: impl Into<PathBuf>) -> Root {
        let dir = dir.into();
        Root::InRoot(Arc::new(InRoot {
            shown: Some(dir.clone()),
            dir: Dir::Path(dir),
            cwd: "/".into(),
        }))
    }

    /// The open directory `dir` as `/` (a container's root), relative paths from `cwd`;
    /// paths are shown as they are inside.
    pub fn open_dir(dir: OwnedFd, cwd: &str) -> Root {
        let cwd = if cwd.starts_with('/') { cwd } else { "/" };
        Root::InRoot(Arc::new(InRoot {
            dir: Dir::Fd(dir),
            shown: None,
            cwd: cwd.to_string(),
        }))
    }

    pub fn is_host(&self) -> bool {
        matches!(self, Root::Host)
    }

    /// `path` as messages show it: under `HEALTHCHECK_ROOT`'s directory, else as given.
    pub fn shown(&self, path: &str) -> String {
        match self {
            Root::InRoot(r) => match &r.shown {
                Some(prefix) => prefix
                    .join(path.trim_start_matches('/'))
                    .to_string_lossy()
                    .into_owned(),
                None => path.to_string(),
            },
            Root::Host => path.to_string(),
        }
    }

    /// The path that names `path` of this root for code that opens paths on the host:
    /// under a directory root the joined path, else `path` itself (a container's paths are
    /// opened through its root by [`Root::open_path`], so they stay as the container sees them).
    pub fn as_given(&self, path: &str) -> String {
        match self {
            Root::InRoot(r) if matches!(r.dir, Dir::Path(_)) => self.shown(path),
            _ => path.to_string(),
        }
    }

    /// Open `path` with `flags` (`O_CLOEXEC` is added).
    pub fn open(&self, path: &str, flags: OFlag) -> io::Result<File> {
        match self {
            Root::Host => {
                let mut options = std::fs::OpenOptions::new();
                use std::os::unix::fs::OpenOptionsExt;
                let access = flags & OFlag::O_ACCMODE;
                options
                    .read(access != OFlag::O_WRONLY)
                    .write(access != OFlag::O_RDONLY)
                    .custom_flags((flags & !OFlag::O_ACCMODE).bits());
                if flags.contains(OFlag::O_CREAT) {
                    options.create(true).mode(0o644);
                }
                options.open(path)
            }
            Root::InRoot(r) => r
                .open(path, flags, Mode::from_bits_truncate(0o644))
                .map(File::from),
        }
    }

    /// The whole content of the file at `path`.
    pub fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        match self {
            Root::Host => std::fs::read(path),
            Root::InRoot(_) => {
                let mut bytes = Vec::new();
                self.open(path, OFlag::O_RDONLY)?.read_to_end(&mut bytes)?;
                Ok(bytes)
            }
        }
    }

    /// Replace the file at `path` with `bytes` (created 0644 when missing).
    pub fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        match self {
            Root::Host => std::fs::write(path, bytes),
            Root::InRoot(_) => self
                .open(path, OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_TRUNC)?
                .write_all(bytes),
        }
    }

    /// The metadata of `path`, symlinks followed (inside the root).
    pub fn metadata(&self, path: &str) -> io::Result<Metadata> {
        match self {
            Root::Host => std::fs::metadata(path),
            Root::InRoot(_) => File::from(self.open_path(path)?).metadata(),
        }
    }

    /// Whether `path` exists (symlinks followed).
    pub fn exists(&self, path: &str) -> bool {
        self.metadata(path).is_ok()
    }

    /// Whether something (a dangling symlink too) is at `path`.
    pub fn lexists(&self, path: &str) -> bool {
        match self {
            Root::Host => std::fs::symlink_metadata(path).is_ok(),
            Root::InRoot(r) => r
                .open(path, OFlag::O_PATH | OFlag::O_NOFOLLOW, Mode::empty())
                .is_ok(),
        }
    }

    /// Whether `path` is a regular file (symlinks followed).
    pub fn is_file(&self, path: &str) -> bool {
        self.metadata(path).is_ok_and(|m| m.is_file())
    }

    /// The target of the symlink at `path` (its directories resolved inside the root).
    pub fn read_link(&self, path: &str) -> io::Result<PathBuf> {
        match self {
            Root::Host => std::fs::read_link(path),
            Root::InRoot(r) => {
                let link = r.open(path, OFlag::O_PATH | OFlag::O_NOFOLLOW, Mode::empty())?;
                nix::fcntl::readlinkat(Some(link.as_raw_fd()), "")
                    .map(PathBuf::from)
                    .map_err(|e| {
                        // readlinkat on something that is no symlink says ENOENT; say EINVAL
                        // as readlink(2) on a path does.
                        if e == nix::errno::Errno::ENOENT {
                            io::Error::from_raw_os_error(nix::libc::EINVAL)
                        } else {
                            io::Error::from(e)
                        }
                    })
            }
        }
    }

    /// The names in the directory `path`, in no particular order.
    pub fn read_dir_names(&self, path: &str) -> io::Result<Vec<OsString>> {
        let list = |dir: &Path| -> io::Result<Vec<OsString>> {
            std::fs::read_dir(dir)?
                .map(|e| e.map(|e| e.file_name()))
                .collect()
        };
        match self {
            Root::Host => list(Path::new(path)),
            Root::InRoot(r) => {
                let dir = r.open(path, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty())?;
                list(&fd_path(&dir))
            }
        }
    }

    /// An `O_PATH` descriptor of `path` (symlinks followed inside the root): what a unix
    /// socket in the root is connected through (see [`fd_path`]).
    pub fn open_path(&self, path: &str) -> io::Result<OwnedFd> {
        match self {
            Root::Host => Ok(OwnedFd::from(self.open(path, OFlag::O_PATH)?)),
            Root::InRoot(r) => r.open(path, OFlag::O_PATH, Mode::empty()),
        }
    }
}

/// `/proc/self/fd/N`: the path of an open descriptor. Opening or connecting to it reaches
/// the very file the descriptor holds, without resolving any path again.
pub fn fd_path(fd: &impl AsRawFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

impl InRoot {
    /// `path` inside the root: absolute as is, relative from the root's working directory.
    fn inside(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{}/{path}", self.cwd.trim_end_matches('/'))
        }
    }

    fn open(&self, path: &str, flags: OFlag, mode: Mode) -> io::Result<OwnedFd> {
        let opened;
        let base: RawFd = match &self.dir {
            Dir::Fd(fd) => fd.as_raw_fd(),
            Dir::Path(dir) => {
                opened = File::from(OwnedFd::from(
                    std::fs::OpenOptions::new()
                        .read(true)
                        .custom_flags_dir()
                        .open(dir)?,
                ));
                opened.as_raw_fd()
            }
        };
        // openat2 refuses a mode unless a file may be created.
        let mode = if flags.contains(OFlag::O_CREAT) {
            mode
        } else {
            Mode::empty()
        };
        let how = OpenHow::new()
            .flags(flags | OFlag::O_CLOEXEC)
            .mode(mode)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        let inside = self.inside(path);
        let mut tries = 0;
        loop {
            match openat2(base, inside.as_str(), how) {
                // SAFETY: openat2 returned a new descriptor that nothing else owns.
                Ok(fd) => return Ok(unsafe { OwnedFd::from_raw_fd(fd) }),
                Err(nix::errno::Errno::EAGAIN) if tries < EAGAIN_RETRIES => tries += 1,
                Err(nix::errno::Errno::ENOSYS) => {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "openat2 is not available (Linux 5.6 or later is needed)",
                    ))
                }
                Err(e) => return Err(io::Error::from(e)),
            }
        }
    }
}

/// `O_PATH | O_DIRECTORY` for opening a root directory by path.
trait DirFlags {
    fn custom_flags_dir(&mut self) -> &mut Self;
}

impl DirFlags for std::fs::OpenOptions {
    fn custom_flags_dir(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags((OFlag::O_PATH | OFlag::O_DIRECTORY).bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!("ohc-root-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn symlinks_never_leave_the_root() {
        let host = TempDir::new("host");
        let root = TempDir::new("inside");
        // On the "host": a file the root must never reach.
        let secret = host.0.join("secret.conf");
        std::fs::write(&secret, "host value").unwrap();
        // Inside the root: the same absolute path holds the root's own file, and links
        // (absolute, relative, climbing with ..) point at the host's path.
        let inner = root.0.join(secret.strip_prefix("/").unwrap());
        std::fs::create_dir_all(inner.parent().unwrap()).unwrap();
        std::fs::write(&inner, "root value").unwrap();
        std::fs::create_dir_all(root.0.join("etc")).unwrap();
        symlink(&secret, root.0.join("etc/absolute.conf")).unwrap();
        let climbing = format!("../../../../../../../..{}", secret.display());
        symlink(&climbing, root.0.join("etc/climbing.conf")).unwrap();
        symlink(&host.0, root.0.join("etc/dirlink")).unwrap();
        symlink("/proc/self/root/etc/hostname", root.0.join("etc/magic")).unwrap();

        for r in [
            Root::under(&root.0),
            Root::open_dir(OwnedFd::from(File::open(&root.0).unwrap()), "/etc"),
        ] {
            assert_eq!(r.read("/etc/absolute.conf").unwrap(), b"root value");
            assert_eq!(r.read("/etc/climbing.conf").unwrap(), b"root value");
            assert_eq!(r.read("/etc/dirlink/secret.conf").unwrap(), b"root value");
            assert_eq!(r.read(&secret.to_string_lossy()).unwrap(), b"root value");
            assert!(r.read("/etc/magic").is_err(), "magic links are refused");
            assert_eq!(r.read_link("/etc/absolute.conf").unwrap(), secret);
            assert!(
                r.read_link(&secret.to_string_lossy()).is_err(),
                "not a link"
            );
            assert!(r.is_file("/etc/absolute.conf"));
            assert!(!r.exists("/etc/missing"));
            assert!(r.lexists("/etc/magic") && !r.exists("/etc/magic"));
            let mut names = r.read_dir_names("/etc").unwrap();
            names.sort();
            assert_eq!(
                names,
                ["absolute.conf", "climbing.conf", "dirlink", "magic"]
            );
        }
        // Relative paths start at the root's working directory.
        let r = Root::open_dir(OwnedFd::from(File::open(&root.0).unwrap()), "/etc");
        assert_eq!(r.read("absolute.conf").unwrap(), b"root value");
        assert_eq!(r.shown("/etc/x"), "/etc/x");
        let under = Root::under(&root.0);
        assert_eq!(
            under.shown("/etc/x"),
            root.0.join("etc/x").to_string_lossy()
        );
        assert_eq!(std::fs::read(&secret).unwrap(), b"host value");
    }

    #[test]
    fn writes_inside_the_root() {
        let root = TempDir::new("write");
        std::fs::create_dir_all(root.0.join("out")).unwrap();
        let r = Root::under(&root.0);
        r.write("/out/body", b"x").unwrap();
        assert_eq!(std::fs::read(root.0.join("out/body")).unwrap(), b"x");
        let missing = Root::under(root.0.join("no-such-root"));
        assert_eq!(
            missing.read("/etc/x").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}

//! A real libvirtd (Debian's libvirt-daemon) for the tests, in session mode as nobody.

use super::servers::spawn_cmd;
use super::{wait_unix, Child};
use std::path::Path;
use std::process::Command;

/// libvirtd in session mode as nobody (no /dev/kvm, no libvirt-qemu user, no system
/// paths needed), its configuration in `dir`, its socket `runtime/libvirt-sock`, `home`
/// its HOME; returns once the socket answers.
pub fn start_session_libvirtd(dir: &Path, runtime: &Path, home: &Path) -> Child {
    for d in [runtime, home] {
        std::fs::create_dir_all(d).unwrap();
        nix::unistd::chown(d, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    }
    let config = dir.join("libvirtd.conf");
    let settings = format!(
        "unix_sock_dir = \"{}\"\nauth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n",
        runtime.display()
    );
    std::fs::write(&config, settings).unwrap();
    let server = spawn_cmd(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "libvirtd",
                "--timeout",
                "0",
                "--config",
            ])
            .arg(&config)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", home)
            .env("XDG_RUNTIME_DIR", runtime),
    );
    wait_unix("libvirtd socket", &runtime.join("libvirt-sock"));
    server
}

//! What the agent needs of the kernel, checked before it starts, so a missing privilege is
//! one clear line at start-up instead of a wrong verdict for every container:
//!
//! - `CAP_SYS_PTRACE`: open `/proc/PID/root`, `/proc/PID/ns/*` and other users'
//!   `/proc/PID/fd` (the process and socket checks) of the containers' processes;
//! - `CAP_SYS_ADMIN`: `setns(2)` into a container's network and UTS namespaces;
//! - read and write access to the engines' API sockets (checked where they are used).
//!
//! Reading a container's files as root also relies on root's usual file access
//! (`CAP_DAC_OVERRIDE`/`CAP_DAC_READ_SEARCH`) for files another user owns with mode 0600.

/// A capability the agent needs: its number (`<linux/capability.h>`), name and use.
pub struct Needed {
    pub bit: u32,
    pub name: &'static str,
    pub why: &'static str,
}

pub const NEEDED: &[Needed] = &[
    Needed {
        bit: 19,
        name: "CAP_SYS_PTRACE",
        why: "to open the containers' /proc/PID/root, ns/* and fd",
    },
    Needed {
        bit: 21,
        name: "CAP_SYS_ADMIN",
        why: "to enter the containers' network namespaces with setns",
    },
];

/// `Err` naming every capability missing from this process's effective set.
pub fn check() -> Result<(), String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| {
        format!(
            "cannot read /proc/self/status: {}",
            crate::util::io_reason(&e)
        )
    })?;
    let effective = effective_caps(&status).ok_or("no CapEff line in /proc/self/status")?;
    missing(effective)
}

/// The effective capability set from /proc/self/status (`CapEff:\t000001ffffffffff`).
pub fn effective_caps(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
}

/// `Err` naming the capabilities of [`NEEDED`] that `effective` lacks.
pub fn missing(effective: u64) -> Result<(), String> {
    let lacking: Vec<String> = NEEDED
        .iter()
        .filter(|n| effective & (1 << n.bit) == 0)
        .map(|n| format!("{} ({})", n.name, n.why))
        .collect();
    if lacking.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "missing capabilit{} {}: run the agent as root on the host",
            if lacking.len() == 1 { "y" } else { "ies" },
            lacking.join(" and ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities() {
        assert_eq!(
            effective_caps("Name:\tx\nCapEff:\t000001ffffffffff\n"),
            Some(0x1ff_ffff_ffff)
        );
        assert_eq!(effective_caps("Name:\tx\n"), None);
        assert!(missing(0x1ff_ffff_ffff).is_ok());
        let none = missing(0).unwrap_err();
        assert!(
            none.contains("CAP_SYS_PTRACE") && none.contains("CAP_SYS_ADMIN"),
            "{none}"
        );
        let no_admin = missing(1 << 19).unwrap_err();
        assert!(
            no_admin.starts_with("missing capability CAP_SYS_ADMIN"),
            "{no_admin}"
        );
    }
}

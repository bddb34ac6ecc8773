//! Open vSwitch's database files for the OVSDB and OVN tests (Debian's openvswitch-common).

use std::process::Command;

/// Run `ovsdb-tool ARGS...` (create, create-cluster, join-cluster ...); panics with its
/// error when it fails.
pub fn ovsdb_tool(args: &[&str]) {
    let out = Command::new("ovsdb-tool")
        .args(args)
        .output()
        .expect("ovsdb-tool (install openvswitch-common: bash tests/setup/install.sh)");
    assert!(
        out.status.success(),
        "ovsdb-tool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

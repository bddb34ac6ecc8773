//! Relink the binary when its link order changes: the release link runs through
//! mk/link/cc-hot-first, which reads mk/link/hot-functions.txt, and cargo does not know
//! a linker's own inputs.

fn main() {
    println!("cargo:rerun-if-changed=mk/link/hot-functions.txt");
    println!("cargo:rerun-if-changed=mk/link/cc-hot-first");
}

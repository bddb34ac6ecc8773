#!/usr/bin/env bash
# Build dist/openstack-healthcheck_<version>_<arch>.deb from the staged tree (dpkg-deb).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# The release binary: BIN from make, or the path make would give it.
BIN=${BIN:-$(make -s --no-print-directory -C "$repo" print-bin)}
[ -x "$BIN" ] || { echo "no binary at $BIN: run 'make build' first" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n1)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/stage.sh" "$BIN" "$work/root"
mkdir -p "$work/root/DEBIAN" "$repo/dist"
size=$(du -sk --exclude=DEBIAN "$work/root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/deb/control.in" \
    >"$work/root/DEBIAN/control"
out=$repo/dist/openstack-healthcheck_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$work/root" "$out" >/dev/null
echo "$out"

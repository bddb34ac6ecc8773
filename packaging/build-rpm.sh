#!/usr/bin/env bash
# Build dist/openstack-healthcheck-<version>-1.<arch>.rpm from the staged tree (rpmbuild,
# from Debian's rpm package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# The release binary: BIN from make, or the path make would give it.
BIN=${BIN:-$(make -s --no-print-directory -C "$repo" print-bin)}
[ -x "$BIN" ] || { echo "no binary at $BIN: run 'make build' first" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/stage.sh" "$BIN" "$work/stage"
mkdir -p "$repo/dist"
rpmbuild -bb --quiet \
    --define "_topdir $work/top" \
    --define "_rpmdir $repo/dist" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "stage $work/stage" \
    --define "pkgversion $version" \
    "$here/rpm/openstack-healthcheck.spec" >"$work/rpmbuild.log" 2>&1 || {
    cat "$work/rpmbuild.log" >&2
    exit 1
}
ls "$repo/dist/openstack-healthcheck-$version-1".*.rpm

#!/usr/bin/env bash
# Build dist/openstack-healthcheck-<version>-1.<arch>.rpm from the staged tree (rpmbuild,
# from Debian's rpm package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
binary=${BINARY:-$repo/target/release/openstack-healthcheck}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/stage.sh" "$binary" "$work/stage"
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

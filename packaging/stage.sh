#!/usr/bin/env bash
# Stage the installed layout shared by the .deb and the .rpm:
#   packaging/stage.sh BINARY DESTDIR
# DESTDIR/usr/bin/openstack-healthcheck                      the static binary
# DESTDIR/usr/share/openstack-healthcheck/<service>          one link per service the binary
#        lists: an image links /openstack/healthcheck here, and the binary runs that service's check
# DESTDIR/usr/share/openstack-healthcheck/kolla/healthcheck_*
#        kolla's drop-in names, as the binary lists them (`list --format json`). Not in
#        /usr/local/bin where kolla's images keep the scripts (a package must not write there) nor in /usr/bin (PATH puts /usr/local/bin first,
#        so they would not take over anyway): an image opts in by linking them into
#        /usr/local/bin, which is what the collection's kolla overrides do.
# DESTDIR/usr/share/man/man1/openstack-healthcheck.1.gz      generated from --help by help2man
# DESTDIR/usr/share/doc/openstack-healthcheck/README.md
set -euo pipefail
binary=$1
dest=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# The binary is the one list of what to link: its services and kolla's drop-in names. A
# binary that lists nothing (or prints something else) stops the build.
listed=$("$binary" list --format json) || { echo "stage: '$binary list --format json' failed" >&2; exit 1; }
names() {
    python3 -c '
import json, re, sys
key = sys.argv[1]
try:
    data = json.loads(sys.stdin.read())
    entries = data[key]
except (ValueError, TypeError, KeyError) as e:
    sys.exit("stage: list --format json has no %s (%s)" % (key, e))
for entry in entries:
    name = entry.get("name") if isinstance(entry, dict) else entry
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", name):
        sys.exit("stage: list --format json: not a usable %s name: %r" % (key, entry))
    print(name)' "$1" <<<"$listed"
}
services_out=$(names services)
kolla_out=$(names kolla_names)
mapfile -t services <<<"$services_out"
mapfile -t kolla_names <<<"$kolla_out"
[ -n "$services_out" ] || { echo "stage: '$binary list --format json' lists no services" >&2; exit 1; }
[ -n "$kolla_out" ] || { echo "stage: '$binary list --format json' lists no kolla names" >&2; exit 1; }

rm -rf "$dest"
install -D -m 0755 "$binary" "$dest/usr/bin/openstack-healthcheck"
share=$dest/usr/share/openstack-healthcheck
mkdir -p "$share/kolla"
for s in "${services[@]}"; do
    ln -s /usr/bin/openstack-healthcheck "$share/$s"
done
for k in "${kolla_names[@]}"; do
    ln -s /usr/bin/openstack-healthcheck "$share/kolla/$k"
done
mkdir -p "$dest/usr/share/man/man1"
help2man --no-info --no-discard-stderr \
    --name "container health checks for OpenStack services" \
    --version-string "$("$binary" --version | head -n1 | awk '{print $NF}')" \
    "$binary" | gzip -9n >"$dest/usr/share/man/man1/openstack-healthcheck.1.gz"
install -D -m 0644 "$repo/README.md" "$dest/usr/share/doc/openstack-healthcheck/README.md"
echo ">>> stage: $dest (${#services[@]} service links, ${#kolla_names[@]} kolla names)" >&2

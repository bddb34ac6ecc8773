#!/usr/bin/env bash
# Stage the installed layout shared by the .deb and the .rpm:
#   packaging/stage.sh BINARY DESTDIR
# DESTDIR/usr/bin/openstack-healthcheck                      the static binary
# DESTDIR/usr/share/openstack-healthcheck/<service>          one link per service check: an image
#        links /openstack/healthcheck here, and the binary runs that service's check
# DESTDIR/usr/share/openstack-healthcheck/kolla/healthcheck_{curl,port,listen,socket,filemod}
#        kolla's drop-in names. Not in /usr/local/bin where kolla's images keep the scripts
#        (a package must not write there) nor in /usr/bin (PATH puts /usr/local/bin first,
#        so they would not take over anyway): an image opts in by linking them into
#        /usr/local/bin, which is what the collection's kolla overrides do.
# DESTDIR/usr/share/man/man1/openstack-healthcheck.1.gz      generated from --help by help2man
# DESTDIR/usr/share/doc/openstack-healthcheck/README.md
set -euo pipefail
binary=$1
dest=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
KOLLA_NAMES=(healthcheck_curl healthcheck_port healthcheck_listen healthcheck_socket healthcheck_filemod)

# The services the binary knows; before it can list them, the TripleO list we replace.
service_names() {
    "$binary" list --format json 2>/dev/null | python3 -c '
import json, sys
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
if isinstance(data, dict):
    data = data.get("services", [])
for item in data:
    name = item.get("name") if isinstance(item, dict) else item
    if name:
        print(name)' || true
}
mapfile -t services < <(service_names)
if [ ${#services[@]} -eq 0 ]; then
    echo ">>> stage: '$binary list --format json' gave no services; using packaging/services.txt" >&2
    mapfile -t services < <(sed -e 's/#.*//' -e '/^ *$/d' "$here/services.txt")
fi

rm -rf "$dest"
install -D -m 0755 "$binary" "$dest/usr/bin/openstack-healthcheck"
share=$dest/usr/share/openstack-healthcheck
mkdir -p "$share/kolla"
for s in "${services[@]}"; do
    ln -s /usr/bin/openstack-healthcheck "$share/$s"
done
for k in "${KOLLA_NAMES[@]}"; do
    ln -s /usr/bin/openstack-healthcheck "$share/kolla/$k"
done
mkdir -p "$dest/usr/share/man/man1"
help2man --no-info --no-discard-stderr \
    --name "container health checks for OpenStack services" \
    --version-string "$("$binary" --version | head -n1 | awk '{print $NF}')" \
    "$binary" | gzip -9n >"$dest/usr/share/man/man1/openstack-healthcheck.1.gz"
install -D -m 0644 "$repo/README.md" "$dest/usr/share/doc/openstack-healthcheck/README.md"
echo ">>> stage: $dest (${#services[@]} service links, ${#KOLLA_NAMES[@]} kolla names)" >&2

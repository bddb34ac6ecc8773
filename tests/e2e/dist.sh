#!/usr/bin/env bash
# Package test (make test-dist): the .deb from `make dist-deb` installs in a clean Debian
# container (the cached minbase image) and removes cleanly; installed into the service
# base image, /openstack/healthcheck linked from it checks a real memcached (healthy,
# then unhealthy once memcached is stopped) and so does a kolla drop-in name; the .rpm
# from `make dist-rpm` holds the same files and links (`rpm -qlp`).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
ENGINE=docker

deb=$(newest "$repo"/dist/openstack-healthcheck_*.deb)
rpm=$(newest "$repo"/dist/openstack-healthcheck-*.rpm)
if [ -z "$deb" ] || [ -z "$rpm" ]; then
    echo "no packages in dist/: run 'make dist-deb dist-rpm'" >&2
    exit 1
fi
minbase=$(bash "$repo/tests/setup/rootfs.sh" "$ENGINE" minbase) || exit 1
base=$(bash "$repo/tests/setup/rootfs.sh" "$ENGINE" base) || exit 1
trap 'remove_test_containers "$ENGINE"' EXIT

in_container() {
    local image=$1 script=$2
    "$ENGINE" run --rm --label "$TEST_LABEL" -v "$deb:/tmp/pkg.deb:ro" \
        -v "$repo/tests/images/memcached/files/etc/sysconfig:/tmp/sysconfig:ro" "$image" bash -c "$script"
}

# A clean Debian: the package has no dependencies, installs, runs, and leaves nothing.
say "install and remove in $minbase"
# shellcheck disable=SC2016 # the script is expanded by bash in the container
if out=$(in_container "$minbase" '
    set -e
    dpkg -i /tmp/pkg.deb >/dev/null
    openstack-healthcheck --version | grep -q "^openstack-healthcheck "
    test -x /usr/bin/openstack-healthcheck
    test "$(readlink /usr/share/openstack-healthcheck/memcached)" = /usr/bin/openstack-healthcheck
    for k in curl port listen socket filemod; do test -L /usr/share/openstack-healthcheck/kolla/healthcheck_$k; done
    gzip -t /usr/share/man/man1/openstack-healthcheck.1.gz
    zcat /usr/share/man/man1/openstack-healthcheck.1.gz | grep -q "^\.TH"
    dpkg -r openstack-healthcheck >/dev/null
    test ! -e /usr/bin/openstack-healthcheck && test ! -e /usr/share/openstack-healthcheck
    echo ok' 2>&1); then
    pass "deb: installs in a clean Debian, layout and man page in place, removes cleanly"
else
    fail "deb: install/remove in a clean Debian: $(echo "$out" | tail -n 3)"
fi

# /openstack/healthcheck linked from the package, against a real memcached configured
# the TripleO way (/etc/sysconfig/memcached). Each run's output must be one line.
say "link from the package checks memcached in $base"
# shellcheck disable=SC2016 # the script is expanded by bash in the container
if out=$(in_container "$base" '
    one_line() { [ -n "$1" ] && [ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ]; }
    dpkg -i /tmp/pkg.deb >/dev/null || exit 1
    mkdir -p /openstack /etc/sysconfig && cp /tmp/sysconfig/memcached /etc/sysconfig/memcached
    ln -s /usr/share/openstack-healthcheck/memcached /openstack/healthcheck
    . /etc/sysconfig/memcached
    # Started as its user, as kolla does (a daemon that drops root itself is not dumpable:
    # its /proc/PID/fd is then readable by no one without CAP_SYS_PTRACE).
    setpriv --reuid="$USER" --regid="$USER" --clear-groups memcached -p "$PORT" $OPTIONS & pid=$!
    sleep 0.5
    up=$(/openstack/healthcheck 2>&1); up_rc=$?
    # kolla runs its checks as the container user.
    kolla=$(setpriv --reuid="$USER" --regid="$USER" --clear-groups \
        /usr/share/openstack-healthcheck/kolla/healthcheck_listen memcached "$PORT" 2>&1); kolla_rc=$?
    kill "$pid"; wait "$pid"
    down=$(/openstack/healthcheck 2>&1); down_rc=$?
    echo "up: $up_rc $up"; echo "kolla: $kolla_rc $kolla"; echo "down: $down_rc $down"
    [ $up_rc -eq 0 ] && one_line "$up" && [ $kolla_rc -eq 0 ] && one_line "$kolla" &&
        [ $down_rc -eq 1 ] && one_line "$down"' 2>&1); then
    pass "deb: /openstack/healthcheck -> memcached link: healthy with memcached, unhealthy without; kolla name works"
else
    fail "deb: the installed links do not check memcached right: $(echo "$out" | tr '\n' '|')"
fi

# Same layout in both packages: every file and link of the .deb is in the .rpm and back.
say "rpm layout against the deb"
deb_paths=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort)
rpm_paths=$(rpm -qlp "$rpm" 2>/dev/null | while read -r p; do
    [ "$p" = /usr/share/openstack-healthcheck ] || [ "$p" = /usr/share/openstack-healthcheck/kolla ] || echo "$p"
done | sort)
if [ -n "$deb_paths" ] && [ "$deb_paths" = "$rpm_paths" ]; then
    pass "rpm: same $(echo "$deb_paths" | wc -l) files and links as the deb"
else
    fail "rpm: layout differs from the deb: $(diff <(echo "$deb_paths") <(echo "$rpm_paths") | head -n 5 | tr '\n' '|')"
fi
summary

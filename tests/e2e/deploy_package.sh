#!/usr/bin/env bash
# The deploy role's package path (make test-dist): `ansible-playbook playbooks/deploy.yml -e
# healthcheck_package=<the .deb>` run INSIDE a throwaway container of the service base image
# (Debian with python3, as a managed host has, plus python3-apt, which the apt module needs)
# over a local connection, so it installs into the container's / and never the host's.
# Ansible itself is the test venv, mounted read-only with the Python it was made from.
#
# Proves: a missing package and a file that is no package fail the role's input check
# before anything is installed; check mode on the empty host changes nothing; the real run
# installs the package (dpkg -s), `--version` reports the package's version, the per-service
# links are the package's own (left as dpkg installed them) and kolla's names are linked in
# /usr/local/bin; the memcached link checks a real memcached (healthy, then unhealthy with a
# one-line reason once it stops); a second run, in check mode and for real, changes nothing
# (PLAY RECAP changed=0).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
ENGINE=docker
CACHE=${CACHE:-/var/cache/openstack-healthcheck}
# What the apt module imports on the host it manages (Debian's python3-apt and its two
# data packages); fetched once from the host's mirror into the cache.
PYTHON_APT_PACKAGES=(python3-apt python-apt-common distro-info-data)

deb=$(newest "$repo"/dist/openstack-healthcheck_*.deb)
[ -n "$deb" ] || { echo "no .deb in dist/: run 'make dist-deb'" >&2; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
venv=$(readlink -f "$CACHE/venv")
[ -x "$venv/bin/ansible-playbook" ] || { echo "no Ansible in $CACHE/venv: run 'make deps'" >&2; exit 1; }
# The interpreter the venv was made from (pyvenv.cfg: home = <prefix>/bin), mounted at its own path.
python_prefix=$(dirname "$(sed -n 's/^home = //p' "$venv/pyvenv.cfg")")
base=$(bash "$repo/tests/setup/rootfs.sh" "$ENGINE" base) || exit 1

python_apt_debs() {
    local dir=$CACHE/deploy-test-debs
    if ! ls "$dir"/python3-apt_*.deb >/dev/null 2>&1; then
        mkdir -p "$dir.tmp" && (cd "$dir.tmp" && apt-get -q -o APT::Sandbox::User=root download "${PYTHON_APT_PACKAGES[@]}" >&2) &&
            rm -rf "$dir" && mv "$dir.tmp" "$dir" || return 1
    fi
    echo "$dir"
}
debs=$(python_apt_debs) || { echo "could not download ${PYTHON_APT_PACKAGES[*]} (apt-get download)" >&2; exit 1; }

name=ohc-deploy-package-$$
trap 'remove_test_containers "$ENGINE"' EXIT
"$ENGINE" run -d --name "$name" --label "$TEST_LABEL" \
    -v "$repo:/repo:ro" \
    -v "$repo/collection:/collections/ansible_collections/openstack/healthcheck:ro" \
    -v "$venv:$venv:ro" -v "$python_prefix:$python_prefix:ro" \
    -v "$debs:/python-apt:ro" \
    -e LANG=C.UTF-8 -e ANSIBLE_COLLECTIONS_PATH=/collections -e ANSIBLE_NOCOLOR=1 \
    -e ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
    "$base" sleep infinity >/dev/null || { echo "could not start a container of $base" >&2; exit 1; }

in_container() { "$ENGINE" exec "$name" bash -c "$1" 2>&1; }
if ! out=$(in_container 'dpkg -i /python-apt/*.deb && python3 -c "import apt"'); then
    echo "python3-apt does not install in $base: $(echo "$out" | tail -n 3)" >&2
    exit 1
fi

# The deploy playbook on the container itself; extra arguments go to ansible-playbook.
deploy() {
    "$ENGINE" exec -w /repo "$name" "$venv/bin/ansible-playbook" -c local -i localhost, \
        playbooks/deploy.yml -e healthcheck_hosts=all "$@" 2>&1
}
# The changed= count of the play's recap line (empty when there is none).
recap_changed() { sed -n 's/^localhost *:.* changed=\([0-9]*\) .*/\1/p' <<<"$1" | tail -n1; }
not_installed() { ! "$ENGINE" exec "$name" dpkg -s openstack-healthcheck >/dev/null 2>&1; }
container_deb=/repo/dist/$(basename "$deb")

say "deploy.yml with a package that is not there, then with a file that is no package"
for bad in /repo/dist/openstack-healthcheck_0.0.0_amd64.deb /repo/README.md; do
    case $bad in
        *.deb) why="no such file on the controller" ;;
        *) why="its name does not end in .deb or .rpm" ;;
    esac
    out=$(deploy -e healthcheck_package="$bad")
    rc=$?
    if [ $rc -ne 0 ] && grep -qF "Cannot install healthcheck_package=$bad: $why" <<<"$out" && not_installed; then
        pass "deploy: healthcheck_package=$bad fails the input check: $why; nothing installed"
    else
        fail "deploy: healthcheck_package=$bad: exit $rc, no clear message: $(tail -n 5 <<<"$out" | tr '\n' '|')"
    fi
done

say "deploy.yml --check with the .deb on a host without it"
out=$(deploy -e healthcheck_package="$container_deb" --check)
rc=$?
if [ $rc -eq 0 ] && not_installed; then
    pass "deploy --check: predicts $(recap_changed "$out") changes, installs nothing"
else
    fail "deploy --check: exit $rc: $(tail -n 8 <<<"$out" | tr '\n' '|')"
fi

say "deploy.yml with the .deb"
out=$(deploy -e healthcheck_package="$container_deb")
rc=$?
changed=$(recap_changed "$out")
if [ $rc -eq 0 ] && [ "${changed:-0}" -gt 0 ]; then
    pass "deploy: installs from $(basename "$deb") ($changed changes)"
else
    fail "deploy: exit $rc, changed=${changed:-?}: $(tail -n 12 <<<"$out" | tr '\n' '|')"
fi

# shellcheck disable=SC2016 # the script is expanded by bash in the container (the version by us)
if out=$(in_container '
    set -e
    dpkg -s openstack-healthcheck | grep -qx "Status: install ok installed"
    dpkg -s openstack-healthcheck | grep -qx "Version: '"$version"'"
    test "$(openstack-healthcheck --version)" = "openstack-healthcheck '"$version"'"'); then
    pass "deb: dpkg -s says installed, version $version; openstack-healthcheck --version agrees"
else
    fail "deb: not installed as expected: $(tail -n 3 <<<"$out" | tr '\n' '|')"
fi

# Every service the binary lists has its link, still the package's own (absolute) one, and
# each kolla name in /usr/local/bin leads to the binary.
# shellcheck disable=SC2016 # the script is expanded by bash in the container
if out=$(in_container '
    set -e
    services=$(openstack-healthcheck list --format json | python3 -c "
import json, sys
data = json.load(sys.stdin)
data = data.get(\"services\", []) if isinstance(data, dict) else data
print(\"\n\".join(d[\"name\"] if isinstance(d, dict) else d for d in data))")
    test "$(echo "$services" | wc -l)" -gt 10
    for s in $services; do
        test "$(readlink "/usr/share/openstack-healthcheck/$s")" = /usr/bin/openstack-healthcheck ||
            { echo "link of $s: $(readlink "/usr/share/openstack-healthcheck/$s")"; exit 1; }
    done
    for k in curl port listen socket filemod; do
        test "$(readlink -f /usr/local/bin/healthcheck_$k)" = /usr/bin/openstack-healthcheck ||
            { echo "/usr/local/bin/healthcheck_$k is not a link to the binary"; exit 1; }
    done
    echo "$services" | wc -l'); then
    pass "links: $(tail -n1 <<<"$out") service links as the package made them, kolla names in /usr/local/bin"
else
    fail "links: $(tail -n 3 <<<"$out" | tr '\n' '|')"
fi

# A real memcached, configured the TripleO way, checked through the installed link.
# shellcheck disable=SC2016 # the script is expanded by bash in the container
if out=$(in_container '
    one_line() { [ -n "$1" ] && [ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ]; }
    mkdir -p /etc/sysconfig && cp /repo/tests/images/memcached/files/etc/sysconfig/memcached /etc/sysconfig/
    . /etc/sysconfig/memcached
    setpriv --reuid="$USER" --regid="$USER" --clear-groups memcached -p "$PORT" $OPTIONS & pid=$!
    for _ in $(seq 50); do
        up=$(/usr/share/openstack-healthcheck/memcached 2>&1); up_rc=$?
        [ $up_rc -eq 0 ] && break
        sleep 0.1
    done
    kill "$pid"; wait "$pid"
    down=$(/usr/share/openstack-healthcheck/memcached 2>&1); down_rc=$?
    echo "up: $up_rc $up"; echo "down: $down_rc $down"
    [ $up_rc -eq 0 ] && one_line "$up" && [ $down_rc -eq 1 ] && one_line "$down" &&
        grep -qi "refused" <<<"$down"'); then
    pass "check: the memcached link says healthy with memcached, unhealthy (connection refused) without"
    # shellcheck disable=SC2001 # every line indented: sed says it plainer than ${out//...}
    sed 's/^/    /' <<<"$out"
else
    fail "check: the memcached link: $(tr '\n' '|' <<<"$out")"
fi

# Run again, in check mode and for real (--diff would show any difference): nothing to change either time.
for mode in --check --diff; do
    say "deploy.yml $mode with the .deb again"
    out=$(deploy -e healthcheck_package="$container_deb" "$mode")
    rc=$?
    changed=$(recap_changed "$out")
    if [ $rc -eq 0 ] && [ "$changed" = 0 ]; then
        pass "deploy $mode: a second run changes nothing (changed=0)"
    else
        fail "deploy $mode: second run: exit $rc, changed=${changed:-?}: $(grep -E '^(changed|TASK|fatal)' <<<"$out" | tr '\n' '|')"
    fi
done
summary

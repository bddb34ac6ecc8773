#!/usr/bin/env bash
# End-to-end tests: real service containers whose HEALTHCHECK is /openstack/healthcheck.
#
#   tests/e2e/run.sh [--engines "docker podman"] [--services "keystone redis ..."]
#
# For each service image (tests/images/*), under each engine:
#   start -> (healthy) -> service stopped inside -> (unhealthy) -> service back -> (healthy),
# read from `inspect`, each time with the last check's output exactly one line and no
# secret of the service's config in the health log. Docker runs the checks on its own
# schedule; podman without systemd does not, so its rounds call `podman healthcheck run`.
# Plus a FROM scratch image holding nothing but the binary.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

engines="docker podman"
# Seconds a service may take to answer its own client: rabbitmq boots an Erlang VM on 2
# shared cores. Then the check, every 2 s, has CHECK_TIMEOUT to say healthy.
HEALTHY_TIMEOUT=${E2E_HEALTHY_TIMEOUT:-120}
CHECK_TIMEOUT=${E2E_CHECK_TIMEOUT:-45}
services=""
while [ $# -gt 0 ]; do
    case $1 in
    --engines) engines=$2; shift 2 ;;
    --services) services=$2; shift 2 ;;
    *) echo "usage: $0 [--engines \"docker podman\"] [--services \"keystone redis ...\"]" >&2; exit 2 ;;
    esac
done
if [ -z "$services" ]; then
    for d in "$repo"/tests/images/*/files; do services+=" $(basename "$(dirname "$d")")"; done
fi
read -r -a service_list <<<"$services"
# The release binary: BIN from make, or the path make would give it.
binary=${BIN:-$(make -s --no-print-directory -C "$repo" print-bin)}
[ -x "$binary" ] || { echo "no binary at $binary: run 'make build' first" >&2; exit 1; }

cleanup() { for e in $engines; do remove_test_containers "$e"; done; }
trap cleanup EXIT

# Values of requirepass / password= in a service's files: they must never reach a log.
secrets_of() {
    grep -rhoE '^(requirepass +|password *= *)[^ ]+' "$repo/tests/images/$1/files" 2>/dev/null |
        sed -E 's/^(requirepass +|password *= *)//'
}

# One service through healthy -> broken -> mended -> healthy.
cycle() {
    local engine=$1 svc=$2 name="ohc-e2e-test-$2"
    local -a secrets
    mapfile -t secrets < <(secrets_of "$svc")
    local case="$engine $svc"
    # First the service by its own client: tells a broken image from a broken check.
    if ! wait_selfcheck "$engine" "$name" up "$HEALTHY_TIMEOUT"; then
        show_container "$engine" "$name"; fail "$case: the service itself never answered (image problem)"; return
    fi
    if ! wait_health "$engine" "$name" healthy "$CHECK_TIMEOUT"; then
        show_container "$engine" "$name"; fail "$case: the service answers but the check never said healthy"; return
    fi
    if check_last_result "$engine" "$name" healthy "${secrets[@]}"; then
        pass "$case: healthy, one-line result"
    else
        fail "$case: healthy result breaks the output contract"
    fi
    "$engine" exec "$name" ohc-service stop
    wait_selfcheck "$engine" "$name" down 30 || fail "$case: the service still answers after ohc-service stop"
    if ! wait_health "$engine" "$name" unhealthy 60; then
        show_container "$engine" "$name"; fail "$case: still not unhealthy with the service stopped"
    elif check_last_result "$engine" "$name" unhealthy "${secrets[@]}"; then
        pass "$case: unhealthy once the service is stopped, one-line reason"
    else
        fail "$case: unhealthy result breaks the output contract"
    fi
    "$engine" exec "$name" ohc-service start
    wait_selfcheck "$engine" "$name" up "$HEALTHY_TIMEOUT" || fail "$case: the service did not come back"
    if ! wait_health "$engine" "$name" healthy "$CHECK_TIMEOUT"; then
        show_container "$engine" "$name"; fail "$case: not healthy again after the service came back"
    elif check_last_result "$engine" "$name" healthy "${secrets[@]}"; then
        pass "$case: healthy again once the service is back"
    else
        fail "$case: result after recovery breaks the output contract"
    fi
}

# The scratch image holds one file. A static busybox, bind-mounted at run time only,
# keeps the container up and serves HTTP on 127.0.0.1:8080 for the image's check to probe.
scratch_case() {
    local engine=$1 name=ohc-e2e-test-scratch www
    local busybox
    busybox=$(command -v busybox) || { fail "$engine scratch: busybox-static is not installed"; return; }
    www=$(mktemp -d) && echo ok >"$www/index.html"
    # busybox applets all run as "busybox": killall cannot tell httpd apart, a pid file can.
    local serve=(/busybox sh -c 'echo $$ >/www/httpd.pid && exec /busybox httpd -f -p 127.0.0.1:8080 -h /www')
    "$engine" run -d --name "$name" --label "$TEST_LABEL" -v "$busybox:/busybox:ro" -v "$www:/www" \
        --entrypoint /busybox ohc-e2e-scratch:latest sleep 100000 2> >(grep -v 'systemd connection' >&2) >/dev/null ||
        { fail "$engine scratch: container did not start"; return; }
    "$engine" exec -d "$name" "${serve[@]}"
    if wait_health "$engine" "$name" healthy "$CHECK_TIMEOUT" && check_last_result "$engine" "$name" healthy; then
        pass "$engine scratch: the binary alone in the image checks a peer: healthy"
    else
        show_container "$engine" "$name"; fail "$engine scratch: not healthy with the peer up"
    fi
    # shellcheck disable=SC2016 # the container's shell expands it: the pid file is in there
    "$engine" exec "$name" /busybox sh -c 'kill "$(cat /www/httpd.pid)"'
    # The reason must name what was probed (not, say, a usage error).
    if wait_health "$engine" "$name" unhealthy "$CHECK_TIMEOUT" && check_last_result "$engine" "$name" unhealthy &&
        last_output "$engine" "$name" | grep 8080 | grep -vq "usage:"; then
        pass "$engine scratch: unhealthy with the peer gone, one-line reason naming the target"
    else
        show_container "$engine" "$name"; fail "$engine scratch: not unhealthy with the peer gone"
    fi
    "$engine" rm -f "$name" >/dev/null
    rm -rf "$www"
}

prepare_engine() {
    local engine=$1
    case $engine in
    docker) bash "$repo/tests/setup/dockerd.sh" ;;
    podman) bash "$here/../setup/podman.sh" ;;
    *) echo "unknown engine $engine" >&2; return 1 ;;
    esac
}

start=$SECONDS
for engine in $engines; do
    say "$engine: engine"
    if ! prepare_engine "$engine"; then
        fail "$engine: the container engine does not run (see above)"
        continue
    fi
    remove_test_containers "$engine"
    say "$engine: images (base rootfs cached under ${CACHE:-/var/cache/openstack-healthcheck})"
    if ! bash "$repo/tests/images/build.sh" --engine "$engine" "${service_list[@]}" scratch >/dev/null; then
        fail "$engine: building the images failed"
        continue
    fi
    say "$engine: starting $services"
    for svc in "${service_list[@]}"; do
        # podman without systemd logs on every start that it cannot schedule checks; drop that.
        "$engine" run -d --name "ohc-e2e-test-$svc" --hostname "ohc-e2e-$svc" --label "$TEST_LABEL" \
            "ohc-e2e-$svc:latest" 2> >(grep -v 'systemd connection' >&2) >/dev/null ||
            fail "$engine $svc: container did not start"
    done
    for svc in "${service_list[@]}"; do
        say "$engine: $svc"
        cycle "$engine" "$svc"
    done
    say "$engine: scratch image"
    scratch_case "$engine"
    remove_test_containers "$engine"
    say "$engine: done after $((SECONDS - start))s"
done
summary

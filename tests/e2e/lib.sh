# shellcheck shell=bash
# Helpers for the end-to-end tests (sourced). ENGINE is docker or podman.
# Every container the tests start carries $TEST_LABEL, so cleanup finds them all.
TEST_LABEL=org.openstack-healthcheck.e2e-test=1
# Debian's interpreter directly: a pyenv shim costs a few process starts per call, and
# the wait loops call it every second.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PASSED=0
FAILED=0
E2E_FAILURES=()

pass() { PASSED=$((PASSED + 1)); printf 'PASS %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); E2E_FAILURES+=("$*"); printf 'FAIL %s\n' "$*"; }
say() { printf '>>> %s\n' "$*"; }

# The health record of a container as JSON ({} when it has none). podman <= 3 calls it
# .State.Healthcheck; Docker and podman 4+ .State.Health.
health_json() {
    local engine=$1 name=$2
    "$engine" inspect --format '{{json .State.Health}}' "$name" 2>/dev/null | grep -v '^null$' ||
        "$engine" inspect --format '{{json .State.Healthcheck}}' "$name" 2>/dev/null || echo '{}'
}

health_status() {
    health_json "$1" "$2" | "$PY" -c 'import json,sys; print((json.load(sys.stdin) or {}).get("Status",""))'
}

# Wait until the container's health is WANT. podman without systemd never runs its
# checks by itself, so for podman each round runs one (`podman healthcheck run`).
wait_health() {
    local engine=$1 name=$2 want=$3 timeout=$4 status=
    local end=$((SECONDS + timeout))
    while ((SECONDS < end)); do
        if [ "$engine" = podman ]; then podman healthcheck run "$name" >/dev/null 2>&1 || true; fi
        if [ "$("$engine" inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
            echo "    $name is not running: $("$engine" inspect --format '{{.State.Status}} exit {{.State.ExitCode}} {{.State.Error}}' "$name" 2>&1)" >&2
            return 1
        fi
        status=$(health_status "$engine" "$name")
        [ "$status" = "$want" ] && return 0
        sleep 1
    done
    echo "    $name: health is '${status:-none}' after ${timeout}s, wanted '$want'" >&2
    return 1
}

# Wait until the service answers its own client (/ohc/selfcheck in the image), or, with
# WANT=down, until it no longer does.
wait_selfcheck() {
    local engine=$1 name=$2 want=$3 timeout=$4
    local end=$((SECONDS + timeout))
    while ((SECONDS < end)); do
        if "$engine" exec "$name" /ohc/selfcheck >/dev/null 2>&1; then
            [ "$want" = up ] && return 0
        else
            [ "$want" = down ] && return 0
        fi
        sleep 1
    done
    echo "    $name: its service is still not $want by its own client after ${timeout}s" >&2
    return 1
}

# The last check result obeys the contract: exit code 0 (healthy) or 1 (unhealthy),
# exactly one line of at most 500 bytes, and none of the SECRETS anywhere in the log.
check_last_result() {
    local engine=$1 name=$2 want=$3
    shift 3
    health_json "$engine" "$name" | "$PY" -c '
import json, sys
want, secrets = sys.argv[1], sys.argv[2:]
log = (json.load(sys.stdin) or {}).get("Log") or []
if not log:
    sys.exit("no health log entries")
last = log[-1]
out, code = last.get("Output", ""), last.get("ExitCode")
body = out[:-1] if out.endswith("\n") else out
problems = []
if code != (0 if want == "healthy" else 1):
    problems.append("exit code %r for %s" % (code, want))
if not body or "\n" in body:
    problems.append("output is not exactly one line: %r" % out)
if len(out.encode()) > 500:
    problems.append("output longer than 500 bytes")
for s in secrets:
    if any(s in (e.get("Output") or "") for e in log):
        problems.append("a secret from the config appears in the health log")
if problems:
    sys.exit("; ".join(problems) + " (last output: %r)" % out)
print("    last check: " + body)
' "$want" "$@"
}

last_output() {
    health_json "$1" "$2" | "$PY" -c '
import json, sys
log = (json.load(sys.stdin) or {}).get("Log") or [{}]
print(log[-1].get("Output", "").strip())'
}

# On failure: what the container and its checks said.
show_container() {
    local engine=$1 name=$2
    echo "    --- health log of $name:" >&2
    health_json "$engine" "$name" | "$PY" -c '
import json, sys
for e in (json.load(sys.stdin) or {}).get("Log") or []:
    print("    exit %s: %r" % (e.get("ExitCode"), e.get("Output")))' >&2 || true
    echo "    --- last container log lines:" >&2
    "$engine" logs --tail 15 "$name" 2>&1 | sed 's/^/    /' >&2 || true
}

remove_test_containers() {
    local engine=$1 ids
    # Nothing listed (no container, or the engine is not running): nothing to remove.
    mapfile -t ids < <("$engine" ps -aq --filter "label=$TEST_LABEL" 2>/dev/null)
    ((${#ids[@]} == 0)) || "$engine" rm -f "${ids[@]}" >/dev/null 2>&1 || true
}

# The most recently modified of the files given that exist (nothing when none does): the
# package `make dist` made last.
newest() {
    local file best=
    for file in "$@"; do
        if [ -e "$file" ] && { [ -z "$best" ] || [ "$file" -nt "$best" ]; }; then
            best=$file
        fi
    done
    printf '%s\n' "$best"
}

summary() {
    echo
    if ((FAILED)); then
        printf 'failed: %s\n' "${E2E_FAILURES[@]}"
    fi
    echo "e2e: $PASSED passed, $FAILED failed"
    ((FAILED == 0))
}

"""The gate when the engine's client hangs or fails now and then.

A real engine cannot be made to hang or to fail exactly once on demand, so these tests
give the module small client scripts as its ``executable``: one that hangs (in ``ps``, or
in ``container inspect`` after the real Docker listed the containers), one that fails its
first ``ps`` and prints garbage for its first ``inspect`` and otherwise is the real Docker
client. The containers they report on are real ones on the real Docker engine.

What must hold: a hung client ends the module and the validate playbook within the
budget, killed with what it started, with a message naming the engine and the call; a
transient failure is retried within the budget and the gate still passes, saying what it
retried.
"""

import os
import shutil
import time

import pytest

from conftest import REPO, RUN_ID, by_name

VALIDATE = os.path.join(REPO, "playbooks", "validate.yml")
OK_CHECK = "echo all good"
# Far beyond any budget here: a module that waited for it would fail the time bounds below.
HANG_SECONDS = 600


def name(suffix):
    return "ohc-%s-faults-%s" % (RUN_ID, suffix)


def client(tmp_path, body):
    """A docker client script: ``$DOCKER`` is the real client, ``$STATE`` a directory of its own."""
    state = tmp_path / "client-state"
    state.mkdir(exist_ok=True)
    path = tmp_path / "docker"
    path.write_text("#!/bin/sh\nDOCKER=%s\nSTATE=%s\n%s\n" % (shutil.which("docker"), state, body))
    path.chmod(0o755)
    return str(path), state


def hanging_client(tmp_path, hang_in):
    """Answers --version, hangs in the command ``hang_in`` (recording its pid), else is Docker."""
    return client(tmp_path, """
case "$1" in
  %s) echo $$ >>"$STATE/hung.pids"; exec sleep %d ;;
  *) exec "$DOCKER" "$@" ;;
esac""" % (hang_in, HANG_SECONDS))


def assert_hung_clients_killed(state):
    pids = [int(p) for p in (state / "hung.pids").read_text().split()]
    assert pids, "the client never hung"
    for pid in pids:
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z", \
            "hung client %d still runs" % pid


@pytest.mark.parametrize("hang_in, call", [("ps", "ps` (listing containers)"),
                                           ("container", "container` (reading the containers' state)")])
def test_a_hung_client_ends_the_module_on_time(docker, module, tmp_path, hang_in, call):
    ok = docker.start(name("hung-%s" % hang_in), OK_CHECK)
    executable, state = hanging_client(tmp_path, hang_in)
    started = time.monotonic()
    result, wall = module({"executable": executable, "names": [ok], "wait": True, "timeout": 5,
                           "poll_interval": 1})
    assert result["passed"] is False
    assert result["msg"].startswith("docker engine: `%s %s did not answer within " % (executable, call)), \
        result["msg"]
    assert "timeout of 5s" in result["msg"]
    # Bounded by the budget, not by the client: far less than the hang, whatever the load.
    assert wall < HANG_SECONDS / 10
    assert time.monotonic() - started < HANG_SECONDS / 10
    assert_hung_clients_killed(state)


def test_a_hung_client_ends_the_validate_playbook_on_time(docker, ansible, tmp_path):
    executable, state = hanging_client(tmp_path, "container")
    ok = docker.start(name("hung-validate"), OK_CHECK)
    started = time.monotonic()
    proc = ansible(VALIDATE, {"healthcheck_executable": executable, "healthcheck_containers": [ok],
                              "healthcheck_timeout": 5})
    wall = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Container health gate failed: localhost/-: error: docker engine: `%s container` (reading the " \
           "containers' state) did not answer within" % executable in out
    assert wall < HANG_SECONDS / 10
    assert_hung_clients_killed(state)


def test_a_flaky_client_is_retried_and_the_gate_passes(docker, module, ansible, tmp_path):
    ok = docker.start(name("flaky-ok"), OK_CHECK)
    late = docker.start(name("flaky-late"), "test -f /tmp/ready || { echo not ready yet; exit 1; }",
                        command="sleep 4; touch /tmp/ready; exec sleep 3600", start_period="120s")
    # Fails its first ps (exit 1, as a restarting daemon does) and prints garbage for its
    # first inspect; every other call is the real client's.
    executable, state = client(tmp_path, """
once() { [ -e "$STATE/$1" ] && return 1; touch "$STATE/$1"; }
case "$1" in
  ps) if once ps; then echo "Cannot connect to the Docker daemon (flaky test client)" >&2; exit 1; fi ;;
  container) if once inspect; then echo "<html>502 Bad Gateway (flaky test client)</html>"; exit 0; fi ;;
esac
exec "$DOCKER" "$@"
""")
    result, _ = module({"executable": executable, "names": [name("flaky-*")], "wait": True, "timeout": 60,
                        "poll_interval": 1})
    assert result["passed"] is True, result["msg"]
    c = by_name(result)
    assert c[ok]["verdict"] == "healthy" and c[late]["verdict"] == "healthy"
    warnings = " | ".join(result.get("warnings", []))
    assert "no container engine answered the first 1 time" in warnings and "flaky test client" in warnings
    assert "docker container (reading the containers' state) answered after 1 failed attempt: printed no " \
           "JSON list of containers: '<html>502 Bad Gateway (flaky test client)</html>'" in warnings
    assert sorted(os.listdir(str(state))) == ["inspect", "ps"]

    # The same through the playbook: the gate passes, and says what it retried.
    for flag in ("inspect", "ps"):
        os.remove(str(state / flag))
    proc = ansible(VALIDATE, {"healthcheck_executable": executable, "healthcheck_containers": [name("flaky-*")],
                              "healthcheck_timeout": 60})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "flaky test client" in out

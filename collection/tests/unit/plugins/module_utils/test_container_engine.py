# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Engine detection and command handling, with a scripted stand-in for the clients.

The real clients are exercised by tests/containers (Docker and podman); here the
cases that need an odd host: both engines present, a daemon that does not answer,
podman-docker's wrapper, a container removed between listing and inspecting.
"""

import json
import os
import time

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils import container_engine
from ansible_collections.openstack.healthcheck.plugins.module_utils.container_engine import (
    Budget,
    CallTimedOut,
    Engine,
    EngineError,
    find_engine,
    run_bounded,
    runtime_of,
)


# A client that does not answer within its time limit.
HANG = object()


class Host(object):
    """Answers commands from a table: {(executable, first arg): answer}.

    An answer is ``(rc, out, err)``, a function of the arguments, or a list of those
    given out one per call (the last one repeats). ``HANG`` stands for a client that
    does not answer within its time limit. ``limits`` records each call's time limit.
    """

    def __init__(self, answers, paths):
        self.answers = answers
        self.paths = paths
        self.calls = []
        self.limits = []

    def run(self, args, timeout):
        self.calls.append(args)
        self.limits.append(timeout)
        key = (args[0], args[1])
        if key not in self.answers:
            return 127, "", "%s: not scripted" % (key,)
        answer = self.answers[key]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if answer is HANG:
            raise CallTimedOut()
        return answer(args) if callable(answer) else answer

    def which(self, name):
        return self.paths.get(name)


DOCKER_VERSION = (0, "Docker version 20.10.24+dfsg1, build 297e128\n", "")
PODMAN_VERSION = (0, "podman version 4.3.1\n", "")


def test_auto_prefers_the_engine_that_has_containers():
    host = Host(
        {
            ("/usr/bin/docker", "--version"): DOCKER_VERSION,
            ("/usr/bin/docker", "ps"): (0, "", ""),
            ("/usr/bin/podman", "--version"): PODMAN_VERSION,
            ("/usr/bin/podman", "ps"): (0, "nova_api\n", ""),
        },
        {"docker": "/usr/bin/docker", "podman": "/usr/bin/podman"},
    )
    engine, warnings = find_engine("auto", None, host.which, host.run)
    assert (engine.runtime, engine.executable, warnings) == ("podman", "/usr/bin/podman", [])


def test_auto_warns_when_both_have_containers():
    host = Host(
        {
            ("/usr/bin/docker", "--version"): DOCKER_VERSION,
            ("/usr/bin/docker", "ps"): (0, "a\n", ""),
            ("/usr/bin/podman", "--version"): PODMAN_VERSION,
            ("/usr/bin/podman", "ps"): (0, "b\n", ""),
        },
        {"docker": "/usr/bin/docker", "podman": "/usr/bin/podman"},
    )
    engine, warnings = find_engine("auto", None, host.which, host.run)
    assert engine.runtime == "docker"
    assert len(warnings) == 1 and "set runtime" in warnings[0]


def test_auto_skips_a_daemon_that_does_not_answer():
    host = Host(
        {
            ("/usr/bin/docker", "--version"): DOCKER_VERSION,
            ("/usr/bin/docker", "ps"): (1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."),
            ("/usr/bin/podman", "--version"): PODMAN_VERSION,
            ("/usr/bin/podman", "ps"): (0, "", ""),
        },
        {"docker": "/usr/bin/docker", "podman": "/usr/bin/podman"},
    )
    assert find_engine("auto", None, host.which, host.run)[0].runtime == "podman"
    del host.paths["podman"]
    with pytest.raises(EngineError, match="Cannot connect to the Docker daemon"):
        find_engine("auto", None, host.which, host.run)


def test_no_engine_is_a_clear_error():
    host = Host({}, {})
    with pytest.raises(EngineError, match="no container engine found: docker nor podman not in PATH"):
        find_engine("auto", None, host.which, host.run)
    with pytest.raises(EngineError, match="not found"):
        find_engine("auto", "/nonexistent/docker", host.which, host.run)
    with pytest.raises(EngineError, match="podman not in PATH"):
        find_engine("podman", None, host.which, host.run)


def test_podman_docker_wrapper_is_podman():
    host = Host({("/usr/bin/docker", "--version"): (0, "podman version 4.3.1\n", "")}, {})
    assert runtime_of("/usr/bin/docker", host.run) == "podman"
    host = Host({("/bin/true", "--version"): (0, "", "")}, {})
    with pytest.raises(EngineError, match="neither docker nor podman"):
        runtime_of("/bin/true", host.run)


def test_explicit_runtime_must_match_the_client(tmp_path):
    client = tmp_path / "docker"
    client.write_text("")
    host = Host({(str(client), "--version"): PODMAN_VERSION, (str(client), "ps"): (0, "", "")}, {})
    with pytest.raises(EngineError, match="runtime is docker but .* is a podman client"):
        find_engine("docker", str(client), host.which, host.run)
    assert find_engine("auto", str(client), host.which, host.run)[0].runtime == "podman"


def test_names_and_partial_inspect():
    docs = [{"Name": "/a", "State": {}}]
    host = Host(
        {
            ("docker", "ps"): (0, "a\nb,web/b\n\na\n", ""),
            # One of two names vanished: docker prints the other and exits 1.
            ("docker", "container"): (1, json.dumps(docs), "Error: No such object: b"),
        },
        {},
    )
    engine = Engine("docker", "docker", host.run)
    assert engine.names() == ["a", "b"]
    assert engine.inspect(["a", "b"]) == docs
    assert engine.inspect([]) == []
    host.answers[("docker", "container")] = (1, "[]", "Error: No such object: b")
    assert engine.inspect(["b"]) == []
    host.answers[("docker", "container")] = (1, "", "Error: No such container: b")
    assert engine.inspect(["b"]) == []
    host.answers[("docker", "container")] = (1, "", "permission denied while trying to connect")
    with pytest.raises(EngineError, match="permission denied"):
        engine.inspect(["b"])


def test_run_check_only_on_podman():
    host = Host({("podman", "healthcheck"): (1, "unhealthy\n", "")}, {})
    assert Engine("podman", "podman", host.run).run_check("x") == (1, "unhealthy")
    assert host.calls[-1] == ["podman", "healthcheck", "run", "x"]
    assert Engine("docker", "docker", host.run).run_check("x") is None


class Clock(object):
    """Time that passes only when the code sleeps or a client hangs: exact and instant."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def hanging_host(clock, answers):
    """A Host whose hanging calls take their whole time limit on ``clock``."""
    host = Host(answers, {})
    real_run = host.run

    def run(args, timeout):
        try:
            return real_run(args, timeout)
        except CallTimedOut:
            clock.sleep(timeout)
            raise

    host.run_timed = run
    return host


def engine_on(host, clock, seconds, call_timeout=30):
    budget = Budget(seconds, clock=clock)
    return Engine("/usr/bin/docker", "docker", host.run_timed, budget, call_timeout, clock.sleep), budget


def test_a_hung_client_ends_on_time_naming_the_engine_and_the_call():
    clock = Clock()
    host = hanging_host(clock, {("/usr/bin/docker", "ps"): HANG})
    engine, budget = engine_on(host, clock, 5)
    with pytest.raises(EngineError) as failure:
        engine.names()
    msg = str(failure.value)
    assert msg.startswith("docker engine: `/usr/bin/docker ps` (listing containers) did not answer within 5.0 s")
    assert "timeout of 5s" in msg
    # The one call had the whole budget as its limit, and nothing ran past the deadline.
    assert host.limits == [5.0] and clock() == budget.deadline


def test_the_call_limit_is_the_cap_within_what_is_left():
    clock = Clock()
    host = hanging_host(clock, {("/usr/bin/docker", "ps"): [HANG, HANG, (0, "a\n", "")]})
    engine, budget = engine_on(host, clock, 30, call_timeout=10)
    assert engine.names() == ["a"]
    # 10 s (cap), 1 s pause, 10 s (cap), 1 s pause, then the 8 s that were left.
    assert host.limits == [10, 10, 8.0]
    assert "answered after 2 failed attempts: did not answer within 10.0 s" in engine.recovered[0]
    # With the budget spent, a last call still gets the least limit, or call_timeout if less.
    clock.sleep(60)
    assert engine.limit() == container_engine.MIN_CALL_TIMEOUT
    engine.call_timeout = 2
    assert engine.limit() == 2


@pytest.mark.parametrize("bad", [
    (1, "", "Error response from daemon: i/o timeout"),
    (0, "<html>502 Bad Gateway</html>\n", ""),
    (0, "nova_api\n{\"garbage\": true}\n", ""),
])
def test_a_transient_error_is_retried_within_the_budget(bad):
    clock = Clock()
    host = hanging_host(clock, {("/usr/bin/docker", "ps"): [bad, (0, "nova_api\n", "")]})
    engine, _budget = engine_on(host, clock, 10)
    assert engine.names() == ["nova_api"]
    assert len(host.calls) == 2
    (warning,) = engine.recovered
    assert warning.startswith("docker ps (listing containers) answered after 1 failed attempt: ")


def test_inspect_garbage_is_retried_and_a_lasting_error_ends_the_gate():
    clock = Clock()
    docs = [{"Name": "/a", "State": {"Running": True}}]
    host = hanging_host(clock, {("/usr/bin/docker", "container"): [
        (0, "not json", ""), (0, json.dumps([{"no": "state"}]), ""), (0, json.dumps(docs), "")]})
    engine, _budget = engine_on(host, clock, 10)
    assert engine.inspect(["a"]) == docs
    assert "after 2 failed attempts: printed no JSON list of containers: 'not json'; printed JSON that is not" \
        in engine.recovered[0]

    host.answers[("/usr/bin/docker", "container")] = (1, "", "permission denied while trying to connect")
    engine, budget = engine_on(host, clock, 4)
    with pytest.raises(EngineError, match=r"^docker engine: `/usr/bin/docker container` \(reading the containers' "
                       r"state\) failed \(exit 1\): permission denied while trying to connect \(4 attempts in 3.0 s"):
        engine.inspect(["a"])
    assert clock() <= budget.deadline


def test_without_a_budget_one_attempt():
    host = Host({("docker", "ps"): [(1, "", "boom"), (0, "a\n", "")]}, {})
    with pytest.raises(EngineError, match=r"^docker engine: `docker ps` \(listing containers\) failed \(exit 1\): "
                       r"boom$"):
        Engine("docker", "docker", host.run).names()


def test_detection_asks_again_until_an_engine_answers():
    clock = Clock()
    host = hanging_host(clock, {
        ("/usr/bin/docker", "--version"): DOCKER_VERSION,
        ("/usr/bin/docker", "ps"): [(1, "", "Cannot connect to the Docker daemon"), HANG, (0, "a\n", "")],
    })
    host.paths = {"docker": "/usr/bin/docker"}
    budget = Budget(60, clock=clock)
    engine, warnings = find_engine("auto", None, host.which, host.run_timed, budget, 5, clock.sleep)
    assert engine.runtime == "docker" and engine.names() == ["a"]
    assert warnings[0].startswith("no container engine answered the first 2 times (")
    assert "Cannot connect to the Docker daemon" in warnings[0] and "did not answer within 5.0 s" in warnings[0]

    # A daemon that never answers: the detection ends with the budget, saying so.
    host.answers[("/usr/bin/docker", "ps")] = HANG
    budget = Budget(12, clock=clock)
    with pytest.raises(EngineError, match=r"^docker engine: `/usr/bin/docker ps` \(listing containers\) did not "
                       r"answer within 5.0 s and was killed \(asked 2 times in 11.0 s, until the gate's timeout of 12s"):
        find_engine("docker", None, host.which, host.run_timed, budget, 5, clock.sleep)
    assert clock() <= budget.deadline


def test_the_wrong_client_fails_at_once_even_with_a_budget():
    clock = Clock()
    host = hanging_host(clock, {("/bin/true", "--version"): (0, "", "")})
    with pytest.raises(EngineError, match="neither docker nor podman"):
        find_engine("auto", "/bin/true", host.which, host.run_timed, Budget(300, clock=clock), 5, clock.sleep)
    assert len(host.calls) == 1


def test_run_bounded_kills_a_hanging_client_and_its_children(tmp_path):
    marker = tmp_path / "child-alive"
    # The client starts a helper that outlives it unless the whole group is killed.
    script = "(sleep 3; touch %s) & sleep 30" % marker
    started = time.monotonic()
    with pytest.raises(CallTimedOut):
        run_bounded(["sh", "-c", script], 0.5)
    assert time.monotonic() - started < 2.5
    time.sleep(3.5)
    assert not marker.exists(), "the client's helper survived the timeout"


def test_run_bounded_answers_like_a_shell():
    rc, out, err = run_bounded(["sh", "-c", "echo out; echo err >&2; echo $LC_ALL; exit 3"], 5)
    assert (rc, out, err) == (3, "out\nC\n", "err\n")
    rc, out, err = run_bounded([os.path.join(os.sep, "nonexistent", "docker"), "ps"], 5)
    assert rc == 127 and "/nonexistent/docker" in err


def test_run_check_is_bounded_and_not_retried():
    clock = Clock()
    host = hanging_host(clock, {("/usr/bin/podman", "healthcheck"): HANG})
    budget = Budget(20, clock=clock)
    engine = Engine("/usr/bin/podman", "podman", host.run_timed, budget, 4, clock.sleep)
    rc, output = engine.run_check("nova_api")
    assert rc is None and output == "podman healthcheck run nova_api did not finish within 4.0 s and was killed"
    assert len(host.calls) == 1

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

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils.container_engine import (
    Engine,
    EngineError,
    find_engine,
    runtime_of,
)


class Host(object):
    """Answers commands from a table: {(executable, first arg): (rc, out, err)}."""

    def __init__(self, answers, paths):
        self.answers = answers
        self.paths = paths
        self.calls = []

    def run(self, args):
        self.calls.append(args)
        key = (args[0], args[1])
        if key not in self.answers:
            return 127, "", "%s: not scripted" % (key,)
        answer = self.answers[key]
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
    host = Host({(str(client), "--version"): PODMAN_VERSION}, {})
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

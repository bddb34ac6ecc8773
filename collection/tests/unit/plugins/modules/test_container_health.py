# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The module's polling: one deadline over all containers, early stops, podman check runs.

An in-memory engine whose containers change status at given times stands in for
Docker; tests/containers runs the same module against the real engines.
"""

import json
import os
import threading
import time

import pytest

from ansible_collections.openstack.healthcheck.plugins.modules.container_health import Gate


class TimedEngine(object):
    """Containers that are ``starting`` until their time, then ``final``."""

    def __init__(self, plan, runtime="docker"):
        # plan: name -> (seconds until settled, final status, running[, exit code when not running])
        self.plan = plan
        self.runtime = runtime
        self.start = time.monotonic()
        self.checks = []

    def names(self):
        return list(self.plan)

    def inspect(self, names):
        now = time.monotonic() - self.start
        docs = []
        for name in names:
            after, final, running = self.plan[name][:3]
            exit_code = self.plan[name][3] if len(self.plan[name]) > 3 else (0 if running else 1)
            status = final if now >= after else "starting"
            docs.append({
                "Name": "/" + name,
                "Id": name * 12,
                "Config": {"Image": "img", "Healthcheck": {"Test": ["CMD", "true"]}},
                "State": {"Status": "running" if running else "exited", "Running": running, "ExitCode": exit_code,
                          "Health": {"Status": status, "FailingStreak": 0,
                                     "Log": [{"ExitCode": 0 if status == "healthy" else 1, "Output": status}]}},
            })
        return docs

    def run_check(self, name):
        self.checks.append(name)
        return 0, ""


def params(**overrides):
    p = dict(names=[], exclude=[], expect=[], run_checks=False, wait=True, timeout=10, poll_interval=0.1,
             stop_on_unhealthy=False, require_healthcheck=False, output_limit=500, valid_exit_codes=[0],
             call_timeout=30)
    p.update(overrides)
    return p


def verdicts(records):
    return dict((r["name"], r["verdict"]) for r in records)


def test_time_is_the_slowest_not_the_sum():
    engine = TimedEngine({"a": (0.6, "healthy", True), "b": (0.8, "healthy", True), "c": (1.0, "healthy", True)})
    records, elapsed = Gate(engine, params()).run()
    assert set(verdicts(records).values()) == {"healthy"}
    # The sum of the delays is 2.4s; polling them together takes the slowest's 1.0s (+ generous margin).
    assert 1.0 <= elapsed < 2.0


def test_timeout_bounds_the_wait():
    engine = TimedEngine({"ok": (0, "healthy", True), "slow": (60, "healthy", True)})
    records, elapsed = Gate(engine, params(timeout=0.5)).run()
    assert verdicts(records) == {"ok": "healthy", "slow": "starting"}
    assert 0.5 <= elapsed < 1.5


def test_nothing_left_that_can_change_stops_early():
    engine = TimedEngine({"ok": (0, "healthy", True), "gone": (0, "healthy", False, 1),
                          "done": (0, "healthy", False, 0)})
    records, elapsed = Gate(engine, params(expect=["ghost"])).run()
    assert verdicts(records) == {"gone": "not_running", "ok": "healthy", "ghost": "missing", "done": "exited_ok"}
    assert elapsed < 0.5


def test_one_shot_containers_by_exit_code_and_expect():
    engine = TimedEngine({"db_sync": (0, "healthy", False, 0), "init": (0, "healthy", False, 2),
                          "api": (0, "healthy", True)})
    records = Gate(engine, params(wait=False)).run()[0]
    assert verdicts(records) == {"db_sync": "exited_ok", "init": "not_running", "api": "healthy"}
    records = Gate(engine, params(wait=False, valid_exit_codes=[0, 2])).run()[0]
    assert verdicts(records)["init"] == "exited_ok"
    # expect asks for a running container: one that exited 0 does not do.
    records = Gate(engine, params(wait=False, expect=["db_sync", "in*"], valid_exit_codes=[0, 2])).run()[0]
    assert verdicts(records) == {"db_sync": "not_running", "init": "not_running", "api": "healthy"}


def test_unhealthy_is_polled_until_timeout_unless_asked_to_stop():
    plan = {"bad": (0, "unhealthy", True), "slow": (60, "healthy", True)}
    elapsed = Gate(TimedEngine(plan), params(timeout=0.6)).run()[1]
    assert elapsed >= 0.6
    records, elapsed = Gate(TimedEngine(plan), params(timeout=5, stop_on_unhealthy=True)).run()
    assert verdicts(records)["bad"] == "unhealthy"
    assert elapsed < 0.5


def test_without_wait_one_look():
    records, elapsed = Gate(TimedEngine({"slow": (60, "healthy", True)}), params(wait=False)).run()
    assert verdicts(records) == {"slow": "starting"} and elapsed < 0.5


@pytest.mark.parametrize("runtime, expected", [("podman", ["a", "b"]), ("docker", [])])
def test_run_checks_runs_podman_checks_until_healthy(runtime, expected):
    engine = TimedEngine({"a": (0, "healthy", True), "b": (0.3, "healthy", True), "off": (0, "healthy", False)},
                         runtime=runtime)
    gate = Gate(engine, params(run_checks=True))
    records = gate.run()[0]
    assert verdicts(records) == {"a": "healthy", "b": "healthy", "off": "not_running"}
    # Every running container once (fresh status), then only b while it is not healthy yet.
    assert sorted(set(engine.checks)) == expected
    if runtime == "podman":
        assert engine.checks.count("a") == 1 and engine.checks.count("b") >= 2
    assert gate.checks_run == len(engine.checks)


def test_selection_options():
    engine = TimedEngine({"nova_api": (0, "healthy", True), "nova_init": (0, "healthy", False),
                          "keystone": (0, "healthy", True)})
    selection = params(names=["nova_*", "glance_*"], exclude=["*_init"], expect=["keystone", "cinder_*"], wait=False)
    records = Gate(engine, selection).run()[0]
    assert verdicts(records) == {"keystone": "healthy", "nova_api": "healthy", "cinder_*": "missing"}


def agent_file(path, containers, age=1, interval=1, runtime="docker"):
    """Write the agent's state file as it does: atomically, stamped with the wall clock."""
    doc = {"checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - age)), "interval": interval,
           "errors": [], "containers": [dict(c, runtime=runtime, check="svc",
                                             checked_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
                                        for c in containers]}
    tmp = str(path) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.rename(tmp, str(path))


def agent_params(path, **overrides):
    return params(source="agent", agent_state_file=str(path), agent_max_age=3, **overrides)


def test_agent_verdicts_and_not_ours_from_the_engine(tmp_path):
    # The engine's checks say the opposite of the agent: the agent is asked, except where it
    # says the container is not its own.
    engine = TimedEngine({"api": (0, "unhealthy", True), "db": (0, "healthy", True), "cache": (0, "healthy", True),
                          "sync": (0, "healthy", False, 0)})
    path = tmp_path / "agent.json"
    agent_file(path, [{"name": "api", "id": "api" * 12, "healthy": True, "reason": "", "output": "api: 200"},
                      {"name": "db", "id": "db" * 12, "healthy": False, "reason": "refused", "output": ""},
                      {"name": "cache", "id": "cache" * 12, "healthy": None, "reason": "", "output": ""}])
    gate = Gate(engine, agent_params(path, wait=False))
    records = gate.run()[0]
    assert verdicts(records) == {"api": "healthy", "db": "unhealthy", "cache": "healthy", "sync": "exited_ok"}
    sources = dict((r["name"], r["health_source"]) for r in records)
    assert sources == {"api": "agent", "db": "agent", "cache": "engine", "sync": "engine"}
    assert gate.agent_error is None and gate.agent.describe()["containers"] == 3


def test_engine_source_ignores_the_agent_file(tmp_path):
    path = tmp_path / "agent.json"
    agent_file(path, [{"name": "api", "id": "api" * 12, "healthy": True, "reason": "", "output": ""}])
    records = Gate(TimedEngine({"api": (0, "unhealthy", True)}), params(wait=False, agent_state_file=str(path))).run()[0]
    assert verdicts(records) == {"api": "unhealthy"} and "health_source" not in records[0]


def test_wait_until_the_agent_says_healthy(tmp_path):
    path = tmp_path / "agent.json"
    api = {"name": "api", "id": "api" * 12, "healthy": False, "reason": "", "output": "api: refused"}
    agent_file(path, [api])
    engine = TimedEngine({"api": (0, "unhealthy", True)})
    timer = threading.Timer(0.5, agent_file, (path, [dict(api, healthy=True, output="api: 200")]))
    timer.start()
    try:
        records, elapsed = Gate(engine, agent_params(path, timeout=10)).run()
    finally:
        timer.cancel()
    assert verdicts(records) == {"api": "healthy"} and records[0]["output"] == "api: 200"
    assert 0.5 <= elapsed < 5


def test_missing_file_is_waited_for_then_fails_naming_it(tmp_path):
    path = tmp_path / "agent.json"
    engine = TimedEngine({"api": (0, "healthy", True)})
    gate = Gate(engine, agent_params(path, timeout=0.6))
    elapsed = gate.run()[1]
    assert elapsed >= 0.6
    assert gate.agent is None and str(path) in str(gate.agent_error) and "does not exist" in str(gate.agent_error)
    # The agent's first round during the wait ends it.
    timer = threading.Timer(0.3, agent_file, (path, [{"name": "api", "id": "api" * 12, "healthy": True,
                                                      "reason": "", "output": ""}]))
    timer.start()
    try:
        gate = Gate(engine, agent_params(path, timeout=10))
        records, elapsed = gate.run()
    finally:
        timer.cancel()
    assert gate.agent_error is None and verdicts(records) == {"api": "healthy"} and elapsed < 5


def test_stale_file_fails_even_where_the_engine_says_healthy(tmp_path):
    path = tmp_path / "agent.json"
    agent_file(path, [{"name": "api", "id": "api" * 12, "healthy": True, "reason": "", "output": ""}], age=10)
    gate = Gate(TimedEngine({"api": (0, "healthy", True)}), agent_params(path, wait=False))
    gate.run()
    assert "stale" in str(gate.agent_error) and str(path) in str(gate.agent_error)
    # stop_on_unhealthy does not end the wait on the engine's word while the file is stale.
    gate = Gate(TimedEngine({"api": (0, "unhealthy", True)}), agent_params(path, timeout=0.5, stop_on_unhealthy=True))
    assert gate.run()[1] >= 0.5 and gate.agent_error is not None


def test_run_checks_leaves_the_agents_containers_alone(tmp_path):
    path = tmp_path / "agent.json"
    agent_file(path, [{"name": "a", "id": "a" * 12, "healthy": True, "reason": "", "output": ""},
                      {"name": "b", "id": "b" * 12, "healthy": None, "reason": "", "output": ""}], runtime="podman")
    engine = TimedEngine({"a": (60, "healthy", True), "b": (0.3, "healthy", True)}, runtime="podman")
    records = Gate(engine, agent_params(path, run_checks=True)).run()[0]
    assert verdicts(records) == {"a": "healthy", "b": "healthy"}
    assert set(engine.checks) == {"b"}

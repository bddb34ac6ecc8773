# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The module's polling: one deadline over all containers, early stops, podman check runs.

An in-memory engine whose containers change status at given times stands in for
Docker; tests/containers runs the same module against the real engines.
"""

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

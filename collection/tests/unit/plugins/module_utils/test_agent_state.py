# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The host agent's state file: times, freshness, bad files, and its verdicts over the engine's."""

import calendar
import json
import os
import time

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils import agent_state
from ansible_collections.openstack.healthcheck.plugins.module_utils import container_status as cs

NOW = float(calendar.timegm((2026, 1, 1, 12, 0, 0, 0, 0, 0)))


def stamp(seconds_before_now):
    """RFC 3339 UTC of NOW less some seconds, as the agent writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - seconds_before_now))


def state_doc(containers, age=5, interval=30, errors=None):
    return {"checked_at": stamp(age), "interval": interval, "errors": errors or [], "containers": containers}


def entry(name, healthy, cid=None, output="", reason="", check="nova-api", age=5, runtime="docker"):
    return {"name": name, "id": cid or (name * 64)[:64], "runtime": runtime, "check": check, "healthy": healthy,
            "reason": reason, "output": output, "checked_at": stamp(age)}


def write(tmp_path, doc):
    path = tmp_path / "agent.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def engine_record(name, status="none", running=True, state="running", exit_code=0, check=True, cid=None):
    inspect = {
        "Name": "/" + name,
        "Id": cid or (name * 64)[:64],
        "Config": {"Image": "img", "Healthcheck": {"Test": ["CMD", "healthcheck_curl", "x"]} if check else {}},
        "State": {"Status": state, "Running": running, "ExitCode": exit_code},
    }
    if status != "none":
        inspect["State"]["Health"] = {"Status": status, "FailingStreak": 4 if status == "unhealthy" else 0,
                                      "Log": [{"ExitCode": 0 if status == "healthy" else 1,
                                               "Output": "engine says " + status, "End": "then"}]}
    return cs.container_record(inspect, "docker")


@pytest.mark.parametrize("text,expected", [
    ("2026-01-01T12:00:00Z", NOW),
    ("2026-01-01T12:00:00.250Z", NOW + 0.25),
    ("2026-01-01T12:00:00.123456789Z", NOW + 0.123456789),
    ("2026-01-01t12:00:00z", NOW),
    ("2026-01-01T13:30:00+01:30", NOW),
    ("2026-01-01T10:00:00-02:00", NOW),
])
def test_rfc3339_times(text, expected):
    assert agent_state.parse_time(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "2026-01-01", "2026-01-01T12:00:00", "2026-13-01T12:00:00Z", "yesterday",
                                  "2026-01-01T12:00:00+0100", None, 1767268800])
def test_not_rfc3339(text):
    assert agent_state.parse_time(text) is None


def test_fresh_file_is_read(tmp_path):
    path = write(tmp_path, state_doc([entry("nova_api", True)], age=80, errors=["podman: no answer"]))
    state = agent_state.read_state(path, NOW, 3)
    assert state.interval == 30 and state.age == pytest.approx(80)
    assert [e["name"] for e in state.containers] == ["nova_api"]
    assert state.describe() == {"state_file": path, "checked_at": stamp(80), "interval": 30, "age": 80.0,
                                "errors": ["podman: no answer"], "containers": 1}


def test_stale_file_fails_naming_the_file(tmp_path):
    path = write(tmp_path, state_doc([entry("nova_api", True)], age=91, interval=30))
    with pytest.raises(agent_state.AgentStateError) as e:
        agent_state.read_state(path, NOW, 3)
    message = str(e.value)
    assert path in message and "stale" in message and "91s ago" in message and "3 intervals of 30s" in message
    # A longer allowance takes the same file.
    assert agent_state.read_state(path, NOW, 4).age == pytest.approx(91)


def test_file_from_the_future_fails(tmp_path):
    path = write(tmp_path, state_doc([], age=-120, interval=30))
    with pytest.raises(agent_state.AgentStateError, match="ahead of this host's clock"):
        agent_state.read_state(path, NOW, 3)
    # Less than an interval ahead is a round that ended while we looked.
    assert agent_state.read_state(write(tmp_path, state_doc([], age=-10)), NOW, 3).containers == []


def test_missing_file_fails_naming_the_file(tmp_path):
    path = str(tmp_path / "nowhere" / "agent.json")
    with pytest.raises(agent_state.AgentStateError) as e:
        agent_state.read_state(path, NOW, 3)
    assert path in str(e.value) and "does not exist" in str(e.value)


def test_unreadable_directory_fails_naming_the_file(tmp_path):
    # A directory where the file should be: unreadable as a file, for root too.
    path = str(tmp_path / "agent.json")
    os.mkdir(path)
    with pytest.raises(agent_state.AgentStateError, match="cannot read agent state file " + path):
        agent_state.read_state(path, NOW, 3)


@pytest.mark.parametrize("doc,complaint", [
    ("{not json", "is not valid JSON"),
    ("[]", "must hold a JSON object"),
    ({"interval": 30, "containers": []}, "checked_at must be an RFC 3339 time"),
    ({"checked_at": "2026-01-01 12:00", "interval": 30, "containers": []}, "checked_at must be an RFC 3339 time"),
    ({"checked_at": "2026-01-01T12:00:00Z", "containers": []}, "interval must be a positive number"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 0, "containers": []}, "interval must be a positive number"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": True, "containers": []}, "interval must be a positive"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": "30", "containers": []}, "interval must be a positive"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30}, "containers must be a list"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30, "containers": [], "errors": "x"}, "errors must be a list"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30, "containers": ["nova_api"]},
     "containers[0] must be an object"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30, "containers": [{"healthy": True}]},
     "containers[0] has neither a name nor an id"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30, "containers": [{"name": "a", "healthy": "yes"}]},
     "containers[0].healthy must be true, false or null"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30, "containers": [{"name": "a", "healthy": 1}]},
     "containers[0].healthy must be true, false or null"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30, "containers": [{"name": 7, "healthy": True}]},
     "containers[0].name must be a string"),
    ({"checked_at": "2026-01-01T12:00:00Z", "interval": 30,
      "containers": [{"name": "a", "healthy": True, "checked_at": "noon"}]},
     "containers[0].checked_at is not an RFC 3339 time"),
])
def test_malformed_files_fail_naming_the_file(tmp_path, doc, complaint):
    path = write(tmp_path, doc)
    with pytest.raises(agent_state.AgentStateError) as e:
        agent_state.read_state(path, NOW, 3)
    assert path in str(e.value) and complaint in str(e.value)


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(agent_state, "MAX_STATE_BYTES", 64)
    path = write(tmp_path, state_doc([entry("nova_api", True)]))
    with pytest.raises(agent_state.AgentStateError, match="larger than 64 bytes"):
        agent_state.read_state(path, NOW, 3)


def apply(records, containers, age=5, interval=30, max_age=3):
    state = agent_state.parse_state(json.dumps(state_doc(containers, age, interval)), "/run/agent.json", NOW, max_age)
    return dict((r["name"], r) for r in agent_state.apply_state(records, state, NOW, max_age))


def test_agent_verdicts_replace_the_engines_health():
    records = [engine_record("nova_api", "unhealthy"), engine_record("keystone", "healthy"),
               engine_record("glance_api", "none", check=False)]
    out = apply(records, [
        entry("nova_api", True, output="nova-api: http://10.0.0.5:8774/ 200 0.004s"),
        entry("keystone", False, reason="connection refused", output="keystone: 10.0.0.5:5000 connection refused",
              check="keystone"),
        # A check the agent runs from a label, where the engine has none.
        entry("glance_api", True, reason="ok", output="", check="glance-api"),
    ])
    assert out["nova_api"]["verdict"] == cs.HEALTHY and out["nova_api"]["status"] == "healthy"
    assert out["nova_api"]["output"] == "nova-api: http://10.0.0.5:8774/ 200 0.004s"
    assert out["nova_api"]["failing_streak"] == 0 and out["nova_api"]["check_exit_code"] == 0
    assert out["keystone"]["verdict"] == cs.UNHEALTHY and out["keystone"]["check_exit_code"] == 1
    assert out["keystone"]["output"] == "keystone: 10.0.0.5:5000 connection refused"
    assert out["keystone"]["agent_check"] == "keystone"
    # No output: the reason says why.
    assert out["glance_api"]["verdict"] == cs.HEALTHY and out["glance_api"]["output"] == "ok"
    assert {r["health_source"] for r in out.values()} == {"agent"}
    assert out["nova_api"]["checked_at"] == stamp(5)


def test_not_ours_keeps_the_engines_health():
    records = [engine_record("ovn_controller", "unhealthy"), engine_record("memcached", "healthy")]
    out = apply(records, [entry("ovn_controller", None, check=""), entry("memcached", None, check="")])
    assert out["ovn_controller"]["verdict"] == cs.UNHEALTHY
    assert out["ovn_controller"]["output"] == "engine says unhealthy"
    assert out["ovn_controller"]["failing_streak"] == 4
    assert out["memcached"]["verdict"] == cs.HEALTHY
    assert {r["health_source"] for r in out.values()} == {"engine"}
    assert {r["agent_check"] for r in out.values()} == {None}


def test_stopped_and_missing_containers_are_judged_by_the_engine():
    records = [engine_record("nova_db_sync", "none", running=False, state="exited", exit_code=0, check=False),
               engine_record("nova_conductor", "healthy", running=False, state="exited", exit_code=137),
               cs.missing_record("heat_api", "docker")]
    out = apply(records, [entry("nova_db_sync", True), entry("nova_conductor", True), entry("heat_api", True)])
    assert out["nova_db_sync"]["verdict"] == cs.EXITED_OK
    assert out["nova_conductor"]["verdict"] == cs.NOT_RUNNING
    assert out["heat_api"]["verdict"] == cs.MISSING
    assert {r["health_source"] for r in out.values()} == {"engine"}


def test_a_container_the_agent_has_not_seen_is_starting():
    out = apply([engine_record("nova_api", "healthy")], [entry("keystone", True)])
    record = out["nova_api"]
    assert record["verdict"] == cs.STARTING and record["health_source"] == "agent"
    assert "not in the agent's state file /run/agent.json yet" in record["output"]


def test_a_container_created_again_under_the_same_name_is_not_judged_by_the_old_one():
    out = apply([engine_record("nova_api", "healthy", cid="b" * 64)], [entry("nova_api", True, cid="a" * 64)])
    assert out["nova_api"]["verdict"] == cs.STARTING


def test_ids_match_short_or_full_and_runtime_counts():
    full = "c" * 64
    out = apply([engine_record("nova_api", "healthy", cid=full)], [entry("renamed", False, cid=full[:12])])
    assert out["nova_api"]["verdict"] == cs.UNHEALTHY
    # The same ID from the other engine is another container.
    out = apply([engine_record("nova_api", "healthy", cid=full)], [entry("nova_api", False, cid=full, runtime="podman")])
    assert out["nova_api"]["verdict"] == cs.STARTING
    # An entry without an ID is matched by name.
    out = apply([engine_record("nova_api", "healthy")], [dict(entry("nova_api", False), id="")])
    assert out["nova_api"]["verdict"] == cs.UNHEALTHY


def test_a_stale_result_in_a_fresh_file_is_not_trusted():
    out = apply([engine_record("nova_api", "healthy"), engine_record("keystone", "healthy")],
                [entry("nova_api", True, age=200), entry("keystone", True, age=80)])
    assert out["nova_api"]["verdict"] == cs.STARTING
    assert "is 200s old, more than 3 intervals of 30s" in out["nova_api"]["output"]
    assert out["keystone"]["verdict"] == cs.HEALTHY


def test_output_is_folded_and_cut():
    state = agent_state.parse_state(json.dumps(state_doc([entry("a", False, output="line one\nline two" + "x" * 600)])),
                                    "/run/agent.json", NOW)
    record = agent_state.apply_state([engine_record("a", "healthy")], state, NOW, output_limit=40)[0]
    assert record["output"].startswith("line one / line two") and len(record["output"]) == 40

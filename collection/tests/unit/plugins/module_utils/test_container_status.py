# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate's pure logic on real ``inspect`` output captured from Docker 20.10 and podman 4.3.

The fixtures come from containers of tests/containers/image: ``ok`` (check passes),
``bad`` (check fails with a distinctive line), ``late`` (inside its start period),
``none`` (no check), ``exit`` (exited with code 3); podman ones before and after
``podman healthcheck run``. podman 3 wrote ``State.Healthcheck`` instead of
``State.Health``; no podman 3 runs here, so that case renames the key of a real
podman 4 document (the section's fields are the same in both versions).
"""

import copy
import json
import os

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils import container_status as cs

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def inspect(name):
    with open(os.path.join(FIXTURES, "inspect_%s.json" % name)) as f:
        return json.load(f)[0]


@pytest.mark.parametrize(
    "fixture, runtime, status, verdict, output",
    [
        ("docker_ok", "docker", "healthy", cs.HEALTHY, "all good"),
        ("docker_bad", "docker", "unhealthy", cs.UNHEALTHY, "db: connection refused on 3306"),
        ("docker_late", "docker", "starting", cs.STARTING, "not ready yet"),
        ("docker_none", "docker", "none", cs.NO_HEALTHCHECK, ""),
        ("docker_exit", "docker", "none", cs.NOT_RUNNING, ""),
        ("podman_ok", "podman", "healthy", cs.HEALTHY, "all good"),
        ("podman_ok_starting", "podman", "starting", cs.STARTING, ""),
        ("podman_bad", "podman", "unhealthy", cs.UNHEALTHY, "db: connection refused on 3306"),
        ("podman_none", "podman", "none", cs.NO_HEALTHCHECK, ""),
    ],
)
def test_record_from_real_inspect(fixture, runtime, status, verdict, output):
    data = inspect(fixture)
    record = cs.container_record(data, runtime)
    assert record["status"] == status
    assert record["verdict"] == verdict
    assert record["output"] == output
    assert record["runtime"] == runtime
    assert record["name"] == data["Name"].lstrip("/")
    assert not record["name"].startswith("/")
    assert len(record["id"]) == 12


def test_docker_details():
    bad = cs.container_record(inspect("docker_bad"), "docker")
    assert bad["failing_streak"] == 5
    assert bad["health_log_len"] == 5
    assert bad["check_exit_code"] == 1
    assert bad["healthcheck"][0] == "CMD-SHELL"
    assert bad["image"] == "ohc-gate-test:latest"
    exited = cs.container_record(inspect("docker_exit"), "docker")
    assert exited["state"] == "exited" and exited["exit_code"] == 3 and not exited["running"]


def test_podman3_healthcheck_key():
    data = copy.deepcopy(inspect("podman_bad"))
    data["State"]["Healthcheck"] = data["State"].pop("Health")
    record = cs.container_record(data, "podman")
    assert record["status"] == "unhealthy"
    assert record["failing_streak"] == 3
    assert record["output"] == "db: connection refused on 3306"


def test_podman_empty_health_section_means_no_check():
    # podman 4 writes {"Status": "", "Log": null} for a container without a check.
    data = inspect("podman_none")
    assert data["State"]["Health"]["Status"] == ""
    assert cs.container_record(data, "podman")["verdict"] == cs.NO_HEALTHCHECK


def test_configured_check_but_no_status_yet_is_starting():
    data = copy.deepcopy(inspect("docker_ok"))
    del data["State"]["Health"]
    assert cs.container_record(data, "docker")["verdict"] == cs.STARTING


def test_disabled_check_is_no_check():
    data = copy.deepcopy(inspect("docker_none"))
    data["Config"]["Healthcheck"] = {"Test": ["NONE"]}
    assert cs.configured_check(data) is None


def test_exited_container_keeps_no_health_verdict():
    data = copy.deepcopy(inspect("docker_bad"))
    data["State"].update(Status="exited", Running=False, ExitCode=137)
    record = cs.container_record(data, "docker")
    assert record["verdict"] == cs.NOT_RUNNING
    assert "exit code 137" in cs.describe(record)


@pytest.mark.parametrize("state, code, codes, expected", [
    ("exited", 0, [0], cs.EXITED_OK),
    ("stopped", 0, [0], cs.EXITED_OK),  # podman, after podman stop
    ("exited", 2, [0, 2], cs.EXITED_OK),
    ("exited", 1, [0], cs.NOT_RUNNING),
    ("exited", 0, [], cs.NOT_RUNNING),  # an empty list accepts no exit at all
    ("created", 0, [0], cs.NOT_RUNNING),  # never ran: inspect says 0 all the same
    ("dead", 0, [0], cs.NOT_RUNNING),
])
def test_one_shot_containers_pass_with_an_accepted_exit_code(state, code, codes, expected):
    data = copy.deepcopy(inspect("docker_exit"))
    data["State"].update(Status=state, Running=False, ExitCode=code)
    record = cs.container_record(data, "docker", valid_exit_codes=codes)
    assert record["verdict"] == expected
    assert not cs.can_change(record)
    lists, failed = cs.classify([record])
    assert lists[expected] == [record["name"]]
    assert failed == ([] if expected == cs.EXITED_OK else [record["name"]])


def test_restarting_with_exit_code_zero_is_not_done():
    data = copy.deepcopy(inspect("docker_exit"))
    data["State"].update(Status="exited", Running=False, Restarting=True, ExitCode=0)
    assert cs.container_record(data, "docker")["verdict"] == cs.NOT_RUNNING


def test_paused_and_restarting_are_not_running():
    data = copy.deepcopy(inspect("docker_ok"))
    data["State"].update(Status="paused", Paused=True)
    assert cs.container_record(data, "docker")["verdict"] == cs.NOT_RUNNING
    data["State"].update(Status="restarting", Paused=False, Restarting=True)
    record = cs.container_record(data, "docker")
    assert record["verdict"] == cs.NOT_RUNNING
    assert cs.can_change(record)


def test_output_is_bounded_and_one_line():
    data = copy.deepcopy(inspect("docker_bad"))
    data["State"]["Health"]["Log"][-1]["Output"] = "first line\n\x1b[31mred\x1b[0m\n" + "x" * 5000
    record = cs.container_record(data, "docker", output_limit=100)
    assert len(record["output"]) == 100
    assert record["output"].startswith("first line / ")
    assert record["output"].endswith("...")
    assert "\n" not in record["output"] and "\x1b" not in record["output"]


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        (None, 10, ""),
        ("", 10, ""),
        ("  ok  \n", 10, "ok"),
        ("a\n\nb\r\nc", 50, "a / b / c"),
        ("tab\there", 50, "tab here"),
        ("abcdefghij", 10, "abcdefghij"),
        ("abcdefghijk", 10, "abcdefg..."),
    ],
)
def test_one_line(text, limit, expected):
    assert cs.one_line(text, limit) == expected


def test_select_names_globs_exact_and_missing():
    available = ["nova_api", "nova_compute", "keystone", "neutron_l3_agent", "nova_api_bootstrap"]
    selected, missing, unmatched = cs.select_names(available, ["nova_*", "keystone", "glance_api", "cinder_*"])
    assert selected == ["nova_api", "nova_compute", "keystone", "nova_api_bootstrap"]
    assert missing == ["glance_api"]
    assert unmatched == ["cinder_*"]
    selected = cs.select_names(available, ["nova_*"], exclude=["*_bootstrap"])[0]
    assert selected == ["nova_api", "nova_compute"]
    selected, missing, unmatched = cs.select_names(available, [])
    assert selected == available and not missing and not unmatched
    # Globs are case-sensitive like container names, and [] classes work.
    assert cs.select_names(available, ["NOVA_*"])[0] == []
    assert cs.select_names(available, ["neutron_l[0-9]_agent"])[0] == ["neutron_l3_agent"]


def test_classify_and_message():
    records = [cs.container_record(inspect(n), "docker") for n in ("docker_ok", "docker_bad", "docker_none")]
    records.append(cs.missing_record("glance_api", "docker"))
    lists, failed = cs.classify(records)
    assert lists[cs.HEALTHY] == [records[0]["name"]]
    assert failed == [records[1]["name"], "glance_api"]
    msg = cs.failure_message(records, failed)
    assert msg.startswith("2 of 4 containers not healthy: ")
    assert "unhealthy (failing streak 5): db: connection refused on 3306" in msg
    assert "glance_api: missing" in msg
    failed = cs.classify(records, require_healthcheck=True)[1]
    assert records[2]["name"] in failed
    counts = cs.summary(records, lists, 1.23456, "docker")
    assert counts["total"] == 4 and counts["missing"] == 1 and counts["elapsed"] == 1.235


def test_can_change():
    late = cs.container_record(inspect("docker_late"), "docker")
    bad = cs.container_record(inspect("docker_bad"), "docker")
    exited = cs.container_record(inspect("docker_exit"), "docker")
    assert cs.can_change(late)
    assert cs.can_change(bad) and not cs.can_change(bad, stop_on_unhealthy=True)
    assert not cs.can_change(exited)
    assert not cs.can_change(cs.missing_record("x", "docker"))
    assert not cs.can_change(cs.container_record(inspect("docker_ok"), "docker"))

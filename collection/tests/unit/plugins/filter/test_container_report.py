# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate report: rows over hosts, the table, the failure lines and JUnit XML."""

import xml.etree.ElementTree as ET

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack.healthcheck.plugins.filter.container_report import (
    health_failures,
    health_junit,
    health_report,
    health_table,
)


def container(name, verdict, output="", state="running", exit_code=0):
    return {"name": name, "verdict": verdict, "status": verdict, "output": output, "state": state,
            "exit_code": exit_code}


HOSTVARS = {
    "ctl1": {
        "healthcheck_result": {
            "passed": False,
            "msg": "2 of 4 containers not healthy",
            "containers": [
                container("keystone", "healthy", "keystone: http://10.0.0.5:5000/v3 200 0.004s"),
                container("nova_api", "unhealthy", "nova-api: connection refused <&>\""),
                container("cron", "no_healthcheck"),
                container("nova_db_sync", "not_running", state="exited", exit_code=1),
            ],
            "failed_containers": ["nova_api", "nova_db_sync"],
        }
    },
    "cmp1": {"healthcheck_result": {"passed": True, "containers": [container("nova_compute", "healthy", "ok")],
                                    "failed_containers": []}},
    "cmp2": {"healthcheck_result": {"passed": False, "msg": "no container engine found: docker nor podman not in PATH"}},
    "cmp3": {},
}


def test_report_rows_and_host_errors():
    report = health_report(HOSTVARS, ["ctl1", "cmp1", "cmp2", "cmp3"])
    assert report["passed"] is False
    assert report["hosts"]["cmp1"]["passed"] is True
    assert report["hosts"]["cmp2"] == {"passed": False, "msg": "no container engine found: docker nor podman not in PATH"}
    assert "unreachable" in report["hosts"]["cmp3"]["msg"]
    statuses = [(r["host"], r["container"], r["status"], r["failed"]) for r in report["rows"]]
    assert statuses == [
        ("ctl1", "keystone", "healthy", False),
        ("ctl1", "nova_api", "unhealthy", True),
        ("ctl1", "cron", "no check", False),
        ("ctl1", "nova_db_sync", "exited (exit 1)", True),
        ("cmp1", "nova_compute", "healthy", False),
        ("cmp2", "-", "error", True),
        ("cmp3", "-", "error", True),
    ]
    assert health_report(HOSTVARS, ["cmp1"])["passed"] is True
    # A host name not in hostvars at all is an error row too, not a crash.
    assert health_report(HOSTVARS, "nowhere")["rows"][0]["status"] == "error"


def test_a_result_without_passed_fails_closed():
    hostvars = {"h": {"healthcheck_result": {"passed": False, "containers": [container("c", "healthy")], "failed_containers": []}}}
    assert health_report(hostvars, ["h"])["passed"] is False


def test_nothing_selected_fails_unless_allowed():
    hostvars = {"h": {"healthcheck_result": {"passed": True, "containers": [], "failed_containers": []}}}
    report = health_report(hostvars, ["h"])
    assert report["passed"] is False
    assert report["rows"][0]["status"] == "none selected" and report["rows"][0]["failed"]
    assert health_failures(report) == ["h/-: none selected: no container matched"]
    report = health_report(hostvars, ["h"], allow_empty=True)
    assert report["passed"] is True and not report["rows"][0]["failed"]


def test_table_is_aligned():
    lines = health_table(health_report(HOSTVARS, ["ctl1", "cmp1"]))
    assert lines[0].split() == ["HOST", "CONTAINER", "STATUS", "LAST", "CHECK", "OUTPUT"]
    column = lines[0].index("STATUS")
    assert all(line[column - 2:column] == "  " for line in lines)
    assert lines[2].startswith("ctl1  nova_api")
    assert lines[2].endswith("nova-api: connection refused <&>\"")
    assert lines[3].rstrip() == lines[3]  # no trailing blanks when there is no output
    long_output = {"h": {"healthcheck_result": {"passed": True, "failed_containers": [],
                                                "containers": [container("c", "healthy", "y" * 400)]}}}
    assert len(health_table(health_report(long_output, ["h"]), width=50)[1].split()[-1]) == 50


def test_failures_name_every_bad_container_with_output():
    lines = health_failures(health_report(HOSTVARS, ["ctl1", "cmp1", "cmp2"]))
    assert lines == [
        "ctl1/nova_api: unhealthy: nova-api: connection refused <&>\"",
        "ctl1/nova_db_sync: exited (exit 1)",
        "cmp2/-: error: no container engine found: docker nor podman not in PATH",
    ]


def test_junit_parses_and_counts():
    xml = health_junit(health_report(HOSTVARS, ["ctl1", "cmp1", "cmp2"]))
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite.get("tests") == "6" and suite.get("failures") == "2"
    assert suite.get("errors") == "1" and suite.get("skipped") == "1"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    failure = cases[("ctl1", "nova_api")].find("failure")
    assert failure.get("message") == "unhealthy: nova-api: connection refused <&>\""
    assert failure.get("type") == "unhealthy"
    assert cases[("cmp2", "-")].find("error") is not None
    assert cases[("ctl1", "cron")].find("skipped") is not None
    assert cases[("cmp1", "nova_compute")].find("failure") is None


def test_one_shot_containers_show_as_exited_and_pass():
    hostvars = {"ctl1": {"healthcheck_result": {
        "passed": True, "failed_containers": [],
        "containers": [container("keystone", "healthy", "ok"),
                       container("nova_db_sync", "exited_ok", "", state="exited", exit_code=0)]}}}
    report = health_report(hostvars, ["ctl1"])
    assert report["passed"] is True
    assert [(r["container"], r["status"], r["failed"]) for r in report["rows"]] == [
        ("keystone", "healthy", False), ("nova_db_sync", "exited (ok, exit 0)", False)]
    assert health_table(report)[2].split()[:4] == ["ctl1", "nova_db_sync", "exited", "(ok,"]
    assert health_failures(report) == []
    suite = ET.fromstring(health_junit(report)).find("testsuite")
    assert suite.get("failures") == "0" and suite.get("skipped") == "0"
    case = [c for c in suite.findall("testcase") if c.get("name") == "nova_db_sync"][0]
    assert "accepted exit code" in case.find("system-out").text


def test_renderers_reject_other_input():
    for render in (health_table, health_failures, health_junit):
        with pytest.raises(AnsibleFilterError, match="health_report"):
            render({"not": "a report"})


def test_failures_do_not_repeat_the_status():
    hostvars = {"h": {"healthcheck_result": {"passed": False, "containers": [
        container("redis", "unhealthy", "unhealthy: redis 127.0.0.1:6379: connection refused")],
        "failed_containers": ["redis"]}}}
    assert health_failures(health_report(hostvars, ["h"])) == ["h/redis: unhealthy: redis 127.0.0.1:6379: connection refused"]


def test_rows_say_where_the_health_came_from():
    hostvars = {
        "ctl1": {"healthcheck_result": {"passed": True, "failed_containers": [], "containers": [
            dict(container("nova_api", "healthy", "nova-api: 200"), health_source="agent"),
            dict(container("memcached", "healthy"), health_source="engine"),
            container("keystone", "healthy"),
        ]}},
        "ctl2": {"healthcheck_result": {"passed": False, "msg": "agent state file /run/a.json is stale: written at ..."}},
    }
    report = health_report(hostvars, ["ctl1", "ctl2"])
    assert [(r["container"], r["source"]) for r in report["rows"]] == [
        ("nova_api", "agent"), ("memcached", "engine"), ("keystone", "engine"), ("-", "")]
    # A stale agent file is the host's error, named in every rendering.
    assert report["rows"][3]["status"] == "error" and "/run/a.json is stale" in report["rows"][3]["output"]
    assert any("/run/a.json is stale" in line for line in health_failures(report))
    assert any("/run/a.json is stale" in line for line in health_table(report))
    error = ET.fromstring(health_junit(report)).find(".//testcase[@classname='ctl2']/error")
    assert "/run/a.json is stale" in error.get("message")

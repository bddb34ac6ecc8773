"""container_health and validate.yml against a real Docker engine.

Containers: healthy, unhealthy (a distinctive one-line check output), turning healthy
late, no check, exited, and missing ones; the module must report each right, wait for
the slowest only, and the gate must pass or fail naming the bad ones with their output.
"""

import json
import math
import os
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO, RUN_ID, by_name

BAD_OUTPUT = "db: connection refused on 3306 (gate test)"
BAD_CHECK = 'echo "%s"; exit 1' % BAD_OUTPUT
OK_CHECK = "echo all good"
LATE_CHECK = "test -f /tmp/ready || { echo not ready yet; exit 1; }"
VALIDATE = os.path.join(REPO, "playbooks", "validate.yml")


def late_command(seconds=None, at=None):
    """Become ready ``seconds`` after the container starts, or at the wall-clock time ``at``."""
    if at is not None:
        wait = "until [ $(date +%%s) -ge %d ]; do sleep 0.2; done" % math.ceil(at)
    else:
        wait = "sleep %s" % seconds
    return "%s; touch /tmp/ready; exec sleep 3600" % wait


def name(suffix):
    return "ohc-%s-%s" % (RUN_ID, suffix)


def test_each_kind_of_container(docker, module):
    ok = docker.start(name("kinds-ok"), OK_CHECK)
    bad = docker.start(name("kinds-bad"), BAD_CHECK)
    never = docker.start(name("kinds-never"), LATE_CHECK, command=late_command(3600), start_period="300s")
    none = docker.start(name("kinds-none"))
    exited = docker.start(name("kinds-exited"), command="exit 3")
    missing = name("kinds-missing")
    result, _ = module({"names": [name("kinds-*")], "expect": [missing], "wait": True, "timeout": 6,
                        "poll_interval": 1})
    assert result["passed"] is False
    assert result["runtime"] == "docker"
    c = by_name(result)
    assert (c[ok]["verdict"], c[ok]["status"], c[ok]["output"]) == ("healthy", "healthy", "all good")
    assert (c[bad]["verdict"], c[bad]["output"]) == ("unhealthy", BAD_OUTPUT)
    assert c[bad]["failing_streak"] >= 2 and c[bad]["check_exit_code"] == 1
    assert (c[never]["verdict"], c[never]["output"]) == ("starting", "not ready yet")
    assert (c[none]["verdict"], c[none]["status"]) == ("no_healthcheck", "none")
    assert (c[exited]["verdict"], c[exited]["state"], c[exited]["exit_code"]) == ("not_running", "exited", 3)
    assert c[missing]["verdict"] == "missing"
    assert sorted(result["failed_containers"]) == sorted([bad, never, exited, missing])
    assert result["unhealthy"] == [bad] and result["starting"] == [never]
    assert result["not_running"] == [exited] and result["missing"] == [missing]
    assert result["no_healthcheck"] == [none] and result["healthy"] == [ok]
    # The message names every bad container with its check's own output.
    msg = result["msg"]
    for bad_one in (bad, never, exited, missing):
        assert bad_one in msg
    assert BAD_OUTPUT in msg and "not ready yet" in msg and "exit code 3" in msg
    assert ok not in msg and none not in msg
    # Starting and unhealthy containers may still change: the wait lasts the whole timeout.
    assert result["summary"]["elapsed"] >= 6

    # The same containers with require_healthcheck: the one without a check fails too.
    result, _ = module({"names": [ok, none], "require_healthcheck": True})
    assert result["passed"] is False and result["failed_containers"] == [none]
    assert "no health check configured" in result["msg"]
    # Without wait: one look, nothing waited for; exclude drops names.
    result, _ = module({"names": [name("kinds-*")], "exclude": ["*-bad", "*-never", "*-exited"]})
    assert result["passed"] is True
    assert sorted(result["healthy"] + result["no_healthcheck"]) == sorted([ok, none])
    assert result["summary"]["elapsed"] < 3


def test_wait_takes_the_slowest_not_the_sum(docker, module):
    delays = {"late-a": 6, "late-b": 8, "late-c": 10}
    # Each container becomes ready at a wall-clock time, so a slow engine (a loaded host
    # starting containers for seconds) cannot eat into the delays before the module runs.
    base = time.time()
    for suffix, seconds in delays.items():
        docker.start(name(suffix), LATE_CHECK, command=late_command(at=base + seconds), start_period="120s")
    docker.start(name("late-ok"), OK_CHECK)
    result, _ = module({"names": [name("late-*")], "wait": True, "timeout": 60, "poll_interval": 1})
    assert result["passed"] is True, result.get("msg")
    assert sorted(result["healthy"]) == sorted(name(s) for s in list(delays) + ["late-ok"])
    elapsed = result["summary"]["elapsed"]
    # It waited for the slowest (ready at base + 10s, counted from when the module started;
    # a tenth of a second for the clocks' granularity) ...
    slowest_ready = base + max(delays.values()) - result["summary"]["started_at"]
    assert elapsed >= slowest_ready - 0.1
    # ... but not for the others one after the other (that would add their 14 seconds).
    assert elapsed < slowest_ready + sum(delays.values()) - max(delays.values())


def test_no_engine_is_a_clear_failure(docker, module, tmp_path):
    result, _ = module({"executable": "/nonexistent/docker"})
    assert result["passed"] is False
    assert "'/nonexistent/docker' not found" in result["msg"]
    assert "containers" not in result
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result, _ = module({}, environment={"PATH": str(empty)})
    assert result["passed"] is False
    assert result["msg"].startswith("no container engine found: docker nor podman not in PATH")
    result, _ = module({"runtime": "podman"}, environment={"PATH": str(empty)})
    assert "podman not in PATH" in result["msg"]


def test_validate_passes_when_all_healthy(docker, ansible, tmp_path):
    ok1 = docker.start(name("pass-1"), OK_CHECK)
    ok2 = docker.start(name("pass-2"), OK_CHECK)
    report_json, report_junit = tmp_path / "report.json", tmp_path / "report.xml"
    proc = ansible(VALIDATE, {"healthcheck_containers": [name("pass-*")], "healthcheck_timeout": 30,
                              "healthcheck_report_json": str(report_json), "healthcheck_report_junit": str(report_junit)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = [line.strip().strip('",') for line in proc.stdout.splitlines() if line.strip().startswith('"')]
    assert any(line.split()[:4] == ["HOST", "CONTAINER", "STATUS", "LAST"] for line in table), proc.stdout
    for ok in (ok1, ok2):
        assert any(line.split()[:3] == ["localhost", ok, "healthy"] for line in table), proc.stdout
    report = json.loads(report_json.read_text())
    assert report["passed"] is True and len(report["rows"]) == 2
    suite = ET.fromstring(report_junit.read_text()).find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "0" and suite.get("errors") == "0"


def test_validate_fails_naming_the_unhealthy_one(docker, ansible, tmp_path):
    ok = docker.start(name("fail-ok"), OK_CHECK)
    bad = docker.start(name("fail-bad"), BAD_CHECK)
    report_json, report_junit = tmp_path / "report.json", tmp_path / "report.xml"
    proc = ansible(VALIDATE, {"healthcheck_containers": name("fail-*"), "healthcheck_timeout": 4,
                              "healthcheck_report_json": str(report_json), "healthcheck_report_junit": str(report_junit)})
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Container health gate failed: localhost/%s: unhealthy: %s" % (bad, BAD_OUTPUT) in out
    assert "localhost/%s" % ok not in out
    report = json.loads(report_json.read_text())
    assert report["passed"] is False
    rows = dict((r["container"], r) for r in report["rows"])
    assert rows[bad]["failed"] and rows[bad]["output"] == BAD_OUTPUT and not rows[ok]["failed"]
    suite = ET.fromstring(report_junit.read_text()).find("testsuite")
    assert suite.get("failures") == "1"
    failure = [c for c in suite.findall("testcase") if c.get("name") == bad][0].find("failure")
    assert failure.get("message") == "unhealthy: " + BAD_OUTPUT


def test_validate_fails_when_a_host_has_no_engine(docker, ansible, tmp_path):
    # A host whose module cannot run at all is an error row and fails the gate, never a pass.
    report_junit = tmp_path / "report.xml"
    proc = ansible(VALIDATE, {"healthcheck_executable": "/nonexistent/docker", "healthcheck_timeout": 1,
                              "healthcheck_report_junit": str(report_junit)})
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "localhost/-: error: container engine client '/nonexistent/docker' not found" in out
    suite = ET.fromstring(report_junit.read_text()).find("testsuite")
    assert suite.get("errors") == "1" and suite.get("tests") == "1"


def test_validate_fails_when_nothing_matches(docker, ansible):
    # A wrong glob must not make a passing gate; healthcheck_allow_empty says it is expected.
    glob = name("nothing-*")
    proc = ansible(VALIDATE, {"healthcheck_containers": [glob], "healthcheck_timeout": 1})
    assert proc.returncode != 0, proc.stdout
    assert "localhost/-: none selected: no container matched" in proc.stdout + proc.stderr
    proc = ansible(VALIDATE, {"healthcheck_containers": [glob], "healthcheck_allow_empty": True})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_one_shot_containers_that_exited_ok_pass(docker, module, ansible, tmp_path):
    # TripleO's bootstrap and db-sync containers exit by design: exit code 0 is their success.
    ok = docker.start(name("oneshot-api"), OK_CHECK)
    done = docker.start(name("oneshot-db-sync"), command="echo synced; exit 0")
    broken = docker.start(name("oneshot-init"), command="exit 3")
    result, _ = module({"names": [name("oneshot-*")], "wait": True, "timeout": 30, "poll_interval": 1})
    c = by_name(result)
    assert (c[done]["verdict"], c[done]["state"], c[done]["exit_code"]) == ("exited_ok", "exited", 0)
    assert result["exited_ok"] == [done]
    assert result["failed_containers"] == [broken] and c[ok]["verdict"] == "healthy"
    assert done not in result["msg"] and "exit code 3" in result["msg"]
    # Asked for by expect, a container must run: exit code 0 is not enough there.
    result, _ = module({"names": [ok], "expect": [done]})
    assert result["failed_containers"] == [done]

    report_json = tmp_path / "report.json"
    proc = ansible(VALIDATE, {"healthcheck_containers": [name("oneshot-*")], "healthcheck_timeout": 30,
                              "healthcheck_report_json": str(report_json)})
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    table = [line.strip().strip('",') for line in proc.stdout.splitlines() if line.strip().startswith('"')]
    assert any(line.split()[:5] == ["localhost", done, "exited", "(ok,", "exit"] for line in table), proc.stdout
    assert "Container health gate failed: localhost/%s: exited (exit 3)" % broken in out
    assert "localhost/%s" % done not in out
    rows = dict((r["container"], r) for r in json.loads(report_json.read_text())["rows"])
    assert rows[done]["failed"] is False and rows[done]["status"] == "exited (ok, exit 0)"

    # The accepted codes are the operator's: with 3 among them the gate passes.
    proc = ansible(VALIDATE, {"healthcheck_containers": [name("oneshot-*")], "healthcheck_timeout": 30,
                              "healthcheck_valid_exit_codes": [0, 3]})
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("playbook", ["openstack.healthcheck.validate", VALIDATE], ids=["by-name", "wrapper"])
def test_relative_report_paths_are_taken_from_where_the_playbook_runs(docker, ansible, tmp_path, playbook):
    ok = docker.start(name("paths-%s" % ("wrapper" if playbook == VALIDATE else "by-name")), OK_CHECK)
    where = tmp_path / "operator-cwd"
    where.mkdir()
    proc = ansible(playbook, {"healthcheck_containers": [ok], "healthcheck_timeout": 30,
                              "healthcheck_report_json": "health.json", "healthcheck_report_junit": "health.xml"},
                   cwd=where)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(os.listdir(str(where))) == ["health.json", "health.xml"]
    report = json.loads((where / "health.json").read_text())
    assert report["passed"] is True and [r["container"] for r in report["rows"]] == [ok]
    suite = ET.fromstring((where / "health.xml").read_text()).find("testsuite")
    assert suite.get("tests") == "1" and suite.find("testcase").get("name") == ok
    # Nothing landed next to the playbooks (the wrapper's or the collection's).
    for directory in (os.path.join(REPO, "playbooks"), os.path.join(REPO, "collection", "playbooks")):
        assert not {"health.json", "health.xml"} & set(os.listdir(directory))

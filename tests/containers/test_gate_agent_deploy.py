"""The deploy role starts the real host agent in a container, and the gate reads its verdicts.

``playbooks/deploy.yml`` with ``healthcheck_agent: true`` installs the release binary into a
temporary prefix, builds the agent's image (FROM scratch, the binary alone) on this host's
Docker and runs it with the host's PID and network namespaces, Docker's socket and the state
file's directory mounted. Two busybox containers name the agent's check by label (kolla's
``healthcheck_listen httpd 8080``) and have no engine health check at all: one runs httpd on
8080 in its own network namespace, the other nothing. The agent's state file must hold the
healthy and the unhealthy verdict, and ``playbooks/validate.yml`` with ``healthcheck_source:
agent`` on that file passes the first and fails the second, naming the agent as the source.
A second deploy run, in check mode and for real, changes nothing.
"""

import json
import os
import re
import subprocess
import time

import pytest

from conftest import LABEL, REPO, RUN_ID, container_id, sh, validate_on_agent_state

DEPLOY = os.path.join(REPO, "playbooks", "deploy.yml")
BIN = os.environ.get("BIN") or subprocess.run(
    ["make", "-s", "--no-print-directory", "-C", REPO, "print-bin"], check=True, capture_output=True, text=True
).stdout.strip()
CHECK_LABELS = ["--label", "openstack.healthcheck.check=healthcheck_listen",
                "--label", "openstack.healthcheck.args=httpd 8080"]


def name(suffix):
    return "ohc-%s-agentdeploy-%s" % (RUN_ID, suffix)


AGENT = name("agent")
AGENT_IMAGE = "ohc-gate-agent-%s" % RUN_ID


@pytest.fixture
def agent_cleanup():
    """The agent's container and images are the role's, not labelled by the test: removed here."""
    yield
    sh(["docker", "rm", "-f", AGENT], check=False)
    images = sh(["docker", "images", "-q", AGENT_IMAGE], check=False).stdout.split()
    if images:
        sh(["docker", "rmi", "-f"] + sorted(set(images)), check=False)


def recap(proc):
    found = re.findall(r"^localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", proc.stdout, re.M)
    assert proc.returncode == 0 and found, proc.stdout[-4000:] + proc.stderr[-2000:]
    return int(found[0])


def wait_for_verdicts(state, ids, timeout=60):
    """The agent's state once it has a verdict for every one of ``ids``."""
    end = time.monotonic() + timeout
    while True:
        doc = json.loads(state.read_text()) if state.exists() else {"containers": []}
        entries = dict((c["id"], c) for c in doc["containers"] if c["id"] in ids)
        if len(entries) == len(ids) or time.monotonic() > end:
            return doc, entries
        time.sleep(1)


def test_the_role_starts_the_agent_and_the_gate_reads_it(docker, ansible, tmp_path, agent_cleanup):
    up = name("up")
    down = name("down")
    for container, command in ((up, ["httpd", "-f", "-p", "8080", "-h", "/tmp"]), (down, ["sleep", "3600"])):
        sh(["docker", "run", "-d", "--label", LABEL, "--name", container, "--no-healthcheck"] + CHECK_LABELS
           + [docker.image] + command)
    state = tmp_path / "run" / "agent.json"
    extra = {
        "healthcheck_binary_src": BIN, "healthcheck_prefix": str(tmp_path / "stage"),
        "healthcheck_services_from_binary": False, "healthcheck_services": ["memcached"],
        "healthcheck_agent": True, "healthcheck_agent_mode": "container", "healthcheck_agent_engine": "docker",
        "healthcheck_agent_interval": 2, "healthcheck_agent_state_file": str(state),
        "healthcheck_agent_container_name": AGENT, "healthcheck_agent_image": AGENT_IMAGE,
        "healthcheck_agent_build_dir": str(tmp_path / "agent-image"),
    }
    # Check mode first, on a host without the binary, the image or the container: it predicts the
    # real run's changes and starts nothing.
    predicted = recap(ansible(DEPLOY, extra, args=["--check"]))
    assert sh(["docker", "ps", "-aq", "--filter", "name=^%s$" % AGENT]).stdout.strip() == ""
    proc = ansible(DEPLOY, extra)
    assert recap(proc) == predicted, proc.stdout[-4000:]

    # The agent's container, as the role made it.
    inspect = json.loads(sh(["docker", "inspect", AGENT]).stdout)[0]
    host = inspect["HostConfig"]
    assert inspect["State"]["Running"], inspect["State"]
    assert (host["PidMode"], host["NetworkMode"], host["ReadonlyRootfs"]) == ("host", "host", True)
    assert host["CapDrop"] == ["ALL"]
    # Docker keeps the names it was given or with the CAP_ prefix, by version.
    assert sorted(c.replace("CAP_", "") for c in host["CapAdd"]) == ["DAC_OVERRIDE", "DAC_READ_SEARCH", "SYS_ADMIN",
                                                                     "SYS_PTRACE"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in host["Binds"]
    assert inspect["Config"]["Image"].startswith(AGENT_IMAGE + ":")
    # FROM scratch: one layer, the binary.
    image = json.loads(sh(["docker", "image", "inspect", inspect["Config"]["Image"]]).stdout)[0]
    assert len(image["RootFS"]["Layers"]) == 1

    # The agent's verdicts on the real containers.
    ids = {container_id("docker", up): up, container_id("docker", down): down}
    doc, entries = wait_for_verdicts(state, set(ids))
    assert set(entries) == set(ids), doc
    verdicts = dict((ids[i], (e["check"], e["healthy"])) for i, e in entries.items())
    assert verdicts == {up: ("healthcheck_listen", True), down: ("healthcheck_listen", False)}, doc
    assert doc["interval"] == 2 and doc["errors"] == [], doc

    # The gate on the agent's state: the healthy one passes, the unhealthy one fails, both by the agent.
    proc, report, suite = validate_on_agent_state(ansible, tmp_path, state, [name("up"), name("down")], timeout=20)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    rows = dict((r["container"], r) for r in report["rows"])
    assert (rows[up]["status"], rows[up]["source"], rows[up]["failed"]) == ("healthy", "agent", False), rows
    assert (rows[down]["status"], rows[down]["source"], rows[down]["failed"]) == ("unhealthy", "agent", True), rows
    assert "localhost/%s: unhealthy: " % down in out
    assert "localhost/%s:" % up not in out
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    proc, report, _suite = validate_on_agent_state(ansible, tmp_path, state, [up], timeout=20)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [(r["container"], r["status"], r["source"]) for r in report["rows"]] == [(up, "healthy", "agent")]

    # Idempotent: the same inputs again change nothing, in check mode or for real, and leave the
    # same container running.
    started = inspect["State"]["StartedAt"]
    assert recap(ansible(DEPLOY, extra, args=["--check"])) == 0
    assert recap(ansible(DEPLOY, extra)) == 0
    again = json.loads(sh(["docker", "inspect", AGENT]).stdout)[0]
    assert (again["Id"], again["State"]["StartedAt"]) == (inspect["Id"], started)

    # A new interval is a new container.
    proc = ansible(DEPLOY, dict(extra, healthcheck_agent_interval=3))
    assert recap(proc) > 0
    # The role waited for the new agent's first round.
    assert json.loads(state.read_text())["interval"] == 3
    assert json.loads(sh(["docker", "inspect", AGENT]).stdout)[0]["Id"] != inspect["Id"]

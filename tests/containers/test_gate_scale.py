"""validate.yml over many hosts: the gate takes as long as the slowest host, whatever the forks.

Twelve inventory hosts (localhost aliases with a local connection, all asking the one real
Docker engine) gated at forks 3. A gate that waited host by host within each batch of forks
would take one budget per batch (4 x the budget); the playbook runs the wait in the
background on every host at once and gives each what is left of one budget.

The time of ansible itself (launching tasks on twelve hosts, collecting results) depends on
the machine's load, so it is measured, not assumed: a first run gates on a healthy container
(no waiting: ansible's own time), the second on one that never becomes healthy (every host
waits out the budget). Their difference is the time spent waiting; it must stay below two
budgets, where batch after batch would be four.
"""

import json
import sys
import time

from conftest import RUN_ID, sh

HOSTS = ["gate-host-%02d" % i for i in range(1, 13)]
FORKS = 3
BUDGET = 25
VALIDATE = "openstack.healthcheck.validate"


def name(suffix):
    return "ohc-%s-scale-%s" % (RUN_ID, suffix)


def inventory(tmp_path):
    path = tmp_path / "hosts.json"
    path.write_text(json.dumps({"overcloud": {"hosts": dict(
        (host, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}) for host in HOSTS)}}))
    return path


def wait_healthy(container, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = sh(["docker", "inspect", "-f", "{{.State.Health.Status}}", container]).stdout.strip()
        if status == "healthy":
            return
        time.sleep(0.5)
    raise AssertionError("%s is not healthy after %ss (status %s)" % (container, seconds, status))


def gate(ansible, tmp_path, container, timeout):
    report = tmp_path / ("%s.json" % container)
    started = time.monotonic()
    proc = ansible(VALIDATE, {"healthcheck_containers": [container], "healthcheck_timeout": timeout,
                              "healthcheck_report_json": str(report)},
                   inventory=inventory(tmp_path), args=["--forks", str(FORKS)])
    return proc, json.loads(report.read_text()), time.monotonic() - started


def test_twelve_hosts_at_forks_3_wait_once_not_per_batch(docker, ansible, tmp_path):
    ok = docker.start(name("ok"), "echo all good")
    never = docker.start(name("never"), "echo not ready yet; exit 1", start_period="600s")
    batches = len(HOSTS) // FORKS

    # The healthy one must be so before the first run, which is to measure ansible alone.
    wait_healthy(ok)
    # Its budget does not matter (nothing to wait for): a long one, so that no host, however late
    # ansible reaches it on a loaded machine, is left with only a last look.
    proc, report, ansible_time = gate(ansible, tmp_path, ok, 10 * BUDGET)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(report["hosts"]) == HOSTS

    proc, report, gate_time = gate(ansible, tmp_path, never, BUDGET)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    # Every host looked at the container and found it still starting, within its share of the budget.
    assert sorted(report["hosts"]) == HOSTS
    assert [(r["host"], r["container"], r["verdict"]) for r in report["rows"]] == [
        (host, never, "starting") for host in HOSTS]
    for host in HOSTS:
        waited = float(report["hosts"][host]["msg"].split("(waited ")[1].split("s)")[0])
        assert waited <= BUDGET, (host, report["hosts"][host])
    # The waiting took one budget (the hosts waited together), not one per batch of forks.
    waiting = gate_time - ansible_time
    assert waiting < 2 * BUDGET < batches * BUDGET, (gate_time, ansible_time)

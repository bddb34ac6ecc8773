# Copyright (c) openstack-healthcheck developers
# SPDX-License-Identifier: Apache-2.0
"""The deploy playbook in check mode predicts what the real run does, bad inputs included.

Each bad input (a source that does not exist, a prefix that cannot be written because a
directory on its way is immutable or is a regular file, one of kolla's scripts in the way
of the links) is run twice on the same tree: in check mode and for real. Both must fail,
with the same message, and the tree must be exactly as before. On a good input, check mode
must report the changes the real run then makes, also on a host where nothing is installed
yet (the names to link come from the controller's binary then).

The playbook is the collection's, run by name (openstack.healthcheck.deploy) on localhost
over a local connection, into temporary prefixes. Run by `make test-collection-deploy`
(which builds the binary and puts the collection on ANSIBLE_COLLECTIONS_PATH).
"""

import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# The release binary: BIN from make, or the path make would give it.
BIN = os.environ.get("BIN") or subprocess.run(
    ["make", "-s", "--no-print-directory", "-C", REPO, "print-bin"], check=True, capture_output=True, text=True
).stdout.strip()
VENV_BIN = os.path.dirname(sys.executable)


# One link per service the binary lists is some seventy file tasks per run; two services
# keep the runs short. kolla's names still come from the binary's list.
FEW_SERVICES = {"healthcheck_services_from_binary": False, "healthcheck_services": ["nova-api", "keystone"]}


def deploy(tmp_path, check, **extra):
    """Run the deploy playbook; returns (exit code, recap changed count or None, failure message, output)."""
    extra = dict(FEW_SERVICES, **extra)
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[overcloud]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n"
                         % sys.executable)
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", str(inventory), "openstack.healthcheck.deploy",
            "-e", json.dumps(extra)]
    if check:
        args.append("--check")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300,
                          check=False)
    recap = re.findall(r"^localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)", proc.stdout, re.M)
    messages = re.findall(r'^fatal: \[localhost\]: FAILED! => (\{.*\})$', proc.stdout, re.M)
    message = json.loads(messages[0])["msg"] if messages else None
    return proc.returncode, (int(recap[0][0]) if recap else None), message, proc.stdout + proc.stderr


def tree(root):
    """Every path under ``root`` with its kind and, for links, target: what a run may not change."""
    found = {}
    for directory, dirs, files in os.walk(str(root)):
        for name in dirs + files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, str(root))
            if rel.startswith("inventory.ini"):
                continue
            found[rel] = ("link", os.readlink(path)) if os.path.islink(path) else (
                "dir" if os.path.isdir(path) else ("file", os.path.getsize(path)))
    return found


def same_failure_in_check_mode_and_for_real(tmp_path, expected, **extra):
    before = tree(tmp_path)
    outcomes = []
    for check in (True, False):
        rc, _changed, message, out = deploy(tmp_path, check, **extra)
        assert rc != 0, "%s run passed:\n%s" % ("check-mode" if check else "real", out[-3000:])
        assert message and expected in message, out[-3000:]
        assert tree(tmp_path) == before, "a failing %s run changed the tree" % ("check-mode" if check else "real")
        outcomes.append(message)
    assert outcomes[0] == outcomes[1]
    return outcomes[0]


@pytest.fixture
def immutable(tmp_path):
    """A directory no one may write, root included (chattr +i), made writable again at the end."""
    path = tmp_path / "immutable"
    path.mkdir()
    subprocess.run(["chattr", "+i", str(path)], check=True)
    yield path
    subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_missing_source_fails_both_ways(tmp_path):
    message = same_failure_in_check_mode_and_for_real(
        tmp_path, "healthcheck_binary_src=%s is no file on the controller" % (tmp_path / "nope"),
        healthcheck_binary_src=str(tmp_path / "nope"), healthcheck_prefix=str(tmp_path / "stage"))
    assert message.startswith("Nothing to install")


def test_an_unwritable_prefix_fails_both_ways(tmp_path, immutable):
    stage = immutable / "stage"
    message = same_failure_in_check_mode_and_for_real(
        tmp_path, "%s/usr/bin: %s cannot be written" % (stage, immutable),
        healthcheck_binary_src=BIN, healthcheck_prefix=str(stage))
    assert message.startswith("Cannot install here: ")


def test_a_prefix_through_a_regular_file_fails_both_ways(tmp_path):
    (tmp_path / "not-a-dir").write_text("a file where a directory should be\n")
    stage = tmp_path / "not-a-dir" / "stage"
    same_failure_in_check_mode_and_for_real(
        tmp_path, "%s/usr/bin: %s is not a directory" % (stage, tmp_path / "not-a-dir"),
        healthcheck_binary_src=BIN, healthcheck_prefix=str(stage))


def test_kolla_scripts_in_the_way_fail_both_ways_before_anything_is_installed(tmp_path):
    stage = tmp_path / "stage"
    kolla_bin = stage / "usr" / "local" / "bin"
    kolla_bin.mkdir(parents=True)
    for name in ("healthcheck_curl", "healthcheck_port"):
        (kolla_bin / name).write_text("#!/bin/bash\n# kolla's own script\n")
    message = same_failure_in_check_mode_and_for_real(
        tmp_path, "healthcheck_curl, healthcheck_port in %s are regular files" % kolla_bin,
        healthcheck_binary_src=BIN, healthcheck_prefix=str(stage))
    assert "healthcheck_kolla_force" in message
    assert not (stage / "usr" / "bin").exists()
    # With force, both runs pass and the scripts become links.
    rc, predicted, _msg, out = deploy(tmp_path, True, healthcheck_binary_src=BIN, healthcheck_prefix=str(stage),
                                      healthcheck_kolla_force=True)
    assert rc == 0, out[-3000:]
    rc, changed, _msg, out = deploy(tmp_path, False, healthcheck_binary_src=BIN, healthcheck_prefix=str(stage),
                                    healthcheck_kolla_force=True)
    assert rc == 0 and changed == predicted, out[-3000:]
    assert os.readlink(str(kolla_bin / "healthcheck_curl")) == "../../bin/openstack-healthcheck"


def test_check_mode_predicts_the_real_run_on_an_empty_host(tmp_path):
    stage = tmp_path / "stage"
    rc, predicted, _msg, out = deploy(tmp_path, True, healthcheck_binary_src=BIN, healthcheck_prefix=str(stage))
    assert rc == 0, out[-3000:]
    assert not stage.exists()
    # The links check mode predicts are the ones the real run makes: kolla's names included.
    assert re.search(r"changed: \[localhost\] => \(item=healthcheck_curl\)", out), out[-3000:]
    assert re.search(r"changed: \[localhost\] => \(item=nova-api\)", out), out[-3000:]
    rc, changed, _msg, out = deploy(tmp_path, False, healthcheck_binary_src=BIN, healthcheck_prefix=str(stage))
    assert rc == 0, out[-3000:]
    assert changed == predicted
    assert os.path.islink(str(stage / "usr" / "local" / "bin" / "healthcheck_curl"))
    rc, changed, _msg, out = deploy(tmp_path, True, healthcheck_binary_src=BIN, healthcheck_prefix=str(stage))
    assert rc == 0 and changed == 0, out[-3000:]


def test_agent_inputs_fail_both_ways_before_anything_is_installed(tmp_path):
    stage = tmp_path / "stage"
    message = same_failure_in_check_mode_and_for_real(
        tmp_path, "healthcheck_agent_interval must be at least 1 (seconds), got 0",
        healthcheck_binary_src=BIN, healthcheck_prefix=str(stage), healthcheck_agent=True,
        healthcheck_agent_interval=0, healthcheck_agent_state_file="run/agent.json")
    assert "healthcheck_agent_state_file must be an absolute path" in message
    assert not stage.exists()


def test_an_agent_container_without_podmans_socket_fails_both_ways(tmp_path):
    # The scratch image has no podman command: podman's containers are reached through its socket only.
    socket = tmp_path / "no-podman.sock"
    message = same_failure_in_check_mode_and_for_real(
        tmp_path, "podman's API socket %s is not there" % socket,
        healthcheck_binary_src=BIN, healthcheck_prefix=str(tmp_path / "stage"), healthcheck_agent=True,
        healthcheck_agent_mode="container", healthcheck_agent_engine="podman",
        healthcheck_agent_podman_socket=str(socket), healthcheck_agent_state_file=str(tmp_path / "run" / "agent.json"))
    assert message.startswith("Cannot run the agent in a container: ")

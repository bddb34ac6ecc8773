"""Real container engines for the gate tests: a test image, labelled containers, and
ansible runs of the collection from a temporary ``ansible_collections`` tree.

Everything started here carries the label ``openstack-healthcheck.test=gate-<pid>`` and
is removed by that label at the end of the session (and the image by its tag).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE_DIR = os.path.join(REPO, "tests", "containers", "image")
BUSYBOX = "/bin/busybox"
RUN_ID = "gate-%d" % os.getpid()
LABEL = "openstack-healthcheck.test=%s" % RUN_ID
VENV_BIN = os.path.dirname(sys.executable)


def sh(args, check=True, **kwargs):
    """Run a command, failing the test with its output when it fails."""
    proc = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if check and proc.returncode != 0:
        pytest.fail("%s failed (exit %s):\n%s%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


class Engine(object):
    """One engine's client, its test image, and the containers a test starts."""

    def __init__(self, runtime, image):
        self.runtime = runtime
        self.image = image

    def start(self, name, health_cmd=None, command=None, interval="1s", retries=2, start_period=None):
        args = [self.runtime, "run", "-d", "--label", LABEL, "--name", name]
        if health_cmd:
            args += ["--health-cmd", health_cmd, "--health-interval", interval, "--health-retries", str(retries)]
            if start_period:
                args += ["--health-start-period", start_period]
        args.append(self.image)
        if command:
            args += ["sh", "-c", command]
        sh(args)
        return name

    def cleanup(self):
        ids = sh([self.runtime, "ps", "-aq", "--filter", "label=" + LABEL], check=False).stdout.split()
        if ids:
            sh([self.runtime, "rm", "-f"] + ids, check=False)


def build_image(runtime, tag):
    """Build the FROM scratch busybox image (no registry) with the runtime's own builder."""
    if not os.access(BUSYBOX, os.X_OK):
        pytest.fail("%s missing: install busybox-static (tests/setup/packages/60-gate.txt)" % BUSYBOX)
    context = tempfile.mkdtemp(prefix="ohc-gate-image-")
    try:
        shutil.copy(os.path.join(IMAGE_DIR, "Dockerfile"), context)
        shutil.copy(BUSYBOX, os.path.join(context, "busybox"))
        if runtime == "docker":
            sh(["docker", "build", "-q", "--label", LABEL, "-t", tag, context], env=dict(os.environ, DOCKER_BUILDKIT="0"))
        else:
            sh(["podman", "build", "-q", "--format", "docker", "--label", LABEL, "-t", tag, context])
    finally:
        shutil.rmtree(context)


def provide_engine(runtime, tag):
    """Build the test image, hand out the engine, then remove its containers and the image."""
    build_image(runtime, tag)
    engine = Engine(runtime, tag)
    try:
        yield engine
    finally:
        engine.cleanup()
        sh([runtime, "rmi", "-f", tag], check=False)


@pytest.fixture(scope="session")
def docker():
    sh(["bash", os.path.join(REPO, "tests", "setup", "dockerd.sh")])
    yield from provide_engine("docker", "ohc-gate-test:%s" % RUN_ID)


@pytest.fixture(scope="session")
def podman():
    setup = sh(["bash", os.path.join(REPO, "tests", "setup", "podman.sh")], check=False)
    if setup.returncode != 0:
        pytest.fail("podman cannot run here: " + setup.stderr.strip())
    yield from provide_engine("podman", "localhost/ohc-gate-test:%s" % RUN_ID)


@pytest.fixture(scope="session")
def collections_path():
    """A temporary ``ansible_collections/openstack/healthcheck`` linking to collection/."""
    root = tempfile.mkdtemp(prefix="ohc-gate-collections-")
    os.makedirs(os.path.join(root, "ansible_collections", "openstack"))
    os.symlink(os.path.join(REPO, "collection"), os.path.join(root, "ansible_collections", "openstack", "healthcheck"))
    yield root
    shutil.rmtree(root)


@pytest.fixture
def ansible(collections_path, tmp_path):
    """Run ansible-playbook on localhost (group ``overcloud``) with the collection.

    ``inventory`` replaces the one-host inventory, ``cwd`` the directory it runs in (the
    repository), ``args`` adds options (``-f 3``).
    """
    default_inventory = tmp_path / "inventory.ini"
    default_inventory.write_text(
        "[overcloud]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable
    )
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))

    def playbook(path, extra_vars=None, inventory=None, cwd=REPO, args=()):
        command = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", str(inventory or default_inventory), path]
        command += list(args)
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(cwd))

    return playbook


@pytest.fixture
def module(ansible, tmp_path):
    """Run container_health once with the given args; returns (result dict, wall seconds).

    ``environment`` applies to the module only (e.g. a PATH without any engine).
    """

    def run(args, environment=None):
        out = tmp_path / "result.json"
        play = [{
            "name": "container_health",
            "hosts": "overcloud",
            "gather_facts": False,
            "tasks": [
                {"name": "run", "openstack.healthcheck.container_health": args, "register": "r",
                 "failed_when": False, "environment": environment or {}},
                {"name": "save", "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": str(out),
                                                          "mode": "0600"}},
            ],
        }]
        path = tmp_path / "play.yml"
        path.write_text(json.dumps(play))
        started = time.monotonic()
        proc = ansible(str(path))
        wall = time.monotonic() - started
        if proc.returncode != 0 or not out.exists():
            pytest.fail("ansible-playbook failed (exit %s):\n%s%s" % (proc.returncode, proc.stdout, proc.stderr))
        return json.loads(out.read_text()), wall

    return run


def by_name(result):
    return dict((c["name"], c) for c in result.get("containers", []))


VALIDATE = os.path.join(REPO, "playbooks", "validate.yml")


def rfc3339(seconds):
    """UTC time as the agent stamps its state (RFC 3339, ``Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def container_id(runtime, name):
    """The full ID of a container, as the agent's state file names it."""
    return sh([runtime, "inspect", "--format", "{{.Id}}", name]).stdout.strip()


def write_agent_state(path, containers, interval=30, written=None):
    """A state file in the agent's format, written as it writes it (a temporary file renamed).

    ``containers``: dicts with at least ``name``, ``id``, ``runtime`` and ``healthy``.
    """
    now = time.time() if written is None else written
    doc = {"checked_at": rfc3339(now), "interval": interval, "errors": [],
           "containers": [dict({"check": "", "reason": "", "output": "", "checked_at": rfc3339(now)}, **c)
                          for c in containers]}
    tmp = "%s.tmp" % path
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.rename(tmp, str(path))


def validate_on_agent_state(ansible, report_dir, state_file, containers, timeout=30, **extra_vars):
    """Gate ``containers`` (names or globs) with validate.yml on the agent's state file.

    The one way the gate tests read agent state, whoever wrote the file (a test, or
    ``openstack-healthcheck agent --once --state-file``). Returns the ansible-playbook
    process, the JSON report (a dict) and the JUnit report's ``testsuite`` element.
    """
    report_json = os.path.join(str(report_dir), "agent-report.json")
    report_junit = os.path.join(str(report_dir), "agent-report.xml")
    extra = {"healthcheck_containers": list(containers), "healthcheck_timeout": timeout,
             "healthcheck_source": "agent", "healthcheck_agent_state_file": str(state_file),
             "healthcheck_report_json": report_json, "healthcheck_report_junit": report_junit}
    extra.update(("healthcheck_%s" % k, v) for k, v in extra_vars.items())
    proc = ansible(VALIDATE, extra)
    if not (os.path.exists(report_json) and os.path.exists(report_junit)):
        pytest.fail("validate.yml wrote no reports (exit %s):\n%s%s" % (proc.returncode, proc.stdout, proc.stderr))
    with open(report_json) as f:
        report = json.load(f)
    with open(report_junit) as f:
        suite = ET.fromstring(f.read()).find("testsuite")
    return proc, report, suite

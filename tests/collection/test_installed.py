# Copyright (c) openstack-healthcheck developers
# SPDX-License-Identifier: Apache-2.0
"""The collection as users get it: the tarball from `make dist-collection`, installed with
`ansible-galaxy collection install` into a temporary collections path (and nothing else on
ANSIBLE_COLLECTIONS_PATH), then every command that the collection's README and docs show,
run as written from a temporary directory. Only their example paths are mapped to test
files (SUBSTITUTIONS); a command the docs show that this file does not know how to run fails
the test, so the docs cannot show a command nobody ran.

- kolla_overrides: on a copy of TripleO's real override file, in check mode (nothing
  changes) and for real (the nova-api footer gets the link).
- deploy: the built binary into a temporary healthcheck_prefix; every service and kolla name
  the binary lists is linked; a second run changes nothing; without a source the role fails
  with one line saying what to set. The package form is syntax-checked (installing a .deb
  here would change this machine's /).
- validate: against a real Docker container (FROM scratch: busybox httpd, and the deployed
  binary as its HEALTHCHECK), its JSON and JUnit reports read back.

Run by `make test-collection-installed` (which builds the binary and the tarball and starts
dockerd). Containers and the image carry a per-run label and name and are removed at the end.
"""

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import uuid
import xml.etree.ElementTree as ET

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COLLECTION = os.path.join(REPO, "collection")
# The release binary: BIN from make, or the path make would give it.
BIN = os.environ.get("BIN") or subprocess.run(
    ["make", "-s", "--no-print-directory", "-C", REPO, "print-bin"], check=True, capture_output=True, text=True
).stdout.strip()
BUSYBOX = "/bin/busybox"
VENV_BIN = os.path.dirname(sys.executable)
FIXTURES = os.path.join(COLLECTION, "tests", "unit", "fixtures", "kolla-overrides")
RUN_ID = "installed-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])
LABEL = "openstack-healthcheck.test=%s" % RUN_ID
CONTAINER = "ohc-%s" % RUN_ID
IMAGE = "ohc-installed-test:%s" % RUN_ID

with open(os.path.join(COLLECTION, "galaxy.yml")) as _f:
    GALAXY = yaml.safe_load(_f)
TARBALL = "%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])

# Where the collection's docs show commands.
DOCS = [os.path.join(COLLECTION, "README.md"), os.path.join(COLLECTION, "roles", "deploy", "README.md")] + sorted(
    glob.glob(os.path.join(COLLECTION, "docs", "*.md")))


def run(args, env, cwd, check=True, timeout=300):
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        pytest.fail("%s: exit %d\n%s\n%s" % (" ".join(args), proc.returncode, proc.stdout[-4000:], proc.stderr[-3000:]))
    return proc


def recap_changed(stdout):
    """changed= of the localhost recap line (the plays here run on localhost only)."""
    (changed,) = re.findall(r"^localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", stdout, re.M)
    return int(changed)


def doc_commands():
    """Every ansible-* command the docs show: lines of fenced blocks (backslash continuations
    joined) and inline code spans, with the file each comes from."""
    found = []
    for path in DOCS:
        with open(path) as f:
            text = f.read()
        for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S):
            joined = re.sub(r"\\\n\s*", " ", block)
            found += [(path, line.strip()) for line in joined.splitlines() if line.strip().startswith("ansible-")]
        outside = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
        found += [(path, span) for span in re.findall(r"`(ansible-(?:playbook|doc|galaxy) [^`]+)`", outside)]
    return found


def kind(command):
    """What a doc command is, to decide how this test runs it (None: unknown)."""
    words = shlex.split(command)
    if words[:3] == ["ansible-galaxy", "collection", "install"]:
        return "install"
    if words[0] == "ansible-doc":
        return "doc"
    if words[0] != "ansible-playbook":
        return None
    playbook = [w for w in words if w.startswith("openstack.healthcheck.")]
    if playbook == ["openstack.healthcheck.kolla_overrides"]:
        return "kolla_overrides"
    if playbook == ["openstack.healthcheck.deploy"]:
        return "deploy-package" if any(w.startswith("healthcheck_package=") for w in words) else "deploy"
    if playbook == ["openstack.healthcheck.validate"]:
        return "validate"
    return None


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The tarball installed into a fresh collections path; the environment to run Ansible in."""
    tarball = os.path.join(REPO, "dist", TARBALL)
    assert os.path.isfile(tarball), "%s missing: make dist-collection builds it" % tarball
    work = tmp_path_factory.mktemp("installed")
    collections = work / "collections"
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"], ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="0")
    env.pop("ANSIBLE_CONFIG", None)
    shutil.copy(tarball, str(work / TARBALL))
    return {"env": env, "cwd": str(work), "collections": str(collections)}


@pytest.fixture(scope="module")
def docker_image(tmp_path_factory):
    """A FROM scratch image: busybox httpd serving /www, HEALTHCHECK by the deployed binary."""
    run(["bash", os.path.join(REPO, "tests", "setup", "dockerd.sh")], os.environ, REPO)
    assert os.access(BUSYBOX, os.X_OK), "%s missing: install busybox-static (tests/setup/packages)" % BUSYBOX
    context = tmp_path_factory.mktemp("image")
    yield str(context)
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", "label=" + LABEL], capture_output=True, text=True,
                         check=False).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f"] + ids, capture_output=True, check=False)
    subprocess.run(["docker", "rmi", "-f", IMAGE], capture_output=True, check=False)


def test_the_tarball_holds_what_users_need():
    with tarfile.open(os.path.join(REPO, "dist", TARBALL)) as tar:
        names = set(tar.getnames())
    for needed in ["LICENSE", "README.md", "CHANGELOG.md", "changelogs/config.yaml", "MANIFEST.json",
                   "playbooks/validate.yml", "playbooks/deploy.yml", "playbooks/kolla_overrides.yml",
                   "plugins/module_utils/services_data.py", "plugins/doc_fragments/attributes.py",
                   "roles/deploy/meta/argument_specs.yml"]:
        assert needed in names, needed
    with open(os.path.join(REPO, "LICENSE")) as a, open(os.path.join(COLLECTION, "LICENSE")) as b:
        text = a.read()
        assert text == b.read() and "Apache License" in text and "Version 2.0, January 2004" in text


def test_every_doc_command_is_one_this_test_runs():
    commands = doc_commands()
    kinds = {kind(c) for _p, c in commands}
    unknown = ["%s: %s" % (os.path.relpath(p, REPO), c) for p, c in commands if kind(c) is None]
    assert not unknown, "commands in the docs this test does not run: %s" % unknown
    # The README shows all three playbooks by name, the install, and ansible-doc.
    assert {"install", "doc", "kolla_overrides", "deploy", "validate"} <= kinds, kinds


class TestInstalled(object):
    """In order: install, the docs' commands by kind, each against real things."""

    def by_kind(self, wanted):
        commands = sorted({c for _p, c in doc_commands() if kind(c) == wanted})
        assert commands, "the docs show no %s command" % wanted
        return commands

    def substitute(self, command, mapping):
        for example, real in mapping.items():
            command = command.replace(example, real)
        return shlex.split(command)

    def test_1_install(self, installed):
        for command in self.by_kind("install"):
            assert TARBALL in command, command
            run(shlex.split(command), installed["env"], installed["cwd"])
        listed = run(["ansible-galaxy", "collection", "list", "openstack.healthcheck", "--format", "json"],
                     installed["env"], installed["cwd"])
        (where,) = json.loads(listed.stdout)
        assert where.startswith(installed["collections"]), where
        assert json.loads(listed.stdout)[where]["openstack.healthcheck"]["version"] == GALAXY["version"]

    def test_2_ansible_doc(self, installed):
        for command in self.by_kind("doc"):
            proc = run(shlex.split(command), installed["env"], installed["cwd"])
            name = shlex.split(command)[-1]
            assert name.upper() in proc.stdout or name in proc.stdout, (command, proc.stdout[:500])
            if "-t" not in command:  # modules: the attributes come from the shared fragments
                assert "check_mode" in proc.stdout and "platforms: posix" in proc.stdout, command

    def test_3_kolla_overrides_check_mode_then_real(self, installed, tmp_path):
        (fixture,) = glob.glob(os.path.join(FIXTURES, "*.1c0af446.*.j2"))
        for command in self.by_kind("kolla_overrides"):
            path = str(tmp_path / "template-overrides.j2")
            shutil.copyfile(fixture, path)
            with open(path, "rb") as f:
                before = f.read()
            args = self.substitute(command, {"/etc/kolla/template-overrides.j2": path})
            checked = run(args + ["--check"], installed["env"], installed["cwd"])
            assert recap_changed(checked.stdout) == 1
            with open(path, "rb") as f:
                assert f.read() == before, "check mode changed the file"
            real = run(args, installed["env"], installed["cwd"])
            assert recap_changed(real.stdout) == 1
            with open(path) as f:
                after = f.read()
            assert "ln -sfn /usr/share/openstack-healthcheck/nova-api /openstack/healthcheck" in after
            again = run(args, installed["env"], installed["cwd"])
            assert recap_changed(again.stdout) == 0

    def inventory(self, tmp_dir, **host_vars):
        hosts = {"localhost": dict({"ansible_connection": "local",
                                    "ansible_python_interpreter": sys.executable}, **host_vars)}
        path = os.path.join(tmp_dir, "inventory")
        with open(path, "w") as f:
            yaml.safe_dump({"all": {"children": {"overcloud": {"hosts": hosts}}}}, f)
        return path

    def test_4_deploy(self, installed):
        prefix = os.path.join(installed["cwd"], "prefix")
        self.inventory(installed["cwd"], healthcheck_prefix=prefix)
        # Without a source, one line saying what to set, and nothing installed.
        bare = run(["ansible-playbook", "-i", "inventory", "openstack.healthcheck.deploy"], installed["env"],
                   installed["cwd"], check=False)
        assert bare.returncode != 0
        assert ("Nothing to install: set healthcheck_binary_src to the openstack-healthcheck binary on the "
                "controller, or healthcheck_package to a .deb or .rpm of it.") in bare.stdout, bare.stdout[-2000:]
        assert not os.path.exists(prefix)
        for command in self.by_kind("deploy"):
            args = self.substitute(command, {"/srv/openstack-healthcheck": BIN})
            first = run(args, installed["env"], installed["cwd"])
            assert recap_changed(first.stdout) > 0
            second = run(args, installed["env"], installed["cwd"])
            assert recap_changed(second.stdout) == 0, second.stdout[-3000:]
        deployed = os.path.join(prefix, "usr", "bin", "openstack-healthcheck")
        listed = json.loads(run([deployed, "list", "--format", "json"], installed["env"], installed["cwd"]).stdout)
        share = os.path.join(prefix, "usr", "share", "openstack-healthcheck")
        kolla = os.path.join(prefix, "usr", "local", "bin")
        assert sorted(os.listdir(share)) == sorted(s["name"] for s in listed["services"])
        assert sorted(os.listdir(kolla)) == sorted(listed["kolla_names"])
        for link in [os.path.join(share, "nova-api"), os.path.join(kolla, "healthcheck_curl")]:
            assert os.path.realpath(link) == deployed

    def test_5_deploy_from_a_package_parses(self, installed):
        for command in self.by_kind("deploy-package"):
            args = self.substitute(command, {})
            run(args + ["--syntax-check"], installed["env"], installed["cwd"])

    def test_6_validate_a_real_container(self, installed, docker_image):
        deployed = os.path.join(installed["cwd"], "prefix", "usr", "bin", "openstack-healthcheck")
        assert os.access(deployed, os.X_OK), "test_4_deploy installs the binary the image uses"
        context = docker_image
        shutil.copy(BUSYBOX, os.path.join(context, "busybox"))
        shutil.copy(deployed, os.path.join(context, "openstack-healthcheck"))
        with open(os.path.join(context, "Dockerfile"), "w") as f:
            f.write("FROM scratch\n"
                    "COPY busybox /bin/busybox\n"
                    "COPY openstack-healthcheck /usr/bin/openstack-healthcheck\n"
                    'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir /www '
                    '&& echo ok > /www/index.html"]\n'
                    'HEALTHCHECK --interval=1s --timeout=5s --retries=2 '
                    'CMD ["/usr/bin/openstack-healthcheck", "probe", "http", "http://127.0.0.1:8080/"]\n'
                    'CMD ["/bin/httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"]\n')
        docker_env = dict(os.environ, DOCKER_BUILDKIT="0")
        run(["docker", "build", "-q", "--label", LABEL, "-t", IMAGE, context], docker_env, REPO)
        run(["docker", "run", "-d", "--label", LABEL, "--name", CONTAINER, IMAGE], docker_env, REPO)
        self.inventory(installed["cwd"], healthcheck_runtime="docker", healthcheck_containers=[CONTAINER],
                       healthcheck_poll_interval=1)
        for command in self.by_kind("validate"):
            for report in ("health.json", "health.xml"):
                if os.path.exists(os.path.join(installed["cwd"], report)):
                    os.remove(os.path.join(installed["cwd"], report))
            args = self.substitute(command, {'["nova_*", "neutron_*"]': json.dumps([CONTAINER])})
            proc = run(args, installed["env"], installed["cwd"])
            assert CONTAINER in proc.stdout and "healthy" in proc.stdout
            if "healthcheck_report_json=health.json" in command:
                with open(os.path.join(installed["cwd"], "health.json")) as f:
                    report = json.load(f)
                assert report["passed"] is True
                assert json.dumps(report).count(CONTAINER) >= 1
            if "healthcheck_report_junit=health.xml" in command:
                root = ET.parse(os.path.join(installed["cwd"], "health.xml")).getroot()
                cases = root.findall(".//testcase")
                assert any(CONTAINER in c.get("name", "") for c in cases)
                assert not root.findall(".//failure")

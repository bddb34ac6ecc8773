# Copyright (c) openstack-healthcheck developers
# SPDX-License-Identifier: Apache-2.0
"""The real kolla-build (kolla 23.0.0, --template-only) renders override files patched by
playbooks/kolla_overrides.yml (the real playbook, through ansible-playbook), and the
Dockerfiles carry the install step, the right /openstack/healthcheck link and HEALTHCHECK.

Run by `make test-kolla-build`, which puts the collection on ANSIBLE_COLLECTIONS_PATH.
"""

import glob
import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils import images

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, "playbooks", "kolla_overrides.yml")
FIXTURES = os.path.join(REPO, "collection", "tests", "unit", "fixtures", "kolla-overrides")
MARKER = "managed by openstack.healthcheck.kolla_overrides"


def tool(name):
    path = shutil.which(name)
    assert path, "%s not found: run `make deps` (the venv has ansible-core and kolla==23.0.0)" % name
    return path


def fixture_copy(tmp_path, commit):
    (src,) = glob.glob(os.path.join(FIXTURES, "*.%s.*.j2" % commit))
    dest = str(tmp_path / "overrides.j2")
    shutil.copyfile(src, dest)
    os.chmod(dest, 0o644)
    return dest


def run_playbook(path, **extra):
    """Run the playbook on ``path``; return how many tasks changed something (from the recap)."""
    extra_vars = dict(kolla_overrides_path=path, kolla_overrides_backup=False, **extra)
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([tool("ansible-playbook"), PLAYBOOK, "-e", json.dumps(extra_vars)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (changed,) = re.findall(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", proc.stdout)
    return int(changed)


def kolla_build(tmp_path, override, images):
    """Render the Dockerfiles of ``images`` with kolla-build; return {image: Dockerfile text}."""
    work = str(tmp_path / "work")
    regex = "^(%s)$" % "|".join(images)
    proc = subprocess.run([tool("kolla-build"), "--template-only", "--work-dir", work, "--base", "debian",
                           "--base-tag", "bookworm", "--template-override", override, regex],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rendered = {}
    for dockerfile in glob.glob(os.path.join(work, "docker", "**", "Dockerfile"), recursive=True):
        image = os.path.basename(os.path.dirname(dockerfile))
        if image in images:
            with open(dockerfile) as f:
                rendered[image] = f.read()
    assert sorted(rendered) == sorted(images)
    return rendered


def instructions(dockerfile):
    """The Dockerfile's instructions with continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def assert_shell_syntax(dockerfile):
    """Every RUN of ours must be valid /bin/sh (kolla's images run RUN through it)."""
    ours = [i[4:] for i in instructions(dockerfile) if i.startswith("RUN ") and "openstack-healthcheck" in i]
    assert ours
    for command in ours:
        proc = subprocess.run(["sh", "-n", "-c", command], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (command, proc.stderr)


def link_of(dockerfile):
    return re.findall(r"ln -sfn /usr/share/openstack-healthcheck/(\S+) /openstack/healthcheck", dockerfile)


SERVICES = {"nova-api": "nova-api", "keystone": "keystone", "neutron-openvswitch-agent": "neutron-ovs-agent"}


def test_patched_tripleo_file_renders_with_checks_and_healthcheck(tmp_path):
    override = fixture_copy(tmp_path, "8c46306e")
    assert run_playbook(override, kolla_overrides_services=sorted(SERVICES.values()),
                        kolla_overrides_healthcheck=True, kolla_overrides_interval=60) == 1
    rendered = kolla_build(tmp_path, override, ["base"] + sorted(SERVICES))

    base = rendered["base"]
    assert "ADD additions-archive /" in base
    assert "install -m 0755 /additions/openstack-healthcheck/openstack-healthcheck /usr/bin/openstack-healthcheck" in base
    assert "ln -sfn /usr/bin/openstack-healthcheck /usr/share/openstack-healthcheck/$check" in base
    (linked,) = re.findall(r"for check in ([^;]*); do", " ".join(instructions(base)))
    assert linked.split() == images.all_checks()
    # The install step sits in base_footer: after kolla's own setup, before CMD.
    steps = instructions(base)
    install_at = next(i for i, s in enumerate(steps) if "/usr/bin/openstack-healthcheck --version" in s)
    assert install_at > next(i for i, s in enumerate(steps) if s.startswith("COPY set_configs.py"))
    assert steps[-1].startswith("CMD")
    assert_shell_syntax(base)

    for image, check in SERVICES.items():
        dockerfile = rendered[image]
        assert link_of(dockerfile) == [check], image
        steps = instructions(dockerfile)
        healthchecks = [s for s in steps if s.startswith("HEALTHCHECK")]
        assert healthchecks == ['HEALTHCHECK --interval=60s --timeout=30s --start-period=5s --retries=3 '
                                'CMD ["/openstack/healthcheck"]'], image
        # Our RUN runs as root: before the image's own USER switch, if it has one.
        link_at = next(i for i, s in enumerate(steps) if "/openstack/healthcheck" in s and s.startswith("RUN"))
        users = [i for i, s in enumerate(steps) if s.startswith("USER ")]
        assert all(u > link_at or steps[u] == "USER root" for u in users), image
        assert_shell_syntax(dockerfile)

    for dockerfile in rendered.values():
        assert MARKER not in dockerfile and "{%" not in dockerfile and "{#" not in dockerfile

    # Second run: nothing to change.
    assert run_playbook(override, kolla_overrides_services=sorted(SERVICES.values()),
                        kolla_overrides_healthcheck=True, kolla_overrides_interval=60) == 0


def test_install_only_and_package_source_on_a_new_file(tmp_path):
    override = str(tmp_path / "new.j2")
    with open(override, "w") as f:
        f.write("{% extends parent_template %}\n")
    run_playbook(override, kolla_overrides_services=["mariadb", "ovn-dbs"], kolla_overrides_binary_source="package")
    rendered = kolla_build(tmp_path, override, ["base", "mariadb-server", "ovn-northd"])
    # kolla 23's Debian base is a deb image: the package step takes the apt branch.
    assert "apt-get -y install --no-install-recommends openstack-healthcheck" in rendered["base"]
    assert "dnf" not in " ".join(s for s in instructions(rendered["base"]) if "openstack-healthcheck" in s)
    assert_shell_syntax(rendered["base"])
    assert link_of(rendered["mariadb-server"]) == ["mariadb"]  # mariadb-server's block is mariadb_footer
    assert link_of(rendered["ovn-northd"]) == ["ovn-dbs"]
    for image in ("mariadb-server", "ovn-northd"):
        assert "HEALTHCHECK" not in rendered[image]
        assert_shell_syntax(rendered[image])


@pytest.mark.parametrize("commit", ["0cab033b"])
def test_absent_renders_exactly_like_the_original(tmp_path, commit):
    override = fixture_copy(tmp_path, commit)
    with open(override, "rb") as f:
        original = f.read()
    run_playbook(override, kolla_overrides_services=["nova-api"], kolla_overrides_healthcheck=True)
    run_playbook(override, kolla_overrides_state="absent")
    with open(override, "rb") as f:
        assert f.read() == original

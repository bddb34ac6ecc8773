# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Dockerfile lines: valid shell, every check linked, never template syntax."""

import os
import re
import subprocess

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils import images, install_steps, services_data

SOURCES = [
    ("additions", {}),
    ("url", {"url": "https://example.org/openstack-healthcheck", "sha256": "A" * 64}),
    ("preinstalled", {}),
]


def run_instructions(text):
    joined = text.replace("\\\n", " ")
    return [line[4:] for line in joined.splitlines() if line.startswith("RUN ")]


@pytest.mark.parametrize("source,extra", SOURCES)
def test_base_install_links_every_check_and_is_valid_shell(source, extra):
    text = install_steps.base_install(source, **extra)
    for opener in ("{{", "{%", "{#"):
        assert opener not in text
    (command,) = run_instructions(text)
    (names,) = re.findall(r"for check in ([^;]*); do", command)
    assert names.split() == images.all_checks()
    assert subprocess.run(["sh", "-n", "-c", command], check=False).returncode == 0
    assert command.endswith("/usr/bin/openstack-healthcheck --version")
    (kolla,) = re.findall(r"for name in ([^;]*); do ln -sfn /usr/bin/openstack-healthcheck /usr/local/bin/\$name;",
                          command)
    assert kolla.split() == [name for name, _dir in images.kolla_links(images.BASE_IMAGE)]
    assert kolla.split() == ["healthcheck_curl", "healthcheck_port", "healthcheck_listen", "healthcheck_socket",
                             "healthcheck_filemod"]
    # Without kolla_links, kolla's own scripts stay.
    (command,) = run_instructions(install_steps.base_install(source, kolla_links=False, **extra))
    assert "/usr/local/bin" not in command and "healthcheck_curl" not in command


def test_package_source_branches_on_the_package_type():
    text = install_steps.base_install("package", package="openstack-healthcheck")
    assert "{% if base_package_type == 'rpm' %}" in text and "{% endif %}" in text


@pytest.mark.parametrize("install,healthcheck,expect_run,expect_hc", [
    (True, True, True, True), (True, False, True, False), (False, True, False, True)])
def test_service_steps(install, healthcheck, expect_run, expect_hc):
    text = install_steps.service_steps("nova-api", install, healthcheck, 30, 30, 3, 5)
    commands = run_instructions(text)
    assert bool(commands) == expect_run
    for command in commands:
        assert "ln -sfn /usr/share/openstack-healthcheck/nova-api /openstack/healthcheck" in command
        assert subprocess.run(["sh", "-n", "-c", command], check=False).returncode == 0
    assert ("HEALTHCHECK --interval=30s --timeout=30s --start-period=5s --retries=3 CMD [\"/openstack/healthcheck\"]"
            in text) == expect_hc


def test_link_steps_work_in_a_scratch_root(tmp_path):
    """Execute the link commands for real, with the absolute paths moved under a temp root."""
    root = str(tmp_path)
    base = run_instructions(install_steps.base_install("preinstalled"))[0]
    service = run_instructions(install_steps.service_steps("neutron-ovs-agent", True, False, 30, 30, 3, 5))[0]
    fake_binary = tmp_path / "usr" / "bin" / "openstack-healthcheck"
    fake_binary.parent.mkdir(parents=True)
    fake_binary.write_text("#!/bin/sh\necho \"$0\"\n")
    fake_binary.chmod(0o755)
    # kolla's base image copied its own scripts there before base_footer runs.
    kolla_bin = tmp_path / "usr" / "local" / "bin"
    kolla_bin.mkdir(parents=True)
    (kolla_bin / "healthcheck_curl").write_text("#!/bin/bash\ncurl ...\n")
    for command in (base, service):
        moved = re.sub(r"(?<![\w.-])/(usr|openstack)\b", root + r"/\1", command)
        proc = subprocess.run(["sh", "-c", moved], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
    link = tmp_path / "openstack" / "healthcheck"
    assert str(link.resolve()) == str(fake_binary)
    assert subprocess.run([str(link)], capture_output=True, text=True, check=True).stdout.strip() == str(link)
    assert (tmp_path / "usr/share/openstack-healthcheck/neutron-ovs-agent").resolve() == fake_binary
    for name, _directory in images.kolla_links(images.BASE_IMAGE):
        link = kolla_bin / name
        assert link.is_symlink() and os.readlink(str(link)) == root + "/usr/bin/openstack-healthcheck", name
    # The names kolla's mariadb-server image installs itself, in its own footer.
    (tmp_path / "usr" / "bin" / "healthcheck.sh").write_text("#!/bin/bash\n# MariaDB's script\n")
    service = run_instructions(install_steps.service_steps("mariadb", True, False, 30, 30, 3, 5, "mariadb-server"))[0]
    moved = re.sub(r"(?<![\w.-])/(usr|openstack)\b", root + r"/\1", service)
    proc = subprocess.run(["sh", "-c", moved], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    for link in (kolla_bin / "healthcheck_mariadb", tmp_path / "usr" / "bin" / "healthcheck.sh"):
        assert link.is_symlink() and os.readlink(str(link)) == root + "/usr/bin/openstack-healthcheck", link


def test_every_kolla_name_has_its_image():
    assert set(images.KOLLA_NAME_PLACES) == set(services_data.KOLLA_NAMES)
    placed = {}
    for image in ("base", "mariadb-server", "rabbitmq"):
        for name, directory in images.kolla_links(image):
            placed[name] = (image, directory)
    assert placed == images.KOLLA_NAME_PLACES
    assert images.kolla_links("nova-api") == []
    assert install_steps.kolla_link_commands("nova-api") == []


def test_docs_table_matches_the_data():
    """docs/kolla_overrides.md lists exactly the table the module uses."""
    docs = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "kolla_overrides.md")
    with open(docs) as f:
        rows = re.findall(r"^\| `([a-z0-9-]+)`(?: \(retired\))? \| `([a-z0-9-]+)` \| `([a-z0-9_]+)` \|$", f.read(), re.M)
    expected = dict(images.CHECK_IMAGES, **images.RETIRED_CHECK_IMAGES)
    assert {c: i for c, i, _b in rows} == expected
    assert all(images.footer_block(i) == b for _c, i, b in rows)

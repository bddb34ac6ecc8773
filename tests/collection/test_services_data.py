# Copyright (c) openstack-healthcheck developers
# SPDX-License-Identifier: Apache-2.0
"""The built binary is the one service list: every copy (the collection's services_data,
docs/services.md's table) matches what `openstack-healthcheck list --format json` prints, and
the collection's image table is that list plus only what the binary does not know.

Run by `make test-services-data` (after `make build`), with the collection importable.
"""

import json
import os
import subprocess
import sys

from ansible_collections.openstack.healthcheck.plugins.module_utils import images

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "services_from_binary.py")

sys.path.insert(0, HERE)
import services_from_binary  # noqa: E402  pylint: disable=wrong-import-position

BIN = services_from_binary.release_binary()


def binary_list():
    proc = subprocess.run([BIN, "list", "--format", "json"], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_committed_copies_match_the_built_binary():
    proc = subprocess.run([sys.executable, SCRIPT, "--bin", BIN, "--check"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr


def test_collection_images_are_the_binary_list():
    listed = {s["name"]: s["image"] for s in binary_list()["services"]}
    assert len(listed) > 60
    assert images.CHECK_IMAGES == listed
    # Retired checks are collection knowledge only while the binary does not list them.
    assert not set(images.RETIRED_CHECK_IMAGES) & set(listed)
    assert set(images.all_checks()) == set(listed) | set(images.RETIRED_CHECK_IMAGES)
    # Old names map to checks the binary has.
    assert set(images.RENAMED_CHECKS.values()) <= set(listed)


def test_check_fails_on_a_stale_copy_and_names_the_fix(tmp_path, monkeypatch):
    stale = tmp_path / "services_data.py"
    real = open(services_from_binary.DATA).read()
    stale.write_text(real.replace('"image": "neutron-openvswitch-agent"', '"image": "neutron-ovs-agent"'))
    assert stale.read_text() != real
    monkeypatch.setattr(services_from_binary, "DATA", str(stale))
    docs = tmp_path / "services.md"
    docs.write_text(open(services_from_binary.DOCS).read())
    monkeypatch.setattr(services_from_binary, "DOCS", str(docs))
    assert services_from_binary.main(["--bin", BIN, "--check"]) == 1
    assert stale.read_text() != real  # --check writes nothing
    assert services_from_binary.main(["--bin", BIN, "--write"]) == 0
    assert stale.read_text() == real


def test_a_binary_that_lists_nothing_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty-list"
    empty.write_text('#!/bin/sh\necho \'{"services": [], "kolla_names": ["healthcheck_curl"]}\'\n')
    empty.chmod(0o755)
    assert services_from_binary.main(["--bin", str(empty), "--check"]) == 1
    assert "lists no services" in capsys.readouterr().err


def test_packaging_links_exactly_what_the_binary_lists(tmp_path):
    listed = binary_list()
    dest = tmp_path / "root"
    subprocess.run(["bash", os.path.join(REPO, "packaging", "stage.sh"), BIN, str(dest)], check=True,
                   capture_output=True)
    share = dest / "usr" / "share" / "openstack-healthcheck"
    links = sorted(p.name for p in share.iterdir() if p.is_symlink())
    assert links == sorted(s["name"] for s in listed["services"])
    kolla = sorted(p.name for p in (share / "kolla").iterdir())
    assert kolla == sorted(listed["kolla_names"])
    assert all(os.readlink(str(share / "kolla" / k)) == "/usr/bin/openstack-healthcheck" for k in kolla)


def test_packaging_refuses_a_binary_that_lists_nothing(tmp_path):
    empty = tmp_path / "empty-list"
    empty.write_text('#!/bin/sh\necho \'{"services": [], "kolla_names": ["healthcheck_curl"]}\'\n')
    empty.chmod(0o755)
    dest = tmp_path / "root"
    proc = subprocess.run(["bash", os.path.join(REPO, "packaging", "stage.sh"), str(empty), str(dest)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "lists no services" in proc.stderr
    assert not dest.exists()


def test_kolla_names_are_the_binary_list():
    from ansible_collections.openstack.healthcheck.plugins.module_utils import services_data

    assert services_data.KOLLA_NAMES == binary_list()["kolla_names"]


def test_every_image_note_about_kolla_not_building_an_image_is_understood():
    """kolla_overrides warns from the binary's image notes: a note that says an image is not
    built must be one the collection reads as such, or the warning would silently go."""
    notes = {s["name"]: s["image_note"] for s in binary_list()["services"] if s["image_note"]}
    assert notes
    understood = {}
    for check, note in notes.items():
        kind, release = images.note_availability(note)
        if any(word in note for word in ("none", "dropped", "instead", "no longer", "removed")):
            assert kind != "built", (check, note)
        if kind != "built":
            understood[check] = (kind, release)
    # What the binary says today, read the collection's way.
    assert understood["redis"] == ("before", "2025.1")
    assert understood["swift-proxy"] == ("until", "2024.2")
    assert understood["frr"] == ("never", None)

# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""kolla_overrides end to end (in process) on copies of the real override files."""

import json
import os
import re
import shutil
from unittest import mock

import jinja2
import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings

from ansible_collections.openstack.healthcheck.plugins.module_utils import images, services_data
from ansible_collections.openstack.healthcheck.plugins.module_utils import kolla_template as kt
from ansible_collections.openstack.healthcheck.plugins.modules import kolla_overrides
from helpers import FIXTURES, fixture, jinja_compile, read

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        yield

SERVICES = ["nova-api", "keystone", "neutron-ovs-agent", "mariadb", "nova-vnc-proxy", "swift-proxy"]
LINK = re.compile(r"ln -sfn /usr/share/openstack-healthcheck/(\S+) /openstack/healthcheck")


def run(capsys, **args):
    """Run the module with ``args``; return (exit code, result dict).

    ``result["warnings"]`` is what the module warned, recorded at ``AnsibleModule.warn``:
    where the warnings end up in the printed result depends on what else the test process
    imported (with controller code such as ``ansible.errors`` loaded, ansible-core 2.19
    routes them elsewhere), so the tests do not depend on it.
    """
    # AnsibleModule keeps warnings in a process-wide list: start each run with none.
    module_warnings._global_warnings.clear()
    warned = []
    real_warn = basic.AnsibleModule.warn

    def record(module, warning, *more, **kwargs):
        warned.append(warning)
        return real_warn(module, warning, *more, **kwargs)

    with patch_module_args(args), mock.patch.object(basic.AnsibleModule, "warn", record):
        with pytest.raises(SystemExit) as exit_info:
            kolla_overrides.main()
    result = json.loads(capsys.readouterr().out)
    result["warnings"] = warned
    return exit_info.value.code, result


def ok(capsys, **args):
    code, result = run(capsys, **args)
    assert code == 0, result.get("msg")
    return result


def failed(capsys, path, **args):
    before = read(path) if os.path.exists(path) else None
    code, result = run(capsys, path=path, **args)
    assert code == 1 and result["failed"]
    assert (read(path) if os.path.exists(path) else None) == before, "a failing run changed the file"
    return result["msg"]


def block_bodies(text):
    """Block name -> body, for flat or nested blocks (our parser, already tested on its own)."""
    tpl = kt.validate(text)
    return {name: text[b.open_tag.end:b.close_tag.start] for name, b in tpl.blocks.items()}


@pytest.fixture
def copy(tmp_path):
    def _copy(commit):
        dest = str(tmp_path / "overrides.j2")
        shutil.copyfile(fixture(commit), dest)
        return dest
    return _copy


COMMITS = [os.path.basename(p).split(".")[1] for p in FIXTURES]


@pytest.mark.parametrize("commit", COMMITS)
@pytest.mark.parametrize("healthcheck", [False, True])
def test_present_idempotent_absent_on_every_fixture(capsys, copy, commit, healthcheck):
    path = copy(commit)
    original = read(path)
    first = ok(capsys, path=path, services=SERVICES, healthcheck=healthcheck)
    assert first["changed"]
    patched = read(path).decode()
    jinja_compile(patched)
    bodies = block_bodies(patched)
    for service in SERVICES:
        _check, image, _warning = images.resolve(service)
        ours = bodies[images.footer_block(image)].split(kt.BEGIN, 1)[-1]
        assert LINK.findall(ours) == [service]
        assert ours.count("HEALTHCHECK ") == (1 if healthcheck else 0)
    assert "/usr/bin/openstack-healthcheck --version" in bodies["base_footer"]
    # Every byte outside our markers is the original's.
    assert kt.remove(patched, "base_footer") != patched
    second = ok(capsys, path=path, services=SERVICES, healthcheck=healthcheck)
    assert not second["changed"] and read(path).decode() == patched
    assert {b["action"] for b in second["blocks"]} == {"unchanged"}
    gone = ok(capsys, path=path, state="absent")
    assert gone["changed"] and read(path) == original
    assert not ok(capsys, path=path, state="absent")["changed"]


@pytest.mark.parametrize("commit", COMMITS)
def test_check_mode_and_diff(capsys, copy, commit):
    path = copy(commit)
    original = read(path)
    result = ok(capsys, path=path, services=SERVICES, healthcheck=True, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] and read(path) == original
    assert result["diff"]["before"] == original.decode()
    ok(capsys, path=path, services=SERVICES, healthcheck=True)
    assert result["diff"]["after"] == read(path).decode()
    result = ok(capsys, path=path, state="absent", _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] and result["diff"]["after"] == original.decode() and read(path) != original


@pytest.mark.parametrize("commit", COMMITS)
def test_backup(capsys, copy, commit):
    path = copy(commit)
    original = read(path)
    result = ok(capsys, path=path, services=["nova-api"], backup=True)
    assert read(result["backup_file"]) == original and read(path) != original
    assert "backup_file" not in ok(capsys, path=path, services=["nova-api"], backup=True)


def test_kolla_names_go_where_kolla_installs_its_scripts(capsys, copy):
    path = copy("8c46306e")
    ok(capsys, path=path, services=["mariadb", "rabbitmq", "nova-api"])
    bodies = block_bodies(read(path).decode())
    ours = dict((block, bodies[block].split(kt.BEGIN, 1)[-1]) for block in
                ("base_footer", "mariadb_footer", "rabbitmq_footer", "nova_api_footer"))
    kolla = re.compile(r"for name in ([^;]*); do ln -sfn /usr/bin/openstack-healthcheck (\S+)/\$name")
    assert kolla.findall(ours["base_footer"]) == [
        ("healthcheck_curl healthcheck_port healthcheck_listen healthcheck_socket healthcheck_filemod", "/usr/local/bin")]
    assert sorted(kolla.findall(ours["mariadb_footer"])) == [("healthcheck.sh", "/usr/bin"),
                                                             ("healthcheck_mariadb", "/usr/local/bin")]
    assert kolla.findall(ours["rabbitmq_footer"]) == [("healthcheck_rabbitmq", "/usr/local/bin")]
    assert kolla.findall(ours["nova_api_footer"]) == []
    # kolla_links false: the per-service links only, kolla's scripts stay.
    path = copy("8c46306e")
    ok(capsys, path=path, services=["mariadb", "rabbitmq"], kolla_links=False)
    assert not kolla.findall(read(path).decode())


def test_a_symlinked_file_is_written_through(capsys, copy, tmp_path):
    # Override files are often kept in a repository and linked into /etc/kolla.
    target = copy("0cab033b")
    original = read(target)
    linkdir = tmp_path / "etc-kolla"
    linkdir.mkdir()
    link = str(linkdir / "template-overrides.j2")
    os.symlink(target, link)

    # Check mode and diff: nothing written, the diff shows the target's text.
    result = ok(capsys, path=link, services=["nova-api"], _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] and result["diff"]["before"] == original.decode()
    assert os.path.islink(link) and read(target) == original

    result = ok(capsys, path=link, services=["nova-api"], backup=True, _ansible_diff=True)
    assert result["changed"]
    # The link stays a link to the same file; that file has the change; nothing else appeared
    # next to the link (no temporary file, no backup: the backup is the target's).
    assert os.path.islink(link) and os.readlink(link) == target
    assert read(target) != original and read(link) == read(target)
    assert result["diff"]["after"] == read(target).decode()
    assert os.listdir(str(linkdir)) == ["template-overrides.j2"]
    assert os.path.dirname(result["backup_file"]) == os.path.dirname(target)
    assert read(result["backup_file"]) == original
    assert LINK.findall(block_bodies(read(target).decode())["nova_api_footer"]) == ["nova-api"]

    # A second run changes nothing; absent gives back the original through the link.
    assert not ok(capsys, path=link, services=["nova-api"])["changed"]
    assert ok(capsys, path=link, state="absent")["changed"]
    assert os.path.islink(link) and read(target) == original


def test_a_link_to_a_link_and_a_relative_link(capsys, copy, tmp_path):
    target = copy("8c46306e")
    (tmp_path / "links").mkdir()
    os.symlink(os.path.join("..", os.path.basename(target)), str(tmp_path / "links" / "relative.j2"))
    os.symlink("relative.j2", str(tmp_path / "links" / "chained.j2"))
    ok(capsys, path=str(tmp_path / "links" / "chained.j2"), services=["keystone"])
    assert os.path.islink(str(tmp_path / "links" / "chained.j2"))
    assert os.path.islink(str(tmp_path / "links" / "relative.j2"))
    assert "keystone_footer" in kt.managed_blocks(read(target).decode())


def test_update_in_place_and_partial_absent(capsys, copy):
    path = copy("0cab033b")
    original = read(path)
    ok(capsys, path=path, services=["nova-api", "keystone"])
    result = ok(capsys, path=path, services=["nova-api"], healthcheck=True, interval=60, retries=5)
    assert [b["action"] for b in result["blocks"] if b["block"] == "nova_api_footer"] == ["updated"]
    text = read(path).decode()
    assert text.count(kt.BEGIN) + text.count(kt.BEGIN_BLOCK) == 3
    assert "HEALTHCHECK --interval=60s --timeout=30s --start-period=5s --retries=5" in block_bodies(text)["nova_api_footer"]
    # Removing one service keeps the install step for the other.
    ok(capsys, path=path, services=["nova-api"], state="absent")
    assert sorted(kt.managed_blocks(read(path).decode())) == ["base_footer", "keystone_footer"]
    ok(capsys, path=path, services=["keystone"], state="absent")
    assert read(path) == original


def test_healthcheck_only_writes_no_install_step(capsys, copy):
    path = copy("1c0af446")
    result = ok(capsys, path=path, services=["nova-api"], install=False, healthcheck=True, timeout=10)
    body = block_bodies(read(path).decode())["nova_api_footer"]
    assert [b["block"] for b in result["blocks"]] == ["nova_api_footer"]
    assert "ln -sfn" not in body.split(kt.BEGIN)[1] and "--timeout=10s" in body
    assert "base_footer" not in kt.managed_blocks(read(path).decode())


@pytest.mark.parametrize("source,extra,expected", [
    ("package", {}, "apt-get -y install --no-install-recommends openstack-healthcheck"),
    ("url", {"binary_url": "https://example.org/ohc", "binary_sha256": "a" * 64}, "ADD https://example.org/ohc"),
    ("preinstalled", {}, "test -x /usr/bin/openstack-healthcheck"),
    ("additions", {}, "ADD additions-archive /"),
])
def test_binary_sources(capsys, copy, source, extra, expected):
    path = copy("8c46306e")
    ok(capsys, path=path, services=["nova-api"], binary_source=source, **extra)
    text = read(path).decode()
    jinja_compile(text)
    assert expected in block_bodies(text)["base_footer"]


@pytest.mark.parametrize("args,message", [
    ({"services": ["nova-apii"]}, "unknown check 'nova-apii'"),
    ({"services": ["heat-api-cnf"]}, "use 'heat-api-cfn'"),
    ({"services": ["keystone-public"]}, "use 'keystone'"),
    ({"services": [{"image": "nova-api"}]}, "needs 'check'"),
    ({"services": [{"check": "nova-api", "image": "Nova API"}]}, "not a kolla image name"),
    ({"services": ["nova-api", "nova-metadata"]}, "both go into block nova_api_footer"),
    ({"services": [{"check": "cron", "image": "base"}]}, "cannot go into the base image"),
    ({"services": []}, "services is empty"),
    ({"services": ["nova-api"], "install": False}, "nothing to write"),
    ({"services": ["nova-api"], "retries": 0}, "retries must be at least 1"),
    ({"services": ["nova-api"], "binary_source": "url"}, "missing: binary_url, binary_sha256"),
    ({"services": ["nova-api"], "binary_source": "url", "binary_url": "https://x/{{ y }}", "binary_sha256": "0" * 64},
     "not an http(s) URL"),
    ({"services": ["nova-api"], "binary_source": "url", "binary_url": "https://x/y", "binary_sha256": "beef"},
     "64 hex digits"),
    ({"services": ["nova-api"], "binary_source": "package", "package_name": "a b"}, "not a package name"),
])
def test_bad_arguments_fail_and_change_nothing(capsys, copy, args, message):
    assert message in failed(capsys, copy("2088f612"), **args)


@pytest.mark.parametrize("text,message", [
    ("{% extends parent_template %}\n{% block nova_api_footer %}\nRUN x\n", "is never closed"),
    ("{% block nova_api_footer %}{% endblock %}\n", "first statement must be {% extends"),
    ("{% extends parent_template %}\n{% block a %}{% endblock %}\n{% block a %}{% endblock %}\n", "defined twice"),
    ("{% extends parent_template %}\n{% block a %}{{ x | }}{% endblock %}\n", "Jinja2"),
])
def test_malformed_file_fails_and_changes_nothing(capsys, tmp_path, text, message):
    path = str(tmp_path / "bad.j2")
    with open(path, "w") as f:
        f.write(text)
    msg = failed(capsys, path, services=["nova-api"])
    assert message in msg and "is not a usable kolla override file" in msg


def test_missing_file_fails_unless_create(capsys, tmp_path):
    path = str(tmp_path / "new.j2")
    assert "does not exist" in failed(capsys, path, services=["nova-api"])
    assert not ok(capsys, path=path, services=["nova-api"], state="absent", create=True)["changed"]
    assert not os.path.exists(path)
    assert ok(capsys, path=path, services=["nova-api"], create=True)["changed"]
    text = read(path).decode()
    assert text.startswith(kolla_overrides.NEW_FILE) and "nova_api_footer" in block_bodies(text)
    ok(capsys, path=path, state="absent")
    assert read(path).decode() == kolla_overrides.NEW_FILE


def test_retired_check_warns(capsys, copy):
    result = ok(capsys, path=copy("8c46306e"), services=["sensu-client"])
    assert "sensu-client' is not in tripleo-common 18.0.0 (the service was retired)" in json.dumps(result["warnings"])


@pytest.mark.parametrize("services, release, warned", [
    (["redis"], "2026.2", "kolla 2026.2 builds no redis image (kolla 2025.1 and later build valkey-server instead"),
    (["redis"], "2024.2", None),
    ([{"check": "redis", "image": "valkey-server"}], "2026.2", None),
    (["swift-proxy"], "2025.1", "kolla 2025.1 builds no swift-proxy-server image (kolla dropped the swift images "
                                "after 2024.2)"),
    (["swift-proxy"], "2024.2", None),
    (["swift-proxy"], "master", "kolla master builds no swift-proxy-server image"),
    (["frr"], "2023.1", "kolla 2023.1 builds no frr image (TripleO's image: kolla builds none)"),
    (["nova-api", "keystone"], "2026.2", None),
])
def test_services_the_target_release_does_not_build_warn(capsys, copy, services, release, warned):
    path = copy("8c46306e")
    result = ok(capsys, path=path, services=services, kolla_release=release)
    not_built = [w for w in result["warnings"] if "builds no" in w]
    if warned:
        (warning,) = not_built
        assert warned in warning and "no image of that release renders" in warning
    else:
        assert not_built == []
    # The lines are written all the same: the warning is for a release the operator may not build.
    assert result["changed"]


def test_default_release_is_the_table_s_and_a_bad_release_fails(capsys, copy):
    path = copy("8c46306e")
    result = ok(capsys, path=path, services=["swift-rsync"])
    assert any("kolla %s builds no swift-rsyncd image" % images.TABLE_KOLLA_RELEASE in w for w in result["warnings"])
    assert "is no OpenStack release" in failed(capsys, path, services=["nova-api"], kolla_release="epoxy")


def test_missing_jinja2_is_a_warning_not_silence(capsys, copy, monkeypatch):
    path = copy("8c46306e")
    assert not any("Jinja2" in w for w in ok(capsys, path=path, services=["nova-api"])["warnings"])
    monkeypatch.setattr(kolla_overrides, "jinja2", None)
    monkeypatch.setattr(kolla_overrides, "JINJA_ERRORS", ())
    result = ok(capsys, path=path, services=["keystone"])
    (warning,) = [w for w in result["warnings"] if "Jinja2" in w]
    assert "Jinja2 is not installed for" in warning and "parse of the result is skipped" in warning
    # The structural checks still run without Jinja2.
    broken = str(copy("1c0af446")) + ".broken"
    with open(broken, "w") as f:
        f.write("{% extends parent_template %}\n{% block nova_api_footer %}\nRUN x\n")
    assert "is never closed" in failed(capsys, broken, services=["nova-api"])


def test_foreign_healthcheck_lines_warn(capsys, copy):
    result = ok(capsys, path=copy("2088f612"), services=["nova-api"], healthcheck=True)
    warnings = json.dumps(result["warnings"])
    assert "block nova_api_footer already has a HEALTHCHECK of its own" in warnings
    assert "already has a /openstack/healthcheck link of its own" in warnings
    # Only HEALTHCHECK written: TripleO's own link is the one the images use, no warning about it.
    result = ok(capsys, path=copy("2088f612"), services=["nova-api"], install=False, healthcheck=True)
    assert "link of its own" not in json.dumps(result["warnings"])


def test_explicit_image(capsys, copy):
    path = copy("1c0af446")
    ok(capsys, path=path, services=[{"check": "redis", "image": "valkey-server"}, "redis"])
    bodies = block_bodies(read(path).decode())
    assert LINK.findall(bodies["valkey_server_footer"]) == ["redis"] == LINK.findall(bodies["redis_footer"])


def test_table_is_the_binary_list_plus_retired_checks():
    """The images come from the binary's list (services_data); only retired checks are added here."""
    assert images.CHECK_IMAGES == dict((c, e["image"]) for c, e in services_data.SERVICES.items())
    assert len(images.CHECK_IMAGES) > 60
    assert not set(images.RETIRED_CHECK_IMAGES) & set(images.CHECK_IMAGES)


def test_jinja_compile_catches_duplicate_blocks():
    with pytest.raises(jinja2.TemplateAssertionError):
        jinja_compile("{% extends p %}{% block a %}{% endblock %}{% block a %}{% endblock %}")


# --- upstream's own change: tripleo-common cdbed13b added HEALTHCHECK to 40 images ---------------

def upstream_checks():
    """Block -> check that cdbed13b wired with a HEALTHCHECK, read from the fixture itself."""
    bodies = block_bodies(read(fixture("cdbed13b")).decode())
    pairs = {}
    for block, body in bodies.items():
        if "HEALTHCHECK" in body:
            (check,) = re.findall(r"healthcheck/(\S+) /openstack/healthcheck", body)
            pairs[block] = check
    assert len(pairs) == 40
    return pairs


def test_reproduce_upstream_healthcheck_change(capsys, copy):
    upstream = upstream_checks()
    services = []
    for block, check in sorted(upstream.items()):
        check = images.RENAMED_CHECKS.get(check, check)  # keystone-public, upstream's heat-api-cnf typo
        _check, image, _warning = images.resolve(check)
        # The table alone must find upstream's image for every check.
        assert images.footer_block(image) == block, (check, image)
        services.append(check)
    path = copy("8c46306e")
    before = block_bodies(read(path).decode())
    ok(capsys, path=path, services=services, healthcheck=True)
    patched = read(path).decode()
    jinja_compile(patched)
    ours = block_bodies(patched)
    for block, check in upstream.items():
        assert "HEALTHCHECK " in ours[block] and LINK.findall(ours[block]) == [images.RENAMED_CHECKS.get(check, check)]
        if block in before:  # the existing footers keep their own lines first, like upstream appended
            assert ours[block].startswith(before[block])
    # Like upstream: 4 existing footers get lines appended, 36 footers are new (plus our base install step).
    sections = kt.validate(patched).sections
    assert sorted(s.owner for s in sections if not s.whole_block) == [
        "base_footer", "cinder_backup_footer", "cinder_volume_footer", "mariadb_footer", "rabbitmq_footer"]
    assert len([s for s in sections if s.whole_block]) == 36
    # Blocks upstream left without HEALTHCHECK stay as they were.
    for block in set(before) - set(upstream) - {"base_footer"}:
        assert ours[block] == before[block]

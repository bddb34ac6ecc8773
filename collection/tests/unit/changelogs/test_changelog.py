# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The changelog fragments are well formed (antsibull-changelog's sections) and CHANGELOG.md's
unreleased section says exactly what they say, section by section, in the config's order."""

import glob
import os
import re

import yaml

COLLECTION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
CHANGELOGS = os.path.join(COLLECTION, "changelogs")
UNRELEASED = re.compile(r"^## v(\S+) \(unreleased\)\n(.*?)(?=^## |\Z)", re.M | re.S)


def config():
    with open(os.path.join(CHANGELOGS, "config.yaml")) as f:
        return yaml.safe_load(f)


def fragments():
    """Section -> entries, over every fragment (the release summary is one string)."""
    conf = config()
    known = dict(conf["sections"])
    merged = {}
    paths = sorted(glob.glob(os.path.join(CHANGELOGS, conf["notesdir"], "*.yml")))
    assert paths, "no changelog fragments"
    for path in paths:
        with open(path) as f:
            data = yaml.safe_load(f)
        assert isinstance(data, dict) and data, path
        for section, entries in data.items():
            if section == conf["prelude_section_name"]:
                assert isinstance(entries, str) and entries.strip(), path
                assert section not in merged, "two release summaries: %s" % path
                merged[section] = entries
                continue
            assert section in known or section == conf["trivial_section_name"], (path, section)
            if isinstance(entries, str):
                entries = [entries]
            assert entries and all(isinstance(e, str) and e.strip() for e in entries), (path, section)
            merged.setdefault(section, []).extend(entries)
    return merged


def markdown(text):
    """Fragment markup (RST literals) as CHANGELOG.md writes it, on one line."""
    return " ".join(text.replace("``", "`").split())


def expected_unreleased():
    """The body of CHANGELOG.md's unreleased section that the fragments make."""
    conf = config()
    merged = fragments()
    parts = []
    if conf["prelude_section_name"] in merged:
        parts.append("### %s\n\n%s\n" % (conf["prelude_section_title"], markdown(merged[conf["prelude_section_name"]])))
    for section, title in conf["sections"]:
        if merged.get(section):
            parts.append("### %s\n\n%s\n" % (title, "\n".join("- %s" % markdown(e) for e in sorted(merged[section]))))
    return "\n" + "\n".join(parts)


def test_changelog_md_is_the_fragments():
    with open(os.path.join(COLLECTION, "CHANGELOG.md")) as f:
        text = f.read()
    found = UNRELEASED.search(text)
    assert found, "CHANGELOG.md has no '## vX.Y.Z (unreleased)' section"
    with open(os.path.join(COLLECTION, "galaxy.yml")) as f:
        assert found.group(1) == yaml.safe_load(f)["version"]
    assert found.group(2) == expected_unreleased(), "CHANGELOG.md should read:\n" + expected_unreleased()


def test_config_points_at_the_collection_changelog():
    conf = config()
    assert conf["changelog_filename_template"] == "../CHANGELOG.md" and conf["output_formats"] == ["md"]
    assert os.path.isdir(os.path.join(CHANGELOGS, conf["notesdir"]))

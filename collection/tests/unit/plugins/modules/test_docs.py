# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Every module documents what modules share through the collection's doc fragments."""

import importlib
import os

import pytest
import yaml

from ansible_collections.openstack.healthcheck.plugins.doc_fragments.attributes import ModuleDocFragment

MODULES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules")
MODULES = sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.endswith(".py") and not f.startswith("_"))


def test_every_module_is_covered():
    assert MODULES == ["container_health", "kolla_overrides"]


@pytest.mark.parametrize("name", MODULES)
def test_module_extends_the_shared_attributes(name):
    module = importlib.import_module("ansible_collections.openstack.healthcheck.plugins.modules." + name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["extends_documentation_fragment"] == [
        "openstack.healthcheck.attributes", "openstack.healthcheck.attributes.platform"]
    shared = {}
    for fragment in (ModuleDocFragment.DOCUMENTATION, ModuleDocFragment.PLATFORM):
        shared.update(yaml.safe_load(fragment)["attributes"])
    assert set(doc["attributes"]) == {"check_mode", "diff_mode"}
    for attribute, own in doc["attributes"].items():
        # The module says its level of support; the shared wording comes from the fragment.
        assert "description" not in own and own["support"] in ("full", "partial", "none"), (name, attribute)
        assert "description" in shared[attribute]
    assert shared["platform"]["platforms"] == "posix"

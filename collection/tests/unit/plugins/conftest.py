# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Make ``ansible_collections.openstack.healthcheck`` importable under plain pytest.

``ansible-test units`` runs from an ``ansible_collections/openstack/healthcheck``
tree already; a plain ``pytest collection/tests/unit`` gets a temporary tree whose
``healthcheck`` entry links to this collection.
"""

import atexit
import os
import shutil
import sys
import tempfile

try:
    import ansible_collections.openstack.healthcheck  # noqa: F401  pylint: disable=unused-import
except ImportError:
    _COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    _ROOT = tempfile.mkdtemp(prefix="ohc-collections-")
    atexit.register(shutil.rmtree, _ROOT, True)
    os.makedirs(os.path.join(_ROOT, "ansible_collections", "openstack"))
    os.symlink(_COLLECTION, os.path.join(_ROOT, "ansible_collections", "openstack", "healthcheck"))
    sys.path.insert(0, _ROOT)

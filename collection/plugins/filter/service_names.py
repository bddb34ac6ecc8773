# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The service names in ``openstack-healthcheck list --format json`` output.

The list is a JSON array of objects with a ``name`` (plain strings and an object
holding a ``services`` array are accepted too). Empty output means no services:
an engine built without the service table lists none.
"""

import json

from ansible.errors import AnsibleFilterError


def service_names(text):
    """Names of the services in the engine's JSON list, in its order."""
    text = (text or "").strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError as e:
        raise AnsibleFilterError(
            "service_names: `openstack-healthcheck list --format json` did not print JSON (%s): %s" % (e, text[:200])
        )
    if isinstance(data, dict):
        data = data.get("services", [])
    if not isinstance(data, list):
        raise AnsibleFilterError("service_names: expected a JSON list of services, got %s" % type(data).__name__)
    names = []
    for entry in data:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise AnsibleFilterError("service_names: not a usable service name: %r" % (entry,))
        if name not in names:
            names.append(name)
    return names


class FilterModule(object):
    """Parse the engine's service list."""

    def filters(self):
        return {"service_names": service_names}

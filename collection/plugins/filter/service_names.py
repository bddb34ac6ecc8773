# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The names in ``openstack-healthcheck list --format json`` output.

The engine prints ``{"services": [{"name": ...}, ...], "kolla_names": [...]}``; a plain
array of services (objects with a ``name``, or strings), what older builds printed, is
accepted too. Empty output means no names.
"""

import json

from ansible.errors import AnsibleFilterError


def _listed(text, what):
    """The decoded list, or None for empty output."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise AnsibleFilterError(
            "%s: `openstack-healthcheck list --format json` did not print JSON (%s): %s" % (what, e, text[:200])
        )


def _names(entries, what):
    if not isinstance(entries, list):
        raise AnsibleFilterError("%s: expected a JSON list, got %s" % (what, type(entries).__name__))
    names = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise AnsibleFilterError("%s: not a usable name: %r" % (what, entry))
        if name not in names:
            names.append(name)
    return names


def service_names(text):
    """Names of the services in the engine's JSON list, in its order."""
    data = _listed(text, "service_names")
    if data is None:
        return []
    if isinstance(data, dict):
        data = data.get("services", [])
    return _names(data, "service_names")


def kolla_names(text):
    """kolla's drop-in names (healthcheck_curl, ...) the engine answers to, in its order."""
    data = _listed(text, "kolla_names")
    if data is None:
        return []
    if not isinstance(data, dict) or "kolla_names" not in data:
        raise AnsibleFilterError("kolla_names: the list has no kolla_names (a build older than this collection?)")
    return _names(data["kolla_names"], "kolla_names")


class FilterModule(object):
    """Parse the engine's service list."""

    def filters(self):
        return {"service_names": service_names, "kolla_names": kolla_names}

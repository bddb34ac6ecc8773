# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Which kolla image runs the service behind each check name, and that image's footer block.

Check names are the services openstack-healthcheck lists (tripleo-common 18.0.0's
healthcheck scripts, which ``/openstack/healthcheck`` links to). The binary also says which
kolla image runs each one; services_data holds that list, generated from the binary, for
controllers that do not have it. What only the collection needs stays here: checks TripleO
retired before 18.0.0 (the binary does not list them), old and misspelt names seen in
TripleO's override files, and footer blocks not named after their image.
"""

import re

from ansible_collections.openstack.healthcheck.plugins.module_utils.services_data import SERVICES

# check name -> kolla image, as the binary lists them.
CHECK_IMAGES = dict((check, entry["image"]) for check, entry in SERVICES.items())

# Checks TripleO's override file wired before tripleo-common 18.0.0 dropped them (the
# service left TripleO). Accepted, with a warning: the binary may not provide them.
RETIRED_CHECK_IMAGES = {
    "fluentd": "fluentd",
    "mistral-api": "mistral-api",
    "mistral-engine": "mistral-engine",
    "mistral-event-engine": "mistral-event-engine",
    "mistral-executor": "mistral-executor",
    "nova-consoleauth": "nova-consoleauth",
    "opendaylight-api": "opendaylight",
    "panko-api": "panko-api",
    "sahara-api": "sahara-api",
    "sahara-engine": "sahara-engine",
    "sensu-client": "sensu-client",
}

# Old or wrong names seen in TripleO's override files -> the check to use instead.
RENAMED_CHECKS = {
    "keystone-public": "keystone",  # renamed in tripleo-common
    "heat-api-cnf": "heat-api-cfn",  # misspelt in tripleo-common cdbed13b (2017): that link pointed nowhere
}

# kolla 23.0.0 images whose footer block is not named after the image.
FOOTER_BLOCKS = {
    "cyborg-base": "cyborg_footer",
    "httpd": "apache_footer",
    "keystone-api": "keystone_footer",
    "mariadb-server": "mariadb_footer",
    "nova-libvirt-spice": "nova_libvirt_footer",
    "opensearch-dashboards": "opensearch_footer",
    "prometheus-mysqld-exporter": "mysqld_exporter_footer",
    "prometheus-node-exporter": "node_exporter_footer",
}

# Every image derives from kolla's base image: its footer installs the binary once.
BASE_IMAGE = "base"

_IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def all_checks():
    """Every check name a per-service link may use, sorted."""
    return sorted(set(CHECK_IMAGES) | set(RETIRED_CHECK_IMAGES))


def footer_block(image):
    """The name of ``image``'s footer block: ``nova-api`` -> ``nova_api_footer``."""
    return FOOTER_BLOCKS.get(image, image.replace("-", "_") + "_footer")


def resolve(item):
    """Turn one ``services`` item into ``(check, image, warning or None)``; ValueError when unusable."""
    image = None
    if isinstance(item, dict):
        unknown = sorted(set(item) - {"check", "image"})
        if unknown or not item.get("check"):
            raise ValueError("a services item that is a dict needs 'check' and may have 'image' (got keys %s)"
                             % ", ".join(sorted(item)))
        check, image = item["check"], item.get("image")
    else:
        check = item
    if not isinstance(check, str):
        raise ValueError("check name %r is not a string" % (check,))
    if check in RENAMED_CHECKS:
        raise ValueError("check '%s' is an old or misspelt name: use '%s'" % (check, RENAMED_CHECKS[check]))
    warning = None
    if check in CHECK_IMAGES:
        default_image = CHECK_IMAGES[check]
    elif check in RETIRED_CHECK_IMAGES:
        default_image = RETIRED_CHECK_IMAGES[check]
        warning = ("check '%s' is not in tripleo-common 18.0.0 (the service was retired); "
                   "make sure your openstack-healthcheck build provides it" % check)
    else:
        raise ValueError("unknown check '%s'; known checks: %s" % (check, ", ".join(all_checks())))
    image = image or default_image
    if not isinstance(image, str) or not _IMAGE_NAME.match(image):
        raise ValueError("image %r for check '%s' is not a kolla image name (like nova-api)" % (image, check))
    return check, image, warning

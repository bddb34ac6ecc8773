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

from ansible_collections.openstack.healthcheck.plugins.module_utils.services_data import KOLLA_NAMES, SERVICES

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

# The OpenStack release of the kolla whose image names the table uses (kolla 23.0.0's
# openstack_release): the default release to check the images against.
TABLE_KOLLA_RELEASE = "2026.2"

# What the binary's image notes say about kolla building an image. A note matching none of
# these is information only (the image is built); the services data test fails when a note
# speaks of kolla not building an image in words these do not understand.
_NEVER_BUILT = re.compile(r"\bkolla builds none\b")
_DROPPED_AFTER = re.compile(r"\bkolla dropped the (?:\S+ )?images? after (\d{4}\.\d)\b")
_REPLACED_FROM = re.compile(r"\bkolla (\d{4}\.\d) and later build (\S+) instead\b")
_RELEASE = re.compile(r"^(\d{4})\.(\d)$")

# Where kolla puts each of its check scripts that the binary answers to (services_data's
# KOLLA_NAMES): the image whose Dockerfile installs it, and the directory. kolla 23.0.0's base
# image copies the generic scripts to /usr/local/bin (block healthcheck_installation, before
# base_footer); the mariadb-server and rabbitmq images install their own later in their own
# Dockerfiles, where a link made in the base image would be overwritten, so their links go
# into those images' footers; kolla-ansible runs MariaDB's healthcheck.sh as
# /usr/bin/healthcheck.sh. A test fails while the binary lists a name that has no place here.
KOLLA_NAME_PLACES = {
    "healthcheck_curl": (BASE_IMAGE, "/usr/local/bin"),
    "healthcheck_port": (BASE_IMAGE, "/usr/local/bin"),
    "healthcheck_listen": (BASE_IMAGE, "/usr/local/bin"),
    "healthcheck_socket": (BASE_IMAGE, "/usr/local/bin"),
    "healthcheck_filemod": (BASE_IMAGE, "/usr/local/bin"),
    "healthcheck_mariadb": ("mariadb-server", "/usr/local/bin"),
    "healthcheck_rabbitmq": ("rabbitmq", "/usr/local/bin"),
    "healthcheck.sh": ("mariadb-server", "/usr/bin"),
}

_IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def all_checks():
    """Every check name a per-service link may use, sorted."""
    return sorted(set(CHECK_IMAGES) | set(RETIRED_CHECK_IMAGES))


def release_key(release):
    """A kolla release (``2025.1``, or ``master`` for the newest) as something to compare; ValueError if neither."""
    if release == "master":
        return (9999, 9)
    match = _RELEASE.match(str(release))
    if not match:
        raise ValueError("kolla_release %r is no OpenStack release (like 2025.1) nor master" % (release,))
    return int(match.group(1)), int(match.group(2))


def note_availability(note):
    """What an image note says about kolla building the image.

    ``("never", None)``, ``("until", RELEASE)`` (last built by RELEASE), ``("before", RELEASE)``
    (no longer built from RELEASE on), or ``("built", None)`` for a note that is information only.
    """
    if not note:
        return "built", None
    if _NEVER_BUILT.search(note):
        return "never", None
    match = _DROPPED_AFTER.search(note)
    if match:
        return "until", match.group(1)
    match = _REPLACED_FROM.search(note)
    if match:
        return "before", match.group(1)
    return "built", None


def not_built_warning(check, image, release):
    """A warning when kolla ``release`` builds no image ``image`` for ``check`` (per the binary's note), else None."""
    entry = SERVICES.get(check)
    if not entry or entry["image"] != image:
        return None
    kind, when = note_availability(entry["note"])
    wanted = release_key(release)
    if kind == "never" or (kind == "until" and wanted > release_key(when)) or (
            kind == "before" and wanted >= release_key(when)):
        return ("check '%s': kolla %s builds no %s image (%s); the lines for it go into block %s, which no "
                "image of that release renders" % (check, release, image, entry["note"], footer_block(image)))
    return None


def kolla_links(image):
    """``(name, directory)`` of the kolla script names ``image`` carries, in the binary's order."""
    return [(name, KOLLA_NAME_PLACES[name][1]) for name in KOLLA_NAMES
            if KOLLA_NAME_PLACES.get(name, (None,))[0] == image]


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

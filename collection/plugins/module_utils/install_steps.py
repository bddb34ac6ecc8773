# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Dockerfile lines kolla_overrides writes into footer blocks.

Two kinds of step, separately selectable (TripleO first baked ``HEALTHCHECK`` into its
images, then moved the check command to the runtime container config because one image
also runs bootstrap containers where the service never runs):

- the install step: the base image gets the binary and one link per check name
  (``/usr/share/openstack-healthcheck/CHECK -> /usr/bin/openstack-healthcheck``); each
  service image gets ``/openstack/healthcheck -> /usr/share/openstack-healthcheck/CHECK``,
  so the binary learns from the link chain which check to run. kolla's script names
  (``/usr/local/bin/healthcheck_curl``, ...) become links to the binary too, each in the
  image where kolla installs its script (images.KOLLA_NAME_PLACES): kolla-ansible's health
  checks run them inside the containers. kolla's Dockerfiles install those scripts before
  the footer blocks, so the links replace them: the base image's in every image, those of
  mariadb-server and rabbitmq in the service steps of those images;
- the ``HEALTHCHECK`` instruction in the service image.

The text is Jinja template source: it must never contain ``{{``, ``{%`` or ``{#``.
"""

import re
import textwrap

from ansible_collections.openstack.healthcheck.plugins.module_utils.images import BASE_IMAGE, all_checks, kolla_links

BINARY = "/usr/bin/openstack-healthcheck"
LINK_DIR = "/usr/share/openstack-healthcheck"
CHECK_LINK = "/openstack/healthcheck"
# Where kolla's base-additions-openstack-healthcheck section lands once the base
# footer ADDs additions-archive (kolla tars a local directory under its own name).
ADDITIONS_DIR = "/additions/openstack-healthcheck"

BINARY_SOURCES = ("additions", "package", "url", "preinstalled")

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_URL = re.compile(r"^https?://[^\s'\"{}#%\\]+$")
_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_-]*$")


def _shell_lines(commands):
    """Join shell commands into one RUN instruction, one command per line."""
    return "RUN " + " \\\n    && ".join(commands) + "\n"


def _links_command():
    # Never wrap inside a name: check names are full of hyphens.
    rows = textwrap.wrap(" ".join(all_checks()), width=90, break_on_hyphens=False, break_long_words=False)
    return ("mkdir -p %s \\\n    && for check in %s; do ln -sfn %s %s/$check; done"
            % (LINK_DIR, " \\\n        ".join(rows), BINARY, LINK_DIR))


def kolla_link_commands(image):
    """The commands that make kolla's script names in ``image`` links to the binary, one per directory."""
    by_directory = {}
    for name, directory in kolla_links(image):
        by_directory.setdefault(directory, []).append(name)
    return ["mkdir -p %s \\\n    && for name in %s; do ln -sfn %s %s/$name; done"
            % (directory, " ".join(names), BINARY, directory) for directory, names in sorted(by_directory.items())]


def _fail_unless(test, message):
    return "{ %s \\\n        || { echo '%s' >&2; exit 1; }; }" % (test, message)


def base_install(source, url=None, sha256=None, package=None, kolla_links=True):
    """The base image's footer lines that put the binary and the per-check links in place."""
    verify = "%s --version" % BINARY
    links = [_links_command()] + (kolla_link_commands(BASE_IMAGE) if kolla_links else [])
    if source == "additions":
        return "ADD additions-archive /\n" + _shell_lines([
            _fail_unless("test -f %s/openstack-healthcheck" % ADDITIONS_DIR,
                         "openstack-healthcheck: binary missing from the kolla additions: add a section "
                         "[base-additions-openstack-healthcheck] with type = local and location = a directory "
                         "named openstack-healthcheck holding the binary to kolla-build.conf"),
            "install -m 0755 %s/openstack-healthcheck %s" % (ADDITIONS_DIR, BINARY),
            "rm -rf %s" % ADDITIONS_DIR,
        ] + links + [verify])
    if source == "package":
        if not package or not _PACKAGE.match(package):
            raise ValueError("package_name %r is not a package name" % (package,))
        return (
            "{%% if base_package_type == 'rpm' %%}\n"
            "RUN {{ distro_package_manager }} -y install %s && {{ distro_package_manager }} clean all\n"
            "{%% else %%}\n"
            "RUN apt-get update && apt-get -y install --no-install-recommends %s && rm -rf /var/lib/apt/lists/*\n"
            "{%% endif %%}\n" % (package, package)
        ) + _shell_lines(links + [verify])
    if source == "url":
        if not url or not _URL.match(url):
            raise ValueError("binary_url %r is not an http(s) URL without spaces, quotes or template characters"
                             % (url,))
        if not sha256 or not _SHA256.match(sha256):
            raise ValueError("binary_sha256 must be the 64 hex digits of the binary's SHA-256 (got %r)" % (sha256,))
        return "ADD %s %s\n" % (url, BINARY) + _shell_lines([
            "echo '%s  %s' | sha256sum -c -" % (sha256.lower(), BINARY),
            "chmod 0755 %s" % BINARY,
        ] + links + [verify])
    if source == "preinstalled":
        return _shell_lines([_fail_unless("test -x %s" % BINARY,
                                          "openstack-healthcheck: %s is missing from the base image" % BINARY)]
                            + links + [verify])
    raise ValueError("binary_source must be one of %s" % ", ".join(BINARY_SOURCES))


def service_steps(check, install, healthcheck, interval, timeout, retries, start_period, image=None):
    """A service image's footer lines: the check link (and, given the ``image``, the links of the kolla
    script names that image installs) and/or the HEALTHCHECK instruction."""
    lines = ""
    if install:
        target = "%s/%s" % (LINK_DIR, check)
        lines += _shell_lines([
            "mkdir -p %s" % CHECK_LINK.rsplit("/", 1)[0],
            "ln -sfn %s %s" % (target, CHECK_LINK),
            _fail_unless("test -x %s" % CHECK_LINK,
                         "openstack-healthcheck: %s is missing: the base image needs the install step" % target),
        ] + (kolla_link_commands(image) if image else []))
    if healthcheck:
        lines += ('HEALTHCHECK --interval=%ds --timeout=%ds --start-period=%ds --retries=%d CMD ["%s"]\n'
                  % (interval, timeout, start_period, retries, CHECK_LINK))
    return lines

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

DOCUMENTATION = r"""
module: kolla_overrides
short_description: Make kolla images carry openstack-healthcheck through a template override file
version_added: 0.1.0
description:
  - Edits a kolla template override file (the child template given to C(kolla-build --template-override),
    such as TripleO's C(tripleo_kolla_template_overrides.j2)) so that the images kolla builds carry
    C(/openstack/healthcheck) for each listed service, and optionally a C(HEALTHCHECK) instruction.
  - For each service, the footer block of the service's kolla image (C(nova-api) -> C(nova_api_footer)) gets
    a C(RUN) step that links C(/openstack/healthcheck) to C(/usr/share/openstack-healthcheck/CHECK); the
    binary sees through that link which check to run.
  - The base image's C(base_footer) block gets the install step once (see O(binary_source)), which puts
    C(/usr/bin/openstack-healthcheck) in place and links C(/usr/share/openstack-healthcheck/CHECK) to it for
    every known check name. Every image derives from the base image.
  - With O(kolla_links=true) (the default) the install step also makes kolla's script names
    (C(healthcheck_curl), C(healthcheck_port), C(healthcheck_listen), C(healthcheck_socket),
    C(healthcheck_filemod)) in the base image's C(/usr/local/bin) links to the binary. kolla-ansible's health
    checks run these names inside the containers; kolla's base Dockerfile copies its own scripts there before
    C(base_footer), so the links replace them in every image. The images that install scripts of their own
    later get those links in their footer when their service is listed, C(mariadb) (kolla's
    C(healthcheck_mariadb) and MariaDB's C(/usr/bin/healthcheck.sh)) and C(rabbitmq) (C(healthcheck_rabbitmq)).
  - The module appends inside existing blocks and keeps every other byte of the file; it creates a block only
    when the file has none of that name (a block defined twice breaks kolla-build). Its lines sit between two
    Jinja comment markers, so they never reach the Dockerfile, re-runs update them in place, and O(state=absent)
    gives back the original file byte for byte.
  - Before writing, the module checks the result (balanced block tags, every block defined once, C(extends) still
    the first statement, and a Jinja2 parse when Jinja2 is installed; without Jinja2 on the host the module
    warns that the parse was skipped) and leaves the file untouched otherwise.
    A malformed input file, a missing file, or an unknown check name fail the same way, with nothing changed.
  - When O(path) is a symbolic link, the file it points to is edited and the link stays (as
    M(ansible.builtin.lineinfile) and M(ansible.builtin.blockinfile) do); the backup is of that file.
author:
  - openstack-healthcheck developers (!UNKNOWN)
extends_documentation_fragment:
  - openstack.healthcheck.attributes
  - openstack.healthcheck.attributes.platform
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  path:
    description:
      - The override file to edit.
    type: path
    required: true
  services:
    description:
      - The services whose images get the check, by check name (the names of tripleo-common 18.0.0's
        healthcheck scripts, such as C(nova-api), C(neutron-ovs-agent), C(mariadb)). The module knows which
        kolla image runs each one (C(neutron-ovs-agent) -> C(neutron-openvswitch-agent)); see the collection's
        C(docs/kolla_overrides.md) for the table.
      - An item may be a dict with keys C(check) (the check name) and C(image) (the kolla image), to use
        another image than the table's, for example C(check=redis) with C(image=valkey-server) on kolla 2025.1
        and later.
      - Two checks for one image fail (an image has one C(/openstack/healthcheck)).
      - With O(state=absent), the services whose lines to remove; empty removes every line the module wrote.
      - A service whose image the O(kolla_release) does not build (kolla dropped it, or never built it) is
        accepted with a warning, since its lines go into a block no image renders.
    type: list
    elements: raw
    default: []
  kolla_release:
    description:
      - The OpenStack release of the kolla that builds the images (kolla-build's C(openstack_release)), such as
        V(2024.2) or V(2025.1), or V(master). The module warns about services whose image that release does
        not build (for example C(redis) from 2025.1 on, which kolla builds as C(valkey-server), or the swift
        images after 2024.2).
      - The default is the release of kolla 23.0.0, whose image names the module's table uses.
    type: str
    default: "2026.2"
  state:
    description:
      - V(present) writes the lines, V(absent) removes them (and the install step once no service needs it).
    type: str
    choices: [present, absent]
    default: present
  install:
    description:
      - Write the install step (the binary in the base image, the C(/openstack/healthcheck) link in each service
        image). Turn off when the images already carry C(/openstack/healthcheck) and only O(healthcheck) is wanted.
    type: bool
    default: true
  healthcheck:
    description:
      - Also write a C(HEALTHCHECK) instruction into each service image. Off by default, like TripleO since 2017, because
        images that also run bootstrap or config containers would report those unhealthy; the runtime container
        configuration is the usual place for the check command.
    type: bool
    default: false
  interval:
    description: Seconds between two checks (C(HEALTHCHECK --interval)); kolla's default.
    type: int
    default: 30
  timeout:
    description: Seconds before a check counts as failed (C(HEALTHCHECK --timeout)); kolla's default.
    type: int
    default: 30
  retries:
    description: Consecutive failures before the container is unhealthy (C(HEALTHCHECK --retries)); kolla's default.
    type: int
    default: 3
  start_period:
    description: Seconds after start during which failures do not count (C(HEALTHCHECK --start-period)); kolla's default.
    type: int
    default: 5
  kolla_links:
    description:
      - With O(install=true), also make kolla's script names C(/usr/local/bin/healthcheck_*) in the base image
        links to the binary, replacing kolla's own scripts, so the checks kolla-ansible configures use it; and
        in the images of the listed services that install scripts of their own (mariadb-server
        C(healthcheck_mariadb) and C(/usr/bin/healthcheck.sh), rabbitmq C(healthcheck_rabbitmq)), there.
      - Turn off to keep kolla's scripts in the images (the per-service C(/openstack/healthcheck) is written
        either way).
    type: bool
    default: true
  binary_source:
    description:
      - How the install step gets C(/usr/bin/openstack-healthcheck) into the base image.
      - V(additions) (default) uses kolla's own additions mechanism, offline and pinned by the operator - add to
        C(kolla-build.conf) a section C([base-additions-openstack-healthcheck]) with C(type = local) and
        C(location = /some/where/openstack-healthcheck), a directory of that name holding the binary. The step
        fails the build with a message naming that section when the binary is not there.
      - V(package) installs the O(package_name) package with the image's package manager (the repository must be
        configured in the image, for example through kolla's repository options).
      - V(url) downloads O(binary_url) at build time and checks it against O(binary_sha256).
      - V(preinstalled) expects the binary in the base image already and only creates the per-check links.
      - Every source ends by running C(openstack-healthcheck --version), so a wrong binary fails the build.
    type: str
    choices: [additions, package, url, preinstalled]
    default: additions
  binary_url:
    description: The binary's http(s) URL, for O(binary_source=url).
    type: str
  binary_sha256:
    description: The binary's SHA-256 (64 hex digits), required with O(binary_source=url).
    type: str
  package_name:
    description: The package that ships the binary, for O(binary_source=package).
    type: str
    default: openstack-healthcheck
  backup:
    description:
      - Keep a timestamped copy of the original file when the module changes it.
    type: bool
    default: false
  create:
    description:
      - Create the file (with just C({% extends parent_template %})) when it does not exist. Otherwise a missing
        file fails.
    type: bool
    default: false
notes:
  - The module edits the file on the managed host; it does not run kolla-build.
  - Blocks are plain text to kolla; the module only ever touches its own marked lines.
seealso:
  - name: kolla image building
    description: kolla's template override mechanism.
    link: https://docs.openstack.org/kolla/latest/admin/image-building.html
"""

EXAMPLES = r"""
- name: Install the checks of the control plane images, no HEALTHCHECK instruction
  openstack.healthcheck.kolla_overrides:
    path: /etc/kolla/template-overrides.j2
    services:
      - nova-api
      - keystone
      - neutron-ovs-agent

- name: Also bake a HEALTHCHECK instruction into the images
  openstack.healthcheck.kolla_overrides:
    path: /etc/kolla/template-overrides.j2
    services:
      - nova-scheduler
      - check: redis
        image: valkey-server
    healthcheck: true
    interval: 60
    timeout: 10
    backup: true

- name: Only the HEALTHCHECK instruction (the images already have /openstack/healthcheck)
  openstack.healthcheck.kolla_overrides:
    path: /etc/kolla/template-overrides.j2
    services: [nova-api]
    install: false
    healthcheck: true

- name: Take the binary from a package repository the images can reach
  openstack.healthcheck.kolla_overrides:
    path: /etc/kolla/template-overrides.j2
    services: [glance-api]
    binary_source: package

- name: Remove everything the module wrote, giving back the original file
  openstack.healthcheck.kolla_overrides:
    path: /etc/kolla/template-overrides.j2
    state: absent
"""

RETURN = r"""
blocks:
  description: What happened to each block the run looked at.
  returned: always
  type: list
  elements: dict
  contains:
    block:
      description: The block name.
      type: str
      sample: nova_api_footer
    image:
      description: The kolla image (C(base) for the install step).
      type: str
      sample: nova-api
    check:
      description: The check name, empty for the install step.
      type: str
      sample: nova-api
    action:
      description: C(added), C(updated), C(removed) or C(unchanged).
      type: str
      sample: added
  sample:
    - {block: nova_api_footer, image: nova-api, check: nova-api, action: added}
    - {block: base_footer, image: base, check: "", action: added}
backup_file:
  description: The backup copy of the original file.
  returned: when O(backup=true) and the file changed
  type: str
  sample: /etc/kolla/template-overrides.j2.12345.2026-01-01@10:00:00~
msg:
  description: A one-line summary.
  returned: always
  type: str
  sample: "2 blocks changed in /etc/kolla/template-overrides.j2"
"""

import os
import re
import sys
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.openstack.healthcheck.plugins.module_utils import images, install_steps, kolla_template

try:
    import jinja2
    JINJA_ERRORS = (jinja2.TemplateSyntaxError,)
except ImportError:  # jinja2 is optional on the managed host: the structural checks still run
    jinja2 = None
    JINJA_ERRORS = ()

NEW_FILE = "{% extends parent_template %}\n"
BASE_BLOCK = images.footer_block(images.BASE_IMAGE)


def check_template(text, what):
    """Raise TemplateError with ``what`` in front when ``text`` is not a sound kolla child template."""
    try:
        kolla_template.validate(text)
        if jinja2 is not None:
            jinja2.Environment().parse(text)
    except kolla_template.TemplateError as e:
        raise kolla_template.TemplateError("%s: %s" % (what, e))
    except JINJA_ERRORS as e:
        raise kolla_template.TemplateError("%s: line %s: Jinja2: %s" % (what, e.lineno, e.message))


def resolve_services(module):
    """(check, image, block) per requested service, one per block; fails on unknown names and clashes."""
    by_block = {}
    release = module.params["kolla_release"]
    try:
        images.release_key(release)
    except ValueError as e:
        module.fail_json(msg=to_native(e))
    for item in module.params["services"]:
        try:
            check, image, warning = images.resolve(item)
        except ValueError as e:
            module.fail_json(msg="services: %s" % e)
        for note in (warning, images.not_built_warning(check, image, release)):
            if note:
                module.warn(note)
        block = images.footer_block(image)
        if block == BASE_BLOCK:
            module.fail_json(msg="services: check '%s' cannot go into the base image" % check)
        earlier = by_block.get(block)
        if earlier and earlier[0] != check:
            module.fail_json(msg="services: checks '%s' and '%s' both go into block %s (image %s); an image has one "
                                 "/openstack/healthcheck: keep one, or give the other an explicit image"
                                 % (earlier[0], check, block, image))
        by_block[block] = (check, image, block)
    return [by_block[b] for b in sorted(by_block)]


def action_for(before, after, block):
    old, new = kolla_template.section_body(before, block), kolla_template.section_body(after, block)
    if old == new:
        return "unchanged"
    if old is None:
        return "added"
    return "removed" if new is None else "updated"


def warn_about_foreign_lines(module, text, block, check):
    """Say so when the block already wires a check of its own (TripleO's files do): the last line wins."""
    if not check:
        return
    theirs = kolla_template.block_body(kolla_template.remove(text, block), block) or ""
    ours = (("HEALTHCHECK", r"^\s*HEALTHCHECK\b", module.params["healthcheck"]),
            ("/openstack/healthcheck link", r"/openstack/healthcheck\b", module.params["install"]))
    for what, pattern, writing in ours:
        if writing and re.search(pattern, theirs, re.M):
            module.warn("block %s already has a %s of its own; the module's lines come after it and win"
                        % (block, what))


def plan_present(module, text, services):
    p = module.params
    steps = []
    for check, image, block in services:
        body = install_steps.service_steps(check, p["install"], p["healthcheck"], p["interval"], p["timeout"],
                                           p["retries"], p["start_period"], image if p["kolla_links"] else None)
        steps.append((block, image, check, body))
    if p["install"]:
        try:
            body = install_steps.base_install(p["binary_source"], url=p["binary_url"], sha256=p["binary_sha256"],
                                              package=p["package_name"], kolla_links=p["kolla_links"])
        except ValueError as e:
            module.fail_json(msg=to_native(e))
        steps.append((BASE_BLOCK, images.BASE_IMAGE, "", body))
    for block, _image, check, body in steps:
        warn_about_foreign_lines(module, text, block, check)
        text = kolla_template.put(text, block, body)
    return text, [(block, image, check) for block, image, check, _body in steps]


def plan_absent(text, services):
    if services:
        targets = [(block, image, check) for check, image, block in services]
    else:
        targets = [(block, "", "") for block in kolla_template.managed_blocks(text) if block != BASE_BLOCK]
    for block, _image, _check in targets:
        text = kolla_template.remove(text, block)
    # The install step stays while any service section still needs the binary.
    if kolla_template.managed_blocks(text) == [BASE_BLOCK]:
        text = kolla_template.remove(text, BASE_BLOCK)
        targets.append((BASE_BLOCK, images.BASE_IMAGE, ""))
    return text, targets


def validate_numbers(module):
    p = module.params
    for name, low in (("interval", 1), ("timeout", 1), ("retries", 1), ("start_period", 0)):
        if p[name] < low:
            module.fail_json(msg="%s must be at least %d (got %d)" % (name, low, p[name]))


def read_file(module, path):
    """The file's text, or None when it does not exist and create is set. A link is followed."""
    if not os.path.exists(path):
        if module.params["create"]:
            return None
        module.fail_json(msg="%s does not exist; give the override file's path, or create: true for a new one" % path)
    if not os.path.isfile(path):
        module.fail_json(msg="%s is not a regular file" % path)
    try:
        with open(path, "rb") as f:
            return to_text(f.read(), errors="surrogate_or_strict")
    except (IOError, OSError, UnicodeError) as e:
        module.fail_json(msg="cannot read %s: %s" % (path, to_native(e)))


def write_file(module, path, text):
    """Write next to ``path``, then rename over it: readers see the old file or the new one, never half.

    ``path`` is the file itself, a link already resolved (the rename replaces what it names).
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".kolla_overrides.", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(text, errors="surrogate_or_strict"))
    except (IOError, OSError) as e:
        module.fail_json(msg="cannot write a temporary file in %s: %s" % (directory, to_native(e)))
    module.atomic_move(tmp, path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            services=dict(type="list", elements="raw", default=[]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            install=dict(type="bool", default=True),
            healthcheck=dict(type="bool", default=False),
            interval=dict(type="int", default=30),
            timeout=dict(type="int", default=30),
            retries=dict(type="int", default=3),
            start_period=dict(type="int", default=5),
            binary_source=dict(type="str", choices=list(install_steps.BINARY_SOURCES), default="additions"),
            binary_url=dict(type="str"),
            binary_sha256=dict(type="str"),
            package_name=dict(type="str", default="openstack-healthcheck"),
            kolla_links=dict(type="bool", default=True),
            kolla_release=dict(type="str", default=images.TABLE_KOLLA_RELEASE),
            backup=dict(type="bool", default=False),
            create=dict(type="bool", default=False),
        ),
        required_if=[("binary_source", "url", ("binary_url", "binary_sha256"))],
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    validate_numbers(module)
    if p["state"] == "present":
        if not p["services"]:
            module.fail_json(msg="services is empty: name the checks to install, such as [nova-api, keystone]")
        if not p["install"] and not p["healthcheck"]:
            module.fail_json(msg="install and healthcheck are both false: nothing to write (state=absent removes)")
    services = resolve_services(module)

    original = read_file(module, path)
    before = NEW_FILE if original is None else original
    if jinja2 is None:
        module.warn("Jinja2 is not installed for %s, the Python running this module: the override file's structure "
                    "is checked, but the Jinja2 parse of the result is skipped (kolla-build parses it later)"
                    % sys.executable)
    try:
        check_template(before, "%s is not a usable kolla override file" % path)
        if p["state"] == "present":
            after, touched = plan_present(module, before, services)
        else:
            after, touched = plan_absent(before, services)
        check_template(after, "refusing to write %s, the result would be broken" % path)
    except kolla_template.TemplateError as e:
        module.fail_json(msg=to_native(e))

    blocks = [dict(block=b, image=i, check=c, action=action_for(before, after, b)) for b, i, c in touched]
    changed = after != original and not (original is None and p["state"] == "absent")
    result = dict(changed=changed, blocks=blocks,
                  msg="%d blocks changed in %s" % (sum(b["action"] != "unchanged" for b in blocks), path))
    if module._diff:
        result["diff"] = dict(before="" if original is None else original, after=after,
                              before_header=path, after_header=path)
    if changed and not module.check_mode:
        # Through a link: edit the file it names and keep the link (renaming over the link would
        # replace it with a regular file).
        target = os.path.realpath(path)
        if p["backup"] and original is not None:
            result["backup_file"] = module.backup_local(target)
        write_file(module, target, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

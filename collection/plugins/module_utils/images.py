# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Which kolla image runs the service behind each check name, and that image's footer block.

Check names are the file names of tripleo-common 18.0.0's healthcheck directory, which
openstack-healthcheck answers to (``/openstack/healthcheck`` links to one of them). Image
names are kolla's: the image that kolla 23.0.0 builds for that service, or, for services
kolla no longer builds, the name TripleO's own override file used (last master,
tripleo-common 1c0af446). Where the names differ, the entry says so.
"""

import re

# check name -> kolla image (tripleo-common 18.0.0: every script in share/tripleo-common/healthcheck)
CHECK_IMAGES = {
    "aodh-api": "aodh-api",
    "aodh-evaluator": "aodh-evaluator",
    "aodh-listener": "aodh-listener",
    "aodh-notifier": "aodh-notifier",
    "barbican-api": "barbican-api",
    "barbican-keystone-listener": "barbican-keystone-listener",
    "barbican-worker": "barbican-worker",
    "ceilometer-agent-central": "ceilometer-central",
    "ceilometer-agent-compute": "ceilometer-compute",
    "ceilometer-agent-ipmi": "ceilometer-ipmi",
    "ceilometer-agent-notification": "ceilometer-notification",
    "cinder-api": "cinder-api",
    "cinder-backup": "cinder-backup",
    "cinder-scheduler": "cinder-scheduler",
    "cinder-volume": "cinder-volume",
    "collectd": "collectd",
    "cron": "cron",
    "etcd": "etcd",
    "frr": "frr",  # TripleO image; kolla builds none
    "glance-api": "glance-api",
    "gnocchi-api": "gnocchi-api",
    "gnocchi-metricd": "gnocchi-metricd",
    "gnocchi-statsd": "gnocchi-statsd",
    "heat-api": "heat-api",
    "heat-api-cfn": "heat-api-cfn",
    "heat-engine": "heat-engine",
    "horizon": "horizon",
    "ironic-api": "ironic-api",
    "ironic-conductor": "ironic-conductor",
    "ironic-inspector": "ironic-inspector",  # kolla dropped the image after 2024.2
    "ironic-neutron-agent": "ironic-neutron-agent",
    "ironic-pxe": "ironic-pxe",
    "iscsid": "iscsid",
    "keystone": "keystone",  # kolla's keystone-api image shares the keystone_footer block
    "manila-api": "manila-api",
    "manila-scheduler": "manila-scheduler",
    "manila-share": "manila-share",
    "mariadb": "mariadb-server",  # TripleO: mariadb; both use the mariadb_footer block
    "memcached": "memcached",
    "multipathd": "multipathd",
    "neutron-api": "neutron-server",
    "neutron-dhcp": "neutron-dhcp-agent",
    "neutron-l3": "neutron-l3-agent",
    "neutron-metadata": "neutron-metadata-agent",
    "neutron-ovs-agent": "neutron-openvswitch-agent",
    "neutron-sriov-agent": "neutron-sriov-agent",
    "nova-api": "nova-api",
    "nova-compute": "nova-compute",
    "nova-conductor": "nova-conductor",
    "nova-ironic": "nova-compute-ironic",
    "nova-libvirt": "nova-libvirt",
    "nova-metadata": "nova-api",  # the metadata API runs from the nova-api image
    "nova-scheduler": "nova-scheduler",
    "nova-vnc-proxy": "nova-novncproxy",
    "octavia-api": "octavia-api",
    "octavia-health-manager": "octavia-health-manager",
    "octavia-housekeeping": "octavia-housekeeping",
    "octavia-worker": "octavia-worker",
    "ovn-bgp-agent": "ovn-bgp-agent",  # TripleO image; kolla builds none
    "ovn-controller": "ovn-controller",
    "ovn-dbs": "ovn-northd",
    # kolla-ansible runs the OVN metadata agent from neutron-metadata-agent
    # (TripleO: neutron-metadata-agent-ovn).
    "ovn-metadata": "neutron-metadata-agent",
    "placement-api": "placement-api",
    "qdrouterd": "qdrouterd",  # TripleO image; kolla builds none
    "rabbitmq": "rabbitmq",
    "redis": "redis",  # kolla 2025.1+ builds valkey-server instead: give the image explicitly
    "swift-account-server": "swift-account",  # kolla dropped the swift images after 2024.2
    "swift-container-server": "swift-container",
    "swift-object-server": "swift-object",
    "swift-proxy": "swift-proxy-server",
    "swift-rsync": "swift-rsyncd",
}

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

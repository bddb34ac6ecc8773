# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Parsing ``openstack-healthcheck list --format json``."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack.healthcheck.plugins.filter.service_names import kolla_names, service_names

ENGINE = ('{"services": [{"name":"nova-api","image":"nova-api","check":"vhost"},{"name":"keystone"}],'
          ' "kolla_names": ["healthcheck_curl", "healthcheck_port"]}')


def test_the_engine_format():
    assert service_names(ENGINE) == ["nova-api", "keystone"]
    assert kolla_names(ENGINE) == ["healthcheck_curl", "healthcheck_port"]


def test_other_accepted_shapes():
    assert service_names("") == [] == kolla_names("")
    assert service_names("  \n") == []
    assert service_names('["a","b","a"]') == ["a", "b"]
    assert service_names('[{"name":"nova-api","check":"http"},{"name":"keystone"}]') == ["nova-api", "keystone"]


@pytest.mark.parametrize("text", ['[{"name":"nova-api"', '"x"', '[{"name": "../../etc/passwd"}]', '[{"nope": 1}]', "[1]"])
def test_bad_output_fails_clearly(text):
    with pytest.raises(AnsibleFilterError, match="service_names"):
        service_names(text)


@pytest.mark.parametrize("text", ['[{"name":"nova-api"}]', '{"services": []}', '{"kolla_names": ["../x"]}',
                                  '{"kolla_names": "healthcheck_curl"}'])
def test_kolla_names_bad_output_fails_clearly(text):
    with pytest.raises(AnsibleFilterError, match="kolla_names"):
        kolla_names(text)

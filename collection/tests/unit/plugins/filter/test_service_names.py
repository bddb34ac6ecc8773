# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Parsing ``openstack-healthcheck list --format json``."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack.healthcheck.plugins.filter.service_names import service_names


def test_the_engine_format():
    text = '[{"name":"nova-api","check":"http","summary":"x"},{"name":"keystone","check":"http"}]'
    assert service_names(text) == ["nova-api", "keystone"]


def test_other_accepted_shapes():
    assert service_names("") == []
    assert service_names("  \n") == []
    assert service_names('["a","b","a"]') == ["a", "b"]
    assert service_names('{"services": [{"name": "a"}]}') == ["a"]


@pytest.mark.parametrize("text", ['[{"name":"nova-api"', '"x"', '[{"name": "../../etc/passwd"}]', '[{"nope": 1}]', "[1]"])
def test_bad_output_fails_clearly(text):
    with pytest.raises(AnsibleFilterError, match="service_names"):
        service_names(text)

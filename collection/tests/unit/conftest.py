# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Make the helpers importable when pytest runs these tests directly."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

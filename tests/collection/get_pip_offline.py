# Copyright (c) openstack-healthcheck developers
# SPDX-License-Identifier: Apache-2.0
"""Stand-in for get-pip.py, which ansible-test downloads from a host this network cannot reach.

ansible-test runs the bootstrap script inside each fresh sanity venv with pip's install
arguments (e.g. ``--disable-pip-version-check pip==24.2 --no-setuptools``). We bootstrap
the pip bundled with Python (ensurepip), then let it install the requested versions from
the package index, which is reachable. The make target copies this file to
~/.ansible/test/cache/get_pip_<version>.py when it is missing.
"""
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                      stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)

# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Shared test helpers: the real override fixtures and a strict Jinja2 check of a template."""

import glob
import os

import jinja2

FIXTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "kolla-overrides")
FIXTURES = sorted(glob.glob(os.path.join(FIXTURE_DIR, "*.j2")))


def fixture(commit):
    """The fixture file whose name carries ``commit``."""
    (path,) = [p for p in FIXTURES if ".%s." % commit in os.path.basename(p)]
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


class _AnyName(dict):
    """kolla registers its own filters and tests; any name is fine for a compile check."""

    def __missing__(self, key):
        return lambda *args, **kwargs: None

    def __contains__(self, key):
        return True

    def get(self, key, default=None):
        return self[key]


def jinja_compile(text):
    """Parse and compile ``text`` with Jinja2 itself: catches syntax errors and blocks defined twice."""
    env = jinja2.Environment()
    env.filters = _AnyName(env.filters)
    env.tests = _AnyName(env.tests)
    return env.compile(text)


def render_child(parent, child, **values):
    """Render ``child`` (an override file) over ``parent`` the way kolla-build does."""
    env = jinja2.Environment(loader=jinja2.DictLoader({"parent.j2": parent, "child.j2": child}))
    env.filters["customizable"] = lambda value, *args: value
    return env.get_template("child.j2").render(parent_template="parent.j2", **values)

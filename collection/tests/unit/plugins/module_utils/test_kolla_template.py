# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The template parser and editor on the real fixtures and on every quirk they show."""

import os

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils import kolla_template as kt
from helpers import FIXTURES, jinja_compile, read, render_child

BODY = "RUN echo managed\n"
BLOCK_COUNTS = {"8c46306e": 9, "cdbed13b": 45, "2088f612": 53, "1c0af446": 87, "0cab033b": 87}


def ids(paths):
    return [os.path.basename(p).split(".")[1] for p in paths]


@pytest.mark.parametrize("path", FIXTURES, ids=ids(FIXTURES))
def test_fixture_structure(path):
    text = read(path).decode()
    tpl = kt.validate(text)
    assert len(tpl.blocks) == BLOCK_COUNTS[os.path.basename(path).split(".")[1]]
    assert tpl.sections == []


@pytest.mark.parametrize("path", FIXTURES, ids=ids(FIXTURES))
def test_put_then_remove_every_block_kind_gives_back_the_bytes(path):
    text = read(path).decode()
    existing = sorted(kt.validate(text).blocks)
    targets = existing[:3] + existing[-2:] + ["brand_new_footer", "another_new_footer"]
    patched = text
    for name in targets:
        patched = kt.put(patched, name, BODY)
    tpl = kt.validate(patched)
    assert sorted(s.owner for s in tpl.sections) == sorted(targets)
    jinja_compile(patched)
    # Putting the same body again changes nothing; a new body replaces the old one in place.
    again = patched
    for name in targets:
        again = kt.put(again, name, BODY)
    assert again == patched
    updated = kt.put(patched, targets[0], "RUN echo changed\n")
    assert updated.count("RUN echo changed") == 1 and updated.count(kt.BEGIN) + updated.count(kt.BEGIN_BLOCK) == 7
    for name in reversed(targets):
        patched = kt.remove(patched, name)
    assert patched == text


def test_inline_and_empty_blocks_render_our_lines_on_their_own_lines():
    parent = "FROM x\n{% block base_header %}{% endblock %}\n{% block e_footer %}{% endblock %}\nCMD y\n"
    child = "{% extends parent_template %}\n{% block base_header %}ENV container=oci{% endblock %}]\n" \
            "{% block e_footer %}{% endblock %}\n"
    patched = kt.put(kt.put(child, "base_header", BODY), "e_footer", BODY)
    out = render_child(parent, patched).splitlines()
    assert "ENV container=oci" in out and out.count("RUN echo managed") == 2
    assert kt.remove(kt.remove(patched, "base_header"), "e_footer") == child


@pytest.mark.parametrize("open_tag,close_tag", [
    ("{%- block a_footer -%}", "{%- endblock -%}"),
    ("{% block a_footer -%}", "{%- endblock %}"),
    ("{%+ block a_footer +%}", "{%+ endblock a_footer +%}"),
    ("{%-block a_footer%}", "{%endblock-%}"),
])
def test_whitespace_control_blocks(open_tag, close_tag):
    parent = "FROM x\n{% block a_footer %}{% endblock %}\nCMD y\n"
    child = "{%% extends parent_template %%}\n%s\nRUN old\n%s\n" % (open_tag, close_tag)
    patched = kt.put(child, "a_footer", BODY)
    jinja_compile(patched)
    rendered = render_child(parent, patched)
    assert "RUN echo managed\n" in rendered and "RUN old" in rendered
    assert "RUN oldRUN" not in rendered
    assert kt.remove(patched, "a_footer") == child


def test_tags_inside_strings_comments_and_raw_are_not_structure():
    child = ("{% extends parent_template %}\n"
             "{# {% block commented %} #}\n"
             "{% set s = '%} {% block in_string %}' %}\n"
             "{% raw %}{% block in_raw %}{% endraw %}\n"
             "{% block real_footer %}{{ '{% block in_expr %}' }}{% endblock %}\n")
    assert sorted(kt.validate(child).blocks) == ["real_footer"]
    patched = kt.put(child, "real_footer", BODY)
    jinja_compile(patched)
    assert kt.remove(patched, "real_footer") == child


def test_nested_blocks_and_if_inside_a_block():
    child = ("{% extends parent_template %}\n{% block outer %}\n{% if x %}\nRUN a\n{% endif %}\n"
             "{% block inner_footer %}RUN b\n{% endblock inner_footer %}\n{% endblock %}\n")
    patched = kt.put(kt.put(child, "inner_footer", BODY), "outer", BODY)
    tpl = kt.validate(patched)
    assert tpl.blocks["inner_footer"].parent == "outer"
    assert sorted(s.owner for s in tpl.sections) == ["inner_footer", "outer"]
    jinja_compile(patched)
    assert kt.remove(kt.remove(patched, "outer"), "inner_footer") == child


def test_file_without_final_newline():
    child = "{% extends parent_template %}\n{% block a_footer %}RUN a{% endblock %}"
    patched = kt.put(child, "b_footer", BODY)
    jinja_compile(patched)
    assert kt.remove(patched, "b_footer") == child


@pytest.mark.parametrize("text,message", [
    ("{% block a %}{% endblock %}", "first statement must be {% extends"),
    ("# just a comment\n", "found no statement at all"),
    ("{% set x = 1 %}\n{% extends parent_template %}", "found {% set %} on line 1"),
    ("{% extends parent_template %}\n{% block a %}\n", "block 'a' opened on line 2 is never closed"),
    ("{% extends parent_template %}\n{% endblock %}\n", "line 2: {% endblock %} without an opening tag"),
    ("{% extends parent_template %}\n{% block a %}{% endblock %}\n{% block a %}{% endblock %}",
     "block 'a' defined twice (lines 2 and 3)"),
    ("{% extends parent_template %}\n{% block a %}{% endblock b %}", "{% endblock b %} closes block 'a'"),
    ("{% extends parent_template %}\n{% block a %}{% if x %}{% endblock %}{% endif %}",
     "{% endblock %} closes {% if %}"),
    ("{% extends parent_template %}\n{# never closed", "line 2: {# is never closed by #}"),
    ("{% extends parent_template %}\n{% block a %}{{ x }", "{{ is never closed by }}"),
    ("{% extends parent_template %}\n{% block %}{% endblock %}", "without a valid name"),
    ("{% extends parent_template %}\n{% block a %}" + kt.BEGIN + "{% endblock %}",
     "managed section is never closed"),
    ("{% extends parent_template %}\n{% block a %}" + kt.END + "{% endblock %}",
     "end marker without its begin marker"),
])
def test_malformed_templates_are_refused_with_a_reason(text, message):
    with pytest.raises(kt.TemplateError) as err:
        kt.validate(text)
    assert message in str(err.value)


def test_put_refuses_to_edit_a_malformed_file():
    with pytest.raises(kt.TemplateError):
        kt.put("{% extends parent_template %}\n{% block a %}", "a", BODY)

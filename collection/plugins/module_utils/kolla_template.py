# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Structure-aware editing of kolla template override files.

A kolla override file is a Jinja2 child template: ``{% extends parent_template %}``
followed by ``{% block NAME %}`` overrides, ``{% set %}`` statements and text that is
never rendered. This module finds the statement tags the way Jinja2's lexer does
(comments, ``{{ }}`` expressions, quoted strings inside tags and ``{% raw %}`` are
skipped), checks the structure (balanced tags, each block defined once, ``extends``
first), and inserts or removes *managed sections*: text between two marker comments.

Managed sections are Jinja comments, so they never reach the rendered Dockerfile, and
every edit is a pure insertion or deletion of one section: removing a section gives
back the original bytes exactly.
"""

import re

MARK = "openstack-healthcheck: managed by openstack.healthcheck.kolla_overrides, do not edit"
# A section appended inside an existing block, directly before its endblock tag.
BEGIN = "{# BEGIN " + MARK + " #}"
END = "{# END " + MARK + " #}"
# A whole block the module created; it also owns the newline in front of it.
BEGIN_BLOCK = "{# BEGIN block " + MARK + " #}"
END_BLOCK = "{# END block " + MARK + " #}"
MARKERS = (BEGIN, END, BEGIN_BLOCK, END_BLOCK)

# Statements that open a construct closed by "end<keyword>". "set" only when it has
# no "=" (block assignment); "raw" is handled by the scanner.
PAIRED = ("block", "if", "for", "macro", "call", "filter", "with", "autoescape", "trans")

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TemplateError(Exception):
    """The override file is not a well-formed kolla child template (or an edit would break it)."""


class Tag(object):
    """One ``{% ... %}`` statement or ``{# ... #}`` comment, with its position."""

    def __init__(self, kind, start, end, text):
        self.kind = kind  # "stmt" or "comment"
        self.start = start
        self.end = end
        self.text = text  # the inside, without delimiters and whitespace-control signs
        words = text.split()
        self.keyword = words[0] if (kind == "stmt" and words) else ""
        self.args = words[1:] if kind == "stmt" else []


class Block(object):
    """A ``{% block %}`` ... ``{% endblock %}`` pair."""

    def __init__(self, name, open_tag, parent):
        self.name = name
        self.open_tag = open_tag
        self.close_tag = None
        self.parent = parent


class Section(object):
    """A managed section: ``begin`` and ``end`` are the slice of the text it owns."""

    def __init__(self, whole_block, begin, end, owner):
        self.whole_block = whole_block
        self.begin = begin
        self.end = end
        self.owner = owner  # name of the block that holds (or is) the section


class Template(object):
    """The parsed structure of one override file."""

    def __init__(self, text):
        self.text = text
        self.tags = list(scan(text))
        self.blocks = {}
        self._parse_structure()
        self.sections = self._parse_sections()

    def _parse_structure(self):
        stack = []  # (keyword, tag, Block or None)
        first_stmt = None
        for tag in self.tags:
            if tag.kind != "stmt":
                continue
            if first_stmt is None:
                first_stmt = tag
            kw = tag.keyword
            if kw in PAIRED or (kw == "set" and "=" not in tag.text):
                block = None
                if kw == "block":
                    block = self._open_block(tag, stack)
                stack.append((kw, tag, block))
            elif kw.startswith("end") and (kw[3:] in PAIRED or kw == "endset"):
                self._close(tag, stack)
        if stack:
            kw, tag, block = stack[-1]
            what = "block '%s'" % block.name if block else "{%% %s %%}" % kw
            raise TemplateError("%s opened on line %d is never closed" % (what, line_of(self.text, tag.start)))
        if first_stmt is None or first_stmt.keyword != "extends":
            found = "no statement at all" if first_stmt is None else "{%% %s %%} on line %d" % (
                first_stmt.keyword, line_of(self.text, first_stmt.start))
            raise TemplateError(
                "the first statement must be {%% extends parent_template %%} (kolla child template), found %s" % found)

    def _open_block(self, tag, stack):
        if not tag.args or not _NAME.match(tag.args[0]):
            raise TemplateError("line %d: {%% block %%} without a valid name" % line_of(self.text, tag.start))
        name = tag.args[0]
        if name in self.blocks:
            raise TemplateError(
                "block '%s' defined twice (lines %d and %d); Jinja2 refuses such a template"
                % (name, line_of(self.text, self.blocks[name].open_tag.start), line_of(self.text, tag.start)))
        parent = next((entry[2] for entry in reversed(stack) if entry[2] is not None), None)
        block = Block(name, tag, parent.name if parent else None)
        self.blocks[name] = block
        return block

    def _close(self, tag, stack):
        line = line_of(self.text, tag.start)
        if not stack:
            raise TemplateError("line %d: {%% %s %%} without an opening tag" % (line, tag.keyword))
        kw, open_tag, block = stack.pop()
        if tag.keyword != "end" + kw:
            raise TemplateError("line %d: {%% %s %%} closes {%% %s %%} opened on line %d"
                                % (line, tag.keyword, kw, line_of(self.text, open_tag.start)))
        if block is not None:
            if tag.args and tag.args[0] != block.name:
                raise TemplateError("line %d: {%% endblock %s %%} closes block '%s' opened on line %d"
                                    % (line, tag.args[0], block.name, line_of(self.text, open_tag.start)))
            block.close_tag = tag

    def _parse_sections(self):
        sections = []
        open_marker = None
        for tag in self.tags:
            if tag.kind != "comment" or self.text[tag.start:tag.end] not in MARKERS:
                continue
            marker = self.text[tag.start:tag.end]
            line = line_of(self.text, tag.start)
            if marker in (BEGIN, BEGIN_BLOCK):
                if open_marker is not None:
                    raise TemplateError("line %d: managed section starts inside another one (line %d); "
                                        "remove the damaged markers by hand" % (line, line_of(self.text, open_marker.start)))
                open_marker = tag
                continue
            if open_marker is None or marker != _closing_marker(self.text[open_marker.start:open_marker.end]):
                raise TemplateError("line %d: managed section end marker without its begin marker; "
                                    "remove the damaged markers by hand" % line)
            sections.append(self._section(open_marker, tag))
            open_marker = None
        if open_marker is not None:
            raise TemplateError("line %d: managed section is never closed; remove the damaged marker by hand"
                                % line_of(self.text, open_marker.start))
        return sections

    def _section(self, begin, end):
        line = line_of(self.text, begin.start)
        if self.text[begin.start:begin.end] == BEGIN:
            owner = self.innermost_block(begin.start)
            if owner is None or owner.close_tag.start < end.end:
                raise TemplateError("line %d: managed section is not inside one block; remove it by hand" % line)
            return Section(False, begin.start, end.end, owner.name)
        inner = [b for b in self.blocks.values()
                 if begin.end <= b.open_tag.start and b.close_tag.end <= end.start and b.parent is None]
        if len(inner) != 1:
            raise TemplateError("line %d: managed block section must hold exactly one block; remove it by hand" % line)
        # The section owns the newline the module put in front of it.
        start = begin.start - 1 if begin.start > 0 and self.text[begin.start - 1] == "\n" else begin.start
        return Section(True, start, end.end, inner[0].name)

    def innermost_block(self, pos):
        found = None
        for block in self.blocks.values():
            if block.open_tag.end <= pos <= block.close_tag.start:
                if found is None or block.open_tag.start > found.open_tag.start:
                    found = block
        return found

    def section_of(self, block_name):
        return next((s for s in self.sections if s.owner == block_name), None)


def _closing_marker(begin_marker):
    return END if begin_marker == BEGIN else END_BLOCK


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def _scan_to(text, pos, closer, quoted):
    """Index just after ``closer``, from ``pos``; quoted strings hide closers when ``quoted``."""
    i, n = pos, len(text)
    quote = None
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif quoted and c in "'\"":
            quote = c
        elif text.startswith(closer, i):
            return i + len(closer)
        i += 1
    return -1


_RAW_END = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")


def scan(text):
    """Yield the statement and comment tags of a template, in order."""
    pos = 0
    while True:
        start = text.find("{", pos)
        if start < 0 or start + 1 >= len(text):
            return
        opener = text[start:start + 2]
        if opener not in ("{%", "{#", "{{"):
            pos = start + 1
            continue
        closer = {"{%": "%}", "{#": "#}", "{{": "}}"}[opener]
        end = _scan_to(text, start + 2, closer, quoted=opener != "{#")
        if end < 0:
            raise TemplateError("line %d: %s is never closed by %s" % (line_of(text, start), opener, closer))
        inner = text[start + 2:end - 2].strip("-+").strip()
        pos = end
        if opener == "{{":
            continue
        tag = Tag("stmt" if opener == "{%" else "comment", start, end, inner)
        if tag.keyword == "raw":
            match = _RAW_END.search(text, end)
            if not match:
                raise TemplateError("line %d: {%% raw %%} is never closed" % line_of(text, start))
            pos = match.end()
            continue
        yield tag


def validate(text):
    """Parse ``text`` or raise TemplateError saying what is wrong and where."""
    return Template(text)


def in_block_section(body):
    """The text of a section inside an existing block; ``body`` is whole lines."""
    return BEGIN + "\n" + body + END


def whole_block_section(block_name, body):
    return "\n" + BEGIN_BLOCK + "\n{%% block %s %%}\n%s{%% endblock %%}\n" % (block_name, body) + END_BLOCK


def put(text, block_name, body):
    """Make ``block_name`` end with the managed ``body`` (whole lines); return the new text.

    An existing managed section of that block is replaced where it is; otherwise the
    section goes directly before the block's endblock tag; a missing block is created at
    the end of the file, before the final newline.
    """
    tpl = Template(text)
    section = tpl.section_of(block_name)
    if section is not None:
        new = whole_block_section(block_name, body) if section.whole_block else in_block_section(body)
        return text[:section.begin] + new + text[section.end:]
    block = tpl.blocks.get(block_name)
    if block is not None:
        at = block.close_tag.start
        return text[:at] + in_block_section(body) + text[at:]
    at = len(text) - 1 if text.endswith("\n") else len(text)
    return text[:at] + whole_block_section(block_name, body) + text[at:]


def remove(text, block_name):
    """Remove the managed section of ``block_name`` (if any); return the new text."""
    section = Template(text).section_of(block_name)
    if section is None:
        return text
    return text[:section.begin] + text[section.end:]


def managed_blocks(text):
    """Names of the blocks that hold a managed section."""
    return [s.owner for s in Template(text).sections]


def section_body(text, block_name):
    """The managed body of ``block_name`` as written in the file, or None."""
    tpl = Template(text)
    section = tpl.section_of(block_name)
    if section is None:
        return None
    chunk = text[section.begin:section.end]
    if section.whole_block:
        return chunk.split("\n", 3)[3].rsplit("{% endblock %}", 1)[0]
    return chunk[len(BEGIN) + 1:-len(END)]


def block_body(text, block_name):
    """What ``block_name`` holds between its tags (our section included), or None without that block."""
    block = Template(text).blocks.get(block_name)
    return None if block is None else text[block.open_tag.end:block.close_tag.start]

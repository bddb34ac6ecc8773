#!/usr/bin/env python3
"""Keep the layers of src/ apart: no import cycle between top-level modules, no forbidden edge.

Reads every src/**/*.rs, strips comments and string literals, and collects an edge
FROM -> TO between top-level modules (src/FROM.rs or src/FROM/...) for every path that
names another one: `use crate::TO...`, `crate::TO::...` in code, `super::...` resolved
against the file's module (and the inline `mod NAME { ... }` blocks around it), and, in
main.rs, `openstack_healthcheck::TO`. It fails, one line per violation and exit 1, on:

  - a cycle between top-level modules;
  - clap used outside src/cli/ (main.rs excepted): argument parsing is the CLI's;
  - proto -> checks|verdict|services|cli|output: protocol clients return what the peer
    said, the verdict is the checks';
  - checks -> cli|services: checks are called by both and know neither;
  - net|proc|config -> checks|proto|services|cli: the plumbing knows no check.

Python 3 standard library only. Usage: layers.py [SRC_DIR] (default: src/ of this checkout).
"""

import re
import sys
from pathlib import Path

CRATE_NAME = "openstack_healthcheck"

# (from, to, why): an edge from a module of the first set to one of the second is forbidden.
FORBIDDEN = [
    (
        {"proto"},
        {"checks", "verdict", "services", "cli", "output"},
        "protocol clients return what the peer said; the verdict belongs to checks",
    ),
    (
        {"checks"},
        {"cli", "services"},
        "checks are called by cli and services and know neither",
    ),
    (
        {"net", "proc", "config"},
        {"checks", "proto", "services", "cli"},
        "the plumbing (net, proc, config) knows no check and no protocol",
    ),
]

# Modules whose files may use clap: the CLI layer, and the binary's main.rs.
CLAP_ALLOWED = {"cli", "main"}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
PATH_START = re.compile(
    r"(?<![A-Za-z0-9_:])(crate|super|"
    + CRATE_NAME
    + r"|clap)((?:\s*::\s*super)*)\s*::\s*(\{|"
    + IDENT
    + r")"
)
INLINE_MOD = re.compile(r"\bmod\s+(" + IDENT + r")\s*\{")


def strip_code(text):
    """The source with comments, string and char literals blanked out (newlines kept,
    so offsets still give line numbers)."""
    out = []
    i, n = 0, len(text)

    def blank(segment):
        return "".join(c if c == "\n" else " " for c in segment)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(blank(text[i:end]))
            i = end
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif re.match(r'b?r(#*)"', text[i : i + 260]) and not _ident_before(text, i):
            m = re.match(r'b?r(#*)"', text[i:])
            closing = '"' + m.group(1)
            end = text.find(closing, i + m.end())
            end = n if end < 0 else end + len(closing)
            out.append(blank(text[i:end]))
            i = end
        elif c == '"' or (
            c == "b" and text.startswith('b"', i) and not _ident_before(text, i)
        ):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i : j + 1]))
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a), which has no closing quote.
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            if m:
                out.append(blank(m.group(0)))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _ident_before(text, i):
    return i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")


def module_path(src, path):
    """The module path of a file: src/a/b.rs and src/a/b/mod.rs are ['a', 'b']; lib.rs
    is the crate root []; main.rs is the binary, ['main']."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts in (["lib"],):
        return []
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def top_level_modules(src):
    names = {p.stem for p in src.glob("*.rs")} | {
        p.name for p in src.iterdir() if p.is_dir()
    }
    return names - {"lib"}


def first_segments(text, start):
    """The first identifier of each item of the use group opening at text[start] == '{'."""
    depth, item, items, i = 0, "", [], start
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
            if depth > 1:
                item += c
        elif c == "}":
            depth -= 1
            if depth == 0:
                items.append(item)
                break
            item += c
        elif c == "," and depth == 1:
            items.append(item)
            item = ""
        else:
            item += c
        i += 1
    found = []
    for it in items:
        m = re.match(r"\s*(" + IDENT + r"|\{)", it)
        if m and m.group(1) != "{":
            found.append(m.group(1))
    return found


def inline_modules_at(code):
    """For each offset of `code`, which inline `mod NAME { ... }` blocks enclose it: a list
    of (start, end, name) spans."""
    spans = []
    for m in INLINE_MOD.finditer(code):
        depth, j = 0, m.end() - 1
        while j < len(code):
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        spans.append((m.end(), j, m.group(1)))
    return spans


def scan_file(src, path, known):
    """(edges, clap_lines) of one file: edges as (to, line) between top-level modules."""
    text = path.read_text(encoding="utf-8", errors="replace")
    code = strip_code(text)
    file_module = module_path(src, path)
    spans = inline_modules_at(code)
    edges, clap_lines = [], []
    for m in PATH_START.finditer(code):
        root, more_supers, head = m.group(1), m.group(2), m.group(3)
        line = code.count("\n", 0, m.start()) + 1
        if root == "clap":
            clap_lines.append(line)
            continue
        if root == CRATE_NAME and file_module != ["main"]:
            continue
        heads = first_segments(code, m.end() - 1) if head == "{" else [head]
        if root == "super":
            inner = [name for (s, e, name) in spans if s <= m.start() < e]
            here = file_module + inner
            ups = 1 + more_supers.count("super")
            base = here[: max(len(here) - ups, 0)]
        else:
            base = []
        for h in heads:
            full = base + ([] if h in ("self", "super", "*") else [h])
            if not full:
                continue
            target = full[0]
            if target in known:
                edges.append((target, line))
    return edges, clap_lines


def collect(src):
    """Every edge between distinct top-level modules: {(from, to): [(file, line), ...]}, and
    the clap uses as [(module, file, line)]."""
    known = top_level_modules(src)
    edges, claps = {}, []
    for path in sorted(src.rglob("*.rs")):
        mod = module_path(src, path)
        origin = mod[0] if mod else None
        file_edges, clap_lines = scan_file(src, path, known)
        for line in clap_lines:
            claps.append((origin, path, line))
        if origin is None:
            continue
        for target, line in file_edges:
            if target != origin:
                edges.setdefault((origin, target), []).append((path, line))
    return edges, claps


def cycles(edges):
    """One cycle (as a closed list of modules) per strongly connected component of more
    than one module (Tarjan)."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(set(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    found = []
    for component in components:
        start = min(component)
        # Shortest way back to `start` inside the component (breadth first).
        previous, frontier = {start: None}, [start]
        back = None
        while frontier and back is None:
            following = []
            for v in frontier:
                for w in sorted(graph[v] & component):
                    if w == start:
                        back = v
                        break
                    if w not in previous:
                        previous[w] = v
                        following.append(w)
                if back is not None:
                    break
            frontier = following
        path, v = [], back
        while v is not None:
            path.append(v)
            v = previous[v]
        found.append(list(reversed(path)) + [start])
    return found


def violations(src):
    src = Path(src)
    edges, claps = collect(src)
    found = []

    def where(path, line):
        try:
            shown = path.relative_to(src.parent)
        except ValueError:
            shown = path
        return f"{shown}:{line}"

    reported = set()
    for origin, path, line in claps:
        if origin not in CLAP_ALLOWED and path not in reported:
            reported.add(path)
            found.append(
                f"{where(path, line)}: clap used in {origin or 'lib.rs'}: argument parsing belongs to src/cli/"
            )
    for (a, b), places in sorted(edges.items()):
        for sources, targets, why in FORBIDDEN:
            if a in sources and b in targets:
                path, line = places[0]
                more = f" (and {len(places) - 1} more)" if len(places) > 1 else ""
                found.append(
                    f"{where(path, line)}: forbidden edge {a} -> {b}{more}: {why}"
                )
    for cycle in cycles(edges):
        steps = []
        for a, b in zip(cycle, cycle[1:]):
            path, line = edges[(a, b)][0]
            steps.append(f"{a} -> {b} ({where(path, line)})")
        found.append("import cycle " + " -> ".join(cycle) + ": " + ", ".join(steps))
    return found, edges


def main(argv):
    src = (
        Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "src"
    )
    if not src.is_dir():
        print(f"layers: {src} is not a directory", file=sys.stderr)
        return 2
    found, edges = violations(src)
    for line in found:
        print(line)
    if found:
        print(f"layers: {len(found)} violation(s)", file=sys.stderr)
        return 1
    modules = {m for edge in edges for m in edge}
    print(
        f"layers: {len(edges)} edges between {len(modules)} top-level modules, no cycle, no forbidden edge"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

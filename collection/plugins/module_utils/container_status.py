# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Pure logic of the container health gate: no processes, no I/O.

Turns one container's ``inspect`` JSON (Docker, podman 4+ ``State.Health``,
podman <= 3 ``State.Healthcheck``) into a small, bounded record, decides which
containers a list of names/globs selects, and sorts the records into the
verdict lists the module returns. Kept apart from the module so unit tests can
feed it captured real ``inspect`` output, and so the report filters can reuse
the verdict names.
"""

import fnmatch

# Verdicts, one per container. The first three pass the gate.
HEALTHY = "healthy"
NO_HEALTHCHECK = "no_healthcheck"
# A one-shot container (bootstrap, db sync, config generation) that ran and exited with an
# accepted exit code: TripleO's deploy steps run many, and tripleo-ansible accepts them by
# exit code (tripleo_container_manage_valid_exit_code, valid_exit_codes), not by state.
EXITED_OK = "exited_ok"
STARTING = "starting"
UNHEALTHY = "unhealthy"
NOT_RUNNING = "not_running"
MISSING = "missing"

# podman keeps 500 characters of a check's output, Docker 4096 bytes; a gate
# report needs one readable line, and health logs can be megabytes in total.
DEFAULT_OUTPUT_LIMIT = 500

# Container states in which the engine runs no health check, so nothing about
# the container can change without someone starting it.
_STOPPED_STATES = frozenset(["created", "configured", "exited", "stopped", "dead", "paused", "removing"])

# States of a container that ran and ended (podman says "stopped" after podman stop).
_ENDED_STATES = frozenset(["exited", "stopped"])

# Exit codes that count as a one-shot container's success unless told otherwise.
DEFAULT_VALID_EXIT_CODES = (0,)

_GLOB_CHARS = frozenset("*?[")


def is_glob(pattern):
    """True when ``pattern`` selects by shell-style wildcard rather than by exact name."""
    return any(c in _GLOB_CHARS for c in pattern)


def one_line(text, limit=DEFAULT_OUTPUT_LIMIT):
    """Fold a check's output into one line of at most ``limit`` characters.

    Lines are joined with `` / `` (multi-line outputs such as curl's error and a
    script's own message stay readable), control characters become spaces, and a
    cut is marked with ``...``.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    lines = [" ".join("".join(c if c.isprintable() else " " for c in line).split()) for line in text.splitlines()]
    folded = " / ".join(line for line in lines if line)
    if limit is not None and len(folded) > limit:
        keep = max(limit - 3, 0)
        folded = folded[:keep] + "..."
    return folded


def container_name(inspect):
    """The container's name as users type it (Docker prefixes a slash)."""
    name = inspect.get("Name") or ""
    return name[1:] if name.startswith("/") else name


def _health_section(state):
    """``State.Health`` (Docker, podman 4+) or ``State.Healthcheck`` (podman <= 3)."""
    for key in ("Health", "Healthcheck"):
        section = state.get(key)
        if isinstance(section, dict) and section.get("Status"):
            return section
    return None


def configured_check(inspect):
    """The configured check command as a list, or None when the container has none.

    Docker writes ``["NONE"]`` for a check disabled with ``--no-healthcheck``.
    """
    config = inspect.get("Config") or {}
    check = config.get("Healthcheck") or {}
    test = check.get("Test") or []
    if not test or test[0] == "NONE":
        return None
    return list(test)


def container_record(inspect, runtime, output_limit=DEFAULT_OUTPUT_LIMIT, valid_exit_codes=DEFAULT_VALID_EXIT_CODES):
    """One container's health as a flat, bounded dict (the module's ``containers`` items)."""
    state = inspect.get("State") or {}
    config = inspect.get("Config") or {}
    health = _health_section(state)
    log = (health or {}).get("Log") or []
    last = log[-1] if log else {}
    running = bool(state.get("Running")) and not state.get("Paused")
    status = (health or {}).get("Status") or "none"
    if status not in (HEALTHY, UNHEALTHY, STARTING):
        status = "none"
    record = {
        "name": container_name(inspect),
        "id": (inspect.get("Id") or "")[:12],
        "image": config.get("Image") or inspect.get("ImageName") or "",
        "runtime": runtime,
        "state": (state.get("Status") or ("running" if running else "unknown")).lower(),
        "running": running,
        "exit_code": state.get("ExitCode"),
        "restarting": bool(state.get("Restarting")),
        "healthcheck": configured_check(inspect),
        "status": status,
        "failing_streak": int((health or {}).get("FailingStreak") or 0),
        "health_log_len": len(log),
        "output": one_line(last.get("Output"), output_limit),
        "check_exit_code": last.get("ExitCode"),
        "checked_at": last.get("End") or "",
    }
    record["verdict"] = verdict(record, valid_exit_codes)
    return record


def missing_record(name, runtime):
    """The record of a container that was asked for by exact name and does not exist."""
    return {
        "name": name,
        "id": "",
        "image": "",
        "runtime": runtime,
        "state": "missing",
        "running": False,
        "exit_code": None,
        "restarting": False,
        "healthcheck": None,
        "status": "none",
        "failing_streak": 0,
        "health_log_len": 0,
        "output": "",
        "check_exit_code": None,
        "checked_at": "",
        "verdict": MISSING,
    }


def verdict(record, valid_exit_codes=DEFAULT_VALID_EXIT_CODES):
    """Which gate list a container belongs to.

    Not running wins over the health status: an exited container keeps its last
    health state, which says nothing about now. A container that ran and exited with
    one of ``valid_exit_codes`` did its one job. A running container whose health
    section is absent (or empty, as podman 4 writes it) has no check; one that has
    a configured check but no status yet is still starting.
    """
    if record["state"] == "missing":
        return MISSING
    if (record["state"] in _ENDED_STATES and not record["running"] and not record["restarting"]
            and record["exit_code"] in (valid_exit_codes or ())):
        return EXITED_OK
    if not record["running"] or record["restarting"]:
        return NOT_RUNNING
    status = record["status"]
    if status == HEALTHY:
        return HEALTHY
    if status == UNHEALTHY:
        return UNHEALTHY
    if status == STARTING:
        return STARTING
    if record["healthcheck"]:
        return STARTING
    return NO_HEALTHCHECK


def can_change(record, stop_on_unhealthy=False):
    """Whether waiting longer could still change this container's verdict.

    Starting containers settle by themselves; unhealthy running ones keep being
    checked by the engine and may recover (a slow service flagged early), unless
    the caller asked to stop at the first unhealthy one. Restarting containers
    come back. Stopped, missing and check-less containers stay as they are.
    """
    v = record["verdict"]
    if v == STARTING:
        return True
    if v == UNHEALTHY:
        return not stop_on_unhealthy
    if v == NOT_RUNNING:
        return record["restarting"] or record["state"] == "restarting"
    return False


def select_names(available, patterns, exclude=None):
    """Pick container names by exact name or glob, in the order of ``available``.

    Returns ``(selected, missing, unmatched_globs)``: exact names that do not exist
    are missing (a gate failure); globs matching nothing are only reported, since a
    host of one role rarely runs every other role's containers. No patterns means
    every container. ``exclude`` globs drop names from the selection.
    """
    exclude = list(exclude or [])
    patterns = list(patterns or [])
    chosen = []
    missing = []
    unmatched = []
    if not patterns:
        chosen = list(available)
    else:
        for pattern in patterns:
            if is_glob(pattern):
                hits = [n for n in available if fnmatch.fnmatchcase(n, pattern)]
                if not hits:
                    unmatched.append(pattern)
            else:
                hits = [pattern] if pattern in available else []
                if not hits:
                    missing.append(pattern)
            chosen.extend(h for h in hits if h not in chosen)
        order = {n: i for i, n in enumerate(available)}
        chosen.sort(key=lambda n: order[n])
    if exclude:
        chosen = [n for n in chosen if not any(fnmatch.fnmatchcase(n, e) for e in exclude)]
    return chosen, _unique(missing), unmatched


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def classify(records, require_healthcheck=False):
    """Sort records into the gate lists; ``failed`` names every container that fails it."""
    lists = {UNHEALTHY: [], STARTING: [], NOT_RUNNING: [], MISSING: [], NO_HEALTHCHECK: [], HEALTHY: [],
             EXITED_OK: []}
    for record in records:
        lists[record["verdict"]].append(record["name"])
    bad_verdicts = [UNHEALTHY, STARTING, NOT_RUNNING, MISSING]
    if require_healthcheck:
        bad_verdicts.append(NO_HEALTHCHECK)
    failed = [r["name"] for r in records if r["verdict"] in bad_verdicts]
    return lists, failed


def summary(records, lists, elapsed, runtime):
    """Counts per verdict, for a one-glance report."""
    counts = dict((key, len(names)) for key, names in lists.items())
    counts["total"] = len(records)
    counts["elapsed"] = round(elapsed, 3)
    counts["runtime"] = runtime
    return counts


def describe(record):
    """One phrase naming a bad container and what its check said."""
    name = record["name"]
    v = record["verdict"]
    if v == MISSING:
        return "%s: missing (no such container)" % name
    if v == NOT_RUNNING:
        code = record.get("exit_code")
        extra = " (exit code %s)" % code if code not in (None, "") else ""
        return "%s: not running, state %s%s" % (name, record["state"], extra)
    if v == NO_HEALTHCHECK:
        return "%s: no health check configured" % name
    text = "%s: %s" % (name, v)
    if record.get("failing_streak"):
        text += " (failing streak %d)" % record["failing_streak"]
    if record.get("output"):
        text += ": %s" % record["output"]
    elif v == STARTING:
        text += ": no check result yet"
    return text


def failure_message(records, failed, timeout=None):
    """The module's msg when the gate fails: every bad container with its check's output."""
    bad = [r for r in records if r["name"] in failed]
    head = "%d of %d containers not healthy" % (len(bad), len(records))
    if timeout is not None and any(r["verdict"] == STARTING for r in bad):
        head += " (waited %ss)" % timeout
    return head + ": " + "; ".join(describe(r) for r in bad)

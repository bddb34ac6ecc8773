# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The host agent's state file, read by the gate instead of the engine's health.

``openstack-healthcheck agent`` runs every container's check from one process on the
host and writes, atomically each round, one JSON file::

    {"checked_at": "2026-01-01T12:00:00Z", "interval": 30, "errors": ["..."],
     "containers": [{"name": "nova_api", "id": "3f1c...", "runtime": "docker",
                     "check": "nova-api", "healthy": true, "reason": "...",
                     "output": "...", "checked_at": "2026-01-01T12:00:00Z"}]}

``healthy`` is ``null`` for a container whose health test is not this project's: the
agent leaves it to the engine, and so does the gate. The engine still tells which
containers exist and run; the agent only replaces the health of the running ones it
checks. A file that is missing, unreadable, malformed or older than ``max_age``
intervals is an error naming the file, never a silent pass.

Pure logic apart from reading the file, so unit tests can feed it state files.
"""

import calendar
import errno
import json
import re

from ansible_collections.openstack.healthcheck.plugins.module_utils import container_status as cs

DEFAULT_STATE_FILE = "/run/openstack-healthcheck/agent.json"
# How many of the agent's intervals old its state may be: one round late is normal
# (a round takes time), three means the agent has stopped writing.
DEFAULT_MAX_AGE = 3.0
# A state file is a few hundred bytes per container; anything this large is not one.
MAX_STATE_BYTES = 16 * 1024 * 1024

HEALTH_SOURCE_AGENT = "agent"
HEALTH_SOURCE_ENGINE = "engine"

# RFC 3339 as the agent writes it (UTC, ``Z`` or an offset, any fraction of a second).
# Parsed by hand: datetime.fromisoformat only takes ``Z`` and nanoseconds from Python 3.11.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


class AgentStateError(Exception):
    """The state file cannot be used; the message names it and says why."""


def parse_time(text):
    """Seconds since the epoch of an RFC 3339 timestamp, or None when it is not one."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    seconds = float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    if match.group(7):
        seconds += float("0." + match.group(7))
    if match.group(9):
        offset = int(match.group(10)) * 3600 + int(match.group(11)) * 60
        seconds -= offset if match.group(9) == "+" else -offset
    return seconds


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class AgentState(object):
    """One reading of the state file: when it was written, its interval, its containers."""

    def __init__(self, path, checked_at, interval, containers, errors, age):
        self.path = path
        self.checked_at = checked_at
        self.interval = interval
        self.containers = containers
        self.errors = errors
        self.age = age

    def entry_for(self, record):
        """The agent's entry for an engine record: same ID (either may be short), else same name.

        An entry with another ID is another container of that name (removed and created
        again since the agent's round): it says nothing about this one.
        """
        record_id = record.get("id") or ""
        for entry in self.containers:
            if entry["runtime"] and record.get("runtime") and entry["runtime"] != record["runtime"]:
                continue
            entry_id = entry["id"]
            if record_id and entry_id:
                if entry_id.startswith(record_id) or record_id.startswith(entry_id):
                    return entry
            elif entry["name"] == record.get("name"):
                return entry
        return None

    def describe(self):
        """What the result says about the file read."""
        return {
            "state_file": self.path,
            "checked_at": self.checked_at,
            "interval": self.interval,
            "age": round(self.age, 3),
            "errors": list(self.errors),
            "containers": len(self.containers),
        }


def _text(value, what, path, index):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AgentStateError("agent state file %s: containers[%d].%s must be a string, got %r"
                              % (path, index, what, value))
    return value


def _entry(raw, index, path):
    if not isinstance(raw, dict):
        raise AgentStateError("agent state file %s: containers[%d] must be an object, got %r" % (path, index, raw))
    healthy = raw.get("healthy")
    if healthy is not None and not isinstance(healthy, bool):
        raise AgentStateError("agent state file %s: containers[%d].healthy must be true, false or null, got %r"
                              % (path, index, healthy))
    entry = dict((key, _text(raw.get(key), key, path, index))
                 for key in ("name", "id", "runtime", "check", "reason", "output", "checked_at"))
    if not entry["name"] and not entry["id"]:
        raise AgentStateError("agent state file %s: containers[%d] has neither a name nor an id" % (path, index))
    entry["healthy"] = healthy
    entry["checked_at_seconds"] = parse_time(entry["checked_at"]) if entry["checked_at"] else None
    if entry["checked_at"] and entry["checked_at_seconds"] is None:
        raise AgentStateError("agent state file %s: containers[%d].checked_at is not an RFC 3339 time: %r"
                              % (path, index, entry["checked_at"]))
    return entry


def parse_state(text, path, now, max_age=DEFAULT_MAX_AGE):
    """An ``AgentState`` from the file's text, or ``AgentStateError`` when it is not usable now.

    ``now`` is the host's time (seconds since the epoch): the agent writes on the same
    host's clock. Written more than ``max_age`` intervals ago is stale; more than one
    interval in the future is a clock that jumped, which makes the age meaningless.
    """
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise AgentStateError("agent state file %s is not valid JSON: %s" % (path, e))
    if not isinstance(doc, dict):
        raise AgentStateError("agent state file %s must hold a JSON object" % path)
    checked_at = doc.get("checked_at")
    written = parse_time(checked_at)
    if written is None:
        raise AgentStateError("agent state file %s: checked_at must be an RFC 3339 time, got %r" % (path, checked_at))
    interval = doc.get("interval")
    if not _is_number(interval) or interval <= 0:
        raise AgentStateError("agent state file %s: interval must be a positive number of seconds, got %r"
                              % (path, interval))
    containers = doc.get("containers")
    if not isinstance(containers, list):
        raise AgentStateError("agent state file %s: containers must be a list, got %r" % (path, containers))
    errors = doc.get("errors") or []
    if not isinstance(errors, list):
        raise AgentStateError("agent state file %s: errors must be a list, got %r" % (path, errors))
    age = now - written
    limit = max_age * interval
    if age > limit:
        raise AgentStateError(
            "agent state file %s is stale: written at %s, %.0fs ago, more than %s intervals of %ss (agent_max_age): "
            "is openstack-healthcheck agent running on this host?" % (path, checked_at, age, _num(max_age), _num(interval))
        )
    if age < -interval:
        raise AgentStateError("agent state file %s was written at %s, %.0fs ahead of this host's clock"
                              % (path, checked_at, -age))
    entries = [_entry(raw, i, path) for i, raw in enumerate(containers)]
    return AgentState(path, checked_at, interval, entries, [cs.one_line(e, 200) for e in errors], age)


def _num(value):
    """A number as people write it: 3, not 3.0."""
    return int(value) if float(value).is_integer() else value


def read_state(path, now, max_age=DEFAULT_MAX_AGE):
    """Read and check the state file at ``path`` (see ``parse_state``)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_STATE_BYTES + 1)
    except (IOError, OSError) as e:
        if getattr(e, "errno", None) == errno.ENOENT:
            raise AgentStateError("agent state file %s does not exist: is openstack-healthcheck agent running on "
                                  "this host (and agent_state_file its --state-file)?" % path)
        raise AgentStateError("cannot read agent state file %s: %s" % (path, e.strerror or e))
    if len(data) > MAX_STATE_BYTES:
        raise AgentStateError("agent state file %s is larger than %d bytes: not a state file" % (path, MAX_STATE_BYTES))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AgentStateError("agent state file %s is not UTF-8: %s" % (path, e))
    return parse_state(text, path, now, max_age)


def apply_state(records, state, now, max_age=DEFAULT_MAX_AGE, output_limit=cs.DEFAULT_OUTPUT_LIMIT):
    """The records with the agent's verdicts in place of the engine's health.

    Only running containers take the agent's word (a stopped one is judged by its state
    and exit code, as without the agent). Each record says where its health came from
    (``health_source``) and which check the agent ran (``agent_check``). A running
    container the agent has not checked yet (started after its last round, or whose last
    result is older than ``max_age`` intervals) is ``starting``: the next round tells.
    """
    limit = max_age * state.interval
    updated = []
    for record in records:
        record = dict(record, health_source=HEALTH_SOURCE_ENGINE, agent_check=None)
        if record["verdict"] == cs.MISSING or not record["running"] or record["restarting"]:
            updated.append(record)
            continue
        entry = state.entry_for(record)
        if entry is not None and entry["healthy"] is None:
            # Not ours: the engine's own health stays the verdict.
            updated.append(record)
            continue
        record.update(health_source=HEALTH_SOURCE_AGENT, failing_streak=0, health_log_len=0)
        if entry is None:
            record.update(status=cs.STARTING, check_exit_code=None, checked_at="",
                          output="not in the agent's state file %s yet (its last round: %s)"
                                 % (state.path, state.checked_at))
        elif entry["checked_at_seconds"] is not None and now - entry["checked_at_seconds"] > limit:
            record.update(status=cs.STARTING, check_exit_code=None, checked_at=entry["checked_at"],
                          agent_check=entry["check"] or None,
                          output="the agent's last check of it, at %s, is %.0fs old, more than %s intervals of %ss"
                                 % (entry["checked_at"], now - entry["checked_at_seconds"], _num(max_age),
                                    _num(state.interval)))
        else:
            record.update(
                status=cs.HEALTHY if entry["healthy"] else cs.UNHEALTHY,
                check_exit_code=0 if entry["healthy"] else 1,
                checked_at=entry["checked_at"] or state.checked_at,
                agent_check=entry["check"] or None,
                output=cs.one_line(entry["output"] or entry["reason"], output_limit),
            )
        record["verdict"] = _agent_verdict(record)
        updated.append(record)
    return updated


def _agent_verdict(record):
    """A running container's verdict from the agent's status (a check-less one has a check now)."""
    status = record["status"]
    if status in (cs.HEALTHY, cs.UNHEALTHY):
        return status
    return cs.STARTING

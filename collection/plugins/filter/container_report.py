# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters that turn container_health results from many hosts into one gate report.

``health_report`` gathers the registered results of every host into one report
(one row per host and container, hosts without a result included, so an
unreachable host can never pass silently); ``health_table``, ``health_failures``
and ``health_junit`` render that report for people and for CI systems.
"""

import xml.etree.ElementTree as ET

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack.healthcheck.plugins.module_utils.container_status import (
    EXITED_OK,
    MISSING,
    NOT_RUNNING,
    NO_HEALTHCHECK,
    one_line,
)

# Status shown for a host whose result could not be read at all.
ERROR = "error"

# Widest output column of the summary table; the failure message carries the whole output.
TABLE_OUTPUT_WIDTH = 100


def _status(container):
    verdict = container.get("verdict") or container.get("status") or "unknown"
    if verdict == NOT_RUNNING:
        code = container.get("exit_code")
        state = container.get("state") or "stopped"
        return "%s (exit %s)" % (state, code) if state == "exited" and code is not None else state
    if verdict == EXITED_OK:
        # A one-shot container that did its job: shown as exited, and why that is fine.
        return "%s (ok, exit %s)" % (container.get("state") or "exited", container.get("exit_code"))
    if verdict == NO_HEALTHCHECK:
        return "no check"
    if verdict == MISSING:
        return MISSING
    return verdict


def _host_rows(host, result, allow_empty):
    """Rows of one host, whether the host passed, and its message."""
    if not isinstance(result, dict):
        reason = "no result: host unreachable or the health task did not run"
        return [_error_row(host, reason)], False, reason
    containers = result.get("containers")
    if containers is None:
        reason = one_line(result.get("msg") or "the health task failed without a message")
        return [_error_row(host, reason)], False, reason
    failed_names = set(result.get("failed_containers") or [])
    passed = result.get("passed") is True
    rows = []
    for c in containers:
        rows.append(
            {
                "host": host,
                "container": c.get("name", ""),
                "status": _status(c),
                "verdict": c.get("verdict", ""),
                "state": c.get("state", ""),
                "output": c.get("output") or "",
                "failed": c.get("name") in failed_names,
                # Where the health came from: the engine's checks or the host agent's state file.
                "source": c.get("health_source") or "engine",
            }
        )
    if not rows:
        # A gate that checked nothing must not pass by default: a wrong glob or the wrong
        # engine looks exactly like this.
        rows.append(
            {"host": host, "container": "-", "status": "none selected", "verdict": "", "state": "",
             "output": "no container matched", "failed": not allow_empty, "source": ""}
        )
        passed = passed and allow_empty
    return rows, passed, one_line(result.get("msg") or "")


def _error_row(host, reason):
    return {"host": host, "container": "-", "status": ERROR, "verdict": ERROR, "state": "",
            "output": reason, "failed": True, "source": ""}


def health_report(hostvars, hosts, var="healthcheck_result", allow_empty=False):
    """The gate report over ``hosts`` from each host's registered ``var``.

    A host where no container was selected fails unless ``allow_empty``.
    """
    if isinstance(hosts, str):
        hosts = [hosts]
    try:
        host_list = list(hosts)
    except TypeError:
        raise AnsibleFilterError("health_report: hosts must be a list of host names, got %r" % (hosts,))
    report = {"passed": True, "rows": [], "hosts": {}}
    for host in host_list:
        try:
            host_vars = hostvars[host]
        except KeyError:
            host_vars = {}
        result = host_vars.get(var) if hasattr(host_vars, "get") else None
        rows, passed, msg = _host_rows(host, result, allow_empty)
        report["rows"].extend(rows)
        report["hosts"][host] = {"passed": passed, "msg": msg}
        report["passed"] = report["passed"] and passed
    return report


def _check_report(report, name):
    if not isinstance(report, dict) or "rows" not in report:
        raise AnsibleFilterError("%s: expects the output of openstack.healthcheck.health_report" % name)


def health_table(report, width=TABLE_OUTPUT_WIDTH):
    """The report as aligned text lines: HOST, CONTAINER, STATUS, LAST CHECK OUTPUT."""
    _check_report(report, "health_table")
    header = ("HOST", "CONTAINER", "STATUS", "LAST CHECK OUTPUT")
    cells = [header] + [
        (r["host"], r["container"], r["status"], one_line(r["output"], width)) for r in report["rows"]
    ]
    widths = [max(len(str(row[i])) for row in cells) for i in range(3)]
    lines = []
    for row in cells:
        line = "  ".join(str(row[i]).ljust(widths[i]) for i in range(3)) + "  " + str(row[3])
        lines.append(line.rstrip())
    return lines


def health_failures(report):
    """One line per failing host/container with its check's own output."""
    _check_report(report, "health_failures")
    lines = []
    for r in report["rows"]:
        if r["failed"]:
            text = "%s/%s: %s" % (r["host"], r["container"], r["status"])
            output = r["output"] or ""
            # openstack-healthcheck's own line starts with the status already ("unhealthy: ..."):
            # do not say it twice.
            if output.startswith(r["status"] + ":"):
                output = output[len(r["status"]) + 1:].lstrip()
            if output:
                text += ": " + output
            lines.append(text)
    return lines


def health_junit(report, suite="openstack.healthcheck.validate"):
    """The report as JUnit XML: one testcase per host and container, the failure message is the output."""
    _check_report(report, "health_junit")
    rows = report["rows"]
    root = ET.Element("testsuites")
    suite_el = ET.SubElement(root, "testsuite", name=suite)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for r in rows:
        case = ET.SubElement(suite_el, "testcase", classname=str(r["host"]), name=str(r["container"]))
        counts["tests"] += 1
        message = "%s: %s" % (r["status"], r["output"]) if r["output"] else r["status"]
        if r["verdict"] == ERROR:
            counts["errors"] += 1
            ET.SubElement(case, "error", message=message, type=ERROR).text = r["output"]
        elif r["failed"]:
            counts["failures"] += 1
            ET.SubElement(case, "failure", message=message, type=r["verdict"] or "failed").text = r["output"]
        elif r["verdict"] in (NO_HEALTHCHECK, ""):
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=r["output"] or "no health check configured")
        elif r["verdict"] == EXITED_OK:
            ET.SubElement(case, "system-out").text = "%s: a one-shot container that ended with an accepted exit code" % (
                r["status"])
        else:
            ET.SubElement(case, "system-out").text = r["output"]
    for key, value in counts.items():
        suite_el.set(key, str(value))
        root.set(key, str(value))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class FilterModule(object):
    """Gate report filters for openstack.healthcheck.container_health results."""

    def filters(self):
        return {
            "health_report": health_report,
            "health_table": health_table,
            "health_failures": health_failures,
            "health_junit": health_junit,
        }

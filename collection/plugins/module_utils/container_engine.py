# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Talk to a container engine (Docker or podman) through its command line client.

Both clients answer the same ``ps``/``inspect`` commands, so one small class
covers them; only running a check on demand differs (``podman healthcheck run``;
Docker has no such command). Every call goes through the ``run`` function it is
given (``AnsibleModule.run_command`` in the module, a fake in unit tests).
"""

import json
import os

RUNTIMES = ("docker", "podman")


class EngineError(Exception):
    """The engine cannot be found or does not answer; the message says what to do."""


class Engine(object):
    """One container engine client: ``runtime`` is ``docker`` or ``podman``."""

    def __init__(self, executable, runtime, run):
        self.executable = executable
        self.runtime = runtime
        self._run = run

    def _call(self, args, what):
        rc, out, err = self._run([self.executable] + list(args))
        if rc != 0:
            raise EngineError(
                "%s %s failed (exit %s) while %s: %s" % (self.executable, args[0], rc, what, (err or out).strip())
            )
        return out

    def names(self):
        """Names of every container on the host, running or not."""
        out = self._call(["ps", "--all", "--no-trunc", "--format", "{{.Names}}"], "listing containers")
        names = []
        for line in out.splitlines():
            # Docker lists legacy link aliases after the name, comma-separated.
            name = line.strip().split(",")[0]
            if name and name not in names:
                names.append(name)
        return names

    def inspect(self, names):
        """``inspect`` JSON of the named containers; names that vanished meanwhile are left out.

        Docker and podman exit non-zero when any name is unknown but still print
        the others, so stdout is parsed whatever the exit code, and stderr only
        matters when stdout holds nothing.
        """
        if not names:
            return []
        rc, out, err = self._run([self.executable, "container", "inspect"] + list(names))
        data = _parse_json_list(out)
        if data is None:
            if rc != 0 and _says_no_such_container(err):
                return []
            raise EngineError(
                "%s container inspect failed (exit %s): %s"
                % (self.executable, rc, (err or out).strip()[:500] or "no output")
            )
        return [c for c in data if isinstance(c, dict)]

    def run_check(self, name):
        """Run a container's configured check now (podman only); returns ``(rc, output)``.

        ``podman healthcheck run`` records the result in the container's health
        log exactly as its timer would. Docker runs checks by itself on every
        interval and offers no way to record an extra one, so there is nothing
        to run.
        """
        if self.runtime != "podman":
            return None
        rc, out, err = self._run([self.executable, "healthcheck", "run", name])
        return rc, (out + err).strip()


def _parse_json_list(text):
    text = (text or "").strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def _says_no_such_container(err):
    err = (err or "").lower()
    return "no such" in err


def runtime_of(executable, run):
    """``docker`` or ``podman``, from what the client says about itself.

    Asking (rather than trusting the file name) also catches podman-docker's
    ``docker`` wrapper, which is podman underneath.
    """
    rc, out, err = run([executable, "--version"])
    if rc != 0:
        raise EngineError(
            "%s --version failed (exit %s): %s; set executable to a working docker or podman client"
            % (executable, rc, (err or out).strip())
        )
    text = (out + err).lower()
    if "podman" in text:
        return "podman"
    if "docker" in text:
        return "docker"
    raise EngineError("%s is neither docker nor podman (its --version says %r)" % (executable, out.strip()[:120]))


def find_engine(runtime, executable, which, run):
    """Pick the engine client to use.

    ``runtime`` is ``auto``, ``docker`` or ``podman``; ``executable`` an explicit
    client path or name (else the runtime's own name is looked up). ``which(name)``
    returns a path or None. With ``auto``, every client found in PATH is asked to
    list containers: one that answers wins; when both answer, the one that has
    containers wins, Docker first. Returns ``(Engine, warnings)``.
    """
    warnings = []
    if executable:
        path = executable if os.path.sep in executable else which(executable)
        if not path or not os.path.exists(path):
            raise EngineError(
                "container engine client %r not found%s; install docker or podman, or point executable at its client"
                % (executable, "" if os.path.sep in executable else " in PATH")
            )
        actual = runtime_of(path, run)
        if runtime != "auto" and actual != runtime:
            raise EngineError("runtime is %s but %s is a %s client" % (runtime, path, actual))
        return Engine(path, actual, run), warnings

    wanted = RUNTIMES if runtime == "auto" else (runtime,)
    found = [(name, which(name)) for name in wanted]
    found = [(name, path) for name, path in found if path]
    if not found:
        raise EngineError(
            "no container engine found: %s not in PATH (%s); install one, or set executable to its client"
            % (" nor ".join(wanted) if len(wanted) > 1 else wanted[0], os.environ.get("PATH", ""))
        )
    answering = []
    failures = []
    for _name, path in found:
        try:
            engine = Engine(path, runtime_of(path, run), run)
            answering.append((engine, engine.names()))
        except EngineError as e:
            failures.append(str(e))
    if not answering:
        raise EngineError("no container engine answers: " + "; ".join(failures))
    if len(answering) > 1:
        with_containers = [pair for pair in answering if pair[1]]
        if len(with_containers) > 1:
            warnings.append(
                "both %s have containers; using %s (set runtime to choose)"
                % (" and ".join(pair[0].executable for pair in answering), with_containers[0][0].executable)
            )
        if with_containers:
            return with_containers[0][0], warnings
    return answering[0][0], warnings

# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Talk to a container engine (Docker or podman) through its command line client.

Both clients answer the same ``ps``/``inspect`` commands, so one small class
covers them; only running a check on demand differs (``podman healthcheck run``;
Docker has no such command).

A gate must end on time whatever the engine does, so every call is bounded:
each runs with a time limit taken from what is left of the gate's budget
(``Budget``), a client that does not answer in time is killed with everything it
started, and a failed call (non-zero exit, output that is not what the command
prints, no answer) is tried again while the budget lasts, since an engine that is
restarting or briefly overloaded during a deployment answers a moment later. The
error that ends the gate names the engine, the call and every distinct failure.

Every call goes through the ``run(args, timeout)`` function it is given
(``run_bounded`` in the module, a scripted stand-in in unit tests);
``AnsibleModule.run_command`` cannot be used because it has no time limit.
"""

import json
import os
import re
import signal
import subprocess
import time

RUNTIMES = ("docker", "podman")

# The most one call may take, unless the module is told otherwise (call_timeout).
DEFAULT_CALL_TIMEOUT = 30.0
# Even with the budget (nearly) spent, a call gets this long (or call_timeout, if less): the
# gate's last look must be able to answer, and a docker client on a loaded host takes seconds.
MIN_CALL_TIMEOUT = 5.0
# Pause between two attempts of a failed call, and the least budget left after it that is
# worth another attempt.
RETRY_DELAY = 1.0
MIN_RETRY_BUDGET = 1.0

# What `ps --format {{.Names}}` prints per line: a container name (Docker and podman allow
# [a-zA-Z0-9][a-zA-Z0-9_.-]*), then, with Docker's legacy links, ",alias" entries.
_NAME_LINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(,\S*)?$")


class EngineError(Exception):
    """The engine cannot be found or does not answer; the message says what to do."""


class WrongClient(EngineError):
    """The client runs but is not the engine asked for: asking again cannot help."""


class CallTimedOut(Exception):
    """The client did not finish within its time limit and was killed."""


class BadAnswer(Exception):
    """The client answered, but not with what the command prints: worth another attempt."""


class Budget(object):
    """The time a gate may take, shared by all its engine calls. ``None``: one attempt per call."""

    def __init__(self, seconds, clock=time.monotonic):
        self.clock = clock
        self.seconds = seconds
        self.started = clock()
        self.deadline = None if seconds is None else self.started + max(seconds, 0)

    def remaining(self):
        return 0.0 if self.deadline is None else max(self.deadline - self.clock(), 0.0)

    def allows_retry(self):
        """Whether there is time for a pause and one more attempt."""
        return self.deadline is not None and self.remaining() >= RETRY_DELAY + MIN_RETRY_BUDGET


def _decode(data):
    return (data or b"").decode("utf-8", "replace")


def run_bounded(args, timeout):
    """Run ``args`` with LC_ALL=C for at most ``timeout`` seconds; returns ``(rc, stdout, stderr)``.

    The client runs in its own session, so on timeout the whole process group is killed
    (a client that hangs in a helper it started included), then ``CallTimedOut`` is raised.
    A client that cannot be started at all answers like a shell would (exit 127).
    """
    env = dict(os.environ, LC_ALL="C")
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
    except OSError as e:
        return 127, "", "%s: %s" % (args[0], e)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            # Something that left the process group still holds the pipes: stop reading them.
            for stream in (proc.stdout, proc.stderr):
                stream.close()
            proc.wait()
        raise CallTimedOut()
    return proc.returncode, _decode(out), _decode(err)


def _short(text, limit=200):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Engine(object):
    """One container engine client: ``runtime`` is ``docker`` or ``podman``."""

    def __init__(self, executable, runtime, run, budget=None, call_timeout=DEFAULT_CALL_TIMEOUT, sleep=time.sleep):
        self.executable = executable
        self.runtime = runtime
        self._run = run
        self.budget = budget or Budget(None)
        self.call_timeout = call_timeout
        self._sleep = sleep
        # Whether a failed call is tried again while the budget lasts (engine detection
        # turns it off to ask each candidate once per round).
        self.retry = True
        # Calls that failed before they answered: one sentence each, for the module's warnings.
        self.recovered = []

    def limit(self):
        """The time limit of the next call: the per-call cap, within what is left of the budget."""
        if self.budget.deadline is None:
            return self.call_timeout
        return max(min(self.call_timeout, self.budget.remaining()), min(self.call_timeout, MIN_CALL_TIMEOUT))

    def _attempt(self, args, parse):
        """One call; returns the parsed answer or raises BadAnswer saying what went wrong."""
        limit = self.limit()
        try:
            rc, out, err = self._run([self.executable] + list(args), limit)
        except CallTimedOut:
            raise BadAnswer("did not answer within %.1f s and was killed" % limit)
        return parse(rc, out, err)

    def call(self, args, what, parse):
        """Call the client until ``parse`` accepts its answer, while the budget lasts."""
        started = self.budget.clock()
        failures = []
        while True:
            try:
                answer = self._attempt(args, parse)
            except BadAnswer as e:
                failures.append(str(e))
            else:
                if failures:
                    self.recovered.append("%s %s (%s) answered after %d failed attempt%s: %s" % (
                        self.runtime, args[0], what, len(failures), "" if len(failures) == 1 else "s",
                        "; ".join(_distinct(failures))))
                return answer
            if not self.retry or not self.budget.allows_retry():
                raise EngineError(self._failure(args, what, failures, self.budget.clock() - started))
            self._sleep(RETRY_DELAY)

    def _failure(self, args, what, failures, elapsed):
        if self.budget.deadline is None or not self.retry:
            tail = ""
        else:
            tail = " (%d attempt%s in %.1f s, until the gate's timeout of %ss)" % (
                len(failures), "" if len(failures) == 1 else "s", elapsed, _number(self.budget.seconds))
        who = "%s engine" % self.runtime if self.runtime else "container engine client"
        return "%s: `%s %s` (%s) %s%s" % (
            who, self.executable, args[0], what, "; then ".join(_distinct(failures)), tail)

    def names(self):
        """Names of every container on the host, running or not."""

        def parse(rc, out, err):
            if rc != 0:
                raise BadAnswer("failed (exit %s): %s" % (rc, _short(err or out) or "no output"))
            names = []
            for line in out.splitlines():
                line = line.strip()
                if not line:
                    continue
                if not _NAME_LINE.match(line):
                    raise BadAnswer("printed something that is no container name: %r" % _short(line, 80))
                # Docker lists legacy link aliases after the name, comma-separated.
                name = line.split(",")[0]
                if name not in names:
                    names.append(name)
            return names

        return self.call(["ps", "--all", "--no-trunc", "--format", "{{.Names}}"], "listing containers", parse)

    def inspect(self, names):
        """``inspect`` JSON of the named containers; names that vanished meanwhile are left out.

        Docker and podman exit non-zero when any name is unknown but still print
        the others, so stdout is parsed whatever the exit code, and stderr only
        matters when stdout holds nothing.
        """
        if not names:
            return []

        def parse(rc, out, err):
            data = _parse_json_list(out)
            if data is None:
                if rc != 0 and _says_no_such_container(err):
                    return []
                if rc != 0:
                    raise BadAnswer("failed (exit %s): %s" % (rc, _short(err or out) or "no output"))
                raise BadAnswer("printed no JSON list of containers: %r" % _short(out, 80))
            if not all(isinstance(c, dict) and isinstance(c.get("State"), dict) for c in data):
                raise BadAnswer("printed JSON that is not a list of containers: %r" % _short(out, 80))
            return data

        return self.call(["container", "inspect"] + list(names), "reading the containers' state", parse)

    def run_check(self, name):
        """Run a container's configured check now (podman only); returns ``(rc, output)``.

        ``podman healthcheck run`` records the result in the container's health
        log exactly as its timer would. Docker runs checks by itself on every
        interval and offers no way to record an extra one, so there is nothing
        to run. One attempt, bounded like every call: the next poll runs it again,
        and what counts is what the engine then records (rc None: no answer in time).
        """
        if self.runtime != "podman":
            return None
        limit = self.limit()
        try:
            rc, out, err = self._run([self.executable, "healthcheck", "run", name], limit)
        except CallTimedOut:
            return None, "podman healthcheck run %s did not finish within %.1f s and was killed" % (name, limit)
        return rc, (out + err).strip()


def _number(value):
    return ("%g" % value) if isinstance(value, float) else str(value)


def _distinct(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


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


def identify(engine):
    """``docker`` or ``podman``, from what the client says about itself (sets ``engine.runtime``).

    Asking (rather than trusting the file name) also catches podman-docker's
    ``docker`` wrapper, which is podman underneath. ``--version`` does not talk to the
    daemon: a client that runs but names neither engine is the wrong program, not a
    transient failure, and fails at once.
    """

    def parse(rc, out, err):
        if rc != 0:
            raise BadAnswer("failed (exit %s): %s" % (rc, _short(err or out) or "no output"))
        return (out + err).lower(), out

    text, out = engine.call(["--version"], "asking which engine it is", parse)
    if "podman" in text:
        engine.runtime = "podman"
    elif "docker" in text:
        engine.runtime = "docker"
    else:
        raise WrongClient("%s is neither docker nor podman (its --version says %r)"
                          % (engine.executable, out.strip()[:120]))
    return engine.runtime


def runtime_of(executable, run, budget=None):
    """``docker`` or ``podman``, from what ``executable --version`` says; see ``identify``."""
    engine = Engine(executable, None, run, budget)
    try:
        return identify(engine)
    except WrongClient:
        raise
    except EngineError as e:
        raise EngineError("%s; set executable to a working docker or podman client" % e)


def find_engine(runtime, executable, which, run, budget=None, call_timeout=DEFAULT_CALL_TIMEOUT, sleep=time.sleep):
    """Pick the engine client to use.

    ``runtime`` is ``auto``, ``docker`` or ``podman``; ``executable`` an explicit
    client path or name (else the runtime's own name is looked up). ``which(name)``
    returns a path or None. With ``auto``, every client found in PATH is asked to
    list containers: one that answers wins; when both answer, the one that has
    containers wins, Docker first. When none answers, all are asked again while the
    budget lasts. Returns ``(Engine, warnings)``.
    """
    budget = budget or Budget(None)
    warnings = []
    if executable:
        path = executable if os.path.sep in executable else which(executable)
        if not path or not os.path.exists(path):
            raise EngineError(
                "container engine client %r not found%s; install docker or podman, or point executable at its client"
                % (executable, "" if os.path.sep in executable else " in PATH")
            )
        candidates = [path]
    else:
        wanted = RUNTIMES if runtime == "auto" else (runtime,)
        candidates = [path for path in (which(name) for name in wanted) if path]
        if not candidates:
            raise EngineError(
                "no container engine found: %s not in PATH (%s); install one, or set executable to its client"
                % (" nor ".join(wanted) if len(wanted) > 1 else wanted[0], os.environ.get("PATH", ""))
            )

    started = budget.clock()
    rounds = 0
    earlier = []
    while True:
        rounds += 1
        answering = []
        failures = []
        for path in candidates:
            engine = Engine(path, None, run, budget, call_timeout, sleep)
            # One attempt each per round: with several clients, one that answers now wins
            # over waiting for another that does not.
            engine.retry = False
            try:
                identify(engine)
                if runtime != "auto" and engine.runtime != runtime:
                    raise WrongClient("runtime is %s but %s is a %s client" % (runtime, path, engine.runtime))
                answering.append((engine, engine.names()))
            except WrongClient:
                raise
            except EngineError as e:
                failures.append(str(e))
            engine.retry = True
        if answering or not budget.allows_retry():
            break
        earlier.extend(f for f in failures if f not in earlier)
        sleep(RETRY_DELAY)
    if not answering:
        detail = "; ".join(_distinct(earlier + failures))
        if budget.deadline is not None:
            detail += " (asked %d time%s in %.1f s, until the gate's timeout of %ss)" % (
                rounds, "" if rounds == 1 else "s", budget.clock() - started, _number(budget.seconds))
        raise EngineError(detail if len(candidates) == 1 else "no container engine answers: " + detail)
    if rounds > 1:
        warnings.append("no container engine answered the first %d time%s (%s); asked again until one did"
                        % (rounds - 1, "" if rounds == 2 else "s", "; ".join(earlier)))
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

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) openstack-healthcheck developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

DOCUMENTATION = r"""
---
module: container_health
short_description: Gate on the health of a host's containers (Docker or podman)
version_added: 0.1.0
description:
  - Reads the health status of the containers on a host from the container engine, Docker or podman,
    detected automatically.
  - Understands both C(State.Health) (Docker, podman 4 and later) and podman 3's C(State.Healthcheck).
  - Can wait until every selected container is healthy, polling all of them at once, so the time taken is
    that of the slowest container, not the sum.
  - Fails when a selected container is unhealthy, still starting when the wait ends, missing, or not running,
    naming each one with the last output of its own check. A running container without a health check
    passes unless O(require_healthcheck=true). A one-shot container that exited with an accepted exit code
    (O(valid_exit_codes)) passes, as TripleO's deploy steps expect of their bootstrap and db-sync containers.
  - Every call of the engine's client is bounded in time by what is left of O(timeout) (and by
    O(call_timeout)); a client that does not answer in time is killed, and a call that fails (non-zero exit,
    output that is not what the command prints, no answer) is tried again while O(timeout) lasts, so a hung or
    briefly failing engine ends the gate on time with a message naming the engine and the call.
  - With O(source=agent) the health of the running containers comes from the host agent's state file
    (C(openstack-healthcheck agent)) instead of the engine's own health checks; the engine still says which
    containers exist, run or exited. Containers whose check the agent does not run (C(healthy) null in the file)
    keep the engine's health. A state file that is missing, unreadable, malformed or older than O(agent_max_age)
    of the agent's intervals fails the host with a message naming the file.
  - Read-only; the only thing it can make happen is an extra run of a container's own check
    (O(run_checks), podman only), which is what the engine's timer does anyway.
author:
  - openstack-healthcheck developers (!UNKNOWN)
requirements:
  - The C(docker) or C(podman) command line client on the managed host, allowed to talk to its engine.
  - Python 3 on the managed host.
options:
  names:
    description:
      - Containers to look at, by exact name or shell-style glob (V(nova_*), V(neutron_?3_agent)).
      - An exact name that does not exist is reported as missing (a failure). A glob that matches nothing is
        only reported in RV(unmatched), since a host of one role rarely runs every role's containers.
      - Empty (the default) means every container on the host, running or not.
    type: list
    elements: str
    default: []
  exclude:
    description:
      - Globs of container names to leave out of the selection, for example one-shot bootstrap containers
        that exit by design (V(*_bootstrap), V(*_init*)).
    type: list
    elements: str
    default: []
  expect:
    description:
      - Containers that must exist and be running; they are checked even when O(names) does not select them.
        One of these that exited fails even with an accepted exit code.
      - An exact name that does not exist is missing; a glob must match at least one container, else the
        glob itself is reported missing.
    type: list
    elements: str
    default: []
  runtime:
    description:
      - Which container engine to ask.
      - V(auto) looks for C(docker) and C(podman) in E(PATH), asks each to list containers, and uses the one
        that answers (when both answer, the one that has containers, Docker first, with a warning when both
        have some). A C(docker) command that is podman-docker's wrapper counts as podman.
    type: str
    choices: [auto, docker, podman]
    default: auto
  executable:
    description:
      - Path or name of the engine's client to run instead of looking it up. Its C(--version) output tells
        which engine it is.
    type: str
  run_checks:
    description:
      - Run each selected running container's configured check now, before reading the statuses, and again
        on every poll while it is not healthy.
      - Needed with podman on hosts without systemd, where no timer runs the checks.
        Uses C(podman healthcheck run NAME), which records the result in the container's health log as the
        timer would (a failure counts towards the check's retries).
      - With Docker this does nothing, because the daemon runs every check itself on its interval, and Docker has no
        way to record an extra run, so a check run beside it (C(docker exec)) would report a status that
        C(docker ps) and C(docker inspect) do not show. The module reports what the engine recorded.
      - Checks run in parallel, so a slow check does not delay the others.
    type: bool
    default: false
  wait:
    description:
      - Poll until every selected container is healthy (or has no check), or until O(timeout).
      - Stops early when nothing left can change by itself (only stopped, missing or check-less containers
        remain, or with O(stop_on_unhealthy=true) an unhealthy one). Unhealthy running containers are polled
        until the timeout, since the engine keeps checking them and a slow service may recover.
    type: bool
    default: false
  timeout:
    description:
      - Seconds the module may take in total. With O(wait=true) this is how long it waits; all containers are
        polled together, so this bounds the whole run, not each container.
      - Also the budget of the engine's client calls, with or without O(wait). A call that fails is tried again
        while the budget lasts, and each call may take at most what is left of it (at least 5 seconds, or
        O(call_timeout) if less, so a spent budget still allows one last look).
    type: float
    default: 300
  call_timeout:
    description:
      - Seconds one call of the engine's client (C(ps), C(inspect), C(--version), C(podman healthcheck run)) may
        take before it is killed and, while O(timeout) lasts, tried again. Never more than what is left of
        O(timeout).
    type: float
    default: 30
  valid_exit_codes:
    description:
      - Exit codes with which a stopped container counts as a one-shot container that did its job (verdict
        V(exited_ok), which passes the gate and is shown as exited in the report).
      - TripleO runs bootstrap, db-sync and config containers that exit by design; tripleo-ansible checks them by
        exit code in the same way (C(tripleo_container_manage_valid_exit_code)). tripleo-validations'
        C(container_status) also accepts V(137), V(142) and V(143), the codes of a container stopped by a signal.
      - An empty list makes every stopped container fail the gate.
    type: list
    elements: int
    default: [0]
  poll_interval:
    description:
      - Seconds between two polls with O(wait=true). With O(run_checks=true) on podman this is also how often
        the checks of containers not yet healthy run.
    type: float
    default: 2
  stop_on_unhealthy:
    description:
      - With O(wait=true), stop waiting as soon as a container is unhealthy instead of giving it until the
        timeout to recover.
    type: bool
    default: false
  require_healthcheck:
    description:
      - Fail for running containers that have no health check configured (status V(none)).
    type: bool
    default: false
  source:
    description:
      - Where the health of a running container comes from.
      - V(engine) reads what the engine's own health checks recorded (C(State.Health)).
      - V(agent) reads the state file of C(openstack-healthcheck agent) (O(agent_state_file)), which runs the
        checks of every container from one process on the host. A running container the agent has not checked
        yet is V(starting) until its next round; one it reports as not its own (C(healthy) null) is judged by the
        engine's health. With O(wait=true) the file is read again on every poll, and a missing or stale file is
        waited for until O(timeout).
    type: str
    choices: [engine, agent]
    default: engine
  agent_state_file:
    description:
      - The agent's state file (its C(--state-file)), read with O(source=agent).
    type: path
    default: /run/openstack-healthcheck/agent.json
  agent_max_age:
    description:
      - How old the agent's state file (and each container's result in it) may be, in the agent's own intervals
        (the file's C(interval)), before it counts as stale. Used with O(source=agent).
    type: float
    default: 3
  output_limit:
    description:
      - Longest check output kept per container, in characters, after folding it into one line.
        Health logs can be megabytes; podman itself keeps 500 characters.
    type: int
    default: 500
extends_documentation_fragment:
  - openstack.healthcheck.attributes
  - openstack.healthcheck.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - The module never changes anything; it behaves the same in check mode (O(run_checks) included, since
        running a check is what the engine does on its own).
  diff_mode:
    support: none
notes:
  - The engine client must be allowed to talk to its daemon (root, or the C(docker) group); use O(executable)
    or C(become) otherwise.
  - The module ends within O(timeout) (plus at most one last call of 5 seconds, or O(call_timeout) if less)
    whatever the engine does. A client that hangs is killed with everything it started.
seealso:
  - name: openstack.healthcheck.validate playbook
    description: The deployment gate built on this module (summary table, JSON and JUnit reports).
    link: https://opendev.org/openstack/openstack-healthcheck/src/branch/master/collection/playbooks/validate.yml
  - name: community.docker.docker_container
    description: Its O(community.docker.docker_container#module:state=healthy) waits for one container it manages.
    link: https://docs.ansible.com/ansible/latest/collections/community/docker/docker_container_module.html
"""

EXAMPLES = r"""
- name: Fail when any container on the host is not healthy right now
  openstack.healthcheck.container_health:

- name: Wait up to 10 minutes for the nova and neutron containers to become healthy
  openstack.healthcheck.container_health:
    names:
      - nova_*
      - neutron_*
    exclude:
      - "*_bootstrap"
    wait: true
    timeout: 600

- name: On podman without systemd, run the checks and wait for them
  openstack.healthcheck.container_health:
    runtime: podman
    run_checks: true
    wait: true
    timeout: 120
    poll_interval: 5

- name: These must exist and run, and every container needs a health check
  openstack.healthcheck.container_health:
    expect:
      - keystone
      - mariadb
    require_healthcheck: true

- name: Take the health from the host agent's state file (fresh within 3 of its intervals)
  openstack.healthcheck.container_health:
    source: agent
    agent_state_file: /run/openstack-healthcheck/agent.json
    wait: true
    timeout: 120

- name: Collect the health without failing, to report it elsewhere
  openstack.healthcheck.container_health:
    wait: true
    timeout: 60
  register: health
  failed_when: false

- name: Show the unhealthy ones
  ansible.builtin.debug:
    msg: "{{ health.containers | selectattr('verdict', 'eq', 'unhealthy') | map(attribute='output') }}"
"""

RETURN = r"""
passed:
  description: Whether the gate passed (also present when the module fails, so C(failed_when) can be used).
  returned: always
  type: bool
  sample: false
runtime:
  description: The engine that was asked.
  returned: when an engine was found
  type: str
  sample: docker
executable:
  description: The engine client that was run.
  returned: when an engine was found
  type: str
  sample: /usr/bin/docker
containers:
  description: One entry per selected container, sorted by name, then one per missing container.
  returned: when an engine was found
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
      sample: nova_api
    id:
      description: Short container ID (empty when missing).
      type: str
      sample: 3f1c2a9b0d4e
    image:
      description: Image the container runs.
      type: str
      sample: kolla/nova-api:2025.1
    runtime:
      description: Engine of the container.
      type: str
      sample: podman
    state:
      description: Container state as the engine names it (V(running), V(exited), ...), or V(missing).
      type: str
      sample: running
    running:
      description: Whether the container runs (a paused container does not).
      type: bool
    exit_code:
      description: Exit code of the container's main process when it stopped.
      type: int
    restarting:
      description: Whether the engine is restarting the container.
      type: bool
    healthcheck:
      description: The configured check command, or null when the container has none.
      type: list
      elements: str
      sample: ["CMD-SHELL", "/openstack/healthcheck"]
    status:
      description: Health status as the engine records it, V(healthy), V(unhealthy), V(starting), or V(none)
        when there is no check.
      type: str
      sample: unhealthy
    verdict:
      description: The gate's view, one of V(healthy), V(no_healthcheck), V(exited_ok), V(starting),
        V(unhealthy), V(not_running), V(missing).
      type: str
      sample: unhealthy
    failing_streak:
      description: Consecutive failed checks.
      type: int
      sample: 3
    output:
      description: Output of the last check, folded into one line and cut at O(output_limit) characters.
      type: str
      sample: "nova-api: http://10.0.0.5:8774/ connection refused"
    check_exit_code:
      description: Exit code of the last check, null before the first.
      type: int
      sample: 1
    checked_at:
      description: When the last check ended, as the engine writes it.
      type: str
    health_log_len:
      description: Number of entries the engine keeps in the container's health log (0 when the health came
        from the agent).
      type: int
      sample: 5
    health_source:
      description: Where the container's health came from, V(engine) or V(agent) (O(source=agent) only).
      type: str
      sample: agent
    agent_check:
      description: The check the agent ran for the container, as its state file names it (O(source=agent) only;
        null when the health came from the engine).
      type: str
      sample: nova-api
healthy:
  description: Names of the healthy containers.
  returned: when an engine was found
  type: list
  elements: str
no_healthcheck:
  description: Names of the running containers that have no health check.
  returned: when an engine was found
  type: list
  elements: str
exited_ok:
  description: Names of the stopped containers whose exit code is one of O(valid_exit_codes).
  returned: when an engine was found
  type: list
  elements: str
unhealthy:
  description: Names of the unhealthy containers.
  returned: when an engine was found
  type: list
  elements: str
  sample: [nova_api]
starting:
  description: Names of the containers whose check has not passed or failed yet (after the wait, if any).
  returned: when an engine was found
  type: list
  elements: str
not_running:
  description: Names of the selected containers that do not run (exited, created, paused, restarting, ...).
  returned: when an engine was found
  type: list
  elements: str
missing:
  description: Names (or globs from O(expect)) of the containers asked for that do not exist.
  returned: when an engine was found
  type: list
  elements: str
failed_containers:
  description: Names of every container that fails the gate.
  returned: when an engine was found
  type: list
  elements: str
unmatched:
  description: Globs from O(names) that matched no container.
  returned: when an engine was found
  type: list
  elements: str
checks_run:
  description: How many checks were run with O(run_checks) (always 0 with Docker).
  returned: when an engine was found
  type: int
agent:
  description: The agent's state file as last read (O(source=agent) only); C(age) in seconds when it was read,
    C(errors) what the agent itself reported for its round.
  returned: with O(source=agent), when the file could be read
  type: dict
  sample: {"state_file": "/run/openstack-healthcheck/agent.json", "checked_at": "2026-01-01T12:00:00Z",
           "interval": 30, "age": 4.2, "errors": [], "containers": 12}
summary:
  description: Counts per verdict, the total, the runtime, the seconds taken (C(elapsed), engine detection
    included), when the module started (C(started_at), Unix time on the host) and where the health came from
    (C(source), O(source)).
  returned: when an engine was found
  type: dict
  sample: {"total": 5, "healthy": 3, "unhealthy": 1, "starting": 0, "not_running": 0, "missing": 1,
           "no_healthcheck": 0, "exited_ok": 0, "elapsed": 12.5, "runtime": "docker",
           "started_at": 1767261600.25, "source": "engine"}
"""

import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.openstack.healthcheck.plugins.module_utils import agent_state
from ansible_collections.openstack.healthcheck.plugins.module_utils import container_status as cs
from ansible_collections.openstack.healthcheck.plugins.module_utils.container_engine import (
    Budget,
    EngineError,
    find_engine,
    run_bounded,
)

# At most this many checks run at once with run_checks (each is a process in a container).
MAX_PARALLEL_CHECKS = 8


class Gate(object):
    """One run of the gate: select, optionally run checks, read statuses, poll."""

    def __init__(self, engine, params, budget=None, wall_clock=time.time):
        self.engine = engine
        self.params = params
        self.budget = budget or Budget(params["timeout"])
        # The agent stamps its state with the host's wall clock, not a monotonic one.
        self.wall_clock = wall_clock
        self.checks_run = 0
        self.unmatched = []
        # What went wrong running checks (podman healthcheck run), once per kind.
        self.check_problems = []
        # source=agent: the state file as last read, or why it could not be used.
        self.agent = None
        self.agent_error = None

    def snapshot(self):
        """Read every selected container once; returns the records."""
        p = self.params
        available = self.engine.names()
        selected, missing, self.unmatched = cs.select_names(available, p["names"], p["exclude"])
        expected = set()
        for pattern in p["expect"]:
            if cs.is_glob(pattern):
                hits = cs.select_names(available, [pattern])[0]
                if not hits and pattern not in missing:
                    missing.append(pattern)
                selected.extend(h for h in hits if h not in selected)
                expected.update(hits)
            elif pattern not in available:
                if pattern not in missing:
                    missing.append(pattern)
            else:
                expected.add(pattern)
                if pattern not in selected:
                    selected.append(pattern)
        by_name = {}
        for inspect in self.engine.inspect(selected):
            record = cs.container_record(inspect, self.engine.runtime, p["output_limit"], p["valid_exit_codes"])
            if record["verdict"] == cs.EXITED_OK and record["name"] in expected:
                # expect asks for a container that runs: having done its job once is not enough.
                record["verdict"] = cs.NOT_RUNNING
            by_name[record["name"]] = record
        records = []
        for name in sorted(selected):
            if name in by_name:
                records.append(by_name[name])
            else:
                # Removed between listing and inspecting it.
                records.append(cs.missing_record(name, self.engine.runtime))
        records.extend(cs.missing_record(name, self.engine.runtime) for name in missing)
        return records

    def run_checks(self, records):
        """Run the configured checks of running containers that are not healthy yet (podman)."""
        if not self.params["run_checks"] or self.engine.runtime != "podman":
            return
        # The agent's verdicts do not come from the engine's check: running that would not change them.
        names = [r["name"] for r in records if r["running"] and r["healthcheck"] and r["verdict"] != cs.HEALTHY
                 and r.get("health_source") != agent_state.HEALTH_SOURCE_AGENT]
        if not names:
            return
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_CHECKS, len(names))) as pool:
            answers = list(pool.map(self.engine.run_check, names))
        self.checks_run += len(names)
        for rc, output in answers:
            # 0 healthy, 1 unhealthy: the engine recorded it. Anything else is podman failing to run it.
            if rc not in (0, 1):
                problem = output if rc is None else "podman healthcheck run failed (exit %s): %s" % (rc, output)
                problem = cs.one_line(problem, 200)
                if problem not in self.check_problems:
                    self.check_problems.append(problem)

    def observe(self):
        """The records as the gate judges them: the engine's, with the agent's health if asked."""
        records = self.snapshot()
        p = self.params
        if p.get("source", "engine") != "agent":
            return records
        now = self.wall_clock()
        max_age = p.get("agent_max_age", agent_state.DEFAULT_MAX_AGE)
        try:
            self.agent = agent_state.read_state(p.get("agent_state_file") or agent_state.DEFAULT_STATE_FILE,
                                                now, max_age)
        except agent_state.AgentStateError as e:
            # The engine's health is not what was asked for: no verdict until the file is usable.
            self.agent, self.agent_error = None, e
            return records
        self.agent_error = None
        return agent_state.apply_state(records, self.agent, now, max_age, p["output_limit"])

    def run(self):
        """Poll until settled or timed out; returns the last records."""
        p = self.params
        deadline = self.budget.deadline
        records = self.observe()
        if p["run_checks"]:
            # The first run covers every container with a check, healthy or not, so the
            # statuses are fresh even when a timer last ran long ago.
            self.run_checks([dict(r, verdict=cs.STARTING) for r in records])
            records = self.observe()
        # A missing or stale agent state file may be written by the agent's next round.
        while p["wait"] and (self.agent_error or any(cs.can_change(r, p["stop_on_unhealthy"]) for r in records)):
            if (p["stop_on_unhealthy"] and not self.agent_error
                    and any(r["verdict"] == cs.UNHEALTHY for r in records)):
                break
            now = time.monotonic()
            if now >= deadline:
                break
            time.sleep(min(max(p["poll_interval"], 0.1), deadline - now))
            self.run_checks(records)
            records = self.observe()
        return records, self.budget.clock() - self.budget.started


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", default=[]),
            exclude=dict(type="list", elements="str", default=[]),
            expect=dict(type="list", elements="str", default=[]),
            runtime=dict(type="str", choices=["auto", "docker", "podman"], default="auto"),
            executable=dict(type="str"),
            run_checks=dict(type="bool", default=False),
            wait=dict(type="bool", default=False),
            timeout=dict(type="float", default=300),
            call_timeout=dict(type="float", default=30),
            valid_exit_codes=dict(type="list", elements="int", default=[0]),
            poll_interval=dict(type="float", default=2),
            stop_on_unhealthy=dict(type="bool", default=False),
            require_healthcheck=dict(type="bool", default=False),
            output_limit=dict(type="int", default=500),
            source=dict(type="str", choices=["engine", "agent"], default="engine"),
            agent_state_file=dict(type="path", default=agent_state.DEFAULT_STATE_FILE),
            agent_max_age=dict(type="float", default=agent_state.DEFAULT_MAX_AGE),
        ),
        supports_check_mode=True,
    )
    p = module.params
    # The budget starts before anything is asked: it bounds engine detection too.
    started_at = time.time()
    budget = Budget(p["timeout"])
    if p["timeout"] < 0 or p["poll_interval"] <= 0 or p["output_limit"] < 16 or p["call_timeout"] <= 0:
        module.fail_json(
            msg="timeout must be >= 0, poll_interval > 0, call_timeout > 0 and output_limit >= 16 "
                "(got %s, %s, %s, %s)" % (p["timeout"], p["poll_interval"], p["call_timeout"], p["output_limit"]),
            passed=False,
        )
    if p["agent_max_age"] <= 0:
        module.fail_json(msg="agent_max_age must be > 0 (intervals of the agent), got %s" % p["agent_max_age"],
                         passed=False)

    def which(name):
        return module.get_bin_path(name)

    engine = None
    try:
        engine, warnings = find_engine(p["runtime"], p["executable"], which, run_bounded, budget, p["call_timeout"])
        if p["run_checks"] and engine.runtime == "docker":
            warnings.append("run_checks has no effect with Docker: the daemon runs the checks itself")
        for warning in warnings:
            module.warn(warning)
        gate = Gate(engine, p, budget)
        records, elapsed = gate.run()
    except EngineError as e:
        for warning in engine.recovered if engine else []:
            module.warn(warning)
        module.fail_json(msg=str(e), passed=False)
    # Calls that failed before they answered: said, since an engine that fails now and then
    # is worth knowing about even when the gate passes.
    for warning in engine.recovered + gate.check_problems:
        module.warn(warning)
    if gate.agent_error is not None:
        # No container rows: the report shows the host failing with this message, naming the file.
        module.fail_json(msg=str(gate.agent_error), passed=False, runtime=engine.runtime,
                         executable=engine.executable)
    if gate.agent is not None:
        for error in gate.agent.errors:
            module.warn("the agent reported for its round at %s: %s" % (gate.agent.checked_at, error))

    lists, failed = cs.classify(records, p["require_healthcheck"])
    result = dict(
        changed=False,
        passed=not failed,
        runtime=engine.runtime,
        executable=engine.executable,
        containers=records,
        healthy=lists[cs.HEALTHY],
        no_healthcheck=lists[cs.NO_HEALTHCHECK],
        exited_ok=lists[cs.EXITED_OK],
        unhealthy=lists[cs.UNHEALTHY],
        starting=lists[cs.STARTING],
        not_running=lists[cs.NOT_RUNNING],
        missing=lists[cs.MISSING],
        failed_containers=failed,
        unmatched=gate.unmatched,
        checks_run=gate.checks_run,
        summary=dict(cs.summary(records, lists, elapsed, engine.runtime), started_at=round(started_at, 3),
                     source=p["source"]),
    )
    if gate.agent is not None:
        result["agent"] = gate.agent.describe()
    if failed:
        module.fail_json(msg=cs.failure_message(records, failed, p["timeout"] if p["wait"] else None), **result)
    result["msg"] = "%d containers checked, none failing" % len(records)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

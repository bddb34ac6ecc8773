"""validate.yml on the host agent's state file, with real Docker containers.

The engine still says which containers exist, run or exited; the state file (written
here in the agent's format, with the containers' real IDs) gives the health of the
running ones. Each container's engine check says the opposite of the agent, so a
verdict shows which of the two the gate listened to. ``validate_on_agent_state`` is
the same entry point a run of the real agent is gated with.
"""

import threading
import time

from conftest import RUN_ID, container_id, validate_on_agent_state, write_agent_state

ENGINE_BAD_OUTPUT = "engine check: refused (agent gate test)"
ENGINE_BAD = 'echo "%s"; exit 1' % ENGINE_BAD_OUTPUT
ENGINE_OK = "echo engine check ok"
AGENT_BAD_OUTPUT = "nova-api: http://127.0.0.1:8774/ connection refused"


def name(suffix):
    return "ohc-%s-agent-%s" % (RUN_ID, suffix)


def entry(docker, container, healthy, output="", check="nova-api"):
    return {"name": container, "id": container_id("docker", container), "runtime": "docker", "check": check,
            "healthy": healthy, "reason": "checked by the agent", "output": output}


class AgentRounds(object):
    """Writes the state file every second, as a running agent does, after a first delay."""

    def __init__(self, state, entries, first_after=0.0, interval=2):
        self.state, self.entries, self.first_after, self.interval = state, entries, first_after, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.rounds)

    def rounds(self):
        if self.stop.wait(self.first_after):
            return
        while True:
            write_agent_state(self.state, self.entries, interval=self.interval)
            if self.stop.wait(1):
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def rows(report):
    return dict((r["container"], r) for r in report["rows"])


def test_the_agents_verdicts_replace_the_engines(docker, ansible, tmp_path):
    healthy = docker.start(name("verdicts-healthy"), ENGINE_BAD)
    failing = docker.start(name("verdicts-failing"), ENGINE_OK)
    theirs = docker.start(name("verdicts-theirs"), ENGINE_BAD)
    done = docker.start(name("verdicts-done"), command="exit 0")
    state = tmp_path / "agent.json"
    entries = [
        entry(docker, healthy, True, "nova-api: http://127.0.0.1:8774/ 200 0.002s"),
        entry(docker, failing, False, AGENT_BAD_OUTPUT),
        # Not ours: left to the engine, whose check fails.
        entry(docker, theirs, None, check=""),
    ]
    with AgentRounds(state, entries):
        proc, report, suite = validate_on_agent_state(ansible, tmp_path, state, [name("verdicts-*")], timeout=8)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    by = rows(report)
    assert (by[healthy]["status"], by[healthy]["source"], by[healthy]["failed"]) == ("healthy", "agent", False)
    assert (by[failing]["status"], by[failing]["source"], by[failing]["output"]) == ("unhealthy", "agent",
                                                                                     AGENT_BAD_OUTPUT)
    assert (by[theirs]["status"], by[theirs]["source"], by[theirs]["output"]) == ("unhealthy", "engine",
                                                                                  ENGINE_BAD_OUTPUT)
    assert (by[done]["status"], by[done]["failed"]) == ("exited (ok, exit 0)", False)
    assert "localhost/%s: unhealthy: %s" % (failing, AGENT_BAD_OUTPUT) in out
    assert "localhost/%s: unhealthy: %s" % (theirs, ENGINE_BAD_OUTPUT) in out
    assert "localhost/%s:" % healthy not in out
    # The same report for people and CI: the table and JUnit.
    table = [line.strip().strip('",') for line in proc.stdout.splitlines() if line.strip().startswith('"')]
    assert any(line.split()[:3] == ["localhost", healthy, "healthy"] for line in table), proc.stdout
    assert suite.get("tests") == "4" and suite.get("failures") == "2" and suite.get("errors") == "0"
    failure = [c for c in suite.findall("testcase") if c.get("name") == failing][0].find("failure")
    assert failure.get("message") == "unhealthy: " + AGENT_BAD_OUTPUT


def test_a_stale_state_file_fails_the_host_naming_it(docker, ansible, tmp_path):
    ok = docker.start(name("stale-ok"), ENGINE_OK)
    state = tmp_path / "agent.json"
    # Ten intervals old: the agent stopped writing. The engine's healthy verdict must not pass instead.
    write_agent_state(state, [entry(docker, ok, True)], interval=2, written=time.time() - 20)
    proc, report, suite = validate_on_agent_state(ansible, tmp_path, state, [ok], timeout=3)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert [(r["container"], r["status"]) for r in report["rows"]] == [("-", "error")]
    assert "agent state file %s is stale" % state in report["rows"][0]["output"]
    assert "localhost/-: error: agent state file %s is stale" % state in out
    assert suite.get("errors") == "1"


def test_a_missing_state_file_is_waited_for(docker, ansible, tmp_path):
    ok = docker.start(name("missing-ok"), ENGINE_OK)
    state = tmp_path / "run" / "agent.json"
    # No agent at all: the host fails naming the file it looked for.
    proc, report, _suite = validate_on_agent_state(ansible, tmp_path, state, [ok], timeout=2)
    assert proc.returncode != 0
    assert "agent state file %s does not exist" % state in report["rows"][0]["output"]
    # An agent whose first round comes a few seconds later: the gate passes on it (that the wait
    # itself outlasts a missing file is timed in the module's unit tests, on a known clock).
    state.parent.mkdir()
    with AgentRounds(state, [entry(docker, ok, True)], first_after=4):
        proc, report, _suite = validate_on_agent_state(ansible, tmp_path, state, [ok], timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [(r["container"], r["status"], r["source"]) for r in report["rows"]] == [(ok, "healthy", "agent")]

#!/usr/bin/env python3
"""Whole-host CPU per container check: the engine's HEALTHCHECK path against the host agent.

    python3 bench/agent.py [--engines docker,podman] [--containers 20] [--write]

For each engine, on N containers of the e2e images (memcached and redis, alternating, each
with the image's health test `/openstack/healthcheck`, in its own network namespace), side by
side in one run:

- idle: the engine's processes and the containers' cgroups over a window with no check
  running, as a rate per second; the windows below subtract it for their duration.
- agent: `openstack-healthcheck agent --interval 1` over the same kind of containers. Its
  CPU is its own cpuacct cgroup (the agent and every process it starts: the `podman ps`
  and `podman inspect` of its discovery), plus what the engine's processes and the
  containers' cgroups spent beyond idle (the API requests of its discovery, the services
  answering the checks). Counted from one round's state file to the K-th next one, so the
  window holds whole rounds; the checks are the ours-entries of those rounds' state files.
- engine:
  - Docker: the same containers with `--health-interval` set, run by dockerd; CPU of dockerd,
    containerd, the containers' shims (with runc, which the shim reaps) from /proc/PID/stat
    (utime+stime+cutime+cstime), plus the containers' cgroups (runc's init joining the
    container, the check itself); the runs are the `exec_die` events Docker emits for them
    (`docker events`, listening through every window alike).
  - podman: `podman healthcheck run NAME` (what podman's systemd timer starts) for every
    container, R rounds, from a cpuacct cgroup of our own (podman, the runtime), plus the
    cgroup podman puts the exec session's conmon in (libpod_parent/conmon) and the
    containers' cgroups. Without systemd no timer runs the checks meanwhile (the systemd
    unit that would start it is not counted: the engine path costs more on a real host).

CPU time, not wall time: other load on the host slows the windows but does not add to them,
except load on the same engine daemons (another Docker client meanwhile), which the idle
window cannot see. Needs root, cgroup v1 (cpuacct) and the e2e images (built if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
TICK = os.sysconf("SC_CLK_TCK")
IMAGES = ["memcached", "redis"]
BEGIN, END = "<!-- agent:begin -->", "<!-- agent:end -->"


def binary() -> str:
    bin_path = os.environ.get("BIN") or subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(REPO), "print-bin"],
        capture_output=True, text=True, check=True).stdout.strip()
    if not os.access(bin_path, os.X_OK):
        raise SystemExit(f"no binary at {bin_path}: run 'make build' first")
    return bin_path


def proc_cpu(pid: int) -> float:
    """utime+stime+cutime+cstime of PID in seconds (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return sum(int(f) for f in fields[11:15]) / TICK


def pids_named(comm: str) -> list[int]:
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == comm:
                    found.append(int(d.name))
            except OSError:
                pass
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cgroup_cpu(path: Path) -> float:
    """cpuacct.usage of a cgroup (itself and below) in seconds."""
    try:
        return int((path / "cpuacct.usage").read_text()) / 1e9
    except OSError:
        return 0.0


class Meter:
    """CPU of a fixed set of processes and cgroups, read at once."""

    def __init__(self, pids: list[int], cgroups: list[Path]):
        self.pids, self.cgroups = pids, cgroups

    def read(self) -> float:
        return sum(proc_cpu(p) for p in self.pids) + sum(cgroup_cpu(c) for c in self.cgroups)


def sh(*cmd: str, check: bool = True) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[-400:]}")
    return r.stdout


class OwnCgroup:
    """A cpuacct cgroup of our own: what runs in it (and what it starts) is counted there."""

    def __init__(self, name: str):
        self.path = CPUACCT / f"ohc-bench-{os.getpid()}-{name}"
        self.path.mkdir(exist_ok=True)

    def enter(self) -> None:
        """For preexec_fn: move the child about to exec into the cgroup."""
        (self.path / "tasks").write_text(str(os.getpid()))

    def cpu(self) -> float:
        return cgroup_cpu(self.path)

    def remove(self) -> None:
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


class Engine:
    def __init__(self, name: str, label: str, n: int):
        self.name, self.label, self.n = name, label, n

    def start(self, tag: str, extra: list[str]) -> list[str]:
        ids = []
        for i in range(self.n):
            image = IMAGES[i % len(IMAGES)]
            out = subprocess.run(
                [self.name, "run", "-d", "--name", f"{self.label}-{tag}-{i}", "--label", self.label,
                 *extra, f"ohc-e2e-{image}:latest"], capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"{self.name} run: {out.stderr.strip()[-400:]}")
            ids.append(out.stdout.strip().splitlines()[-1])
        return ids

    def remove_all(self) -> None:
        ids = sh(self.name, "ps", "-aq", "--filter", f"label={self.label}", check=False).split()
        if ids:
            subprocess.run([self.name, "rm", "-f", *ids], capture_output=True)

    def cgroup(self, cid: str) -> Path:
        if self.name == "docker":
            return CPUACCT / "docker" / cid
        return CPUACCT / "libpod_parent" / f"libpod-{cid}"

    def meter(self, ids: list[str]) -> Meter:
        """The engine's own processes for these containers, and their cgroups."""
        cgroups = [self.cgroup(c) for c in ids]
        # A cgroup that is not where we look would count as 0 s: refuse instead.
        missing = [str(c) for c in cgroups if not (c / "cpuacct.usage").exists()]
        if missing:
            raise SystemExit(f"{self.name}: no cpuacct cgroup at {missing[0]} (cgroupfs driver expected)")
        if self.name == "docker":
            pids = pids_named("dockerd") + pids_named("containerd")
            pids += [p for p in pids_named("containerd-shim")
                     if any(f"-id {c}" in cmdline(p) for c in ids)]
        else:
            # The containers' conmons are idle; the exec sessions' conmons live in this cgroup.
            pids = []
            cgroups.append(CPUACCT / "libpod_parent" / "conmon")
        return Meter(pids, cgroups)


def idle_rate(meter: Meter, seconds: float) -> float:
    before, t0 = meter.read(), time.monotonic()
    time.sleep(seconds)
    return (meter.read() - before) / (time.monotonic() - t0)


def agent_env(engine: str) -> dict:
    """The agent asks only ENGINE: the other one is out of reach (no podman in PATH, no Docker
    socket), as on a host with one engine."""
    env = dict(os.environ)
    if engine == "docker":
        env["PATH"] = "/nonexistent"
    else:
        env["DOCKER_HOST"] = "unix:///nonexistent.sock"
    return env


def wait_ours_healthy(bin_path: str, engine: str, names: list[str], state: Path, timeout: float) -> None:
    """`agent --once` until every container named is healthy by the agent's check."""
    end = time.monotonic() + timeout
    while True:
        subprocess.run([bin_path, "agent", "--once", "--state-file", str(state)],
                       env=agent_env(engine), capture_output=True)
        entries = {c["name"]: c for c in json.loads(state.read_text())["containers"]}
        bad = [n for n in names if entries.get(n, {}).get("healthy") is not True]
        if not bad:
            return
        if time.monotonic() > end:
            raise SystemExit(f"{engine}: not healthy after {timeout}s: "
                             f"{[(n, entries.get(n, {}).get('reason')) for n in bad]}")
        time.sleep(2)


def measure_agent(bin_path: str, engine: Engine, ids: list[str], names: list[str], rounds: int,
                  idle: float, work: Path) -> dict:
    state = work / f"agent-{engine.name}.json"
    group = OwnCgroup(f"agent-{engine.name}")
    meter = engine.meter(ids)
    agent = subprocess.Popen([bin_path, "agent", "--interval", "1", "--state-file", str(state)],
                             env=agent_env(engine.name), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, preexec_fn=group.enter)

    def next_round(after: int | None) -> int:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                ino = state.stat().st_ino
                if ino != after:
                    return ino
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        raise SystemExit(f"{engine.name}: the agent wrote no state for 30 s")

    try:
        ino = next_round(None)   # the first round (every container inspected) is warm-up
        ino = next_round(ino)
        a0, e0, t0 = group.cpu(), meter.read(), time.monotonic()
        checks = 0
        mine = set(names)
        for _ in range(rounds):
            ino = next_round(ino)
            a1, e1, t1 = group.cpu(), meter.read(), time.monotonic()
            entries = json.loads(state.read_text())["containers"]
            # Only ours count, though the agent's CPU is for every container it checks.
            checks += sum(1 for c in entries if c["name"] in mine)
            bad = [c for c in entries if c["name"] in mine and c["healthy"] is not True]
            if bad:
                raise SystemExit(f"{engine.name}: the agent found {bad[0]['name']} unhealthy: {bad[0]['reason']}")
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait()
        group.remove()
    seconds = t1 - t0
    own = a1 - a0
    caused = (e1 - e0) - idle * seconds
    return {"checks": checks, "rounds": rounds, "seconds": seconds, "agent_cpu": own,
            "engine_cpu": caused, "per_check_ms": (own + caused) / checks * 1000,
            "own_per_check_ms": own / checks * 1000, "engine_per_check_ms": caused / checks * 1000}


def docker_exec_counter(label: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["docker", "events", "--format", "{{.Action}} {{.Actor.ID}}", "--filter", "type=container",
         "--filter", "event=exec_die", "--filter", f"label={label}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def docker_side(bin_path: str, n: int, window: float, idle_seconds: float, rounds: int, interval: int,
                work: Path) -> dict:
    engine = Engine("docker", f"ohc-bench-agent-{os.getpid()}-docker", n)
    engine.remove_all()
    events = docker_exec_counter(engine.label)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(events.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        # The agent's containers: the same health test, run by dockerd only after an hour.
        ids = engine.start("agent", ["--health-interval", "1h"])
        names = [f"{engine.label}-agent-{i}" for i in range(n)]
        wait_ours_healthy(bin_path, "docker", names, work / "wait.json", 120)
        meter = engine.meter(ids)
        idle = idle_rate(meter, idle_seconds)
        agent = measure_agent(bin_path, engine, ids, names, rounds, idle, work)
        engine.remove_all()
        # The engine's containers: dockerd runs the health test every INTERVAL seconds.
        ids = engine.start("engine", ["--health-interval", f"{interval}s"])
        wait_docker_healthy(ids, 120)
        meter = engine.meter(ids)
        counted = len(lines)
        e0, t0 = meter.read(), time.monotonic()
        time.sleep(window)
        e1, t1 = meter.read(), time.monotonic()
        time.sleep(0.5)  # the events of runs ended in the window reach the reader
        runs = len(lines) - counted
        seconds = t1 - t0
        cpu = (e1 - e0) - idle * seconds
        if runs == 0:
            raise SystemExit("docker: no health check ran in the window")
        unhealthy = [c for c in ids if sh("docker", "inspect", "-f", "{{.State.Health.Status}}", c).strip() != "healthy"]
        if unhealthy:
            raise SystemExit(f"docker: containers turned unhealthy under the engine: {unhealthy}")
        engine_side = {"runs": runs, "seconds": seconds, "cpu": cpu, "per_check_ms": cpu / runs * 1000}
    finally:
        events.terminate()
        engine.remove_all()
    return {"engine": "docker", "containers": n, "idle_cpu_per_s_ms": idle * 1000, "agent": agent,
            "native": engine_side,
            "native_what": f"dockerd HEALTHCHECK every {interval}s (dockerd+containerd+shims/runc+containers' cgroups)"}


def wait_docker_healthy(ids: list[str], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = [sh("docker", "inspect", "-f", "{{.State.Health.Status}}", c).strip() for c in ids]
        if all(s == "healthy" for s in status):
            return
        time.sleep(2)
    raise SystemExit(f"docker: containers not healthy after {timeout}s")


def podman_side(bin_path: str, n: int, idle_seconds: float, rounds: int, engine_rounds: int,
                work: Path) -> dict:
    engine = Engine("podman", f"ohc-bench-agent-{os.getpid()}-podman", n)
    engine.remove_all()
    try:
        ids = engine.start("c", [])
        names = [f"{engine.label}-c-{i}" for i in range(n)]
        wait_ours_healthy(bin_path, "podman", names, work / "wait.json", 120)
        meter = engine.meter(ids)
        idle = idle_rate(meter, idle_seconds)
        agent = measure_agent(bin_path, engine, ids, names, rounds, idle, work)
        group = OwnCgroup("podman-healthcheck")
        try:
            e0, g0, t0 = meter.read(), group.cpu(), time.monotonic()
            runs = 0
            for _ in range(engine_rounds):
                for name in names:
                    rc = subprocess.run(["podman", "healthcheck", "run", name], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, preexec_fn=group.enter).returncode
                    if rc != 0:
                        raise SystemExit(f"podman healthcheck run {name}: exit {rc}")
                    runs += 1
            e1, g1, t1 = meter.read(), group.cpu(), time.monotonic()
        finally:
            group.remove()
        seconds = t1 - t0
        cpu = (g1 - g0) + (e1 - e0) - idle * seconds
        engine_side = {"runs": runs, "seconds": seconds, "cpu": cpu, "per_check_ms": cpu / runs * 1000,
                       "podman_ms": (g1 - g0) / runs * 1000}
    finally:
        engine.remove_all()
    return {"engine": "podman", "containers": n, "idle_cpu_per_s_ms": idle * 1000, "agent": agent,
            "native": engine_side,
            "native_what": "`podman healthcheck run` per container (podman+runtime, exec conmon, containers' cgroups)"}


def table(results: list[dict]) -> str:
    rows = ["| engine | containers | engine path: runs | engine path ms/check | agent: rounds x containers | "
            "agent own ms/check | engine ms/check caused by the agent | agent total ms/check | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        a, e = r["agent"], r["native"]
        rows.append(
            f"| {r['engine']} | {r['containers']} | {e['runs']} | {e['per_check_ms']:.1f} | "
            f"{a['rounds']} rounds, {a['checks']} checks | {a['own_per_check_ms']:.2f} | "
            f"{a['engine_per_check_ms']:.2f} | {a['per_check_ms']:.2f} | "
            f"{e['per_check_ms'] / a['per_check_ms']:.0f}x |")
    return "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="docker,podman")
    ap.add_argument("--containers", type=int, default=20)
    ap.add_argument("--idle", type=float, default=20, help="seconds of the idle window")
    ap.add_argument("--rounds", type=int, default=30, help="agent rounds measured (1 s apart)")
    ap.add_argument("--window", type=float, default=40, help="seconds of Docker's HEALTHCHECK window")
    ap.add_argument("--interval", type=int, default=5, help="Docker's --health-interval in the window")
    ap.add_argument("--podman-rounds", type=int, default=3, help="`podman healthcheck run` of each container")
    ap.add_argument("--write", action="store_true", help="update the agent section of BENCHMARKS.md")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/agent.py measures the engines' daemons and cgroups: run it as root")
    if not (CPUACCT / "cpuacct.usage").exists():
        raise SystemExit(f"no cgroup v1 cpuacct hierarchy at {CPUACCT}")
    bin_path = binary()
    engines = [e for e in re.split(r"[ ,]+", a.engines) if e]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for e in engines:
            if e not in ("docker", "podman"):
                raise SystemExit(f"unknown engine {e!r}: docker or podman")
            sh("bash", str(REPO / "tests/setup" / ("dockerd.sh" if e == "docker" else "podman.sh")))
            sh("bash", str(REPO / "tests/images/build.sh"), "--engine", e, *IMAGES)
            print(f">>> {e}: {a.containers} containers", file=sys.stderr)
            if e == "docker":
                r = docker_side(bin_path, a.containers, a.window, a.idle, a.rounds, a.interval, work)
            else:
                r = podman_side(bin_path, a.containers, a.idle, a.rounds, a.podman_rounds, work)
            print(json.dumps(r), file=sys.stderr)
            results.append(r)
    md = table(results)
    out = REPO / "target/bench/agent.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md)
    print(md)
    for r in results:
        ratio = r["native"]["per_check_ms"] / r["agent"]["per_check_ms"]
        print(f"{r['engine']}: the agent costs the host {ratio:.0f}x less CPU per container check "
              f"than {r['native_what']} (goal: at least 50x)")
    if a.write:
        bench = REPO / "BENCHMARKS.md"
        text = bench.read_text()
        if BEGIN not in text:
            raise SystemExit(f"BENCHMARKS.md has no {BEGIN} ... {END} section to update")
        section = f"{BEGIN}\n{md}{END}"
        bench.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S))


if __name__ == "__main__":
    main()

"""Benchmark of the check engine against kolla's scripts on the same local services.

Rows: kolla `healthcheck_curl` vs ours (same name, same arguments), kolla
`healthcheck_port` vs ours, and TripleO's common.sh `healthcheck_port` vs ours, first
on an idle host, then with 5,000 extra established TCP connections and 500 extra
processes. Prints a markdown table and, with --write, replaces the engine section of
BENCHMARKS.md. Run by `make bench`. `--compare OTHER_BIN` measures our side with both
binaries, runs interleaved, and prints them side by side (before/after of a change).

Peak RSS depends on which pages of the binary the page cache holds (the kernel maps the
cached pages around each fault), so each binary is first dropped from the cache and read
back whole: every page cached, as on a host that has run the checks a while. The run
fails if any check of ours peaks above RSS_TARGET_KIB.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import measure, peak_rss  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The release binary: BIN from make, or the path make would give it.
BIN = Path(os.environ.get("BIN") or subprocess.run(
    ["make", "-s", "--no-print-directory", "-C", str(ROOT), "print-bin"],
    check=True, capture_output=True, text=True).stdout.strip())
ORIG = Path(os.environ.get("CACHE", "/var/cache/openstack-healthcheck")) / "originals"
# Peak RSS that no check of ours may exceed (2.5 MiB, as /usr/bin/time -v counts it).
RSS_TARGET_KIB = 2560

AGENT = r"""
import socket, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(8)
port = srv.getsockname()[1]
c = socket.create_connection(("127.0.0.1", port)); a, _ = srv.accept()
print(port, flush=True)
time.sleep(3600)
"""

LOAD = r"""
import resource, socket, sys, time
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (3 * n + 100, 3 * n + 100))
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1024)
port = srv.getsockname()[1]
keep = []
for _ in range(n):
    c = socket.create_connection(("127.0.0.1", port)); a, _ = srv.accept(); keep += [c, a]
print("ready", flush=True)
time.sleep(3600)
"""


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(cmd: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, **kw)


class Host:
    """The local services the checks look at, and the optional load."""

    def __init__(self, tmp: Path):
        self.procs: list[subprocess.Popen] = []
        self.http_port = free_port()
        www = tmp / "www"
        www.mkdir()
        (www / "index.html").write_text("ok\n")
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.http_port), "--bind", "127.0.0.1", "--directory", str(www)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # The "agent": a process named ohc-bench-agent holding an established connection.
        agent = tmp / "ohc-bench-agent.py"
        agent.write_text(AGENT)
        p = start([sys.executable, str(agent)])
        self.procs.append(p)
        self.agent_port = int(p.stdout.readline())
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.http_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        self.load_procs: list[subprocess.Popen] = []

    def load(self, connections: int, processes: int, tmp: Path) -> None:
        loader = tmp / "ohc-bench-load.py"
        loader.write_text(LOAD)
        p = start([sys.executable, str(loader), str(connections)])
        assert p.stdout.readline().strip() == "ready", "load generator failed"
        self.load_procs.append(p)
        for _ in range(processes):
            self.load_procs.append(subprocess.Popen(["sleep", "3600"]))

    def close(self) -> None:
        for p in self.load_procs + self.procs:
            p.kill()
            p.wait()


def settle_page_cache(binary: Path) -> None:
    """Drop `binary` from the page cache and read it back whole (see the module doc)."""
    fd = os.open(binary, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        while os.read(fd, 1 << 20):
            pass
    finally:
        os.close(fd)


def link_dir(binary: Path, where: Path) -> Path:
    """The names the benchmark calls `binary` by, as symlinks in `where`."""
    where.mkdir()
    for name in ("healthcheck_curl", "healthcheck_port", "openstack-healthcheck"):
        (where / name).symlink_to(binary)
    return where


def pairs_of(host: Host, links: Path) -> list[tuple]:
    """(check, original's command, our command[, our environment]) of each row."""
    url = f"http://127.0.0.1:{host.http_port}/"
    tripleo_port = ["bash", "-c", f'source {ORIG}/tripleo/common.sh; healthcheck_port ohc-bench-agent {host.agent_port}']
    pairs = [
        ("healthcheck_curl URL", ["bash", str(ORIG / "kolla/healthcheck_curl"), url], [str(links / "healthcheck_curl"), url]),
        ("healthcheck_port PROC PORT (kolla)", ["bash", str(ORIG / "kolla/healthcheck_port"), "ohc-bench-agent", str(host.agent_port)],
         [str(links / "healthcheck_port"), "ohc-bench-agent", str(host.agent_port)]),
        ("healthcheck_port PROC PORT (TripleO common.sh)", tripleo_port,
         [str(links / "openstack-healthcheck"), "probe", "port", "ohc-bench-agent", str(host.agent_port)]),
    ]
    # Our port check once more without the last-owner hint (src/proc/hint.rs): the cost of
    # a first run, which scans every process.
    cold = dict(os.environ, HEALTHCHECK_NO_HINTS="1")
    pairs.append(("healthcheck_port PROC PORT (kolla) vs ours without hints", pairs[1][1], pairs[1][2], cold))
    return pairs


def rows(host: Host, links: Path, runs: int, label: str, only: str | None = None) -> list[dict]:
    out = []
    for name, theirs, ours, *env in pairs_of(host, links):
        if only and only not in name:
            continue
        # Both sides must find the service healthy: a cheap failure proves nothing.
        t = measure(theirs, runs, expect=0)
        o = measure(ours, runs, env=env[0] if env else None, expect=0)
        out.append({"host": label, "check": name, "theirs": t, "ours": o})
    return out


def compare_rows(host: Host, links: Path, other: Path, runs: int, label: str, only: str | None) -> list[dict]:
    """Our side of each row with two binaries (`other` before, `links` after), in
    alternating rounds so that both see the same machine load; CPU is the median of all
    runs of each."""
    rounds = 5
    out = []
    for name, _theirs, ours, *env in pairs_of(host, links):
        if only and only not in name:
            continue
        before_cmd = [str(other / Path(ours[0]).name), *ours[1:]]
        cpu = {"before": [], "after": []}
        for _ in range(rounds):
            for side, cmd in (("before", before_cmd), ("after", ours)):
                cpu[side] += measure(cmd, max(1, runs // rounds), env=env[0] if env else None, expect=0)["cpu_ms"]
        out.append({"host": label, "check": name,
                    **{f"{side}_cpu": statistics.median(v) for side, v in cpu.items()},
                    "before_rss": peak_rss(before_cmd, env[0] if env else None),
                    "after_rss": peak_rss(ours, env[0] if env else None)})
    return out


def compare_table(results: list[dict]) -> str:
    lines = [
        "| host | check | before CPU ms | after CPU ms | before peak RSS KiB | after peak RSS KiB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['host']} | {r['check']} | {r['before_cpu']:.2f} | {r['after_cpu']:.2f} | "
                     f"{r['before_rss']} | {r['after_rss']} |")
    return "\n".join(lines)


def table(results: list[dict]) -> str:
    lines = [
        "| host | check | original CPU ms | ours CPU ms | CPU ratio | original exit | ours exit | original peak RSS KiB | ours peak RSS KiB |",
        "|---|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for r in results:
        t, o = r["theirs"], r["ours"]
        ratio = t["cpu_ms_median"] / max(o["cpu_ms_median"], 1e-3)
        lines.append(
            f"| {r['host']} | {r['check']} | {t['cpu_ms_median']:.2f} | {o['cpu_ms_median']:.2f} | {ratio:.1f}x | "
            f"{t['exit_codes']} | {o['exit_codes']} | {t['peak_rss_kib']} | {o['peak_rss_kib']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--processes", type=int, default=500)
    ap.add_argument("--write", action="store_true", help="update the engine section of BENCHMARKS.md")
    ap.add_argument("--only", metavar="TEXT",
                    help="measure only the rows whose check contains TEXT (e.g. healthcheck_curl); not with --write")
    ap.add_argument("--compare", metavar="OTHER_BIN", type=Path,
                    help="measure our side with OTHER_BIN (before) and BIN (after), side by side; not with --write")
    a = ap.parse_args()
    if (a.only or a.compare) and a.write:
        raise SystemExit("--only and --compare do not make the table: they cannot --write BENCHMARKS.md")
    if not BIN.exists():
        raise SystemExit(f"no binary at {BIN}: run 'make build' first")
    with tempfile.TemporaryDirectory(prefix="ohc-bench-") as t:
        tmp = Path(t)
        links = link_dir(BIN, tmp / "bin")
        settle_page_cache(BIN)
        if a.compare:
            other = link_dir(a.compare.resolve(), tmp / "other")
            settle_page_cache(a.compare)
        host = Host(tmp)

        def measure_rows(label: str) -> list[dict]:
            if a.compare:
                return compare_rows(host, links, other, a.runs, label, a.only)
            return rows(host, links, a.runs, label, a.only)

        try:
            results = measure_rows("idle")
            host.load(a.connections, a.processes, tmp)
            results += measure_rows(f"+{a.connections} conns, +{a.processes} procs")
        finally:
            host.close()
    if a.compare:
        print(f"before: {a.compare}\nafter: {BIN}\n\n{compare_table(results)}")
        return
    def ours(host: str, check: str) -> float:
        return next(r for r in results if (r["host"] == "idle") == (host == "idle") and r["check"] == check)["ours"]["cpu_ms_median"]

    warm, cold = "healthcheck_port PROC PORT (kolla)", "healthcheck_port PROC PORT (kolla) vs ours without hints"
    if a.only:
        print(table(results))
        check_rss(results)
        return
    md = table(results) + (
        f"\n\nOur port check on the loaded host costs {ours('busy', warm) / max(ours('idle', warm), 1e-3):.2f}x "
        f"its idle cost (target: within 2x); without hints (a first run) "
        f"{ours('busy', cold) / max(ours('idle', cold), 1e-3):.2f}x.\n")
    print(md)
    if a.write:
        bench = ROOT / "BENCHMARKS.md"
        text = bench.read_text() if bench.exists() else "# Benchmarks\n"
        section = f"<!-- engine:begin -->\n{md}<!-- engine:end -->"
        if "<!-- engine:begin -->" in text:
            text = re.sub(r"<!-- engine:begin -->.*?<!-- engine:end -->", lambda _: section, text, flags=re.S)
        else:
            text += "\n" + section + "\n"
        bench.write_text(text)
    check_rss(results)


def check_rss(results: list[dict]) -> None:
    """The promise: no check of ours peaks above RSS_TARGET_KIB (BENCHMARKS.md)."""
    over = [f"{r['host']} / {r['check']}: {r['ours']['peak_rss_kib']} KiB" for r in results
            if r["ours"]["peak_rss_kib"] > RSS_TARGET_KIB]
    if over:
        raise SystemExit(f"peak RSS above {RSS_TARGET_KIB} KiB: " + "; ".join(over))


if __name__ == "__main__":
    main()

"""Benchmark of the check engine against kolla's scripts on the same local services.

Rows: kolla `healthcheck_curl` vs ours (same name, same arguments), kolla
`healthcheck_port` vs ours, and TripleO's common.sh `healthcheck_port` vs ours, first
on an idle host, then with 5,000 extra established TCP connections and 500 extra
processes. Then the peak memory of further checks of ours on the idle host (HTTPS with
and without certificate verification, failures, `list`, `--help`; the highest of
--memory-runs runs each). Prints markdown tables and, with --write, replaces the engine section of
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
from harness import RSS_TARGET_KIB, measure, peak_rss, settle_page_cache  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The release binary: BIN from make, or the path make would give it.
BIN = Path(os.environ.get("BIN") or subprocess.run(
    ["make", "-s", "--no-print-directory", "-C", str(ROOT), "print-bin"],
    check=True, capture_output=True, text=True).stdout.strip())
ORIG = Path(os.environ.get("CACHE", "/var/cache/openstack-healthcheck")) / "originals"

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
        www = self.www = tmp / "www"
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


class TlsServer:
    """An HTTPS server on loopback, as services present it: an RSA certificate for
    127.0.0.1 and localhost signed by a CA of its own (`ca`, a PEM file), and `bundle`,
    the system CA bundle with that CA added (a host that trusts the deployment's CA)."""

    def __init__(self, tmp: Path, www: Path):
        import ssl
        import threading
        from http.server import HTTPServer, SimpleHTTPRequestHandler

        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        d = tmp / "tls"
        d.mkdir()
        self.ca, self.bundle = d / "ca.pem", d / "bundle.pem"

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ohc-bench-ca",
                "-keyout", str(d / "ca.key"), "-out", str(self.ca))
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
        (d / "ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(self.ca), "-CAkey", str(d / "ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", str(d / "ext"), "-out", str(d / "server.pem"))
        (d / "chain.pem").write_text((d / "server.pem").read_text() + self.ca.read_text())
        system = Path("/etc/ssl/certs/ca-certificates.crt")
        self.bundle.write_text((system.read_text() if system.exists() else "") + self.ca.read_text())
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(d / "chain.pem", d / "server.key")
        self.server = HTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(www)))
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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


def memory_checks(host: Host, tls: TlsServer, links: Path) -> list[tuple[str, list[str], dict | None, int]]:
    """Further checks of ours held to RSS_TARGET_KIB, peak memory only: (check, command,
    environment, expected exit). HTTPS with and without certificate verification (the
    system CA bundle alone is some 140 certificates to parse), failures, and the
    commands that print the most."""
    ours = str(links / "openstack-healthcheck")
    https = f"https://127.0.0.1:{tls.port}/"
    system_bundle = dict(os.environ, SSL_CERT_FILE=str(tls.bundle))
    return [
        ("healthcheck_curl https://... (not verified, as curl -k)", [str(links / "healthcheck_curl"), https], None, 0),
        ("probe http https://... --verify --cacert CA", [ours, "probe", "http", "--verify", "--cacert", str(tls.ca), https],
         None, 0),
        ("probe http https://... --verify (system CA bundle with the CA)", [ours, "probe", "http", "--verify", https],
         system_bundle, 0),
        ("probe http https://... --verify, not trusted (system CA bundle)", [ours, "probe", "http", "--verify", https],
         None, 1),
        ("probe http http://.../missing (HTTP 404)", [ours, "probe", "http", f"http://127.0.0.1:{host.http_port}/missing"],
         None, 1),
        ("probe tcp, refused", [ours, "probe", "tcp", f"127.0.0.1:{free_port()}"], None, 1),
        ("--version", [ours, "--version"], None, 0),
        ("list", [ours, "list"], None, 0),
        ("--help", [ours, "--help"], None, 0),
    ]


def memory_rows(host: Host, tls: TlsServer, links: Path, runs: int) -> list[dict]:
    """The highest peak RSS of `runs` runs of each of memory_checks (where ASLR puts the
    binary moves a run's peak by a 64 KiB block or so); every run must exit as expected."""
    out = []
    for name, cmd, env, expect in memory_checks(host, tls, links):
        measure(cmd, 1, env=env, expect=expect)
        peaks = [peak_rss(cmd, env) for _ in range(runs)]
        out.append({"check": name, "exit": expect, "peak_rss_kib": max(peaks)})
    return out


def memory_table(results: list[dict], runs: int) -> str:
    lines = [f"| check (ours, idle host) | exit | peak RSS KiB, highest of {runs} runs |", "|---|---|---:|"]
    lines += [f"| {r['check']} | {r['exit']} | {r['peak_rss_kib']} |" for r in results]
    return "\n".join(lines)


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
    ap.add_argument("--memory-runs", type=int, default=5, help="runs of each check of the peak memory table")
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
        tls = None
        memory: list[dict] = []

        def measure_rows(label: str) -> list[dict]:
            if a.compare:
                return compare_rows(host, links, other, a.runs, label, a.only)
            return rows(host, links, a.runs, label, a.only)

        try:
            results = measure_rows("idle")
            if not a.compare:
                tls = TlsServer(tmp, host.www)
                memory = [r for r in memory_rows(host, tls, links, a.memory_runs)
                          if not a.only or a.only in r["check"]]
            host.load(a.connections, a.processes, tmp)
            results += measure_rows(f"+{a.connections} conns, +{a.processes} procs")
        finally:
            host.close()
            if tls:
                tls.close()
    if a.compare:
        print(f"before: {a.compare}\nafter: {BIN}\n\n{compare_table(results)}")
        return

    def ours(host: str, check: str) -> float:
        return next(r for r in results if (r["host"] == "idle") == (host == "idle") and r["check"] == check)["ours"]["cpu_ms_median"]

    warm, cold = "healthcheck_port PROC PORT (kolla)", "healthcheck_port PROC PORT (kolla) vs ours without hints"
    if a.only:
        print("\n\n".join(t for t, rows_ in ((table(results), results), (memory_table(memory, a.memory_runs), memory))
                           if rows_))
        check_rss(results, memory)
        return
    md = table(results) + (
        f"\n\nOur port check on the loaded host costs {ours('busy', warm) / max(ours('idle', warm), 1e-3):.2f}x "
        f"its idle cost (target: within 2x); without hints (a first run) "
        f"{ours('busy', cold) / max(ours('idle', cold), 1e-3):.2f}x.\n\n"
        f"{memory_table(memory, a.memory_runs)}\n")
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
    check_rss(results, memory)


def check_rss(results: list[dict], memory: list[dict]) -> None:
    """The promise: no check of ours peaks above RSS_TARGET_KIB (BENCHMARKS.md)."""
    over = [f"{r['host']} / {r['check']}: {r['ours']['peak_rss_kib']} KiB" for r in results
            if r["ours"]["peak_rss_kib"] > RSS_TARGET_KIB]
    over += [f"{r['check']}: {r['peak_rss_kib']} KiB" for r in memory if r["peak_rss_kib"] > RSS_TARGET_KIB]
    if over:
        raise SystemExit(f"peak RSS above {RSS_TARGET_KIB} KiB: " + "; ".join(over))


if __name__ == "__main__":
    main()

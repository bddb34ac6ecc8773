"""Whole-process CPU and peak memory of a command, the way a container engine pays for a check.

CPU is user+system time of the command and every descendant it waits for, read from
getrusage(RUSAGE_CHILDREN) before and after each run (microsecond resolution, unlike
/usr/bin/time's 10 ms). Peak resident memory comes from `/usr/bin/time -v` ("Maximum
resident set size"). Used by every bench script; import or run:

    python3 bench/harness.py --runs 50 -- openstack-healthcheck probe tcp 127.0.0.1:80
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

# Peak RSS that no check of ours may exceed (2.5 MiB, as /usr/bin/time -v counts it).
RSS_TARGET_KIB = 2560


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure(cmd: list[str], runs: int, env: dict | None = None, expect: int | None = None) -> dict:
    """Run `cmd` `runs` times; return median/mean CPU ms (and every run's, `cpu_ms`), wall ms,
    exit codes seen, peak RSS KiB."""
    cpu, wall, codes = [], [], set()
    for _ in range(runs):
        before = _children_cpu()
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((_children_cpu() - before) * 1000)
        codes.add(rc)
    if expect is not None and codes != {expect}:
        raise SystemExit(f"{cmd!r}: expected exit {expect} on every run, saw {sorted(codes)}")
    return {
        "cmd": " ".join(cmd),
        "runs": runs,
        "cpu_ms_median": statistics.median(cpu),
        "cpu_ms_mean": statistics.fmean(cpu),
        "wall_ms_median": statistics.median(wall),
        "cpu_ms": cpu,
        "exit_codes": sorted(codes),
        "peak_rss_kib": peak_rss(cmd, env),
    }


def peak_rss(cmd: list[str], env: dict | None = None) -> int:
    """Maximum resident set size in KiB of the command's process tree, per /usr/bin/time -v."""
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True).stderr
    for line in out.splitlines():
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1])
    raise SystemExit(f"/usr/bin/time -v gave no RSS for {cmd!r}: is the 'time' package installed?")


def settle_page_cache(binary: str | os.PathLike) -> None:
    """Drop `binary` from the page cache and read it back whole: every page cached, as on
    a host that has run the checks a while. What a check maps depends on what is cached
    (the kernel maps the cached pages around each fault), so peak RSS is measured from
    this state."""
    fd = os.open(binary, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        while os.read(fd, 1 << 20):
            pass
    finally:
        os.close(fd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    result = measure(cmd, a.runs)
    del result["cpu_ms"]
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

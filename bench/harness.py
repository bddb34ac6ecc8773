"""Whole-process CPU and peak memory of a command, the way a container engine pays for a check.

CPU is user+system time of the command and every descendant it waits for, read from
getrusage(RUSAGE_CHILDREN) before and after each run (microsecond resolution, unlike
/usr/bin/time's 10 ms). Peak resident memory comes from `/usr/bin/time -v` ("Maximum
resident set size"), as the issue asks. Used by every bench script; import or run:

    python3 bench/harness.py --runs 50 -- openstack-healthcheck probe tcp 127.0.0.1:80
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure(cmd: list[str], runs: int, env: dict | None = None, expect: int | None = None) -> dict:
    """Run `cmd` `runs` times; return median/mean CPU ms, wall ms, exit codes seen, peak RSS KiB."""
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    json.dump(measure(cmd, a.runs), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

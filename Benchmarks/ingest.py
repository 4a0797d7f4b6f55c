#!/usr/bin/env python3
"""Times `blackout ingest` and prints elements per second and peak memory.

    python3 Benchmarks/ingest.py [--runs N] [--blackout PATH]

Targets (issue 4):
- ingest of the jinx RIB (.bz2) followed by the four 2013 route-views2 parts: report
  elements per second and peak memory;
- one 15-minute update file of a busy collector (route-views2 2013-12-01 00:00, 137,244
  elements) processed in under 1 s on one core with the 14-peer RIB loaded: measured as
  the time of RIB + file minus the time of the RIB alone, both pinned to one core;
- peak memory under 500 MB with the RIB loaded.
Each run ingests into a new database.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump import arguments, blackout_binary, DATA, ROOT, RIB, best  # noqa: E402

REGISTRY = os.path.join(os.path.dirname(ROOT), "shared", "data", "registry")
RV = os.path.join(DATA, "routeviews")
PARTS = [os.path.join(RV, f"route-views2.updates.20130101.part{i}.mrt") for i in range(4)]
BUSY = os.path.join(RV, "route-views2.updates.20131201.0000.bz2")


def ingest(blackout, files, one_core=False):
    """A shell command ingesting `files` into a fresh database."""
    db = os.path.join(tempfile.gettempdir(), "blackout-bench-$$.sqlite")
    pin = "taskset -c 0 " if one_core else ""
    quoted = " ".join(f"'{f}'" for f in files)
    return ["sh", "-c", f"rm -f {db}; {pin}'{blackout}' ingest -q --db {db} --registry '{REGISTRY}' {quoted} >/dev/null; "
                        f"s=$?; rm -f {db}; exit $s"]


def main():
    args = arguments(__doc__)
    blackout = blackout_binary(args)
    subprocess.run([blackout, "countries", "--rib", RIB, "--registry", REGISTRY, "-q"], check=True,
                   stdout=subprocess.DEVNULL)  # builds the registry cache

    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "once.sqlite")
        out = subprocess.run([blackout, "ingest", "--db", db, "--registry", REGISTRY, RIB] + PARTS,
                             capture_output=True, text=True, check=True).stderr
    m = re.search(r"(\d+) elements in .* (\d+) routes \((\d+) bytes each\)", out)
    elements, routes, per_route = (int(m.group(i)) for i in (1, 2, 3))

    (full, full_mem), (rib, rib_mem), (busy, busy_mem) = best([
        ingest(blackout, [RIB] + PARTS),
        ingest(blackout, [RIB], one_core=True),
        ingest(blackout, [RIB, BUSY], one_core=True),
    ], args.runs)
    print(f"best of {args.runs} runs, {os.cpu_count()} cores")
    print(f"      jinx RIB + the four 2013 route-views2 parts: {elements:,} elements in {full:.3f} s = "
          f"{elements / full:,.0f} elements/s, peak {full_mem / 1024:.0f} MB")
    print(f"{'PASS' if per_route <= 40 else 'MISS'}  routing state: {routes:,} routes, {per_route} bytes per route (target <= 40)")
    extra = busy - rib
    print(f"{'PASS' if extra < 1 else 'MISS'}  15-minute busy update file (137,244 elements) on one core with the RIB loaded: "
          f"{extra:.3f} s (RIB alone {rib:.3f} s, RIB + file {busy:.3f} s; target < 1 s)")
    print(f"{'PASS' if busy_mem < 500 * 1024 else 'MISS'}  peak memory with the RIB loaded: {busy_mem / 1024:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()

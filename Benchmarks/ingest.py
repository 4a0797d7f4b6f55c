#!/usr/bin/env python3
"""Times `blackout ingest` and prints elements per second and peak memory.

    python3 Benchmarks/ingest.py [--runs N] [--blackout PATH]

Targets (issue 4):
- ingest of the jinx RIB (.bz2) followed by the four 2013 route-views2 parts: report
  elements per second and peak memory;
- one 15-minute update file of a busy collector (route-views2 2013-12-01 00:00, 137,244
  elements) processed in under 1 s on one core with the 14-peer RIB loaded: measured as
  the time of RIB + file minus the time of the RIB alone, both pinned to one core;
- peak memory under 500 MB with the RIB loaded;
- (issue 8) restoring the checkpoint is faster than reading the RIB again: the size of the
  checkpoint the RIB leaves, the time to restore it (as the next ingest reports it) against
  the time the RIB's ingest took to read it.
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

    restores, reads = [], []
    size = 0
    jinx_updates = os.path.join(RV, "routeviews.route-views.jinx.updates.1401493500.bz2")
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "resume.sqlite")
            first = subprocess.run([blackout, "ingest", "--db", db, "--registry", REGISTRY, RIB],
                                   capture_output=True, text=True, check=True).stderr
            reads.append(float(re.search(r"elements in ([0-9.]+) s", first).group(1)))
            second = subprocess.run([blackout, "ingest", "--db", db, "--registry", REGISTRY, jinx_updates],
                                    capture_output=True, text=True, check=True).stderr
            m = re.search(r"state restored \((\d+) MiB in ([0-9.]+) s\)", second)
            size, restore = int(m.group(1)), float(m.group(2))
            restores.append(restore)

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
    restore, read = min(restores), min(reads)
    print(f"{'PASS' if restore < read else 'MISS'}  checkpoint of the jinx RIB's state: {size} MiB, restored in {restore:.3f} s "
          f"against {read:.3f} s to read the RIB: {read / restore:.1f}x faster (target: faster)")


if __name__ == "__main__":
    main()

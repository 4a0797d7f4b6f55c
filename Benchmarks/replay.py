#!/usr/bin/env python3
"""Times a multi-day replay: `blackout ingest` against `blackout dump --count` on the same files.

    python3 Benchmarks/replay.py [--runs N] [--peers 8] [--days 2.5] [--blackout PATH] [--benchdata PATH] [--keep DIR]

Target (issue 9, goal 1): bins cost what changed, so a replay of days of updates ingests in
at most 3x the time `blackout dump --count` takes to decode the same files. The files are
written by `benchdata updates` (Benchmarks/BenchData/UpdateStream.swift) on top of the real
jinx RIB: a RouteViews collector with --peers full-feed peers, a RIB, then 15-minute update
files with churn, re-announcements, a flapping country and an outage. The ingest runs the
monitor-engine detection rules and writes its checkpoint at the end; each run ingests into a
new database. The two commands alternate, best of --runs each; the ratio is of best times.
Also printed: elements/s, bins closed, bins per second, peak memory.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump import blackout_binary, run  # noqa: E402
from memory import REGISTRY, benchdata_binary  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peers", type=int, default=8)
    ap.add_argument("--days", type=float, default=2.5)
    ap.add_argument("--blackout", default=None, help="binary (default: build release and use it)")
    ap.add_argument("--benchdata", default=None, help="binary (default: build release and use it)")
    ap.add_argument("--keep", default=None, help="write the files here and keep them (reused when present)")
    args = ap.parse_args()
    blackout = blackout_binary(args)

    work = args.keep or tempfile.mkdtemp(prefix="blackout-replay-")
    listing = os.path.join(work, "files.txt")
    try:
        if not os.path.exists(listing):
            files = subprocess.run([benchdata_binary(args), "updates", "--out", work, "--peers", str(args.peers),
                                    "--days", str(args.days)], check=True, capture_output=True, text=True).stdout.split()
            with open(listing, "w") as f:
                f.write("\n".join(files))
        with open(listing) as f:
            files = f.read().split()
        db = os.path.join(work, "replay.sqlite")
        count = [blackout, "dump", "--count"] + files
        ingest = ["sh", "-c", f"rm -f '{db}'; exec '{blackout}' ingest -q --db '{db}' --registry '{REGISTRY}' \"$@\"", "sh"] + files
        elements = int(subprocess.run(count, check=True, capture_output=True, text=True).stdout.split()[0])
        times = {"count": [], "ingest": []}
        peak = 0
        for _ in range(args.runs):
            times["count"].append(run(count)[0])
            t, m = run(ingest)
            times["ingest"].append(t)
            peak = max(peak, m)
        with sqlite3.connect(db) as con:  # the last run's database
            stored = con.execute("SELECT COUNT(*) FROM bin").fetchone()[0]
            events = con.execute("SELECT COUNT(*) FROM event").fetchone()[0]
        c, i = min(times["count"]), min(times["ingest"])
        closed = (1 + int(args.days * 86400) // 300)
        print(f"replay: {len(files)} files, {args.peers} full-feed peers, {args.days} days, {elements} elements "
              f"(RIB {args.peers * 497321}+ routes), {closed} five-minute bins")
        print(f"  blackout dump --count   {c:7.2f} s  {elements / c:12,.0f} elements/s")
        print(f"  blackout ingest         {i:7.2f} s  {elements / i:12,.0f} elements/s  peak {peak / 1024:.0f} MiB"
              f"  ({stored} bins stored, {events} events)")
        print(f"  ratio ingest / dump --count: {i / c:.2f}x  (target: at most 3x)  "
              f"{'OK' if i / c <= 3 else 'SHORT'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            try:
                os.remove(os.path.join(work, "replay.sqlite"))
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    main()

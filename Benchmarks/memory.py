#!/usr/bin/env python3
"""The world's routes in one machine's memory: peak memory of `blackout ingest` per route.

    python3 Benchmarks/memory.py [--peers 60] [--runs N] [--blackout PATH] [--benchdata PATH] [--keep-data DIR]

Writes (into a temporary directory, removed at the end) a RIB of N synthetic full-feed
peers with `benchdata rib`: the jinx RIB's fullest peer (AS30844, 497,321 IPv4 prefixes)
copied to each, its own ASN prepended to every path (60 peers: 29.8 million routes). Then
ingests it into a new database and prints the routes, elements/s, the peak resident memory
of the whole process (checkpoint written at the end included, wait4's ru_maxrss) per route
against the target, the checkpoint's size, the time to restore it (the next ingest, of the
jinx updates after the RIB, reports it) and to write it (the time the database file
grows at the end of the RIB's ingest), and how many such full-feed peers
fit in 24 GB at the measured marginal cost of a peer (the same run with half the peers
gives it: peak(N) - peak(N/2) over N/2 peers).

Target (issue 9): at most 8 bytes per route, everything included, without slowing ingest.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump import DATA, RIB, ROOT, blackout_binary, run  # noqa: E402

REGISTRY = os.path.join(os.path.dirname(ROOT), "shared", "data", "registry")
UPDATES = os.path.join(DATA, "routeviews", "routeviews.route-views.jinx.updates.1401493500.bz2")
TARGET = 8
GB24 = 24 * 10**9


def benchdata_binary(args):
    if args.benchdata is not None:
        return args.benchdata
    subprocess.run(["swift", "build", "-c", "release", "--product", "benchdata"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", "benchdata")


def ingest(blackout, db, files):
    """(wall seconds, peak KiB, stderr, seconds the database grew: the checkpoint's writing) of one `blackout ingest`."""
    err = db + ".stderr"
    growing = []
    with open(err, "w") as f:
        start = time.perf_counter()
        p = subprocess.Popen([blackout, "ingest", "-q", "--db", db, "--registry", REGISTRY] + files,
                             stdout=subprocess.DEVNULL, stderr=f)
        size = os.path.getsize(db) if os.path.exists(db) else 0
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                break
            now = os.path.getsize(db) if os.path.exists(db) else 0
            if now > size + (1 << 20):
                growing.append(time.perf_counter())
            size = max(size, now)
            time.sleep(0.02)
        seconds = time.perf_counter() - start
    text = open(err).read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"blackout ingest exited {os.waitstatus_to_exitcode(status)}:\n{text}")
    return seconds, usage.ru_maxrss, text, (growing[-1] - growing[0] + 0.02 if growing else 0.0)


def measure(blackout, rib, tmp, runs, name):
    """Best elements/s and the peak over `runs` ingests of `rib` into new databases."""
    best_rate, peak, routes, saved, write = 0, 0, 0, 0, None
    for i in range(runs):
        db = os.path.join(tmp, f"{name}-{i}.sqlite")
        _, rss, text, grew = ingest(blackout, db, [rib])
        write = grew if write is None else min(write, grew)
        m = re.search(r"(\d+) elements in ([0-9.]+) s .* (\d+) routes", text)
        elements, seconds, routes = int(m.group(1)), float(m.group(2)), int(m.group(3))
        best_rate = max(best_rate, elements / seconds)
        peak = max(peak, rss)
        saved = os.path.getsize(db)
        if i + 1 < runs:
            os.remove(db)
    return routes, best_rate, peak * 1024, saved, os.path.join(tmp, f"{name}-{runs - 1}.sqlite"), write


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", type=int, default=60)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--blackout", default=None, help="binary (default: build release and use it)")
    ap.add_argument("--benchdata", default=None, help="binary (default: build release and use it)")
    ap.add_argument("--keep-data", default=None, help="write the RIBs here and keep them (default: a temporary directory)")
    args = ap.parse_args()
    blackout, benchdata = blackout_binary(args), benchdata_binary(args)
    subprocess.run([blackout, "countries", "--rib", RIB, "--registry", REGISTRY, "-q"], check=True,
                   stdout=subprocess.DEVNULL)  # builds the registry cache

    with tempfile.TemporaryDirectory() as tmp:
        data = args.keep_data or tmp
        os.makedirs(data, exist_ok=True)
        results = {}
        for peers in (args.peers // 2, args.peers):
            rib = os.path.join(data, f"rib-{peers}-peers.mrt")
            if not os.path.exists(rib):
                subprocess.run([benchdata, "rib", "--peers", str(peers), "--source", RIB, "--out", rib], check=True,
                               stderr=subprocess.DEVNULL)
            results[peers] = measure(blackout, rib, tmp, args.runs, f"ingest-{peers}")
            if data == tmp:
                os.remove(rib)
        routes, rate, peak, size, db, write = results[args.peers]
        half_peak = results[args.peers // 2][2]

        # Restoring: the next ingest (the jinx updates after the RIB) reads the checkpoint back.
        _, resume_peak, text, _ = ingest(blackout, db, [UPDATES])
        restore = float(re.search(r"state restored \((\d+) MiB in ([0-9.]+) s\)", text).group(2))

    per_route = peak / routes
    per_peer = (peak - half_peak) / (args.peers - args.peers // 2)
    base = peak - per_peer * args.peers
    fit = int((GB24 - base) / per_peer)
    print(f"{args.peers} full-feed peers (benchdata rib from the jinx RIB's fullest peer), {os.cpu_count()} cores, best of {args.runs}")
    print(f"      ingest: {routes:,} routes at {rate:,.0f} elements/s")
    print(f"{'PASS' if per_route <= TARGET else 'MISS'}  peak resident memory {peak / 2**20:,.0f} MiB = {per_route:.2f} bytes per route "
          f"(target <= {TARGET}, checkpoint written at the end included)")
    print(f"      checkpoint: database {size / 2**20:,.0f} MiB; restored in {restore:.3f} s (peak {resume_peak / 1024:,.0f} MiB "
          f"with the updates after it); written in about {write:.2f} s")
    print(f"      {args.peers // 2} peers: peak {half_peak / 2**20:,.0f} MiB; a full-feed peer costs {per_peer / 2**20:.2f} MiB "
          f"({per_peer / (routes / args.peers):.2f} bytes per route), the rest {base / 2**20:,.0f} MiB")
    print(f"      full-feed peers like these in 24 GB: {fit:,}")


if __name__ == "__main__":
    main()

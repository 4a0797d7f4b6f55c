#!/usr/bin/env python3
"""Load on `blackout serve` with wrk, while an ingest writes to the same store.

    python3 Benchmarks/serve.py [--blackout PATH] [--benchdata PATH] [--days 3] [--country US]
                                [--duration 10] [--keep-data DIR] [--db postgres://USER:PASSWORD@HOST/DB]

Target (issue 11): `wrk -t2 -c32 -d10s --latency` against
/api/v1/countries/{CC}/timeline for a day of 5-minute bins (the route's default range: the
last 24 hours of stored data, 288 points), over a store holding a few days of bins for every
country: at least 5,000 requests per second and a 99th percentile under 20 ms on a 2-core
machine, while an ingest writes to the same store.

The store: `benchdata updates` (a RouteViews collector's RIB and 15-minute update files over
the real jinx table, every country of it, with churn, a flapping country and an outage) for
--days + 1 days; the RIB and the first --days days are ingested first. During the measured
run, `blackout ingest` ingests the rest of the files into the same store, one ingest after
another until wrk ends: each restores the stored state, replays (its transaction open, bins
written as files end) and commits; the script reports how many committed during the run.
The server answers a timeline asked for again from memory until the next commit (see
`APIStore`), so the script also reports the uncached cost: every country's timeline asked
for once after a commit (the first answer of each), and a wrk run over every country's
timeline with a new range per request (never cached).

Also printed, for comparison, the same wrk run with no ingest.

With --db, the store is that PostgreSQL database instead of a SQLite file in the data directory:
it is filled from scratch (`ingest --from-scratch`, everything in it is replaced), then the same
runs are made, the server reading through its pool of connections.
"""
import argparse
import calendar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dump import ROOT  # noqa: E402

REGISTRY = os.path.join(os.path.dirname(ROOT), "shared", "data", "registry")
TARGET_RPS = 5000
TARGET_P99_MS = 20.0


def release_binary(path, product):
    if path is not None:
        return path
    subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", product)


def start_server(blackout, db):
    """`blackout serve --port 0`: the process and its base URL, read from its first line."""
    log = tempfile.NamedTemporaryFile(prefix="blackout-serve-", suffix=".log", delete=False)
    p = subprocess.Popen([blackout, "serve", "--db", db, "--port", "0"], stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(300):
        text = open(log.name).read()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", text)
        if m:
            return p, f"http://127.0.0.1:{m.group(1)}"
        if p.poll() is not None:
            sys.exit(f"blackout serve exited: {text}")
        time.sleep(0.1)
    sys.exit("blackout serve never said where it listens")


def get(url):
    with urllib.request.urlopen(url) as r:
        return r.status, r.read()


def wrk(url, duration, script=None):
    """wrk -t2 -c32 --latency: requests/s, p99 in ms, non-2xx responses, the output."""
    argv = ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency"] + (["-s", script] if script else []) + [url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p99, int(non2xx.group(1)) if non2xx else 0, out


class Writer(threading.Thread):
    """Ingests `chunks` of files one after another into `db` until stopped."""

    def __init__(self, blackout, db, chunks):
        super().__init__(daemon=True)
        self.blackout, self.db, self.chunks = blackout, db, chunks
        self.stop = threading.Event()
        self.commits = 0
        self.busy_seconds = 0.0
        self.proc = None

    def run(self):
        for chunk in self.chunks:
            if self.stop.is_set():
                return
            start = time.perf_counter()
            self.proc = subprocess.Popen([self.blackout, "ingest", "-q", "--db", self.db, "--registry", REGISTRY] + chunk,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            status = self.proc.wait()
            self.busy_seconds += time.perf_counter() - start
            if status == 0:
                self.commits += 1
            elif not self.stop.is_set():
                sys.exit(f"the concurrent ingest exited {status}")

    def finish(self):
        self.stop.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blackout", default=None, help="binary (default: build release and use it)")
    ap.add_argument("--benchdata", default=None, help="binary (default: build release and use it)")
    ap.add_argument("--days", type=float, default=3.0, help="days of bins in the store before the run")
    ap.add_argument("--country", default="US", help="the country whose timeline is asked for")
    ap.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    ap.add_argument("--keep-data", default=None, help="keep the generated archives and store in this directory")
    ap.add_argument("--db", default=None, help="a PostgreSQL URL to serve from instead (its data is replaced)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    blackout = release_binary(args.blackout, "blackout")
    benchdata = release_binary(args.benchdata, "benchdata")

    tmp = args.keep_data or tempfile.mkdtemp(prefix="blackout-serve-bench-")
    server = None
    try:
        archives = os.path.join(tmp, "archives")
        listing = os.path.join(tmp, "files.txt")
        if not os.path.exists(listing):
            out = subprocess.run([benchdata, "updates", "--out", archives, "--days", str(args.days + 1), "--peers", "4"],
                                 capture_output=True, text=True, check=True).stdout
            open(listing, "w").write(out)
        files = [line for line in open(listing).read().split("\n") if line]
        rib = [f for f in files if "/RIBS/" in f or ".ribs." in f or "/rib." in f]
        updates = sorted(f for f in files if f not in rib)
        first = int(len(updates) * args.days / (args.days + 1))
        db = args.db or os.path.join(tmp, "store.sqlite")
        if args.db or not os.path.exists(db):
            start = time.perf_counter()
            subprocess.run([blackout, "ingest", "-q", "--from-scratch", "--db", db, "--registry", REGISTRY] + rib + updates[:first],
                           check=True, stdout=subprocess.DEVNULL)
            print(f"store: {len(rib)} RIB and {first} update files ingested in {time.perf_counter() - start:.0f} s", flush=True)
        rest = updates[first:]
        chunks = [rest[i:i + 4] for i in range(0, len(rest), 4)]

        server, base = start_server(blackout, db)
        health = json.loads(get(base + "/api/v1/health")[1])
        countries = json.loads(get(base + "/api/v1/countries")[1])["countries"]
        url = f"{base}/api/v1/countries/{args.country}/timeline"
        timeline = json.loads(get(url)[1])
        print(f"store: {'PostgreSQL' if args.db else 'SQLite'}, {health['countries']} countries, latest data {health['latest_data']}; "
              f"{args.country} timeline: {len(timeline['points'])} points from {timeline['from']} to {timeline['to']}, "
              f"{len(get(url)[1])} bytes", flush=True)

        idle = wrk(url, args.duration)
        print(f"no ingest:           {idle[0]:8.0f} req/s  p99 {idle[1]:6.2f} ms  non-2xx {idle[2]}", flush=True)

        writer = Writer(blackout, db, chunks)
        writer.start()
        time.sleep(3)  # the ingest restores the state, then replays with its transaction open
        loaded = wrk(url, args.duration)
        running = writer.is_alive()
        writer.finish()
        writer.join()
        print(f"with ingest writing: {loaded[0]:8.0f} req/s  p99 {loaded[1]:6.2f} ms  non-2xx {loaded[2]}  "
              f"({writer.commits} ingests committed during the run; an ingest {'still' if running else 'no longer'} running at its end)")

        # Uncached: every country's timeline once after a commit.
        subprocess.run([blackout, "ingest", "-q", "--db", db, "--registry", REGISTRY] + (chunks[-1] if chunks else []),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.perf_counter()
        for c in countries:
            get(f"{base}/api/v1/countries/{c['country']}/timeline")
        first_ms = (time.perf_counter() - start) * 1000 / max(1, len(countries))
        print(f"uncached: {first_ms:.2f} ms per country's first timeline after a commit ({len(countries)} countries, one client)")
        # Uncached under load: every request a different country and range (never asked before).
        script = os.path.join(tmp, "ranges.lua")
        last = calendar.timegm(time.strptime(timeline["to"], "%Y-%m-%dT%H:%M:%SZ"))
        codes = ",".join(f'"{c["country"]}"' for c in countries)
        open(script, "w").write(f"""
codes = {{{codes}}}
n = 0
request = function()
  n = n + 1
  local to = {last} - 300 * (n % 100000)
  return wrk.format("GET", "/api/v1/countries/" .. codes[(n % #codes) + 1] .. "/timeline?from=" .. (to - 86400) .. "&to=" .. to)
end
""")
        cold = wrk(base + "/", args.duration, script)
        print(f"uncached under load: {cold[0]:8.0f} req/s  p99 {cold[1]:6.2f} ms  non-2xx {cold[2]} (every request a new country and range)")

        print(f"\ntarget: >= {TARGET_RPS} req/s and p99 < {TARGET_P99_MS:.0f} ms with an ingest writing")
        print(f"ratio:  {loaded[0] / TARGET_RPS:.2f}x the requests/s target, p99 at {loaded[1] / TARGET_P99_MS:.2f} of its limit "
              f"-> {'met' if loaded[0] >= TARGET_RPS and loaded[1] < TARGET_P99_MS else 'NOT met'}")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if args.keep_data is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

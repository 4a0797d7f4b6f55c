#!/usr/bin/env python3
"""Backfill with `blackout worker`s sharing a queue in PostgreSQL: 1 worker, then 2.

    python3 Benchmarks/backfill.py --db postgres://USER:PASSWORD@127.0.0.1/postgres
                                   [--blackout PATH] [--benchdata PATH] [--sample 20] [--runs 3]

The archives: `benchdata kp2014 --sample N`, 2.5 days of route-views2 (a RIB every 2 hours,
updates every 15 minutes) and rrc00 (a RIB every 8 hours, updates every 5 minutes) built
with the MRT writer from the real jinx table (1 route in N kept; the KP outage and
instability of December 2014 on top). `blackout queue add` cuts them into tasks at the RIB
dumps (30 + 8 tasks); then N workers run with --exit-when-idle, each a process, as they would
on N machines, and the script times them to the last one's end. Each run uses a database of
its own (created in the server --db names, its user must be allowed to CREATE DATABASE).

Printed: elements per second with 1 worker and with 2 (the best of --runs), their ratio
(target: at least 1.7x on a 2-core machine), and, per run, the tasks and elements the queue
reports. The merge of per-collector results into bins and events is not built yet, so its
share of the whole is not measured (issue 12).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], check=True, stdout=subprocess.DEVNULL)


def with_database(url, name):
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def run(args, workers, archives):
    name = "blackout_bench_%d" % random.randrange(1 << 30)
    psql(args.db, "CREATE DATABASE " + name)
    db = with_database(args.db, name)
    try:
        subprocess.run([args.blackout, "queue", "add", "--db", db, "--collector", "route-views2", "--collector", "rrc00",
                        "--from", "2014-12-21T00:00Z", "--to", "2014-12-23T12:00Z"], check=True, stdout=subprocess.DEVNULL)
        start = time.monotonic()
        procs = [subprocess.Popen([args.blackout, "worker", "--db", db, "--archive-dir", archives, "--exit-when-idle", "--quiet",
                                   "--name", "w%d" % i]) for i in range(workers)]
        for p in procs:
            if p.wait() != 0:
                sys.exit("a worker failed")
        seconds = time.monotonic() - start
        status = json.loads(subprocess.run([args.blackout, "queue", "status", "--db", db, "--json"], check=True,
                                           capture_output=True, text=True).stdout)
        return seconds, status
    finally:
        psql(args.db, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a PostgreSQL server URL whose user may create databases")
    ap.add_argument("--blackout", default=os.path.join(ROOT, ".build/release/blackout"))
    ap.add_argument("--benchdata", default=os.path.join(ROOT, ".build/release/benchdata"))
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="blackout-backfill-") as tmp:
        archives = os.path.join(tmp, "archives")
        subprocess.run([args.benchdata, "kp2014", "--out", archives, "--sample", str(args.sample)], check=True,
                       stdout=subprocess.DEVNULL)
        best = {}
        for r in range(args.runs):
            for workers in (1, 2):
                seconds, status = run(args, workers, archives)
                rate = status["elements_done"] / seconds
                print("run %d, %d worker%s: %.2f s, %d tasks done, %d failed, %d elements, %.0f elements/s"
                      % (r + 1, workers, "" if workers == 1 else "s", seconds, status["tasks"]["done"], status["tasks"]["failed"],
                         status["elements_done"], rate))
                best[workers] = max(best.get(workers, 0), rate)
        print("1 worker: %.0f elements/s; 2 workers: %.0f elements/s; ratio %.2fx (target >= 1.7x)"
              % (best[1], best[2], best[2] / best[1]))
        print("merge share: not measured (the merge is not built yet)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times `blackout fetch` against `curl` downloading the same archive files from one local server.

    python3 Benchmarks/fetch.py [--runs 3] [--copies 60] [--blackout PATH] [--benchdata PATH]

The server is Tests/Servers/archive_server.py on 127.0.0.1, serving North Korea's December 2014
(`benchdata kp2014`) with one large RIB dump added: route-views2's 2014-12-22 12:00 dump made of
--copies bzip2 streams of the real jinx RIB (3.3 MB each: 200 MB at 60). The period asked is
2014-12-22 12:00 to 18:00 of route-views2 and rrc00: the large RIB, the rrc00 bview, and 96 small
update files. curl gets the same URLs in one run with `--parallel --parallel-max 4` (the
concurrency fetch uses by default). Each tool downloads into an empty directory; best of --runs.
Both are bounded by the Python server on this loopback, so the ratio says whether Blackout's
downloader costs anything over curl's, not how fast either could go.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump import ROOT, blackout_binary  # noqa: E402
from memory import benchdata_binary  # noqa: E402

JINX = os.path.join(ROOT, "..", "shared", "data", "mrt", "routeviews", "routeviews.route-views.jinx.ribs.1401487200.bz2")


def timed(argv):
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=60)
    ap.add_argument("--blackout", default=None)
    ap.add_argument("--benchdata", default=None)
    args = ap.parse_args()
    if shutil.which("curl") is None:
        sys.exit("needs curl (apt-get install -y curl)")
    blackout = blackout_binary(args)
    benchdata = benchdata_binary(args)
    work = tempfile.mkdtemp(prefix="blackout-fetch-bench-")
    try:
        root = os.path.join(work, "archive")
        subprocess.run([benchdata, "kp2014", "--out", root], check=True, stderr=subprocess.DEVNULL)
        big = os.path.join(root, "route-views2", "bgpdata", "2014.12", "RIBS", "rib.20141222.1200.bz2")
        os.remove(big)
        with open(JINX, "rb") as f:
            one = f.read()
        with open(big, "wb") as f:
            for _ in range(args.copies):
                f.write(one)
        log = os.path.join(work, "server.log")
        server = subprocess.Popen([sys.executable, "-u", os.path.join(ROOT, "Tests", "Servers", "archive_server.py"), root,
                                   "--log", log], stdout=subprocess.PIPE)
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        try:
            dest = os.path.join(work, "dest")
            fetch = [blackout, "fetch", "--collector", "route-views2,rrc00", "--from", "2014-12-22T12:00Z",
                     "--to", "2014-12-22T18:00Z", "--routeviews-url", url, "--ris-url", url, "--dest", dest, "--quiet"]
            listing = subprocess.run(fetch, check=True, capture_output=True, text=True).stdout.split()
            rels = [p[len(dest) + 1:] for p in listing]
            # route-views2 is served at the top of RouteViews' archive.
            urls = [f"{url}/{r[len('route-views2/'):] if r.startswith('route-views2/') else r}" for r in rels]
            size = sum(os.path.getsize(p) for p in listing)
            curl = ["curl", "--silent", "--fail", "--parallel", "--parallel-max", "4", "--create-dirs"]
            for u, r in zip(urls, rels):
                curl += ["-o", os.path.join(work, "curl", r), u]
            best = {"blackout fetch": 1e9, "curl --parallel": 1e9}
            for _ in range(args.runs):
                shutil.rmtree(dest, ignore_errors=True)
                best["blackout fetch"] = min(best["blackout fetch"], timed(fetch))
                shutil.rmtree(os.path.join(work, "curl"), ignore_errors=True)
                best["curl --parallel"] = min(best["curl --parallel"], timed(curl))
            for a, b in zip(listing, [os.path.join(work, "curl", r) for r in rels]):
                with open(a, "rb") as x, open(b, "rb") as y:
                    if x.read() != y.read():
                        sys.exit(f"{a} differs from curl's copy")
        finally:
            server.kill()
        mib = size / 1048576
        print(f"{len(listing)} files, {mib:.1f} MiB, best of {args.runs}")
        for name, t in best.items():
            print(f"  {name:16s} {t:6.2f} s  {mib / t:7.1f} MiB/s")
        print(f"ratio blackout/curl: {best['blackout fetch'] / best['curl --parallel']:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

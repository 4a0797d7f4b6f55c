#!/usr/bin/env python3
"""Times `blackout dump` against its peers in one run and prints the ratios.

    python3 Benchmarks/dump.py [--runs N] [--blackout PATH]

Peers run in the same invocation, alternating with Blackout, and each side's best wall
time of N runs is compared, because these machines are shared and absolute times wander.
Peak memory is each process's own maximum resident set (wait4's ru_maxrss).

Targets (issues 2 and 9):
  full RIB, decompressed           blackout at least 25x faster than bgpdump -m (decoded on every
                                   core), and at least 10x with --threads 1 (sequential)
  full RIB, .bz2                   blackout at most 1.25x the time of bzcat > /dev/null
  et-header updates, decompressed  blackout at least 5x faster than bgpdump -m
  --count on the decompressed RIB  at least 3 million elements/s, peak memory under 64 MB
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "mrt")
RIB = os.path.join(DATA, "routeviews", "routeviews.route-views.jinx.ribs.1401487200.bz2")
ET = os.path.join(DATA, "ripe-bgpdump", "test_data", "updates.et-header.2015.gz")


def run(argv, stdout=subprocess.DEVNULL):
    """Wall time and peak RSS (KiB) of one run."""
    devnull = open(os.devnull, "wb")
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=devnull)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0,):
        sys.exit(f"{' '.join(argv)} exited {p.returncode}")
    return elapsed, usage.ru_maxrss


def best(argvs, runs):
    """Runs each command `runs` times, interleaved; returns (best time, peak RSS) per command."""
    results = [[] for _ in argvs]
    for _ in range(runs):
        for i, argv in enumerate(argvs):
            results[i].append(run(argv))
    return [(min(t for t, _ in r), max(m for _, m in r)) for r in results]


def arguments(doc):
    """--runs and --blackout, shared by the benchmark scripts."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--blackout", default=None, help="binary (default: build release and use it)")
    return ap.parse_args()


def blackout_binary(args):
    """The binary given with --blackout, or a release build of this checkout."""
    if args.blackout is not None:
        return args.blackout
    subprocess.run(["swift", "build", "-c", "release", "--product", "blackout"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", "blackout")


def main():
    args = arguments(__doc__)

    for tool in ("bgpdump", "bzcat"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install -y bgpdump bzip2)")
    if not os.path.exists(RIB):
        sys.exit(f"missing {RIB}: ../shared/data must be beside the checkout")
    blackout = blackout_binary(args)

    tmp = tempfile.mkdtemp(prefix="blackout-bench-")
    try:
        rib = os.path.join(tmp, "rib.mrt")
        et = os.path.join(tmp, "et.mrt")
        with open(rib, "wb") as f:
            subprocess.run(["bzcat", RIB], stdout=f, check=True)
        with open(et, "wb") as f:
            subprocess.run(["gzip", "-dc", ET], stdout=f, check=True)
        count = int(subprocess.run([blackout, "dump", "--count", rib], capture_output=True, check=True).stdout)

        rows = []
        (bd, _), (ours, ours_mem), (seq, seq_mem) = best(
            [["bgpdump", "-m", rib], [blackout, "dump", rib], [blackout, "dump", "--threads", "1", rib]], args.runs)
        rows.append((f"full RIB (32.6 MB raw) vs bgpdump -m, {os.cpu_count()} threads", f"bgpdump {bd:.3f}s",
                     f"blackout {ours:.3f}s", f"{bd / ours:.1f}x faster (25x)", bd / ours >= 25,
                     f"peak {ours_mem // 1024} MB"))
        rows.append(("full RIB (32.6 MB raw) vs bgpdump -m, --threads 1", f"bgpdump {bd:.3f}s",
                     f"blackout {seq:.3f}s", f"{bd / seq:.1f}x faster (10x)", bd / seq >= 10,
                     f"peak {seq_mem // 1024} MB"))
        (bz, _), (ours_bz, ours_bz_mem) = best([["bzcat", RIB], [blackout, "dump", RIB]], args.runs)
        rows.append(("full RIB .bz2 vs bzcat > /dev/null", f"bzcat {bz:.3f}s", f"blackout {ours_bz:.3f}s",
                     f"{ours_bz / bz:.2f}x bzcat's time (1.25x)", ours_bz / bz <= 1.25, f"peak {ours_bz_mem // 1024} MB"))
        (bde, _), (ours_e, _) = best([["bgpdump", "-m", et], [blackout, "dump", et]], args.runs)
        rows.append(("updates.et-header.2015 (577,744 elements) vs bgpdump -m", f"bgpdump {bde:.3f}s",
                     f"blackout {ours_e:.3f}s", f"{bde / ours_e:.1f}x faster (5x)", bde / ours_e >= 5, ""))
        [(c, c_mem)] = best([[blackout, "dump", "--count", rib]], args.runs)
        rate = count / c
        rows.append((f"--count on the RIB ({count:,} elements)", "", f"blackout {c:.3f}s",
                     f"{rate / 1e6:.2f} M elements/s (3 M/s, < 64 MB)", rate >= 3e6 and c_mem < 64 * 1024,
                     f"peak {c_mem / 1024:.1f} MB"))

        print(f"best of {args.runs} runs, {os.cpu_count()} cores")
        for name, peer, mine, ratio, ok, extra in rows:
            print(f"{'PASS' if ok else 'MISS'}  {name:58} {peer:>17} {mine:>18}  {ratio:>28}  {extra}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times the census of the full jinx RIB against bzcat in one run and prints the ratio.

    python3 Benchmarks/census.py [--runs N] [--blackout PATH]

Targets (issue 3): `blackout countries` on the .bz2 RIB with all registry files at most
1.5x the time of `bzcat FILE > /dev/null`, peak memory under 300 MB; loading the registry
from its compiled cache under 200 ms; mapping every prefix of the RIB to its country under
10% of the census time (the lookups are timed again, alone, by `--timing`).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump import arguments, blackout_binary, ROOT, RIB, best  # noqa: E402

REGISTRY = os.path.join(os.path.dirname(ROOT), "shared", "data", "registry")


def main():
    args = arguments(__doc__)
    blackout = blackout_binary(args)
    census = [blackout, "countries", "--rib", RIB, "--registry", REGISTRY, "-q"]
    subprocess.run(census, check=True, stdout=subprocess.DEVNULL)  # builds the registry cache
    (bz, _), (ours, mem) = best([["bzcat", RIB], census], args.runs)
    timing = subprocess.run(census + ["--timing"], capture_output=True, text=True, check=True).stderr
    registry = re.search(r"registry ([0-9.]+) s, cache: true", timing)
    mapping = re.search(r"mapping all ([0-9]+) prefixes to countries: ([0-9.]+) s", timing)
    ok_time = ours / bz <= 1.5
    print(f"best of {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'PASS' if ok_time else 'MISS'}  census of the jinx RIB (.bz2, all registry files) vs bzcat: "
          f"bzcat {bz:.3f}s, blackout {ours:.3f}s = {ours / bz:.2f}x bzcat's time (target <= 1.5x)")
    print(f"{'PASS' if mem < 300 * 1024 else 'MISS'}  peak memory {mem / 1024:.0f} MB (target < 300 MB)")
    if registry:
        r = float(registry.group(1))
        print(f"{'PASS' if r < 0.2 else 'MISS'}  registry from its compiled cache: {r * 1000:.0f} ms (target < 200 ms)")
    if mapping:
        n, m = int(mapping.group(1)), float(mapping.group(2))
        print(f"{'PASS' if m < 0.1 * ours else 'MISS'}  mapping all {n:,} prefixes to countries: {m * 1000:.0f} ms = "
              f"{100 * m / ours:.1f}% of the census time (target < 10%)")


if __name__ == "__main__":
    main()

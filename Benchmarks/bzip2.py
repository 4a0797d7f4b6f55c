#!/usr/bin/env python3
"""Times reading the jinx RIB from its .bz2 against lbzip2 and bzcat in one run and prints the ratios.

    python3 Benchmarks/bzip2.py [--runs N] [--blackout PATH]

Peers run in the same invocation, interleaved with Blackout, and each side's best wall time
of N runs is compared (these machines are shared). Peak memory is wait4's ru_maxrss.

Targets (issue 9, goal 3: bzip2 blocks decoded on every core):
  dump --count on the .bz2 RIB    at most 1.25x `lbzip2 -d -c -n 2 FILE > /dev/null`, peak memory under 64 MB
  the census of the .bz2 RIB      at most 1.0x `bzcat FILE > /dev/null`
The dump is also compared with bzcat, for reference.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump import arguments, best, blackout_binary, RIB, ROOT  # noqa: E402

REGISTRY = os.path.join(os.path.dirname(ROOT), "shared", "data", "registry")


def main():
    args = arguments(__doc__)
    for tool, package in (("lbzip2", "lbzip2"), ("bzcat", "bzip2")):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install -y {package})")
    if not os.path.exists(RIB):
        sys.exit(f"missing {RIB}: ../shared/data must be beside the checkout")
    blackout = blackout_binary(args)
    count = [blackout, "dump", "--count", RIB]
    census = [blackout, "countries", "--rib", RIB, "--registry", REGISTRY, "-q"]
    lbzip2 = ["lbzip2", "-d", "-c", "-n", "2", RIB]
    bzcat = ["bzcat", RIB]
    best([census], 1)  # builds the registry cache

    (lb, _), (bz, _), (ours, mem), (cen, cen_mem) = best([lbzip2, bzcat, count, census], args.runs)
    print(f"best of {args.runs} runs, {os.cpu_count()} cores; lbzip2 -n 2 {lb:.3f}s, bzcat {bz:.3f}s")
    rows = [
        ("dump --count vs lbzip2 -d -c -n 2", ours, ours / lb, ours / lb <= 1.25 and mem < 64 * 1024,
         f"(target <= 1.25x, peak {mem / 1024:.1f} MB < 64 MB)"),
        ("dump --count vs bzcat", ours, ours / bz, True, "(reference)"),
        ("census (countries --rib) vs bzcat", cen, cen / bz, cen / bz <= 1.0, f"(target <= 1.0x, peak {cen_mem / 1024:.0f} MB)"),
    ]
    for name, t, ratio, ok, note in rows:
        print(f"{'PASS' if ok else 'MISS'}  {name:36} blackout {t:.3f}s = {ratio:.2f}x  {note}")


if __name__ == "__main__":
    main()

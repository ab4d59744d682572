#!/usr/bin/env python3
"""Windows per second while thousands of problems are open at once (issue 29's last gap).

Every window opens a problem of its own and none resolves, so the open problems grow to
`--windows`: each window is a file the reference's columns are missing from, a CRITICAL
`window_error` problem of its own (a window that cannot be used neither updates nor resolves the
other problems). It runs `watch DIR --once --history` over the directory, timestamps each
window's JSON line as it arrives, and reports windows per second over the whole run and over the
last `--tail` windows (when about `--windows` problems are open), with what the history holds at
the end. Not a timed test: it reports figures. Needs only the Python standard library.

    python3 benches/open_incidents.py --binary target/release/ml-monitor --windows 3000

Before each window wrote only the problems it changed, every window rewrote every open one:
18.2 windows/s over 3,000 windows, 10.0 over the last 500 (docs/history.md has the figures).
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from soak import window_csv, workload_root  # noqa: E402  (the same reference as the soak benchmark)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/ml-monitor")
    ap.add_argument("--windows", type=int, default=3000)
    ap.add_argument("--tail", type=int, default=500)
    ap.add_argument("--keep", action="store_true", help="keep the directory and print it")
    args = ap.parse_args()

    root, windows, reference = workload_root("ml-monitor-open-")
    for i in range(args.windows):
        with open(os.path.join(windows, f"w{i:06d}.csv"), "w") as f:
            f.write(f"a,b\n{i},2\n")
    history = os.path.join(root, "history.sqlite")
    command = [args.binary, "watch", windows, "--reference", reference, "--once",
               "--history", history]
    print("$ " + " ".join(command), flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    arrivals = []
    for _ in proc.stdout:
        arrivals.append(time.monotonic())
    proc.wait()
    took = time.monotonic() - start
    if proc.returncode not in (0, 3, 4):
        sys.exit(f"monitor exited with {proc.returncode}")
    with sqlite3.connect(history) as db:
        firing = db.execute("SELECT count(*) FROM incidents WHERE status = 'firing'").fetchone()
        results = db.execute("SELECT count(*) FROM results").fetchone()
    n = len(arrivals)
    print(f"windows {n} in {took:.1f} s: {n / took:.1f} windows/s; "
          f"history: {results[0]} results, {firing[0]} firing problems")
    if n > args.tail:
        tail = arrivals[-1] - arrivals[-1 - args.tail]
        print(f"last {args.tail} windows ({n - args.tail}..{n} problems open) in {tail:.2f} s: "
              f"{args.tail / tail:.1f} windows/s")
    if args.keep:
        print(root)
    else:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The run length between false pages against the configured one, through the release binary.

    cargo build --release
    python3 benches/paging_run_length.py [--bin target/release/ml-monitor] [--refs 200]
        [--windows 100] [--every 50,200,1000,2000] [--jobs 1]

For each of --refs fresh references (seeded 1000 + r, the data of `measure_paging.py`'s clean
scenario: 5,000 rows of 20 features, normal, lognormal, uniform and 7-valued integers), --windows
clean windows of 2,000 rows are written (Parquet when pyarrow is installed, which is five times
faster to write than CSV; CSV otherwise) and run through `watch --once --format json` once per
configured `[paging] false_page_every`. A page is a problem opened or re-opened: an `"opened"`
change in a window's `"incidents"` (what a sink gets first; `measure_paging.py` checks the same
through a webhook receiver). Prints every 10 references, per configured value, the pages, the measured run length
(windows / pages) and its ratio to the configured one, pooled over the references, and the
pages' spread over references (a reference sample that happens to be unusual pages more often
against every window: counts are over-dispersed, so the ratio's noise is larger than Poisson's).

Thousands of windows are needed: at false_page_every = 2000, 20,000 windows hold about 10 pages.
Needs numpy and pandas (pyarrow optional).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure_paging import sample, write  # noqa: E402

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:  # CSV is slower to write, and as good
    pa = None


def write_window(df, path_base):
    if pa is None:
        write(df, path_base + ".csv")
    else:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path_base + ".parquet")


def pages_in(stdout):
    windows = pages = 0
    for line in stdout.splitlines():
        if not line.strip():
            continue
        windows += 1
        result = json.loads(line)
        pages += sum(1 for c in result.get("incidents", []) if c.get("change") == "opened")
    return windows, pages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/ml-monitor")
    ap.add_argument("--refs", type=int, default=200)
    ap.add_argument("--windows", type=int, default=100)
    ap.add_argument("--every", default="50,200,1000,2000")
    ap.add_argument("--first-ref", type=int, default=0)
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    every = [int(x) for x in args.every.split(",")]
    windows = {n: 0 for n in every}
    pages = {n: [] for n in every}
    work = tempfile.mkdtemp(prefix="paging-run-length-")
    try:
        for r in range(args.first_ref, args.first_ref + args.refs):
            rng = np.random.default_rng(1000 + r)
            d = os.path.join(work, f"r{r}")
            os.makedirs(os.path.join(d, "w"))
            write(sample(rng, 5000), os.path.join(d, "ref.csv"))
            for i in range(args.windows):
                write_window(sample(rng, 2000), os.path.join(d, "w", f"w{i:04d}"))
            for n in every:
                config = os.path.join(d, f"c{n}.toml")
                with open(config, "w") as fh:
                    fh.write(f"[paging]\nfalse_page_every = {n}\n")
                history = os.path.join(d, f"h{n}.sqlite")
                out = subprocess.run(
                    [binary, "watch", os.path.join(d, "w"), "--reference",
                     os.path.join(d, "ref.csv"), "--config", config, "--history", history,
                     "--once", "--format", "json"],
                    capture_output=True, text=True)
                if out.returncode not in (0, 3, 4):
                    sys.exit(f"reference {r}: exit {out.returncode}: {out.stderr[-2000:]}")
                w, p = pages_in(out.stdout)
                windows[n] += w
                pages[n].append(p)
            shutil.rmtree(d)
            done = r - args.first_ref + 1
            if done % 10 == 0 or done == args.refs:
                table(done, args.windows, every, windows, pages)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(refs, per_ref, every, windows, pages):
    """The pooled table so far (printed every 10 references: a long run can be stopped)."""
    print(f"{refs} references x {per_ref} clean windows of 2,000 rows")
    print("| false_page_every | windows | pages | run length | ratio | references with 0 / 1 / 2+ pages |")
    print("|---:|---:|---:|---:|---:|---|")
    for n in every:
        total = sum(pages[n])
        run = windows[n] / total if total else float("inf")
        spread = (sum(1 for p in pages[n] if p == 0), sum(1 for p in pages[n] if p == 1),
                  sum(1 for p in pages[n] if p >= 2))
        print(f"| {n} | {windows[n]} | {total} | {run:.0f} | {run / n:.2f} | "
              f"{spread[0]} / {spread[1]} / {spread[2]} |", flush=True)

if __name__ == "__main__":
    main()

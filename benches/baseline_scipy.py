#!/usr/bin/env python3
"""The Python baseline: what a Python user runs for the figures `ml-monitor watch FILE --once`
prints, timed as a whole process by `benches/compare_once.py --python benches/baseline_scipy.py`.

pandas reads DIR/reference.csv and DIR/current.csv; then, per numeric feature (columns named
f0, f1, ...), `scipy.stats.ks_2samp(reference, current)` (two-sided, method 'auto') and PSI on the
reference's deciles as ml-monitor defines it (docs/statistics.md): inner edges
`numpy.quantile(reference, k / 10)`, equal edges merged, a value on an edge in the bin to its
right, shares floored at 1e-4, PSI = sum((c - r) * ln(c / r)).

    python3 benches/baseline_scipy.py --data DIR [--dump results.csv]

prints one line `BENCH {"import_s": ..., "read_s": ..., "compute_s": ...}`; `--dump` writes the
per-feature figures, to compare with ml-monitor's JSON. Needs numpy, scipy and pandas
(`pip install numpy scipy pandas`).
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402
from scipy.stats import ks_2samp  # noqa: E402

T_IMPORTED = time.perf_counter()


def psi(reference, current, bins=10, floor=1e-4):
    edges = np.unique(np.quantile(reference, np.arange(1, bins) / bins))
    r = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1)
    c = np.bincount(np.searchsorted(edges, current, side="right"), minlength=edges.size + 1)
    r = np.maximum(r / reference.size, floor)
    c = np.maximum(c / current.size, floor)
    return float(np.sum((c - r) * np.log(c / r)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="directory with reference.csv and current.csv")
    parser.add_argument("--dump", help="write per-feature results to this CSV")
    args = parser.parse_args()

    t0 = time.perf_counter()
    reference = pd.read_csv(os.path.join(args.data, "reference.csv"))
    current = pd.read_csv(os.path.join(args.data, "current.csv"))
    read_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    rows = []
    for name in [c for c in reference.columns if c.startswith("f") and c[1:].isdigit()]:
        a = reference[name].dropna().to_numpy(dtype=np.float64)
        b = current[name].dropna().to_numpy(dtype=np.float64)
        ks = ks_2samp(a, b)
        rows.append(dict(feature=name, ks_stat=float(ks.statistic), ks_pvalue=float(ks.pvalue),
                         psi=psi(a, b)))
    compute_s = time.perf_counter() - t0

    print("BENCH " + json.dumps(dict(
        import_s=round(T_IMPORTED - T_START, 4), read_s=round(read_s, 4),
        compute_s=round(compute_s, 4), n_features=len(rows),
        versions=dict(scipy=scipy.__version__, numpy=np.__version__, pandas=pd.__version__))),
        flush=True)
    if args.dump and rows:
        with open(args.dump, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""False-alarm and detection rates of drift detector sets, measured through the release binary.

For each of R references (fresh no-drift samples, 5,000 rows) and each window size (500 and
5,000 rows), one directory holds W no-drift windows and W_DRIFT windows of each drift scenario;
the binary runs once per directory and configuration (`watch DIR --once`), with every detector
on, so each detector set's verdict is read off the same windows: a set alarms on a window when
any of its detectors shows drift in that window (`window_drift`). Two configurations: the
discrete rule off (`discrete_max_values = 0`, every numeric feature gets the continuous test) and
on (`discrete_max_values = 10`).

Data (numpy, seeded): f_loc, f_scale, f_tail ~ N(0, 1); f_disc ~ Binomial(8, 0.3) (9 values);
f_c1, f_c2 ~ N(0, 1) with correlation 0.8; cat in {a, b, c} with shares 0.5/0.3/0.2.
Scenarios (one feature changes, the rest are fresh no-drift samples):
  none        no change
  location    f_loc + 0.1
  scale       f_scale x 1.15
  tail        f_tail ~ t(4) / sqrt(2) (same variance, heavier tails)
  discrete    f_disc ~ Binomial(8, 0.32)
  correlated  corr(f_c1, f_c2) 0.8 -> 0.5, marginals unchanged
  category    cat gains a new category "d" with share 0.03 (taken from "a")

    python3 benches/measure_detectors.py --bin target/release/ml-monitor [--refs 20 --windows 50]

Prints, per window size, the pooled false-alarm rate (windows of "none" that alarm) and the
detection rate per scenario for every detector set. Needs numpy and pandas.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

SCENARIOS = ["none", "location", "scale", "tail", "discrete", "correlated", "category"]
DETECTORS = ["ks", "ad", "cvm", "wasserstein", "psi", "chi2", "pca"]
# name -> (discrete rule on?, detectors)
SETS = {
    "ks+chi2 (today's KS, Bonferroni)": (False, ["ks", "chi2"]),
    "ks+psi+chi2 (today's default)": (False, ["ks", "psi", "chi2"]),
    "ad+chi2": (False, ["ad", "chi2"]),
    "cvm+chi2": (False, ["cvm", "chi2"]),
    "wasserstein+chi2": (False, ["wasserstein", "chi2"]),
    "ks+chi2, discrete": (True, ["ks", "chi2"]),
    "ad+chi2, discrete": (True, ["ad", "chi2"]),
    "cvm+chi2, discrete": (True, ["cvm", "chi2"]),
    "pca": (False, ["pca"]),
    "ks+chi2+pca, discrete": (True, ["ks", "chi2", "pca"]),
    "ad+chi2+pca, discrete": (True, ["ad", "chi2", "pca"]),
    "cvm+chi2+pca, discrete": (True, ["cvm", "chi2", "pca"]),
    "ad+psi+chi2+pca, discrete": (True, ["ad", "psi", "chi2", "pca"]),
    "ks+psi+chi2+pca, discrete": (True, ["ks", "psi", "chi2", "pca"]),
}


def sample(rng, n, scenario):
    z1 = rng.normal(size=n)
    corr = 0.5 if scenario == "correlated" else 0.8
    z2 = corr * z1 + np.sqrt(1 - corr * corr) * rng.normal(size=n)
    cats, shares = ["a", "b", "c"], [0.5, 0.3, 0.2]
    if scenario == "category":
        cats, shares = ["a", "b", "c", "d"], [0.47, 0.3, 0.2, 0.03]
    return pd.DataFrame({
        "f_loc": rng.normal(0.1 if scenario == "location" else 0.0, 1.0, size=n),
        "f_scale": rng.normal(0.0, 1.15 if scenario == "scale" else 1.0, size=n),
        "f_tail": rng.standard_t(4, size=n) / np.sqrt(2.0) if scenario == "tail" else rng.normal(size=n),
        "f_disc": rng.binomial(8, 0.32 if scenario == "discrete" else 0.3, size=n).astype(float),
        "f_c1": z1,
        "f_c2": z2,
        "cat": rng.choice(cats, p=shares, size=n),
    })


def write(df, path):
    df.to_csv(path, index=False, float_format="%.5f")


def config(path, discrete, alpha=0.05):
    with open(path, "w") as fh:
        fh.write("[drift]\ndetectors = [%s]\n" % ", ".join(f'"{d}"' for d in DETECTORS))
        fh.write(f"[drift.statistical]\ndiscrete_max_values = {10 if discrete else 0}\n")
        fh.write(f"alpha = {alpha}\n")


def run(binary, directory, reference, cfg):
    out = subprocess.run(
        [binary, "watch", directory, "--once", "-r", reference, "-c", cfg, "--no-history",
         "--format", "json"],
        capture_output=True, text=True)
    if out.returncode not in (0, 1, 2, 3):
        sys.exit(f"ml-monitor failed ({out.returncode}): {out.stderr.strip()}")
    verdicts = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        verdicts[os.path.basename(r["window"])] = {
            d: bool(r["drift"].get(d, {}).get("window_drift", False)) for d in DETECTORS}
    return verdicts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--refs", type=int, default=20)
    ap.add_argument("--windows", type=int, default=50, help="no-drift windows per reference")
    ap.add_argument("--drift-windows", type=int, default=10, help="windows per drift scenario per reference")
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--alpha", type=float, default=0.05, help="drift.statistical.alpha")
    ap.add_argument("--save", help="also write every window's per-detector verdicts here (JSON)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    # counts[size][discrete][scenario] = list of per-window verdict dicts
    verdicts = {s: {False: {sc: [] for sc in SCENARIOS}, True: {sc: [] for sc in SCENARIOS}} for s in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        cfgs = {}
        for discrete in (False, True):
            cfgs[discrete] = os.path.join(tmp, f"config_{int(discrete)}.toml")
            config(cfgs[discrete], discrete, args.alpha)
        for r in range(args.refs):
            rng = np.random.default_rng([args.seed, r])
            ref_path = os.path.join(tmp, "reference.csv")
            write(sample(rng, 5000, "none"), ref_path)
            for size in sizes:
                wdir = os.path.join(tmp, f"w{size}")
                os.makedirs(wdir, exist_ok=True)
                for f in os.listdir(wdir):
                    os.remove(os.path.join(wdir, f))
                names = {}
                for sc in SCENARIOS:
                    count = args.windows if sc == "none" else args.drift_windows
                    for i in range(count):
                        name = f"{sc}_{i:03d}.csv"
                        write(sample(rng, size, sc), os.path.join(wdir, name))
                        names[name] = sc
                for discrete in (False, True):
                    got = run(args.bin, wdir, ref_path, cfgs[discrete])
                    for name, sc in names.items():
                        if name in got:
                            verdicts[size][discrete][sc].append(got[name])
            print(f"reference {r + 1}/{args.refs} done", file=sys.stderr)
    if args.save:
        with open(args.save, "w") as fh:
            json.dump({str(s): {str(d): v for d, v in by.items()} for s, by in verdicts.items()}, fh)
    for size in sizes:
        n_none = len(verdicts[size][False]["none"])
        n_drift = len(verdicts[size][False]["location"])
        print(f"\nwindow size {size}: {n_none} no-drift windows, {n_drift} per drift scenario "
              f"({args.refs} references), alpha {args.alpha}; rates in %")
        header = "| detector set | false alarms | " + " | ".join(SCENARIOS[1:]) + " |"
        print(header)
        print("|" + "---|" * (len(SCENARIOS) + 1))
        for name, (discrete, dets) in SETS.items():
            rates = []
            for sc in SCENARIOS:
                ws = verdicts[size][discrete][sc]
                alarms = sum(any(w[d] for d in dets) for w in ws)
                rates.append(100.0 * alarms / max(len(ws), 1))
            print(f"| {name} | " + " | ".join(f"{x:.1f}" for x in rates) + " |")


if __name__ == "__main__":
    main()

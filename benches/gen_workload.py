#!/usr/bin/env python3
"""Writes the seeded benchmark workload: DIR/reference.csv and DIR/current.csv.

Each file has N rows of numeric features f0..f{F-1}, a `prediction` (a fixed logistic function
of the standardised features) and a `target` drawn from Bernoulli(prediction). Feature i has
kind i % 5:

    0 normal      N(mu, sd)
    1 lognormal   scale * LogNormal(0, sigma)
    2 uniform     U(lo, hi)
    3 poisson     Poisson(lam)                      integer-valued: many ties
    4 ordinal     clip(round(N(m, s)), 0, 10)       integer-valued: many ties

In current.csv the first round(F / 4) features drift: f0 is spread 1.5 times wider about its
mean, the others move by half a standard deviation (for poisson through lambda, for ordinal
through the latent mean). The per-feature parameters come from a fixed seed, so every --seed
has the same columns; --seed S samples the reference with S and the current file with S + 1.
DIR/truth.json records the parameters and which features drift.

    python3 benches/gen_workload.py --rows 100000 --features 20 --out /tmp/wl --seed 42

`--parquet` also writes DIR/reference.parquet and DIR/current.parquet (pyarrow, snappy, one
row group per 200,000 rows) and `--gzip` DIR/reference.csv.gz and DIR/current.csv.gz: the same
values as the CSV files (pandas writes each double's shortest round-trip text), for
`compare_once.py --formats`. Those need pyarrow (`pip install pyarrow`).

Needs numpy and pandas (`pip install numpy pandas`). The figures in docs/ (formats, detectors,
development) use 100,000 x 20.
"""
import argparse
import json
import os

import numpy as np
import pandas as pd

PARAMETER_SEED = 20240601
KINDS = ("normal", "lognormal", "uniform", "poisson", "ordinal")
CHUNK_ROWS = 200_000  # rows generated and written at a time, to bound memory


def parameters(n_features):
    """Per-feature distributions (with their mean and std) and the logistic weights."""
    rng = np.random.default_rng(PARAMETER_SEED)
    out = []
    for i in range(n_features):
        kind = KINDS[i % len(KINDS)]
        if kind == "normal":
            mu, sd = float(rng.uniform(-5, 5)), float(rng.uniform(0.5, 3))
            p = dict(mu=mu, sd=sd, mean=mu, std=sd)
        elif kind == "lognormal":
            sigma, scale = float(rng.uniform(0.3, 1.0)), float(rng.uniform(1, 20))
            variance = scale**2 * (np.exp(sigma**2) - 1) * np.exp(sigma**2)
            p = dict(sigma=sigma, scale=scale, mean=float(scale * np.exp(sigma**2 / 2)),
                     std=float(np.sqrt(variance)))
        elif kind == "uniform":
            lo = float(rng.uniform(-10, 0))
            hi = lo + float(rng.uniform(1, 20))
            p = dict(lo=lo, hi=hi, mean=(lo + hi) / 2, std=(hi - lo) / np.sqrt(12))
        elif kind == "poisson":
            lam = float(rng.uniform(2, 10))
            p = dict(lam=lam, mean=lam, std=float(np.sqrt(lam)))
        else:
            m, s = float(rng.uniform(3, 7)), float(rng.uniform(1, 2.5))
            p = dict(m=m, s=s, mean=m, std=s)
        p["kind"] = kind
        out.append(p)
    weights = rng.normal(0, 1, n_features) / np.sqrt(n_features) * 2.0
    return out, weights, -0.3


def drifting(n_features):
    k = int(round(0.25 * n_features))
    return {i: ("scale x1.5" if i == 0 else "mean +0.5sd") for i in range(k)}


def sample(rng, p, n, drift):
    shifted = drift == "mean +0.5sd"
    kind = p["kind"]
    if kind == "normal":
        x = rng.normal(p["mu"], p["sd"], n) + (0.5 * p["std"] if shifted else 0.0)
    elif kind == "lognormal":
        x = p["scale"] * rng.lognormal(0.0, p["sigma"], n) + (0.5 * p["std"] if shifted else 0.0)
    elif kind == "uniform":
        x = rng.uniform(p["lo"], p["hi"], n) + (0.5 * p["std"] if shifted else 0.0)
    elif kind == "poisson":
        lam = p["lam"] + (0.5 * np.sqrt(p["lam"]) if shifted else 0.0)
        x = rng.poisson(lam, n).astype(np.float64) + 0.0
    else:
        latent = p["m"] + (0.5 * p["s"] if shifted else 0.0)
        # + 0.0 turns the -0.0 that rounding gives into 0.0
        x = np.clip(np.round(rng.normal(latent, p["s"], n)), 0, 10) + 0.0
    if drift == "scale x1.5":
        x = p["mean"] + 1.5 * (x - p["mean"])
    return x


def write(path, rows, params, weights, bias, rng, drift, parquet=False, gz=False):
    n_features = len(params)
    writer = None
    zipped = None
    if gz:
        import gzip
        zipped = gzip.open(path + ".gz", "wt", compresslevel=6)
    names = [f"f{i}" for i in range(n_features)]
    means = np.array([p["mean"] for p in params])
    stds = np.array([p["std"] for p in params])
    written = 0
    while written < rows:
        m = min(CHUNK_ROWS, rows - written)
        x = np.column_stack([sample(rng, p, m, drift.get(i)) for i, p in enumerate(params)])
        prediction = 1.0 / (1.0 + np.exp(-(bias + ((x - means) / stds) @ weights)))
        frame = pd.DataFrame(x, columns=names)
        frame["prediction"] = prediction
        frame["target"] = (rng.random(m) < prediction).astype(np.int64)
        frame.to_csv(path, mode="w" if written == 0 else "a", header=written == 0, index=False)
        if zipped is not None:
            frame.to_csv(zipped, header=written == 0, index=False)
        if parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path[: -len(".csv")] + ".parquet", table.schema,
                                          compression="snappy")
            writer.write_table(table, row_group_size=CHUNK_ROWS)
        written += m
    if writer is not None:
        writer.close()
    if zipped is not None:
        zipped.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--parquet", action="store_true", help="also write .parquet twins")
    parser.add_argument("--gzip", action="store_true", help="also write .csv.gz twins")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    params, weights, bias = parameters(args.features)
    drift = drifting(args.features)
    write(os.path.join(args.out, "reference.csv"), args.rows, params, weights, bias,
          np.random.default_rng(args.seed), {}, args.parquet, args.gzip)
    write(os.path.join(args.out, "current.csv"), args.rows, params, weights, bias,
          np.random.default_rng(args.seed + 1), drift, args.parquet, args.gzip)
    with open(os.path.join(args.out, "truth.json"), "w") as fh:
        json.dump(dict(rows=args.rows, features=args.features, seed=args.seed,
                       drifted={f"f{i}": d for i, d in drift.items()},
                       params={f"f{i}": p for i, p in enumerate(params)}), fh, indent=1)
    print(f"wrote {args.out}: {args.rows} rows x {args.features} features")


if __name__ == "__main__":
    main()

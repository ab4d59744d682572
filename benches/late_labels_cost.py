#!/usr/bin/env python3
"""Cost of late labels (issue 26): what keeping ids and predictions adds to a 100,000-row
window's processing and to the history, and how long joining 1,000,000 labels takes.

Runs the release binary (`cargo build --release` first) twice over the same windows: without
`[columns] id` (the id column excluded) and with it; reads each run's processing time from
`--metrics-file` (ml_monitor_window_processing_seconds_sum) and the history's kept bytes, then
drops one label file of 1,000,000 shuffled rows and reads the join's "seconds" from its summary.

    python3 benches/late_labels_cost.py [--windows 10] [--rows 100000]
"""

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "ml-monitor")


FEATURES = 5


def write_csv(path, rows, seed, prefix, target):
    rng = random.Random(seed)
    with open(path, "w") as f:
        names = ",".join(f"x{k}" for k in range(FEATURES))
        f.write(f"id,{names},prediction" + (",target" if target else "") + "\n")
        for i in range(rows):
            xs = [rng.gauss(0, 1) for _ in range(FEATURES)]
            p = rng.random()
            line = f"{prefix}{i:07d}," + ",".join(f"{x:.5f}" for x in xs) + f",{p:.5f}"
            if target:
                line += f",{int(rng.random() < p)}"
            f.write(line + "\n")


def processing_sum(metrics):
    with open(metrics) as f:
        for line in f:
            if line.startswith("ml_monitor_window_processing_seconds_sum"):
                return float(line.split()[1])
    raise SystemExit("no processing time in " + metrics)


def run(root, data, config, history, metrics):
    out = subprocess.run(
        [BIN, "watch", data, "--reference", os.path.join(root, "reference.csv"),
         "--config", config, "--history", history, "--once", "--format", "json",
         "--metrics-file", metrics],
        capture_output=True, text=True)
    if out.returncode not in (0, 3, 4):
        raise SystemExit(out.stderr)
    return [json.loads(l) for l in out.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=10)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--features", type=int, default=5)
    ap.add_argument("--labels", type=int, default=1_000_000, help="rows of the label file")
    ap.add_argument("--tmp", default=None, help="where the data and histories go")
    args = ap.parse_args()
    global FEATURES
    FEATURES = args.features
    root = tempfile.mkdtemp(prefix="late-labels-cost-", dir=args.tmp)
    write_csv(os.path.join(root, "reference.csv"), 20_000, 1, "r", True)
    data = os.path.join(root, "data")
    os.mkdir(data)
    for w in range(args.windows):
        write_csv(os.path.join(data, f"w_{w:03d}.csv"), args.rows, 100 + w, f"w{w:03d}-", False)
    configs = {
        "without ids": '[columns]\nexclude = ["id"]\n',
        "with ids": '[columns]\nid = "id"\n',
    }
    times = {k: [] for k in configs}
    sizes = {}
    for rep in range(args.repeat):
        for name, text in configs.items():
            config = os.path.join(root, f"{rep}-{name}.toml".replace(" ", "_"))
            with open(config, "w") as f:
                f.write(text)
            history = config + ".sqlite"
            metrics = config + ".prom"
            run(root, data, config, history, metrics)
            times[name].append(processing_sum(metrics) / args.windows)
            db = sqlite3.connect(history)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            size = db.execute("PRAGMA page_size").fetchone()[0]
            kept = 0
            if name == "with ids":
                kept = db.execute("SELECT SUM(LENGTH(kept)) FROM kept_rows").fetchone()[0]
            sizes[name] = (pages * size, kept)
            db.close()
    rows = args.windows * args.rows
    for name in configs:
        best = min(times[name])
        print(f"{name}: per window {best * 1000:.1f} ms (best of {args.repeat}: "
              + ", ".join(f"{t * 1000:.1f}" for t in times[name]) + ")")
    overhead = min(times["with ids"]) / min(times["without ids"]) - 1
    print(f"keeping ids and predictions: {overhead * 100:+.1f} % per {args.rows}-row window")
    grown = sizes["with ids"][0] - sizes["without ids"][0]
    print(f"history: {sizes['without ids'][0]} -> {sizes['with ids'][0]} bytes, "
          f"{grown / rows:.1f} bytes per row (kept blobs {sizes['with ids'][1] / rows:.1f})")

    # Joining --labels labels (shuffled, over every window) into the last "with ids" history.
    rng = random.Random(9)
    ids = [f"w{w:03d}-{i:07d}" for w in range(args.windows) for i in range(args.rows)]
    rng.shuffle(ids)
    labels = os.path.join(data, "z.labels.csv")
    with open(labels, "w") as f:
        f.write("id,target\n")
        for i in ids[:args.labels]:
            f.write(f"{i},{rng.randint(0, 1)}\n")
    config = os.path.join(root, f"{args.repeat - 1}-with_ids.toml")
    lines = run(root, data, config, config + ".sqlite", config + ".prom")
    summary = [l for l in lines if l.get("labels") == "z.labels.csv" and "window" not in l]
    if not summary:
        raise SystemExit(f"no summary: {lines[-1:]}")
    s = summary[0]
    print(f"joining {s['label_rows']} labels: {s['seconds']:.3f} s "
          f"(matched {s['matched']}, windows {len(s['windows'])}; read, join, metrics, record)")
    os.remove(labels)


if __name__ == "__main__":
    sys.exit(main())

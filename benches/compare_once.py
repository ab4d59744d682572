#!/usr/bin/env python3
"""Whole-process timing of `watch FILE --once`, several builds interleaved.

This machine is shared and its speed drifts by 10-20 % within minutes, so timing one build for
a minute and then another compares the minutes as much as the builds. Here every round runs each
command once, in a fresh random order, and the report gives each command's median next to the
median of its paired differences from the first command (same round): the drift cancels.

`--gap S` sleeps S seconds before every run. A user runs the one-shot command once, not fifty
times back to back, and some effects only show spaced out (on this VM, memory the process freed
is handed back to the host after about two seconds: transparent huge pages looked 15 % faster
back to back and were twice as slow with a 3 s gap).

    python3 benches/compare_once.py --data DIR target/release/ml-monitor /tmp/old-ml-monitor
    python3 benches/compare_once.py --data DIR --python benches/baseline_scipy.py BIN

DIR holds reference.csv and current.csv (`benches/gen_workload.py --out DIR`). A binary given
as `BIN@CONFIG` runs with `--config CONFIG`, so one build compares configurations (for example
one detector set against another):

    python3 benches/compare_once.py --data DIR BIN@old-defaults.toml BIN

`--formats csv,parquet,csv.gz` times each build on DIR/reference.EXT and DIR/current.EXT in each
format (`gen_workload.py --parquet --gzip` writes them); the baseline is the first build on the
first format. `--memory` first runs each command once under `/usr/bin/time -v` and prints its
peak resident memory.

    python3 benches/compare_once.py --data DIR --formats csv,parquet --memory target/release/ml-monitor
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binaries", nargs="+", help="ml-monitor builds; the first is the baseline")
    parser.add_argument("--data", required=True, help="directory with reference.csv and current.csv")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.0, help="seconds to sleep before each run")
    parser.add_argument("--python", help="also time this anchor script (pandas + scipy)")
    parser.add_argument("--formats", default="csv", help="comma-separated: csv, parquet, csv.gz")
    parser.add_argument("--memory", action="store_true", help="print each command's peak RSS")
    args = parser.parse_args()

    commands = {}
    for ext in args.formats.split(","):
        current = os.path.join(args.data, f"current.{ext}")
        reference = os.path.join(args.data, f"reference.{ext}")
        for i, spec in enumerate(args.binaries):
            binary, _, config = spec.partition("@")
            command = [binary, "watch", current, "--reference", reference, "--once"]
            name = f"{i}:{os.path.basename(binary)}"
            if config:
                command += ["--config", config]
                name += f"@{os.path.basename(config)}"
            if args.formats != "csv":
                name += f" {ext}"
            commands[name] = command
    if args.python:
        commands["python"] = [sys.executable, args.python, "--data", args.data]

    def run(command):
        start = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        # 0 / 3 / 4 are the monitor's alert statuses; anything else is a failure.
        if done.returncode not in (0, 3, 4):
            sys.exit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()}")
        return elapsed

    for command in commands.values():  # warm the page cache
        run(command)
    if args.memory:
        for name, command in commands.items():
            done = subprocess.run(["/usr/bin/time", "-v"] + command, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            peak = next((line.split(":")[1].strip() for line in done.stderr.splitlines()
                         if "Maximum resident set size" in line), "?")
            wall = next((line.split("):")[1].strip() for line in done.stderr.splitlines()
                         if "Elapsed (wall clock)" in line), "?")
            print(f"{name:28s} peak RSS {peak} kB  wall {wall}")
    times = {name: [] for name in commands}
    for _ in range(args.rounds):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            if args.gap:
                time.sleep(args.gap)
            times[name].append(run(commands[name]))

    baseline = times[next(iter(commands))]
    print(f"{args.rounds} rounds, gap {args.gap} s")
    for name, ts in times.items():
        paired = [t - b for t, b in zip(ts, baseline)]
        print(
            f"{name:28s} median {statistics.median(ts) * 1e3:7.1f} ms  "
            f"mean {statistics.mean(ts) * 1e3:7.1f}  min {min(ts) * 1e3:7.1f}  "
            f"paired vs baseline: median {statistics.median(paired) * 1e3:+7.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

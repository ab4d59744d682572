#!/usr/bin/env python3
"""Pages, through the release binary and a local webhook receiver: false pages, delays, problems.

One command:

    cargo build --release
    python3 benches/measure_paging.py [--bin target/release/ml-monitor] [--out /tmp/paging]
        [--refs 10 --windows 100 --streams 10 --big-rows 200000]

Every run is `ml-monitor watch DIR --reference REF --config C --history H --once --format json`
with a webhook sink pointing at a receiver this script starts on 127.0.0.1; a page is a
problem's opening (a re-opening included) that reached the receiver: its `opened` notification,
or its later one when the sender coalesced them (see `pages_of`); `updated`, `escalated` and
`resolved` are not further pages.

Data (numpy, seeded): 20 features -- f00..f04 ~ N(0, 1), f05..f09 lognormal(0, 0.5),
f10..f14 ~ U(0, 1), f15..f19 ~ Binomial(6, 0.4) (7-valued integers) -- plus a score
`prediction` = sigmoid(1.5 f00 + 1.5 f10' + noise) and a label `target` drawn from it.

  clean      R fresh references (5,000 rows), W clean windows of 2,000 rows each, at the
             default false_page_every = 2000 (--default-every): pages pooled. And the run length at
             false_page_every = --rate-every (50) on --rate-refs (30) references: about 60
             expected pages, enough to tell a run length off by 30 %.
  shift 0.5  S streams: 3 clean windows, then 6 with f00 + 0.5 sd; delay = windows from the
             drift's first window to the first page (0: paged at once).
  shift 0.25 the same with 0.25 sd.
  accuracy   S streams: 3 clean windows, then 3 whose labels are flipped for 30 % of rows.
  sudden     `ml-monitor generate --scenario sudden` (8 windows, drift from window 4): problems
             paged.
  big        one reference and windows of --big-rows rows: f00 + 0.02 sd (must not page) and
             + 0.2 sd (must page).

Needs numpy and pandas.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pandas as pd


class Receiver:
    """A webhook receiver on 127.0.0.1 that keeps every JSON body."""

    def __init__(self):
        bodies = self.bodies = []
        lock = self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(n) or b"null")
                with lock:
                    bodies.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, monitor):
        with self.lock:
            return [b for b in self.bodies if b.get("monitor") == monitor]


def sample(rng, n, shift=0.0, flip=0.0):
    cols = {}
    for i in range(5):
        cols[f"f{i:02d}"] = rng.normal(size=n)
    for i in range(5, 10):
        cols[f"f{i:02d}"] = rng.lognormal(0.0, 0.5, size=n)
    for i in range(10, 15):
        cols[f"f{i:02d}"] = rng.uniform(size=n)
    for i in range(15, 20):
        cols[f"f{i:02d}"] = rng.binomial(6, 0.4, size=n).astype(float)
    logit = 1.5 * cols["f00"] + 1.5 * (cols["f10"] - 0.5) * 3 + rng.normal(0, 0.5, size=n)
    score = 1.0 / (1.0 + np.exp(-logit))
    target = (rng.uniform(size=n) < score).astype(int)
    if flip > 0:
        flipped = rng.uniform(size=n) < flip
        target = np.where(flipped, 1 - target, target)
    # The shift is applied after the score: the model is unchanged, only the inputs drift.
    cols["f00"] = cols["f00"] + shift
    df = pd.DataFrame(cols)
    df["prediction"] = np.round(score, 5)
    df["target"] = target
    return df


def write(df, path):
    tmp = path + ".tmp"
    df.to_csv(tmp, index=False, float_format="%.5f")
    os.replace(tmp, path)


def config(path, url, monitor, every):
    with open(path, "w") as fh:
        fh.write(f'[monitor]\nname = "{monitor}"\n\n[paging]\nfalse_page_every = {every}\n\n')
        fh.write(f'[[sinks]]\ntype = "webhook"\nurl = "{url}"\nmin_level = "INFO"\n')


def run(args, receiver, work, windows_dir, reference, monitor, every=None):
    every = every or args.default_every
    cfg = os.path.join(work, f"{monitor}.toml")
    config(cfg, receiver.url, monitor, every)
    history = os.path.join(work, f"{monitor}.sqlite")
    if os.path.exists(history):
        os.remove(history)
    out = subprocess.run(
        [args.bin, "watch", windows_dir, "--reference", reference, "--config", cfg,
         "--history", history, "--once", "--format", "json"],
        capture_output=True, text=True)
    if out.returncode not in (0, 3, 4):
        sys.exit(f"{monitor}: exit {out.returncode}: {out.stderr[-2000:]}")
    windows = [json.loads(line)["window"] for line in out.stdout.splitlines() if line.strip()]
    bodies = receiver.of(monitor)
    return windows, pages_of(bodies), bodies


def pages_of(bodies):
    """One entry per problem (re-)opening that reached the receiver: its `opened` body, or,
    when the sender had only the problem's latest change to send (it opened and resolved before
    a delivery), that later body. Keyed by (problem_id, times_opened)."""
    pages = {}
    for b in bodies:
        key = (b.get("problem_id"), b.get("times_opened"))
        if key not in pages or b.get("change") == "opened":
            if key in pages and pages[key].get("change") == "opened":
                continue
            pages[key] = b
    return list(pages.values())


def page_windows(windows, pages):
    """The window each page was sent at: an `opened` body's last window; a later body's
    first window (its opening was not sent on its own)."""
    index = {w: i for i, w in enumerate(windows)}
    at = lambda p: p.get("last_window") if p.get("change") == "opened" else p.get("first_window")
    return sorted(index.get(at(p), -1) for p in pages)


def stream(rng, d, clean, drifted, **kw):
    os.makedirs(d, exist_ok=True)
    for i in range(clean + drifted):
        write(sample(rng, 2000, **(kw if i >= clean else {})), os.path.join(d, f"w{i:03d}.csv"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/ml-monitor")
    ap.add_argument("--out", default="/tmp/measure_paging")
    ap.add_argument("--refs", type=int, default=10)
    ap.add_argument("--windows", type=int, default=100)
    ap.add_argument("--streams", type=int, default=10)
    ap.add_argument("--default-every", type=int, default=2000)
    ap.add_argument("--rate-every", type=int, default=50)
    ap.add_argument("--rate-refs", type=int, default=30)
    ap.add_argument("--big-rows", type=int, default=200000)
    ap.add_argument("--only", default="clean,shift,accuracy,sudden,big")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    only = set(args.only.split(","))
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    receiver = Receiver()
    rows = []

    if "clean" in only:
        # The default budget on --refs references; the run length at --rate-every (a rate high
        # enough to count) on --rate-refs references, so the count has about 40 pages or more.
        budgets = {args.default_every: args.refs, args.rate_every: args.rate_refs}
        pages = {every: 0 for every in budgets}
        totals = {every: 0 for every in budgets}
        for r in range(max(budgets.values())):
            rng = np.random.default_rng(1000 + r)
            d = os.path.join(args.out, f"clean{r}")
            os.makedirs(os.path.join(d, "w"))
            write(sample(rng, 5000), os.path.join(d, "ref.csv"))
            for i in range(args.windows):
                write(sample(rng, 2000), os.path.join(d, "w", f"w{i:03d}.csv"))
            for every, refs in budgets.items():
                if r >= refs:
                    continue
                windows, p, _ = run(args, receiver, d, os.path.join(d, "w"),
                                    os.path.join(d, "ref.csv"), f"clean{r}_{every}", every)
                pages[every] += len(p)
                totals[every] += len(windows)
            shutil.rmtree(os.path.join(d, "w"))
        for every, n in pages.items():
            total = totals[every]
            if total == 0:
                continue
            run_length = total / n if n else float("inf")
            rows.append((f"clean, false_page_every = {every}, {budgets[every]} references",
                         f"{n} pages in {total} windows ({1000 * n / total:.2f} per 1,000); "
                         f"run length {run_length:.0f} (configured {every})"))

    def delays(name, clean, drifted, **kw):
        out = []
        false_before = 0
        for s in range(args.streams):
            rng = np.random.default_rng(5000 + s + int(1000 * kw.get("shift", 0)) + 7 * int(100 * kw.get("flip", 0)))
            d = os.path.join(args.out, f"{name}{s}")
            os.makedirs(d, exist_ok=True)
            write(sample(rng, 5000), os.path.join(d, "ref.csv"))
            stream(rng, os.path.join(d, "w"), clean, drifted, **kw)
            windows, p, _ = run(args, receiver, d, os.path.join(d, "w"),
                                os.path.join(d, "ref.csv"), f"{name}{s}")
            at = page_windows(windows, p)
            false_before += sum(1 for w in at if w < clean)
            after = [w - clean for w in at if w >= clean]
            out.append(after[0] if after else None)
        shown = ", ".join("-" if x is None else str(x) for x in out)
        return out, f"delays [{shown}]; false pages before the drift: {false_before}"

    if "shift" in only:
        for shift, limit in [(0.5, 2), (0.25, 4)]:
            d, text = delays(f"shift{shift}", 3, 6, shift=shift)
            ok = sum(1 for x in d if x is not None and x <= limit)
            rows.append((f"f00 + {shift} sd, 2,000 rows",
                         f"{text}; <= {limit} in {ok} of {len(d)}"))
    if "accuracy" in only:
        d, text = delays("accuracy", 3, 3, flip=0.3)
        ok = sum(1 for x in d if x is not None and x <= 1)
        rows.append(("labels flipped for 30 % (accuracy below 0.7)", f"{text}; <= 1 in {ok} of {len(d)}"))

    if "sudden" in only:
        d = os.path.join(args.out, "sudden")
        subprocess.run([args.bin, "generate", "--out", d, "--scenario", "sudden"], check=True,
                       capture_output=True)
        ref = os.path.join(d, "reference.csv")
        wdir = os.path.join(d, "windows") if os.path.isdir(os.path.join(d, "windows")) else d
        windows, p, bodies = run(args, receiver, args.out, wdir, ref, "sudden")
        kinds = sorted({b.get("change") for b in bodies})
        members = max((len(b.get("members", [])) for b in bodies), default=0)
        rows.append(("generate --scenario sudden",
                     f"{len(p)} problem(s) paged, {len(bodies)} notification(s) ({', '.join(kinds)}), "
                     f"up to {members} members"))

    if "big" in only:
        rng = np.random.default_rng(77)
        d = os.path.join(args.out, "big")
        os.makedirs(d, exist_ok=True)
        write(sample(rng, args.big_rows), os.path.join(d, "ref.csv"))
        for shift in (0.02, 0.2):
            w = os.path.join(d, f"w{shift}")
            os.makedirs(w)
            for i in range(2):
                write(sample(rng, args.big_rows, shift=shift), os.path.join(w, f"w{i}.csv"))
            windows, p, _ = run(args, receiver, d, w, os.path.join(d, "ref.csv"), f"big{shift}")
            rows.append((f"f00 + {shift} sd, {args.big_rows:,} rows",
                         f"{len(p)} page(s) in {len(windows)} windows"))
            shutil.rmtree(w)

    print("| scenario | measured |")
    print("|---|---|")
    for name, text in rows:
        print(f"| {name} | {text} |")


if __name__ == "__main__":
    main()

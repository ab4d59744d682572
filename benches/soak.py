#!/usr/bin/env python3
"""Soak benchmark: many small alerting windows through `watch --headless` with a history,
sampling the monitor's resident memory (VmRSS) as it goes. Not a timed test: it reports figures.

What it checks: nothing is lost (every window gives one JSON line and one stored result) and
memory stays flat once warmed up (the alert manager, the watcher's memory of done files and the
result histories are bounded).

    python3 benches/soak.py --binary target/release/ml-monitor --windows 20000

Issue 29's soak: alternating clean and drifted windows (every window opens or resolves
incidents) with a command sink, every change delivered by the end, and resident memory within
0.5 MB between window 5,000 and the last:

    python3 benches/soak.py --windows 20000 --alternate --sink-command /bin/true --warmup 5000

Windows are written in batches (dotfile + rename, as a producer should), each batch after the
monitor has caught up with the one before; processed files are deleted, as a rotating producer
would. Every window drifts (shifted `x`, another category mix) and shifts the predictions, so
every window raises alerts. Needs only the Python standard library.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time


def workload_root(prefix):
    """A temporary directory (in /dev/shm when there is one) holding an empty `windows/` and the
    benchmarks' `reference.csv` (200 rows): returns (root, windows, reference)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix=prefix, dir=base)
    windows = os.path.join(root, "windows")
    os.mkdir(windows)
    reference = os.path.join(root, "reference.csv")
    with open(reference, "w") as f:
        f.write(window_csv(200, 0, 0))
    return root, windows, reference


def window_csv(rows, seed, shift):
    lines = ["x,c,prediction,target"]
    for i in range(rows):
        x = ((i * 37 + seed * 11) % 101) / 10.0 + shift
        c = ["a", "b", "c"][(i + seed) % 3] if shift == 0 else "c"
        p = 0.1 * ((i % 9) + 1) if shift == 0 else 0.9
        lines.append(f"{x:.2f},{c},{p:.2f},{i % 2}")
    return "\n".join(lines) + "\n"


def rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/ml-monitor")
    ap.add_argument("--windows", type=int, default=20000)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=2000,
                    help="windows after which memory should stay flat")
    ap.add_argument("--alternate", action="store_true",
                    help="even windows clean (a copy of the reference's mix), odd ones drifted")
    ap.add_argument("--sink-command", default=None,
                    help="a program run for each incident change (a command sink, min_level info)")
    ap.add_argument("--drain-timeout", type=float, default=1800,
                    help="seconds to wait at the end for the outbox to empty")
    ap.add_argument("--flat-mb", type=float, default=0.5,
                    help="largest RSS growth after warm-up that counts as flat")
    args = ap.parse_args()

    root, windows, reference = workload_root("ml-monitor-soak-")
    history = os.path.join(root, "history.sqlite")
    command = [args.binary, "watch", windows, "--reference", reference, "--headless",
               "--history", history]
    if args.sink_command:
        config = os.path.join(root, "monitor.toml")
        with open(config, "w") as f:
            f.write("[[sinks]]\ntype = \"command\"\nmin_level = \"info\"\n"
                    f"command = [{json.dumps(args.sink_command)}]\n")
        command += ["--config", config]

    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = [0]
    errors = [0]

    def read():
        for line in proc.stdout:
            seen[0] += 1
            if '"error":null' not in line.replace(" ", ""):
                errors[0] += 1

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    samples = []  # (windows processed, rss kB, seconds since start)
    start = time.monotonic()
    written = 0
    batch_no = 0
    try:
        while written < args.windows:
            n = min(args.batch, args.windows - written)
            names = []
            for i in range(written, written + n):
                name = f"w{i:06d}.csv"
                tmp = os.path.join(windows, "." + name + ".tmp")
                with open(tmp, "w") as f:
                    shift = 0.0 if args.alternate and i % 2 == 0 else 3.0
                    f.write(window_csv(args.rows, i, shift))
                os.rename(tmp, os.path.join(windows, name))
                names.append(name)
            written += n
            batch_no += 1
            deadline = time.monotonic() + 600
            while seen[0] < written:
                if proc.poll() is not None:
                    sys.exit(f"monitor exited with {proc.returncode}: {proc.stderr.read()}")
                if time.monotonic() > deadline:
                    sys.exit(f"stuck at {seen[0]} of {written} windows")
                time.sleep(0.05)
            samples.append((seen[0], rss_kb(proc.pid), time.monotonic() - start))
            for name in names:
                os.remove(os.path.join(windows, name))
            anon, shmem = rss_kb(proc.pid, "RssAnon"), rss_kb(proc.pid, "RssShmem")
            print(f"{seen[0]:>6} windows  RSS {samples[-1][1] / 1024:7.1f} MB  "
                  f"{samples[-1][2]:6.1f} s  (anonymous {(anon or 0) / 1024:.1f} MB, "
                  f"shared {(shmem or 0) / 1024:.1f} MB)", flush=True)
        drained = drain(history, args.drain_timeout, proc) if args.sink_command else None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    stored = subprocess.run(
        [args.binary, "history", "export", "--format", "csv", "--history", history],
        capture_output=True, text=True, check=True).stdout.count("\n") - 1
    elapsed = samples[-1][2]
    warm = [s for s in samples if s[0] >= args.warmup] or samples
    first, last = warm[0], warm[-1]
    peak = max(s[1] for s in warm)
    print()
    print(f"windows written {written}, printed {seen[0]}, stored {stored}, error results "
          f"{errors[0]}, exit status {proc.returncode}")
    print(f"throughput {seen[0] / elapsed:.0f} windows/s over {elapsed:.0f} s")
    print(f"RSS after warm-up ({first[0]} windows) {first[1] / 1024:.1f} MB; at the end "
          f"({last[0]}) {last[1] / 1024:.1f} MB; peak after warm-up {peak / 1024:.1f} MB; "
          f"end / warm-up = {last[1] / first[1]:.3f}")
    if drained is not None:
        total, pending, took = drained
        print(f"incident changes queued for the sink {total}, still pending at the end {pending} "
              f"(waited {took:.0f} s after the last window)")
    growth = (last[1] - first[1]) / 1024
    print(f"RSS growth from window {first[0]} to {last[0]}: {growth:+.2f} MB "
          f"({'flat' if growth < args.flat_mb else 'NOT flat'}: limit {args.flat_mb} MB)")
    shutil.rmtree(root, ignore_errors=True)


def drain(history, timeout, proc):
    """Waits until the outbox holds no pending change; returns (rows, pending, seconds)."""
    start = time.monotonic()
    while True:
        try:
            with sqlite3.connect(f"file:{history}?mode=ro", uri=True, timeout=30) as db:
                total, pending = db.execute(
                    "SELECT count(*), coalesce(sum(state = 'pending'), 0) FROM outbox").fetchone()
        except sqlite3.Error:
            total, pending = None, None
        took = time.monotonic() - start
        if pending == 0 or took > timeout or proc.poll() is not None:
            return total, pending, took
        time.sleep(1)


if __name__ == "__main__":
    main()

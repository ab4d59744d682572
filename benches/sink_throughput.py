#!/usr/bin/env python3
"""Sink throughput: how fast the outbox delivers incident changes to a local receiver.

Issue 29, item 6: 3,000 alternating clean/drifted windows with a command sink delivered 1,278
of 23,688 incident changes during the run (about 7 a second). This writes such windows into a
directory, runs `watch --headless --history` on it with one sink (min_level info), and samples
the history's outbox every half second until nothing is pending. Not a timed test: it reports
figures.

    python3 benches/sink_throughput.py --binary target/release/ml-monitor --windows 3000
    python3 benches/sink_throughput.py --sink webhook      # a local http.server receiver
    python3 benches/sink_throughput.py --workload broken --prefill

Alternating windows open and resolve one problem, which re-opens with the same id: most of
their changes are coalesced (an older state superseded by a newer one) before they are sent.
`--workload broken` makes every odd window unusable (a missing column): each is a CRITICAL
`window_error` incident of its own, opened by its window and resolved by the next one.
`--prefill` first runs `--once` over every window with a sink that fails (`false`), so that
every change waits in the outbox, and then measures `--headless` (no new window) draining that
backlog: the sender alone, nothing else running.

Reported: windows and changes queued, sent (`delivered`), coalesced (`superseded`: an older
state of an incident whose newer one was pending), the time from the monitor's start until the
outbox was empty, sends per second while a backlog was waiting, and how many changes were still
pending when the last window had been processed. Needs only the Python standard library.
"""

import argparse
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from soak import window_csv, workload_root  # noqa: E402  (the same windows as the soak benchmark)


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers 200 to every POST; counts them."""

    count = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (the standard library's name)
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        with Receiver.lock:
            Receiver.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def outbox(history):
    """(state -> rows) of the outbox, or None while it cannot be read."""
    try:
        with sqlite3.connect(f"file:{history}?mode=ro", uri=True, timeout=30) as db:
            return dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state"))
    except sqlite3.Error:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/ml-monitor")
    ap.add_argument("--windows", type=int, default=3000)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--sink", choices=["command", "webhook"], default="command")
    ap.add_argument("--workload", choices=["alternate", "broken"], default="alternate")
    ap.add_argument("--prefill", action="store_true",
                    help="queue every change first (a failing sink), then measure the drain")
    ap.add_argument("--command", default="true", help="the command sink's program")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()

    root, windows, reference = workload_root("ml-monitor-sinks-")
    for i in range(args.windows):
        with open(os.path.join(windows, f"w{i:06d}.csv"), "w") as f:
            if args.workload == "broken" and i % 2 == 1:
                f.write("a,b\n1,2\n")
            else:
                f.write(window_csv(args.rows, i, 0.0 if i % 2 == 0 else 3.0))

    server = None
    config = os.path.join(root, "monitor.toml")
    history = os.path.join(root, "history.sqlite")
    if args.prefill:
        with open(config, "w") as f:
            f.write("[[sinks]]\ntype = \"command\"\nname = \"sink\"\nmin_level = \"info\"\n"
                    f"command = [{json.dumps(shutil.which('false') or 'false')}]\n")
        took = time.monotonic()
        subprocess.run([args.binary, "watch", windows, "--reference", reference, "--once",
                        "--history", history, "--config", config, "--sink-timeout", "500ms"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"prefilled in {time.monotonic() - took:.1f} s: {outbox(history)}")
    with open(config, "w") as f:
        if args.sink == "command":
            program = shutil.which(args.command) or args.command
            f.write("[[sinks]]\ntype = \"command\"\nname = \"sink\"\nmin_level = \"info\"\n"
                    f"command = [{json.dumps(program)}]\n")
        else:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{server.server_address[1]}/hook"
            f.write("[[sinks]]\ntype = \"webhook\"\nname = \"sink\"\nmin_level = \"info\"\n"
                    f"url = \"{url}\"\n")
    command = [args.binary, "watch", windows, "--reference", reference, "--headless",
               "--history", history, "--config", config]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    seen = [0]
    all_read = [None]

    expected = 0 if args.prefill else args.windows
    if expected == 0:
        all_read[0] = time.monotonic()

    def read():
        for _ in proc.stdout:
            seen[0] += 1
            if seen[0] == expected:
                all_read[0] = time.monotonic()

    threading.Thread(target=read, daemon=True).start()

    samples = []  # (seconds, delivered, pending)
    pending_at_last_window = None
    try:
        while True:
            time.sleep(0.5)
            states = outbox(history)
            now = time.monotonic() - start
            if proc.poll() is not None:
                sys.exit(f"monitor exited with {proc.returncode}")
            if states is None:
                continue
            samples.append((now, states.get("delivered", 0), states.get("pending", 0)))
            if all_read[0] is not None and pending_at_last_window is None:
                pending_at_last_window = states.get("pending", 0)
            if all_read[0] is not None and states.get("pending", 0) == 0:
                break
            if now > args.timeout:
                print("timed out", file=sys.stderr)
                break
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if server is not None:
            server.shutdown()

    states = outbox(history) or {}
    total = sum(states.values())
    busy = [s for s in samples if s[2] > 0]
    first, last = (busy[0], samples[-1]) if busy else (samples[0], samples[-1])
    rate = (last[1] - first[1]) / max(last[0] - first[0], 1e-9)
    windows_done = (all_read[0] or time.monotonic()) - start
    print(f"windows {seen[0]} in {windows_done:.1f} s; outbox rows {total}: {states}")
    print(f"pending when the last window had been processed: {pending_at_last_window}")
    print(f"outbox empty {samples[-1][0]:.1f} s after the start")
    print(f"sent {last[1] - first[1]} changes in {last[0] - first[0]:.1f} s while a backlog "
          f"waited: {rate:.0f} changes/s ({args.sink} sink)")
    if server is not None:
        print(f"receiver answered {Receiver.count} requests")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Live-mode figures of the real binary: window latency and idle CPU.

  measure_live.py BINARY headless [--windows N]
      median / p90 time from a 10,000-row x 20-feature window's rename into the watched
      directory to its JSON line on stdout (`watch --headless`).
  measure_live.py BINARY tui [--idle SECONDS] [--windows N]
      CPU used by the TUI idling SECONDS with no new files (from /proc/PID/stat) and bytes it
      wrote meanwhile, then the time from a window's rename to its name on screen.

Needs only the Python standard library. Example:
  cargo build --release && python3 benches/measure_live.py target/release/ml-monitor headless
"""
import argparse
import fcntl
import os
import pty
import random
import statistics
import struct
import subprocess
import tempfile
import termios
import threading
import time


def write_csv(path, rows, shift, rng):
    with open(path, "w") as fh:
        fh.write(",".join(f"f{i}" for i in range(20)) + ",prediction,target\n")
        for _ in range(rows):
            fh.write(",".join(f"{rng.gauss(shift if i < 5 else 0.0, 1.0):.6f}" for i in range(20)))
            p = rng.random()
            fh.write(f",{p:.6f},{int(rng.random() < p)}\n")


def window_name(k):
    # Every character differs from the previous window's name: the TUI redraws only changed
    # cells, so a name that shares characters with the last one never appears whole on the wire.
    return chr(ord("a") + k % 26) * 8 + ".csv"


def prepare(root, windows):
    rng = random.Random(1)
    watched = os.path.join(root, "watched")
    staging = os.path.join(root, "staging")
    os.makedirs(watched)
    os.makedirs(staging)
    reference = os.path.join(root, "reference.csv")
    write_csv(reference, 10_000, 0.0, rng)
    for k in range(windows):
        write_csv(os.path.join(staging, window_name(k)), 10_000, 0.3, rng)
    return watched, staging, reference


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as fh:
        parts = fh.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def report(latencies):
    ms = sorted(1000 * x for x in latencies)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    print(f"latency over {len(ms)} windows: median {statistics.median(ms):.1f} ms, "
          f"p90 {p90:.1f} ms, min {ms[0]:.1f} ms, max {ms[-1]:.1f} ms")


def headless(binary, windows):
    with tempfile.TemporaryDirectory() as root:
        watched, staging, reference = prepare(root, windows)
        proc = subprocess.Popen(
            [binary, "watch", watched, "--reference", reference, "--headless", "--no-history"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        time.sleep(1.0)
        latencies = []
        for k in range(windows):
            name = window_name(k)
            start = time.perf_counter()
            os.rename(os.path.join(staging, name), os.path.join(watched, name))
            line = proc.stdout.readline()
            latencies.append(time.perf_counter() - start)
            assert name.encode() in line, line[:200]
            time.sleep(0.2)
        proc.terminate()
        proc.wait(timeout=20)
        report(latencies)


def tui(binary, idle, windows):
    with tempfile.TemporaryDirectory() as root:
        watched, staging, reference = prepare(root, windows)
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["TERM"] = "xterm-256color"
            os.execv(binary, [binary, "watch", watched, "--reference", reference, "--no-history"])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        out = bytearray()
        lock = threading.Lock()

        def reader():
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                with lock:
                    out.extend(data)

        threading.Thread(target=reader, daemon=True).start()

        def wait_for(needle, timeout):
            end = time.time() + timeout
            while time.time() < end:
                with lock:
                    if needle in out:
                        return True
                time.sleep(0.001)
            return False

        assert wait_for(b"waiting for the first window", 20), "no UI"
        time.sleep(2)
        with lock:
            before = len(out)
        c0, t0 = cpu_seconds(pid), time.time()
        time.sleep(idle)
        c1, t1 = cpu_seconds(pid), time.time()
        with lock:
            written = len(out) - before
        print(f"idle {t1 - t0:.0f} s: cpu {c1 - c0:.2f} s = {100 * (c1 - c0) / (t1 - t0):.3f}% of a core, "
              f"{written} bytes written to the terminal")
        latencies = []
        for k in range(windows):
            name = window_name(k)
            start = time.perf_counter()
            os.rename(os.path.join(staging, name), os.path.join(watched, name))
            # Only the changed cells are sent: ".csv" stays put, so look for the stem.
            assert wait_for(name[:-4].encode(), 60), f"{name} never shown"
            latencies.append(time.perf_counter() - start)
            time.sleep(0.3)
        os.write(fd, b"q")
        _, status = os.waitpid(pid, 0)
        report(latencies)
        print("exit status", os.waitstatus_to_exitcode(status))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("mode", choices=["headless", "tui"])
    ap.add_argument("--windows", type=int, default=20, help="at most 26")
    ap.add_argument("--idle", type=float, default=60.0)
    a = ap.parse_args()
    if a.mode == "headless":
        headless(a.binary, a.windows)
    else:
        tui(a.binary, a.idle, a.windows)


if __name__ == "__main__":
    main()

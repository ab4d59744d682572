#!/usr/bin/env bash
# Scrape latency of GET /metrics while 1,000 windows are queued in a running --headless monitor,
# against the same scrape once the queue has drained (the baseline, same run).
# Usage: benches/scrape_under_load.sh [BINARY] [ROWS]   (needs curl; prints the figures)
set -euo pipefail
bin=${1:-target/release/ml-monitor}
rows=${2:-200}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" generate --out "$work/stage" --windows 1000 --rows "$rows" --seed 7 >/dev/null
mkdir "$work/watched"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" watch "$work/watched" --reference "$work/stage/reference.csv" --headless --no-history \
    --metrics-addr "127.0.0.1:$port" >/dev/null 2>"$work/stderr" &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
windows() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1=="ml_monitor_windows_total"{print $2}'; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "n=%d min=%.4f median=%.4f p95=%.4f max=%.4f (s)\n", NR, a[1], a[int((NR+1)/2)], a[int(NR*0.95)], a[NR]}'; }
mv "$work"/stage/window_*.csv "$work/watched/"
echo "queued 1000 windows of $rows rows; windows_total at first scrape: $(windows)"
: >"$work/loaded"
for _ in $(seq 200); do
    n=$(windows)
    [ "$n" -ge 1000 ] && break
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics" >>"$work/loaded"
    sleep 0.02
done
echo "windows_total when the loaded scrapes ended: $(windows)"
echo -n "under load: "; stats <"$work/loaded"
until [ "$(windows)" -ge 1000 ]; do sleep 0.5; done
: >"$work/idle"
for _ in $(seq 100); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics" >>"$work/idle"
done
echo -n "idle (baseline): "; stats <"$work/idle"
echo "metrics text: $(curl -s "http://127.0.0.1:$port/metrics" | wc -c) bytes"

#!/bin/bash
# The fit cache's gain: a first start (no HISTORY.fit-* files) against a second start (the files
# a first start left), alternated, each with a fresh history so the window is processed again.
# Prints the median wall time, user time and peak memory of each.
#
#   benches/fit_cache_starts.sh target/release/ml-monitor /tmp/w2k500 7
#
# DATA holds reference.csv and current.csv (benches/gen_workload.py).
set -euo pipefail
bin=$1; data=$2; rounds=${3:-7}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
run() { /usr/bin/time -f "$1 %e %U %M" -a -o "$dir/times" "$bin" watch "$data/current.csv" \
    --reference "$data/reference.csv" --once --history "$dir/h.sqlite" >/dev/null 2>&1 || true; }
run warm
mkdir "$dir/keep"; cp "$dir"/h.sqlite.fit-* "$dir/keep/"
for _ in $(seq "$rounds"); do
  rm -f "$dir"/h.sqlite*; sleep 1; run first
  rm -f "$dir/h.sqlite" "$dir/h.sqlite.lock"; cp "$dir"/keep/* "$dir/"; sleep 1; run second
done
python3 - "$dir/times" "$data" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.startswith(("first", "second"))]
for kind in ("first", "second"):
    r = [x for x in rows if x[0] == kind]
    med = lambda i: statistics.median(float(x[i]) for x in r)
    print(f"{sys.argv[2]} {kind:6} start: median wall {med(1):.3f} s, user {med(2):.3f} s, "
          f"peak {med(3) / 1024:.0f} MB ({len(r)} runs)")
PY

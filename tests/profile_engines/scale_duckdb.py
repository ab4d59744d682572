"""Scale measurement for docs/profiles.md (not a test): a 20,000,000-row window of the generator's
columns made inside DuckDB, profiled by DuckDB with the statement `ml-monitor profile-sql
--dialect duckdb --table win` printed. Needs `pip install duckdb`.
Usage: scale_duckdb.py PROFILE_SQL_FILE OUT_DIR
"""
import os
import sys
import time

import duckdb

sql_path, out_dir = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("""CREATE TABLE win AS SELECT
 CAST(18 + floor(random() * 60) AS DOUBLE) AS age,
 round(exp(10.5 + 0.6 * (random()+random()+random()-1.5)*2), 2) AS income,
 CAST(floor(random() * 72) AS DOUBLE) AS tenure_months,
 CASE WHEN random() < 0.01 THEN NULL ELSE CAST(300 + floor(random() * 550) AS DOUBLE) END AS credit_score,
 round(abs(6 + 3 * (random()-0.5)*3), 1) AS sessions_per_week,
 CASE WHEN random() < 0.02 THEN NULL ELSE round(abs(4000 + 2500 * (random()-0.5)*3), 2) END AS balance,
 (['north','south','east','west'])[1 + CAST(floor(random()*4) AS INT)] AS region,
 (['mobile','desktop','tablet'])[1 + CAST(floor(random()*3) AS INT)] AS device,
 (['basic','plus','premium'])[1 + CAST(floor(random()*3) AS INT)] AS plan,
 round(random(), 6) AS prediction,
 CAST(random() < 0.45 AS DOUBLE) AS target
 FROM range(20000000)""")
os.makedirs(out_dir, exist_ok=True)
out = os.path.join(out_dir, "2026-11-29.profile.parquet")
t = time.time()
con.execute("COPY (" + open(sql_path).read() + f") TO '{out}'")
took = time.time() - t
threads = con.execute("select current_setting('threads')").fetchone()[0]
print(f"duckdb_seconds={took:.1f} profile_bytes={os.path.getsize(out)} threads={threads}")

"""Scale measurement for docs/profiles.md (not a test): a window of N rows generated inside Spark
(`spark.range`), profiled by Spark local[2] with the statement `ml-monitor profile-sql` printed.

Needs `pip install pyspark` and Java 17. Usage:
  scale.py PROFILE_SQL_FILE OUT_DIR [ROWS]
The SQL must read the table `win`. Prints the Spark time and the profile's size.
"""
import os
import sys
import tempfile
import time

from pyspark.sql import SparkSession


def main():
    sql_path, out_dir = sys.argv[1], sys.argv[2]
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000_000
    scratch = tempfile.mkdtemp(prefix="ml-monitor-scale-")
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.local.dir", os.path.join(scratch, "local"))
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # The generator's columns, drawn inside Spark (no data leaves the JVM).
    spark.range(rows).selectExpr(
        "CAST(18 + floor(rand(1) * 60) AS DOUBLE) AS age",
        "round(exp(10.5 + 0.6 * randn(2)), 2) AS income",
        "CAST(floor(rand(3) * 72) AS DOUBLE) AS tenure_months",
        "CASE WHEN rand(4) < 0.01 THEN NULL ELSE CAST(300 + floor(rand(5) * 550) AS DOUBLE) END AS credit_score",
        "round(abs(6 + 3 * randn(6)), 1) AS sessions_per_week",
        "CASE WHEN rand(7) < 0.02 THEN NULL ELSE round(abs(4000 + 2500 * randn(8)), 2) END AS balance",
        "element_at(array('north','south','east','west'), CAST(1 + floor(rand(9) * 4) AS INT)) AS region",
        "element_at(array('mobile','desktop','tablet'), CAST(1 + floor(rand(10) * 3) AS INT)) AS device",
        "element_at(array('basic','plus','premium'), CAST(1 + floor(rand(11) * 3) AS INT)) AS plan",
        "round(rand(12), 6) AS prediction",
        "CAST(rand(13) < 0.45 AS INT) AS target",
    ).createOrReplaceTempView("win")
    sql = open(sql_path).read()
    out = os.path.join(out_dir, "2026-11-29.profile.parquet")
    started = time.time()
    spark.sql(sql).write.mode("overwrite").parquet(out)
    took = time.time() - started
    size = sum(
        os.path.getsize(os.path.join(out, f)) for f in os.listdir(out) if not f.startswith(".")
    )
    print(f"rows={rows} spark_seconds={took:.1f} profile_bytes={size}")
    spark.stop()


if __name__ == "__main__":
    main()

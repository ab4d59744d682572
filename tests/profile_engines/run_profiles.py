"""Runs `ml-monitor profile-sql` statements on real engines (DuckDB, or PySpark local[2]) for
tests/it/profile_*.rs, writing each window's profile where the job says.

Needs: `pip install duckdb` (DuckDB) or `pip install pyspark` plus Java 17
(`apt-get install -y openjdk-17-jre-headless`) for Spark.

Usage: run_profiles.py ENGINE JOBS.json
JOBS.json: {"columns": [[name, "DOUBLE"|"VARCHAR"], ...],
            "jobs": [{"csv": path, "sql": path, "out": path, "format": "parquet"|"json"}]}
The SQL reads the table `win`. Spark writes a directory (part files + _SUCCESS); DuckDB writes
one file. One Spark session serves every job.
"""
import json
import os
import sys
import tempfile
import time


def run_duckdb(spec):
    import duckdb

    con = duckdb.connect()
    columns = "{" + ", ".join(f"'{n}': '{t}'" for n, t in spec["columns"]) + "}"
    for job in spec["jobs"]:
        con.execute("DROP VIEW IF EXISTS win")
        con.execute(
            f"CREATE VIEW win AS SELECT * FROM read_csv('{job['csv']}', header=true, "
            f"columns={columns}, nullstr='')"
        )
        sql = open(job["sql"]).read()
        fmt = "JSON" if job.get("format") == "json" else "PARQUET"
        con.execute(f"COPY ({sql}) TO '{job['out']}' (FORMAT {fmt})")
    con.close()


def run_spark(spec):
    from pyspark.sql import SparkSession

    scratch = tempfile.mkdtemp(prefix="ml-monitor-spark-")
    started = time.time()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("ml-monitor-profile-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.local.dir", os.path.join(scratch, "local"))
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"spark session up in {time.time() - started:.1f}s", file=sys.stderr)
    try:
        schema = ", ".join(
            f"`{n}` {'STRING' if t == 'VARCHAR' else t}" for n, t in spec["columns"]
        )
        for job in spec["jobs"]:
            df = spark.read.csv(job["csv"], header=True, schema=schema)
            df.createOrReplaceTempView("win")
            sql = open(job["sql"]).read()
            out = spark.sql(sql)
            if job.get("format") == "json":
                out.write.mode("overwrite").json(job["out"])
            else:
                out.write.mode("overwrite").parquet(job["out"])
    finally:
        spark.stop()


def main():
    engine, jobs = sys.argv[1], sys.argv[2]
    spec = json.load(open(jobs))
    if engine == "duckdb":
        run_duckdb(spec)
    elif engine == "spark":
        run_spark(spec)
    else:
        sys.exit(f"unknown engine {engine}")


if __name__ == "__main__":
    main()

//! Profiles computed by a real Spark (PySpark, `local[2]`, one session for every case) from
//! `ml-monitor profile-sql` statements and written as Spark writes: a directory of part files
//! committed by `_SUCCESS`. The monitor's results on them equal the raw windows' (see
//! tests/it/profile_duckdb.rs for what "equal" means), for classification and regression; a
//! directory without `_SUCCESS` is not read.
//!
//! Needs `pip install pyspark` and Java 17 (`apt-get install -y openjdk-17-jre-headless`);
//! without them the test says SKIPPED on stderr and passes, unless
//! `ML_MONITOR_REQUIRE_EXTERNAL=1`.

use crate::support::engines as common;

use common::*;

#[test]
fn spark_profiles_equal_the_raw_windows_and_wait_for_success() {
    let test = "spark_profiles_equal_the_raw_windows_and_wait_for_success";
    if !available(test, "pyspark", true) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    generate(&raw, 2, 3000);
    let reference = raw.join("reference.csv");
    let mut jobs = Vec::new();
    for task in ["classification", "regression"] {
        let profiles = dir.path().join(format!("profiles-{task}"));
        std::fs::create_dir_all(&profiles).expect("mkdir");
        let sql = dir.path().join(format!("{task}.sql"));
        std::fs::write(&sql, profile_sql(&reference, "spark", task)).expect("writes");
        // Spark is slow to plan each job: two windows for classification, one for regression.
        let windows = if task == "classification" { 2 } else { 1 };
        for i in 1..=windows {
            jobs.push(Job {
                csv: raw.join(format!("window_{i:04}.csv")),
                sql: sql.clone(),
                out: profiles.join(format!("window_{i:04}.profile.parquet")),
                format: "parquet",
            });
        }
    }
    run_engine("spark", dir.path(), &columns(&reference), &jobs);
    for task in ["classification", "regression"] {
        let profiles = dir.path().join(format!("profiles-{task}"));
        let first = profiles.join("window_0001.profile.parquet");
        assert!(first.is_dir(), "Spark writes a directory");
        assert!(first.join("_SUCCESS").is_file());
        let from_profiles = once(&profiles, &reference, task);
        let from_rows = once(&raw, &reference, task);
        assert_eq!(
            from_profiles.len(),
            if task == "classification" { 2 } else { 1 }
        );
        for (stem, result) in &from_profiles {
            compare(result, &from_rows[stem], &format!("spark {task} {stem}"));
        }
    }
    // An uncommitted output directory (no _SUCCESS yet) is not a window.
    let profiles = dir.path().join("profiles-classification");
    std::fs::remove_file(profiles.join("window_0002.profile.parquet/_SUCCESS")).expect("rm");
    let results = once(&profiles, &reference, "classification");
    assert!(!results.contains_key("window_0002"), "{results:?}");
    assert_eq!(results.len(), 1);
}

//! Profiles computed by a real DuckDB from `ml-monitor profile-sql` statements: the monitor's
//! results on them equal the raw windows' (PSI, chi-square, quality, predictions, performance
//! to 1e-12; KS, Wasserstein and ROC AUC within their stated bounds; AD on the grid close to
//! the rows'), for classification and regression, Parquet and JSON; a profile made for another
//! reference is an error result.
//!
//! Needs `pip install duckdb`; without it the test says SKIPPED on stderr and passes, unless
//! `ML_MONITOR_REQUIRE_EXTERNAL=1`.

use crate::support::engines as common;

use common::*;

#[test]
fn duckdb_profiles_equal_the_raw_windows() {
    if !available("duckdb_profiles_equal_the_raw_windows", "duckdb", false) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    generate(&raw, 3, 3000);
    let reference = raw.join("reference.csv");
    let columns = columns(&reference);
    for task in ["classification", "regression"] {
        let profiles = dir.path().join(format!("profiles-{task}"));
        std::fs::create_dir_all(&profiles).expect("mkdir");
        let sql = dir.path().join(format!("{task}.sql"));
        std::fs::write(&sql, profile_sql(&reference, "duckdb", task)).expect("writes");
        let jobs: Vec<Job> = (1..=3)
            .map(|i| {
                let format = if i == 3 { "json" } else { "parquet" };
                Job {
                    csv: raw.join(format!("window_{i:04}.csv")),
                    sql: sql.clone(),
                    out: profiles.join(format!("window_{i:04}.profile.{format}")),
                    format,
                }
            })
            .collect();
        run_engine("duckdb", dir.path(), &columns, &jobs);
        let from_profiles = once(&profiles, &reference, task);
        let from_rows = once(&raw, &reference, task);
        assert_eq!(from_profiles.len(), 3, "{from_profiles:?}");
        for (stem, result) in &from_profiles {
            compare(result, &from_rows[stem], &format!("duckdb {task} {stem}"));
        }
    }
}

#[test]
fn a_profile_for_another_reference_is_an_error_result() {
    if !available(
        "a_profile_for_another_reference_is_an_error_result",
        "duckdb",
        false,
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    generate(&raw, 1, 500);
    let reference = raw.join("reference.csv");
    let profiles = dir.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("mkdir");
    // The statement for regression carries a different fingerprint than classification's.
    let sql = dir.path().join("regression.sql");
    std::fs::write(&sql, profile_sql(&reference, "duckdb", "regression")).expect("writes");
    let job = Job {
        csv: raw.join("window_0001.csv"),
        sql,
        out: profiles.join("window_0001.profile.parquet"),
        format: "parquet",
    };
    run_engine("duckdb", dir.path(), &columns(&reference), &[job]);
    let results = once(&profiles, &reference, "classification");
    let error = &results["window_0001"]["error"];
    assert_eq!(error["kind"], "profile", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("another reference"), "{message}");
}

//! The integration tests, as one test binary: each module was a binary of its own, and
//! compiling and linking 40-odd binaries was most of a fresh `cargo test` (issue 25). The
//! modules still run the real `ml-monitor` binary, Prometheus, Alertmanager, Spark and DuckDB.

mod support;

mod cbpe_multiclass_cli;
mod cbpe_multiclass_nannyml;
mod cbpe_nannyml;
mod cbpe_shift;
mod cli_fleet;
mod cli_once;
mod cli_replay;
mod cli_train;
mod config_file;
mod correction_family;
mod docs;
mod docs_config_keys;
mod feature_status;
mod fleet_pty;
mod formats_cli;
mod fuzz_window_reader;
mod hardening;
mod hardening_io;
mod hardening_second;
mod headless;
mod history_timeline;
mod ks_scipy;
mod late_labels;
mod layering;
mod metrics_prometheus;
mod metrics_tui;
mod ml_based;
mod model_roundtrip;
mod more_tests_detectors;
mod more_tests_scipy;
mod paging;
mod parquet_bad_input;
mod parquet_fixtures;
mod parquet_same_results;
mod pca_extremes;
mod pca_nannyml;
mod profile_duckdb;
mod profile_grid_bound;
mod profile_spark;
mod ranking;
mod ranking_nannyml;
mod settings_changes;
mod silences;
mod sinks_alertmanager;
mod sinks_command;
mod sinks_webhook;
mod stats_reference;
mod tui_pty;
mod tui_pty_labels;
mod tui_pty_oncall;
mod tui_pty_sink;
mod tui_pty_travel;

//! The run plan from parsed flags: what each mode keeps, and what it refuses.

use std::path::Path;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::UsageError;
use crate::file_bytes::Access;
use crate::plan::default_history_path;
use crate::plan::ReferenceSource;
use crate::plan::{Mode, RunPlan};

fn plan(args: &[&str]) -> anyhow::Result<RunPlan> {
    let cli = Cli::try_parse_from(std::iter::once("ml-monitor").chain(args.iter().copied()))?;
    match cli.command {
        Command::Watch(mut args) => {
            // Nothing of the user's configuration: these tests are about the flags.
            args.no_config_discovery = true;
            RunPlan::resolve(&args)
        }
        other => panic!("not watch: {other:?}"),
    }
}

fn fixture() -> (tempfile::TempDir, String, String) {
    let root = tempfile::tempdir().expect("tmp");
    let dir = root.path().join("w");
    std::fs::create_dir(&dir).expect("dir");
    std::fs::write(dir.join("a.csv"), "x\n1\n").expect("window");
    let reference = root.path().join("ref.csv");
    std::fs::write(&reference, "x\n1\n").expect("reference");
    let s = |p: &Path| p.display().to_string();
    (root, s(&dir), s(&reference))
}

#[test]
fn once_keeps_no_history_and_maps_a_named_file() {
    let (_root, dir, reference) = fixture();
    let p = plan(&["watch", &dir, "--reference", &reference, "--once"]).expect("plan");
    assert_eq!(p.mode, Mode::Once);
    assert_eq!(p.models.len(), 1);
    let m = &p.models[0];
    assert!(m.history.is_none());
    assert!(matches!(m.reference, ReferenceSource::Csv(_)));
    assert!(matches!(m.load.access, Access::Read));
    assert!(!m.histograms);
    let file = format!("{dir}/a.csv");
    let p = plan(&["watch", &file, "--reference", &reference, "--once"]).expect("plan");
    assert!(matches!(p.models[0].load.access, Access::Map));
    assert_eq!(p.models[0].prefetch.as_deref(), Some(Path::new(&file)));
}

#[test]
fn headless_keeps_the_default_history_and_flags_override_the_config() {
    let (_root, dir, reference) = fixture();
    let p = plan(&[
        "watch",
        &dir,
        "--reference",
        &reference,
        "--headless",
        "--detectors",
        "psi",
        "--target",
        "label",
    ])
    .expect("plan");
    let m = &p.models[0];
    assert_eq!(m.history, Some(default_history_path(Path::new(&dir))));
    assert_eq!(m.config.drift.detectors.len(), 1);
    assert_eq!(m.config.columns.target, "label");
    assert!(!p.is_fleet());
}

#[test]
fn usage_errors_are_found_before_anything_starts() {
    let (_root, dir, reference) = fixture();
    for args in [
        vec!["watch", &dir, "--once"],
        vec![
            "watch",
            &dir,
            "--reference",
            &reference,
            "--detectors",
            "ks,ks",
            "--once",
        ],
        vec![
            "watch",
            "/no/such/dir",
            "--reference",
            &reference,
            "--headless",
        ],
        vec![
            "watch",
            &dir,
            &dir,
            "--reference",
            &reference,
            "--history",
            "h.sqlite",
        ],
    ] {
        let e = plan(&args).expect_err("refused");
        assert!(e.downcast_ref::<UsageError>().is_some(), "{args:?}: {e}");
    }
}

#[test]
fn several_directories_are_a_fleet_with_a_name_each() {
    let (root, dir, reference) = fixture();
    let other = root.path().join("v");
    std::fs::create_dir(&other).expect("dir");
    let other = other.display().to_string();
    let p = plan(&[
        "watch",
        &dir,
        &other,
        "--reference",
        &reference,
        "--headless",
    ])
    .expect("plan");
    assert!(p.is_fleet());
    let names: Vec<&str> = p.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["w", "v"]);
    assert_eq!(p.models[1].monitor_name, "v");
}

#[test]
fn the_reference_and_its_name_in_every_watched_directory_are_never_windows() {
    let (root, dir, reference) = fixture();
    let other = root.path().join("v");
    std::fs::create_dir(&other).expect("dir");
    let other = other.display().to_string();
    let p = plan(&["watch", &dir, &other, "--reference", &reference, "--once"]).expect("plan");
    for m in &p.models {
        let ignore = m.watch_ignores();
        assert!(
            ignore.contains(&Path::new(&reference).to_path_buf()),
            "{ignore:?}"
        );
        assert!(ignore.contains(&m.path.join("ref.csv")), "{ignore:?}");
        assert!(!ignore.contains(&m.path.join("a.csv")), "{ignore:?}");
    }
}

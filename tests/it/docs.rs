//! The reference under `docs/` stays true to the code: the default configuration it prints is
//! the default, every detector, alert kind and window error kind is documented, and the README
//! and docs link only to files inside the repository.

use std::fs;
use std::path::Path;

use ml_monitor::config::DetectorKind;
use ml_monitor::config::MonitorConfig;
use ml_monitor::AlertKind;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_documented_default_file_is_the_default() {
    let doc = read("docs/configuration.md");
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed");
    let parsed = MonitorConfig::from_toml(&doc[start..end], "docs/configuration.md")
        .expect("the documented file parses");
    assert_eq!(parsed, MonitorConfig::default());
}

#[test]
fn every_detector_alert_kind_and_error_kind_is_documented() {
    let config = read("docs/configuration.md");
    for kind in DetectorKind::ALL {
        assert!(config.contains(&format!("\"{}\"", kind.key())), "{kind}");
    }
    let output = read("docs/output.md");
    for kind in [
        AlertKind::DataDrift,
        AlertKind::PerformanceDegradation,
        AlertKind::PredictionShift,
        AlertKind::PredictionMeanAnomaly,
        AlertKind::DataQuality,
        AlertKind::WindowError,
    ] {
        assert!(output.contains(&format!("`{}`", kind.as_str())), "{kind:?}");
    }
    for kind in [
        "unreadable",
        "empty",
        "no_rows",
        "ragged_row",
        "duplicate_header",
        "missing_column",
        "malformed",
        "no_features",
        "unknown_feature",
        "corrupt",
        "unsupported_type",
        "type_mismatch",
        "model",
        "drift",
    ] {
        assert!(output.contains(&format!("`{kind}`")), "{kind}");
    }
}

#[test]
fn links_stay_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec!["README.md".to_string()];
    for entry in fs::read_dir(root.join("docs")).expect("docs/").flatten() {
        files.push(format!("docs/{}", entry.file_name().to_string_lossy()));
    }
    for file in files {
        let text = read(&file);
        assert!(
            !text.contains("../shared"),
            "{file} points outside the repository"
        );
        // Markdown links to local files must exist.
        for (i, _) in text.match_indices("](") {
            let target: String = text[i + 2..].chars().take_while(|c| *c != ')').collect();
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let target = target.split('#').next().unwrap_or("");
            let base = Path::new(&file).parent().unwrap_or(Path::new(""));
            assert!(
                root.join(base).join(target).exists(),
                "{file}: link to {target} does not exist"
            );
        }
    }
}

/// The README's capture of the screen is the snapshot it names, line for line: a change to the
/// screen that updates the snapshot fails here until the README shows it too.
#[test]
fn the_readme_capture_is_the_demo_snapshot() {
    let readme = read("README.md");
    let section = &readme[readme.find("## The terminal UI").expect("the TUI section")..];
    let start = section.find("```text\n").expect("a text block") + "```text\n".len();
    let end = start + section[start..].find("```").expect("closed");
    let capture: Vec<&str> = section[start..end].lines().map(str::trim_end).collect();
    let snapshot =
        read("src/tui/snapshots/ml_monitor__tui__demo_tests__demo_after_14_windows_120x36.snap");
    // The snapshot's header ends at its second `---` line.
    let body = snapshot.splitn(3, "---\n").nth(2).expect("a snapshot body");
    let expected: Vec<&str> = body.lines().map(str::trim_end).collect();
    assert_eq!(
        capture, expected,
        "README.md's capture differs from the snapshot"
    );
}

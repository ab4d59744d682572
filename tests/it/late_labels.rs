//! Late labels end to end with the real binary: windows without targets, label files with rows
//! shuffled across windows (some before their window), a restart, a third label file, a corrupt
//! one; realised accuracy per window exact, nothing counted twice, `history export` showing it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{self, BIN};

const ROWS: usize = 120;

/// A small deterministic generator (no timing, no randomness between runs).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Run {
    _root: tempfile::TempDir,
    dir: PathBuf,
    reference: PathBuf,
    config: PathBuf,
    history: PathBuf,
    /// Each window's (id, score), in row order.
    windows: HashMap<String, Vec<(String, f64)>>,
}

impl Run {
    fn new() -> Run {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).expect("dir");
        let mut rng = Lcg(7);
        let mut reference = String::from("id,x,prediction,target\n");
        for i in 0..400 {
            let p = rng.next();
            let t = u8::from(rng.next() < p);
            reference += &format!("r{i},{:.6},{p:.6},{t}\n", rng.next());
        }
        let reference_path = root.path().join("reference.csv");
        std::fs::write(&reference_path, reference).expect("reference");
        let config = root.path().join("monitor.toml");
        std::fs::write(&config, "[columns]\nid = \"id\"\n").expect("config");
        let history = root.path().join("history.sqlite");
        Run {
            _root: root,
            dir,
            reference: reference_path,
            config,
            history,
            windows: HashMap::new(),
        }
    }

    /// Writes a window without targets: ids `{prefix}-{i}`.
    fn window(&mut self, name: &str, prefix: &str, seed: u64) {
        let mut rng = Lcg(seed);
        let mut text = String::from("id,x,prediction\n");
        let mut rows = Vec::new();
        for i in 0..ROWS {
            let id = format!("{prefix}-{i}");
            let p = (rng.next() * 1e6).round() / 1e6;
            text += &format!("{id},{:.6},{p}\n", rng.next());
            rows.push((id, p));
        }
        std::fs::write(self.dir.join(name), text).expect("window");
        self.windows.insert(name.to_string(), rows);
    }

    fn once(&self) -> (Vec<Value>, Output) {
        let out = support::once_command(&self.dir, &self.reference, &self.config, &self.history)
            .output()
            .expect("runs");
        let lines = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        (lines, out)
    }
}

fn write_labels(dir: &Path, name: &str, rows: &[(String, u8)]) {
    let mut text = String::from("target,id\n");
    for (id, t) in rows {
        text += &format!("{t},{id}\n");
    }
    std::fs::write(dir.join(name), text).expect("labels");
}

/// The accuracy of a window from the labels known for its ids (score >= 0.5 predicts 1).
fn accuracy(rows: &[(String, f64)], truth: &HashMap<String, u8>) -> (f64, usize) {
    let labelled: Vec<bool> = rows
        .iter()
        .filter_map(|(id, p)| truth.get(id).map(|&t| u8::from(*p >= 0.5) == t))
        .collect();
    let right = labelled.iter().filter(|&&ok| ok).count();
    (right as f64 / labelled.len() as f64, labelled.len())
}

/// A label per id, from the id's number (so a test can choose them), shuffled by `seed`.
fn labels_for(ids: impl Iterator<Item = String>, flip: bool, seed: u64) -> Vec<(String, u8)> {
    let mut rows: Vec<(String, u8)> = ids
        .map(|id| {
            let n: u64 = id
                .rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let t = u8::from((n * 7919 + 13) % 5 < 2) ^ u8::from(flip);
            (id, t)
        })
        .collect();
    let mut rng = Lcg(seed);
    for i in (1..rows.len()).rev() {
        let j = (rng.next() * (i + 1) as f64) as usize;
        rows.swap(i, j.min(i));
    }
    rows
}

fn by_window<'a>(lines: &'a [Value], window: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["window"] == window && l.get("labelled_rows").is_some())
        .collect()
}

fn summary<'a>(lines: &'a [Value], file: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["labels"] == file && l.get("window").is_none())
        .unwrap_or_else(|| panic!("no summary of {file} in {lines:#?}"))
}

fn assert_accuracy(line: &Value, rows: &[(String, f64)], truth: &HashMap<String, u8>) {
    let (expected, labelled) = accuracy(rows, truth);
    assert_eq!(line["labelled_rows"], labelled, "{line}");
    assert_eq!(line["rows"], ROWS);
    let got = line["performance"]["accuracy"].as_f64().expect("accuracy");
    assert!(
        (got - expected).abs() < 1e-12,
        "{got} vs {expected}: {line}"
    );
    let estimate = line["estimated_performance"]["metrics"]["accuracy"]["value"].as_f64();
    if let Some(estimate) = estimate {
        let error = line["estimation_error"]["accuracy"]
            .as_f64()
            .expect("error");
        assert!((error - (estimate - got)).abs() < 1e-12, "{line}");
    }
}

#[test]
fn late_labels_join_by_id_across_windows_runs_and_restarts() {
    let mut run = Run::new();
    run.window("w_001.csv", "a", 11);
    run.window("w_002.csv", "b", 12);
    let (lines, out) = run.once();
    assert_eq!(lines.len(), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        lines.iter().all(|l| l["performance"].is_null()),
        "no targets yet"
    );

    // Two label files: w1's first half and w2's odd rows shuffled together, labels for w3's
    // first 40 ids (not seen yet) and 5 ids no window has; then the rest of w1, w2's rows 1..=9
    // again (3, 5, 7, 9 with another label: replaced) and w1 row 0 again with the same label.
    let mut truth: HashMap<String, u8> = HashMap::new();
    let ids = |prefix: &str, rows: std::ops::Range<usize>| {
        let prefix = prefix.to_string();
        rows.map(move |i| format!("{prefix}-{i}"))
    };
    let mut first = labels_for(
        ids("a", 0..60)
            .chain(ids("b", 0..ROWS).filter(|id| id.ends_with(['1', '3', '5', '7', '9'])))
            .chain(ids("c", 0..40))
            .chain((0..5).map(|i| format!("ghost-{i}"))),
        false,
        1,
    );
    first.sort_by_key(|(id, _)| id.len() as u64 * 31 % 7);
    write_labels(&run.dir, "x_1.labels.csv", &first);
    truth.extend(first.iter().cloned());
    let mut second = labels_for(ids("a", 60..ROWS), false, 2);
    let flipped: Vec<(String, u8)> = labels_for(
        ["b-3", "b-5", "b-7", "b-9"].map(String::from).into_iter(),
        true,
        3,
    );
    second.extend(flipped.iter().cloned());
    let a0 = ("a-0".to_string(), truth["a-0"]);
    second.push(a0);
    write_labels(&run.dir, "y_2.labels.csv", &second);
    truth.extend(second.iter().cloned());

    let (lines, out) = run.once();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let s1 = summary(&lines, "x_1.labels.csv");
    assert_eq!(s1["unknown_ids"], 45, "{s1} {stderr}");
    assert_eq!(s1["held"], 45);
    assert_eq!(s1["matched"], 60 + ROWS / 2);
    let s2 = summary(&lines, "y_2.labels.csv");
    assert_eq!(s2["matched"], 60);
    assert_eq!(s2["replaced"], 4);
    assert_eq!(s2["unchanged"], 1);
    // Each window's last line holds all its labels so far.
    for (name, files) in [("w_001.csv", 2), ("w_002.csv", 2)] {
        let mine = by_window(&lines, name);
        assert_eq!(mine.len(), files, "{name}: {lines:#?}");
        assert_accuracy(mine[files - 1], &run.windows[name], &truth);
    }
    assert_eq!(
        by_window(&lines, "w_002.csv")[1]["labels"],
        "y_2.labels.csv"
    );

    // A restart: the third window arrives (its held labels apply), then a corrupt label file
    // and a third one that labels the rest of w3.
    run.window("w_003.csv", "c", 13);
    std::fs::write(
        run.dir.join("z_0.labels.csv"),
        "id,target\nc-50,1\nc-51,yes\n",
    )
    .expect("bad");
    let third = labels_for(ids("c", 40..ROWS), false, 4);
    write_labels(&run.dir, "z_3.labels.csv", &third);
    let (lines, out) = run.once();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        by_window(&lines, "w_001.csv").is_empty() && by_window(&lines, "w_002.csv").is_empty(),
        "label files already read are not read again: {lines:#?}"
    );
    let held = by_window(&lines, "w_003.csv");
    assert_eq!(
        held.len(),
        2,
        "held, then the third file: {lines:#?} {stderr}"
    );
    assert_eq!(held[0]["labels"], "x_1.labels.csv");
    assert_eq!(held[0]["labelled_rows"], 40);
    assert_accuracy(
        held[0],
        &run.windows["w_003.csv"],
        &truth
            .iter()
            .filter(|(k, _)| k.starts_with("c-"))
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
    );
    let bad = summary(&lines, "z_0.labels.csv");
    assert_eq!(bad["error"]["line"], 3, "{bad}");
    assert_eq!(bad["error"]["column"], "target");
    assert!(bad["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("z_0.labels.csv")));
    truth.extend(third.iter().cloned());
    assert_accuracy(held[1], &run.windows["w_003.csv"], &truth);
    assert_eq!(summary(&lines, "z_3.labels.csv")["unknown_ids"], 0);

    // The same file read again changes nothing.
    let z3 = run.dir.join("z_3.labels.csv");
    let text = std::fs::read(&z3).expect("read");
    std::fs::remove_file(&z3).expect("remove");
    std::fs::write(run.dir.join("z_4.labels.csv"), text).expect("copy");
    let (lines, _) = run.once();
    let again = summary(&lines, "z_4.labels.csv");
    assert_eq!(again["unchanged"], ROWS - 40, "{again}");
    assert_eq!(again["matched"], 0);
    assert!(
        lines.iter().all(|l| l.get("labelled_rows").is_none()),
        "{lines:#?}"
    );

    // The history holds the realised figures per window.
    let out = Command::new(BIN)
        .args(["history", "--history"])
        .arg(&run.history)
        .args(["export", "--format", "json"])
        .output()
        .expect("export");
    let exported: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    for name in ["w_001.csv", "w_002.csv", "w_003.csv"] {
        let r = exported
            .iter()
            .rev()
            .find(|r| r["window"] == name)
            .expect("window");
        let (expected, labelled) = accuracy(&run.windows[name], &truth);
        assert_eq!(
            r["metadata"]["late_labels"]["labelled_rows"], labelled,
            "{name}"
        );
        let got = r["performance"]["accuracy"].as_f64().expect("accuracy");
        assert!(
            (got - expected).abs() < 1e-12,
            "{name}: {got} vs {expected}"
        );
    }
}

/// `--headless` watches `[labels] dir` too (relative to the watched directory, as `--once`
/// reads it): a label file landing there while the monitor runs gives its window's realised
/// line, and a window-like file there is not taken for a window.
#[test]
fn headless_watches_the_labels_dir_for_label_files_only() {
    let mut run = Run::new();
    let labels = run.dir.parent().expect("root").join("labels");
    std::fs::create_dir(&labels).expect("labels dir");
    std::fs::write(
        &run.config,
        "[columns]\nid = \"id\"\n\n[labels]\ndir = \"../labels\"\n",
    )
    .expect("config");
    run.window("w_001.csv", "a", 21);
    let mut child = support::Killed(
        Command::new(BIN)
            .arg("watch")
            .arg(&run.dir)
            .arg("--reference")
            .arg(&run.reference)
            .arg("--config")
            .arg(&run.config)
            .arg("--history")
            .arg(&run.history)
            .args(["--detectors", "ks", "--headless", "--poll", "100ms"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starts"),
    );
    let lines = support::lines_of(&mut child.0);
    let deadline = std::time::Duration::from_secs(60);
    let next = |what: &str| -> Value {
        let (_, line) = lines
            .recv_timeout(deadline)
            .unwrap_or_else(|e| panic!("no line for {what}: {e}"));
        serde_json::from_str(&line).expect("JSON line")
    };
    let first = next("the window");
    assert_eq!(first["window"], "w_001.csv", "{first}");
    // Not a label file: ignored in the labels directory (no result for it).
    std::fs::write(labels.join("stray.csv"), "id,x,prediction\nq-1,0.5,0.5\n").expect("stray");
    let rows = labels_for((0..ROWS).map(|i| format!("a-{i}")), false, 5);
    let truth: HashMap<String, u8> = rows.iter().cloned().collect();
    write_labels(&labels, "l_1.labels.csv", &rows);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &Value| l["labels"] == "l_1.labels.csv" && l.get("window").is_none())
    {
        seen.push(next("the label file"));
    }
    assert!(
        seen.iter().all(|l| l.get("labels").is_some()),
        "only label lines, no window result for stray.csv: {seen:#?}"
    );
    let realised = by_window(&seen, "w_001.csv");
    assert_eq!(realised.len(), 1, "{seen:#?}");
    assert_accuracy(realised[0], &run.windows["w_001.csv"], &truth);
}

/// Labels that arrive later and show an accuracy drop raise a problem for the window they
/// label, not the latest one: in the history and at a real webhook receiver, once.
#[test]
fn a_late_accuracy_drop_pages_for_the_window_it_belongs_to() {
    let receiver = support::Receiver::start(Box::new(|_| Some(200)));
    let mut run = Run::new();
    std::fs::write(
        &run.config,
        format!(
            "[columns]\nid = \"id\"\n\n[alerts]\naccuracy = 0.7\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"{}\"\nmin_level = \"INFO\"\ntimeout = \"2s\"\n",
            receiver.url
        ),
    )
    .expect("config");
    run.window("w_001.csv", "a", 31);
    run.window("w_002.csv", "b", 32);
    run.window("w_003.csv", "c", 33);
    let (_, out) = run.once();
    let before = receiver.bodies().len();
    // w_002's labels are the opposite of its predictions: accuracy far below 0.7.
    let wrong: Vec<(String, u8)> = run.windows["w_002.csv"]
        .iter()
        .map(|(id, p)| (id.clone(), u8::from(*p < 0.5)))
        .collect();
    write_labels(&run.dir, "x_1.labels.csv", &wrong);
    let (lines, out2) = run.once();
    let stderr = String::from_utf8_lossy(&out2.stderr);
    let line = by_window(&lines, "w_002.csv");
    assert_eq!(line.len(), 1, "{lines:#?} {stderr} {out:?}");
    let opened = line[0]["incidents"].as_array().expect("incidents");
    assert_eq!(opened.len(), 1, "{}", line[0]);
    assert_eq!(opened[0]["change"], "opened");
    assert_eq!(opened[0]["first_window"], "w_002.csv");
    assert_eq!(opened[0]["detector"], "labels");
    assert_eq!(opened[0]["kind"], "performance_degradation");
    let bodies = receiver.wait_for_bodies(before + 1);
    let paged: Vec<&Value> = bodies[before..]
        .iter()
        .filter(|b| b["incident"]["detector"] == "labels" || b["detector"] == "labels")
        .collect();
    assert_eq!(paged.len(), 1, "{bodies:#?}");
    let stored = Command::new(BIN)
        .args(["history", "incidents", "--format", "json", "--history"])
        .arg(&run.history)
        .output()
        .expect("incidents");
    let text = String::from_utf8_lossy(&stored.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("\"labels\"") && l.contains("w_002.csv")),
        "{text}"
    );
}

/// With `--model` the window has no prediction column: the scores the model computes are the
/// ones kept, so late labels give that window its realised figures.
#[test]
fn predictions_computed_by_the_model_are_kept_for_late_labels() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).expect("dir");
    let mut rng = Lcg(3);
    let (mut train, mut reference) = (String::from("x,target\n"), String::from("id,x,target\n"));
    for i in 0..400 {
        let x = rng.next();
        let t = u8::from(x + 0.2 * rng.next() > 0.6);
        train += &format!("{x:.6},{t}\n");
        reference += &format!("r{i},{x:.6},{t}\n");
    }
    let (train_path, reference_path) = (root.path().join("train.csv"), root.path().join("ref.csv"));
    std::fs::write(&train_path, train).expect("train");
    std::fs::write(&reference_path, reference).expect("reference");
    let model = root.path().join("model.json");
    let trained = Command::new(BIN)
        .args(["train", "--data"])
        .arg(&train_path)
        .args(["--target", "target", "--out"])
        .arg(&model)
        .output()
        .expect("train");
    assert!(trained.status.success(), "{trained:?}");
    let config = root.path().join("monitor.toml");
    std::fs::write(&config, "[columns]\nid = \"id\"\n").expect("config");
    let history = root.path().join("history.sqlite");
    let mut window = String::from("id,x\n");
    let mut labels = Vec::new();
    for i in 0..ROWS {
        let x = rng.next();
        window += &format!("w-{i},{x:.6}\n");
        labels.push((format!("w-{i}"), u8::from(x > 0.6)));
    }
    std::fs::write(dir.join("w_001.csv"), window).expect("window");
    let once = || {
        let out = support::once_command(&dir, &reference_path, &config, &history)
            .arg("--model")
            .arg(&model)
            .output()
            .expect("runs");
        let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        (lines, out)
    };
    let (first, out) = once();
    assert_eq!(first.len(), 1, "{out:?}");
    assert_eq!(first[0]["prediction_source"], "model", "{}", first[0]);
    write_labels(&dir, "x_1.labels.csv", &labels);
    let (lines, out) = once();
    let realised = by_window(&lines, "w_001.csv");
    assert_eq!(realised.len(), 1, "{lines:#?} {out:?}");
    assert_eq!(realised[0]["labelled_rows"], ROWS);
    let accuracy = realised[0]["performance"]["accuracy"]
        .as_f64()
        .unwrap_or_else(|| panic!("realised accuracy from the model's scores: {}", realised[0]));
    assert!(accuracy > 0.5, "{}", realised[0]);
}

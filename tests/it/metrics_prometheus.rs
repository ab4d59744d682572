//! Prometheus metrics through the real binary: a real Prometheus (Debian's `prometheus`)
//! scraping `--headless --metrics-addr` every second, and `--metrics-file` in `--once` mode.
//!
//! Without `prometheus` on the PATH the scrape test says SKIPPED on stderr and passes, unless
//! `ML_MONITOR_REQUIRE_EXTERNAL=1` (as in `.ci/run`), where it fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ml-monitor");
/// A feature name that needs escaping in the exposition text and in PromQL.
const ODD: &str = "od\"d \\name";

/// A CSV with numeric features `x` and [`ODD`], categorical `c`; `shift` moves `x`.
fn window_csv(rows: usize, seed: usize, shift: f64) -> String {
    let mut s = String::from("x,\"od\"\"d \\name\",c,prediction,target\n");
    for i in 0..rows {
        let x = ((i * 37 + seed * 11) % 101) as f64 / 10.0 + shift;
        let odd = ((i * 13 + seed * 7) % 53) as f64 / 7.0;
        let c = ["a", "b", "c"][(i + seed) % 3];
        s.push_str(&format!("{x},{odd},{c},0.{},{}\n", (i % 9) + 1, i % 2));
    }
    s
}

/// A reference and `n` windows (the last ones shifted) in a fresh directory.
fn data(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = dir.path().join("reference.csv");
    std::fs::write(&reference, window_csv(400, 0, 0.0)).expect("reference");
    for i in 1..=n {
        let shift = if i > 1 { 2.0 * i as f64 } else { 0.0 };
        std::fs::write(
            dir.path().join(format!("window_{i:04}.csv")),
            window_csv(300, i, shift),
        )
        .expect("window");
    }
    (dir, reference)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `GET path` over HTTP/1.0; (status, body).
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Skips (loudly) when `tool` is not installed, unless external tools are required.
fn installed(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("ML_MONITOR_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
            panic!("{tool} is not installed and ML_MONITOR_REQUIRE_EXTERNAL=1");
        }
        // Written to the real stderr, past the test harness's capture, so it shows.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {tool} not installed (apt-get install -y {tool})"
        );
    }
    found
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The example alert rules docs/prometheus.md shows, loaded by the test's Prometheus.
fn rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus/ml-monitor.rules.yml")
}

/// A real Prometheus on a free loopback port scraping `target` every second and evaluating
/// the example rules every second.
struct Prometheus {
    _child: Killed,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: SocketAddr) -> Prometheus {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - '{}'\nscrape_configs:\n  - job_name: ml-monitor\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: ['{target}']\n",
                rules_file().display()
            ),
        )
        .expect("config");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        let prometheus = Prometheus {
            _child: Killed(child),
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(addr, "/-/ready").map(|r| r.0) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "prometheus not ready: {}",
                prometheus.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        prometheus
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query's result vector.
    fn query(&self, promql: &str) -> Vec<Value> {
        let path = format!("/api/v1/query?query={}", url_encode(promql));
        let Some((200, body)) = http_get(self.addr, &path) else {
            return Vec::new();
        };
        let v: Value = serde_json::from_str(&body).expect("JSON answer");
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// Firing alerts as (alertname, feature label or "").
    fn firing(&self) -> Vec<(String, String)> {
        let Some((200, body)) = http_get(self.addr, "/api/v1/alerts") else {
            return Vec::new();
        };
        let v: Value = serde_json::from_str(&body).expect("JSON answer");
        let mut firing: Vec<(String, String)> = v["data"]["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["state"] == "firing")
            .map(|a| {
                let label = |k: &str| a["labels"][k].as_str().unwrap_or("").to_string();
                (label("alertname"), label("feature"))
            })
            .collect();
        firing.sort();
        firing.dedup();
        firing
    }

    fn targets(&self) -> String {
        http_get(self.addr, "/api/v1/targets")
            .map(|r| r.1)
            .unwrap_or_default()
    }
}

fn value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .expect("value string")
        .parse()
        .expect("number")
}

/// The monitor in `--headless` mode, its JSON lines on a channel.
fn headless(dir: &Path, reference: &Path, extra: &[&str]) -> (Killed, Receiver<Value>) {
    let mut child = Command::new(BIN)
        .arg("watch")
        .arg(dir)
        .arg("--reference")
        .arg(reference)
        .args([
            "--headless",
            "--no-history",
            "--detectors",
            "ks,ad,psi,chi2",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("monitor starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                break;
            };
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    (Killed(child), rx)
}

fn ks_statistics(result: &Value) -> BTreeMap<String, f64> {
    result["drift"]["ks"]["features"]
        .as_object()
        .expect("ks features")
        .iter()
        .filter_map(|(name, f)| Some((name.clone(), f["statistic"].as_f64()?)))
        .collect()
}

#[test]
fn real_prometheus_scrapes_the_last_window() {
    if !installed("prometheus") {
        return;
    }
    const N: usize = 3;
    let (dir, reference) = data(N);
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let (_monitor, results) = headless(
        dir.path(),
        &reference,
        &["--metrics-addr", &metrics.to_string()],
    );
    let mut seen = Vec::new();
    while seen.len() < N {
        seen.push(
            results
                .recv_timeout(Duration::from_secs(60))
                .expect("a result per window"),
        );
    }
    let last = ks_statistics(&seen[N - 1]);
    assert!(last.contains_key(ODD) && last.contains_key("x"), "{last:?}");

    let prometheus = Prometheus::start(metrics);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let windows = prometheus.query("ml_monitor_windows_total");
        if windows.len() == 1 && value(&windows[0]) == N as f64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ml_monitor_windows_total never reached {N}: {windows:?}\ntargets: {}\nlog: {}",
            prometheus.targets(),
            prometheus.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let series = prometheus.query(r#"ml_monitor_feature_drift_statistic{detector="ks"}"#);
    let scraped: BTreeMap<String, f64> = series
        .iter()
        .map(|s| {
            (
                s["metric"]["feature"]
                    .as_str()
                    .expect("feature")
                    .to_string(),
                value(s),
            )
        })
        .collect();
    // Exactly the JSON's figures, the odd name's quote and backslash intact.
    assert_eq!(scraped, last);
    // PromQL with the name escaped selects the same series.
    let odd = prometheus
        .query(r#"ml_monitor_feature_drift_statistic{detector="ks",feature="od\"d \\name"}"#);
    assert_eq!(odd.len(), 1, "{odd:?}");
    assert_eq!(value(&odd[0]), last[ODD]);
    let drifted = prometheus.query(r#"ml_monitor_drift_detected{detector="ks"}"#);
    let expected = if seen[N - 1]["drift"]["ks"]["drift_detected"] == Value::Bool(true) {
        1.0
    } else {
        0.0
    };
    assert_eq!(drifted.len(), 1);
    assert_eq!(value(&drifted[0]), expected);

    // The Grafana queries of docs/prometheus.md have something to graph.
    for promql in [
        "ml_monitor_drift_score",
        r#"topk(10, ml_monitor_feature_drift_statistic{detector="ks"})"#,
        r#"ml_monitor_performance{metric="accuracy"}"#,
    ] {
        assert!(!prometheus.query(promql).is_empty(), "{promql}");
    }

    // The alert rules of docs/prometheus.md fire exactly for what the JSON shows.
    let json = &seen[N - 1];
    let mut expected = Vec::new();
    let dataset_drift = json["drift"]
        .as_object()
        .expect("drift")
        .values()
        .any(|d| d["drift_detected"] == Value::Bool(true));
    if dataset_drift {
        expected.push(("MlMonitorDatasetDrift".to_string(), String::new()));
    }
    // AD's p-value is capped at 0.001 (scipy's): the rule fires at the cap.
    for (feature, f) in json["drift"]["ad"]["features"].as_object().expect("ad") {
        if f["p_value"].as_f64().is_some_and(|p| p <= 0.001) {
            expected.push(("MlMonitorFeatureDrift".to_string(), feature.clone()));
        }
    }
    let accuracy = json["performance"]["accuracy"].as_f64().expect("accuracy");
    if accuracy < 0.7 {
        expected.push(("MlMonitorLowAccuracy".to_string(), String::new()));
    }
    expected.sort();
    // The data is made so that the rules have something to say.
    assert!(dataset_drift && accuracy < 0.7, "{json}");
    assert!(
        expected.iter().any(|(a, _)| a == "MlMonitorFeatureDrift"),
        "{json}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let firing = prometheus.firing();
        if firing == expected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "firing {firing:?}, expected {expected:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn the_prometheus_doc_shows_the_tested_rules() {
    let rules = std::fs::read_to_string(rules_file()).expect("rules file");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/prometheus.md");
    let doc = std::fs::read_to_string(&path).expect("docs/prometheus.md");
    assert!(
        doc.contains(&rules),
        "docs/prometheus.md must show {} verbatim",
        rules_file().display()
    );
}

#[test]
fn once_writes_the_metrics_file() {
    const N: usize = 3;
    let (dir, reference) = data(N);
    let out = tempfile::tempdir().expect("out");
    let file = out.path().join("ml_monitor.prom");
    let output = Command::new(BIN)
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(&reference)
        .args(["--once", "--format", "json", "--detectors", "ks,psi,chi2"])
        .arg("--metrics-file")
        .arg(&file)
        .output()
        .expect("runs");
    assert!(
        matches!(output.status.code(), Some(0 | 3 | 4)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(results.len(), N);
    let text = std::fs::read_to_string(&file).expect("metrics file");
    let samples: BTreeMap<&str, &str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .collect();
    assert_eq!(
        samples.get("ml_monitor_windows_total"),
        Some(&"3"),
        "{text}"
    );
    let x = samples
        .get(r#"ml_monitor_feature_drift_statistic{detector="ks",feature="x"}"#)
        .expect("x statistic")
        .parse::<f64>()
        .expect("number");
    assert_eq!(
        Some(x),
        results[N - 1]["drift"]["ks"]["features"]["x"]["statistic"].as_f64()
    );
    assert!(
        samples.contains_key(
            r#"ml_monitor_feature_drift_statistic{detector="ks",feature="od\"d \\name"}"#
        ),
        "{text}"
    );
    // The incidents firing after the last window, replayed from the windows' changes, are the
    // ones the file counts by level and kind.
    let mut open: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for change in results
        .iter()
        .flat_map(|r| r["incidents"].as_array().into_iter().flatten())
    {
        let id = change["id"].as_u64().expect("incident id");
        let level = change["level"].as_str().expect("level").to_string();
        let kind = change["kind"].as_str().expect("kind").to_string();
        match change["change"].as_str() {
            Some("resolved") => {
                open.remove(&id);
            }
            _ => {
                open.insert(id, (level, kind));
            }
        }
    }
    assert!(!open.is_empty(), "the test data raises incidents: {text}");
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for (level, kind) in open.values() {
        *expected
            .entry(format!(
                r#"ml_monitor_incidents_firing{{level="{level}",kind="{kind}"}}"#
            ))
            .or_insert(0) += 1;
    }
    let exported: BTreeMap<String, u64> = samples
        .iter()
        .filter(|(k, _)| k.starts_with("ml_monitor_incidents_firing{"))
        .map(|(k, v)| (k.to_string(), v.parse::<f64>().expect("count") as u64))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(exported, expected, "{text}");
    // Only the file itself: the temporary it was written through is gone.
    let names: Vec<_> = std::fs::read_dir(out.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("ml_monitor.prom")]);
}

#[test]
fn bad_metrics_flags_are_usage_errors() {
    let (dir, reference) = data(1);
    for extra in [
        vec!["--once", "--metrics-addr", ":9464"],
        vec!["--headless", "--metrics-addr", "no-port"],
        vec!["--once", "--metrics-file", "/no/such/dir/m.prom"],
    ] {
        let output = Command::new(BIN)
            .arg("watch")
            .arg(dir.path())
            .arg("--reference")
            .arg(&reference)
            .args(&extra)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("metrics"), "{extra:?}: {stderr}");
    }
}

#[test]
fn busy_metrics_port_stops_the_start() {
    let (dir, reference) = data(1);
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let output = Command::new(BIN)
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(&reference)
        .args(["--headless", "--no-history", "--metrics-addr", &addr])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot listen") && stderr.contains(&addr),
        "{stderr}"
    );
}

#[test]
fn max_features_cut_is_said_once() {
    let (dir, reference) = data(3);
    let config = dir.path().join("monitor.toml");
    std::fs::write(&config, "[metrics]\nmax_features = 1\n").expect("config");
    let out = tempfile::tempdir().expect("out");
    let file = out.path().join("m.prom");
    let output = Command::new(BIN)
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(&reference)
        .arg("--config")
        .arg(&config)
        .args(["--once", "--format", "json"])
        .arg("--metrics-file")
        .arg(&file)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("max_features").count(), 1, "{stderr}");
    let text = std::fs::read_to_string(&file).expect("metrics file");
    // Only the first feature by name ("c") has per-feature series.
    assert!(
        text.contains(r#"ml_monitor_feature_missing_ratio{feature="c"}"#),
        "{text}"
    );
    assert!(!text.contains(r#"feature="x""#), "{text}");
}

#[test]
fn live_modes_start_from_the_last_recorded_window() {
    let (dir, reference) = data(2);
    let kept = tempfile::tempdir().expect("history dir");
    let history = kept.path().join("h.sqlite");
    let history_arg = history.display().to_string();
    let first = Command::new(BIN)
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(&reference)
        .args(["--once", "--format", "json", "--history", &history_arg])
        .output()
        .expect("runs");
    let lines: Vec<Value> = String::from_utf8_lossy(&first.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let child = Command::new(BIN)
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(&reference)
        .args(["--headless", "--history", &history_arg, "--metrics-addr"])
        .arg(metrics.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let _monitor = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        if let Some((200, body)) = http_get(metrics, "/metrics") {
            if body.contains("ml_monitor_window_rows") {
                break body;
            }
        }
        assert!(Instant::now() < deadline, "no figures served");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.contains("\nml_monitor_windows_total 0\n"), "{body}");
    let rows = lines[1]["rows"].as_u64().expect("rows");
    assert!(
        body.contains(&format!("\nml_monitor_window_rows {rows}.0\n")),
        "{body}"
    );
}

#[test]
fn stalled_scrapers_block_neither_windows_nor_other_scrapes() {
    let (stage, reference) = data(4);
    let watched = tempfile::tempdir().expect("watched");
    let out = tempfile::tempdir().expect("out");
    let file = out.path().join("live.prom");
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let (_monitor, results) = headless(
        watched.path(),
        &reference,
        &[
            "--metrics-addr",
            &metrics.to_string(),
            "--metrics-file",
            &file.display().to_string(),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(metrics, "/healthz").map(|r| r.0) != Some(200) {
        assert!(Instant::now() < deadline, "metrics server never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Scrapers that connect and never finish their request, and one that never reads.
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(metrics).expect("connects");
        s.write_all(b"GET /metr").expect("half a request");
        stalled.push(s);
    }
    let mut unread = TcpStream::connect(metrics).expect("connects");
    unread
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request");
    stalled.push(unread);
    for i in 1..=4 {
        let name = format!("window_{i:04}.csv");
        std::fs::rename(stage.path().join(&name), watched.path().join(&name)).expect("moves");
    }
    for _ in 0..4 {
        results
            .recv_timeout(Duration::from_secs(60))
            .expect("windows go on while scrapers stall");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = http_get(metrics, "/metrics")
            .map(|r| r.1)
            .unwrap_or_default();
        if body.contains("\nml_monitor_windows_total 4\n") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "scrape never showed 4 windows: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // --metrics-file is written in the live mode too.
    let text = std::fs::read_to_string(&file).expect("metrics file");
    assert!(text.contains("\nml_monitor_windows_total 4\n"), "{text}");
    drop(stalled);
}

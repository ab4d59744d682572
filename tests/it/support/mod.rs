//! Shared by the sink tests: window files with and without drift, a tiny webhook receiver, and
//! a real Alertmanager started on a free loopback port.
#![allow(dead_code)]

/// The Spark and DuckDB profile tests' shared part (beside their Python scripts).
#[path = "../../profile_engines/common.rs"]
pub mod engines;
pub mod headless;
pub mod pty;
pub mod same;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_ml-monitor");

/// Rows of two numeric features; `shift` moves both.
pub fn csv(rows: usize, seed: u64, shift: f64) -> String {
    let mut s = String::from("x,y\n");
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..rows {
        s.push_str(&format!(
            "{:.6},{:.6}\n",
            next() + shift,
            next() * 2.0 + shift
        ));
    }
    s
}

/// A window of numeric `x`, categorical `c`, a prediction and a target; `seed` varies the
/// values, so windows of one test differ and stay the same from run to run.
pub fn window_csv(rows: usize, seed: usize) -> String {
    let mut s = String::from("x,c,prediction,target\n");
    for i in 0..rows {
        let x = ((i * 37 + seed * 11) % 101) as f64 / 10.0;
        let c = ["a", "b", "c"][(i + seed) % 3];
        s.push_str(&format!("{x},{c},0.{},{}\n", (i % 9) + 1, i % 2));
    }
    s
}

/// A temporary directory, on tmpfs when there is one (file creation on this disk is slow).
pub fn tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().expect("tempdir")
}

/// A directory with `reference.csv` (outside the watched directory) and a config file.
pub struct Setup {
    pub root: tempfile::TempDir,
    pub dir: PathBuf,
    pub reference: PathBuf,
    pub config: PathBuf,
}

impl Setup {
    pub fn new(config: &str) -> Setup {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("churn");
        std::fs::create_dir(&dir).expect("dir");
        let reference = root.path().join("reference.csv");
        std::fs::write(&reference, csv(400, 1, 0.0)).expect("reference");
        let path = root.path().join("monitor.toml");
        std::fs::write(&path, config).expect("config");
        Setup {
            root,
            dir,
            reference,
            config: path,
        }
    }

    /// Writes window `name`: drifting (both features) or a copy of the reference (clean).
    pub fn window(&self, name: &str, drift: bool) {
        let text = if drift {
            csv(400, 7, 3.0)
        } else {
            std::fs::read_to_string(&self.reference).expect("reference")
        };
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).expect("window");
        std::fs::rename(&tmp, self.dir.join(name)).expect("rename");
    }

    pub fn history(&self) -> PathBuf {
        self.root.path().join("history.sqlite")
    }

    /// `watch DIR --once` with the config, history and `--detectors ks`.
    pub fn once(&self, extra: &[&str]) -> std::process::Output {
        once_command(&self.dir, &self.reference, &self.config, &self.history())
            .args(extra)
            .env("ML_MONITOR_TEST_PAGER_TOKEN", "s3cret-13")
            .output()
            .expect("runs")
    }

    /// `watch DIR --headless` with the config and its default history, once it watches.
    pub fn headless(&self) -> Child {
        let mut child = Command::new(BIN)
            .arg("watch")
            .arg(&self.dir)
            .arg("--reference")
            .arg(&self.reference)
            .arg("--config")
            .arg(&self.config)
            .args(["--detectors", "ks", "--headless", "--poll", "100ms"])
            .env("ML_MONITOR_TEST_PAGER_TOKEN", "s3cret-13")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        headless::wait_until_watching(&mut child);
        child
    }

    /// Every `last_error` the outbox of the default history holds.
    pub fn outbox_errors(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(self.history()).expect("history");
        let mut stmt = conn
            .prepare("SELECT last_error FROM outbox WHERE last_error IS NOT NULL")
            .expect("query");
        let errors = stmt
            .query_map([], |row| row.get(0))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect();
        errors
    }

    /// The outbox recorded errors, and each shows the test pager token (`s3cret-13`, given to
    /// every run by [`once`](Self::once)) as `Bearer ***`, never the token itself.
    pub fn assert_outbox_errors_hide_the_token(&self) {
        let errors = self.outbox_errors();
        assert!(!errors.is_empty());
        for e in &errors {
            assert!(e.contains("Bearer ***") && !e.contains("s3cret"), "{e}");
        }
    }

    /// `history incidents --format json` of the default history of the watched directory.
    pub fn incidents(&self, history: &Path) -> Vec<Value> {
        let out = Command::new(BIN)
            .args(["history", "incidents", "--format", "json", "--history"])
            .arg(history)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }
}

/// `watch DIR --reference R --config C --history H --detectors ks --once --format json`.
pub fn once_command(dir: &Path, reference: &Path, config: &Path, history: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("watch")
        .arg(dir)
        .arg("--reference")
        .arg(reference)
        .arg("--config")
        .arg(config)
        .arg("--history")
        .arg(history)
        .args(["--detectors", "ks", "--once", "--format", "json"]);
    command
}

/// Lines of a child's stdout, on a channel.
pub fn lines_of(child: &mut Child) -> std::sync::mpsc::Receiver<(Instant, String)> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    rx
}

/// Kills a child on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// How the receiver answers its n-th request (0-based): a status, or never.
pub type Script = Box<dyn Fn(usize) -> Option<u16> + Send>;

/// A webhook receiver on a loopback port: records each request's JSON body.
pub struct Receiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<Value>>>,
    /// Each request's `Authorization` header (empty when absent).
    pub authorizations: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub fn start(script: Script) -> Receiver {
        Self::start_with_body(script, "ok".into())
    }

    /// A receiver whose every answer has this body.
    pub fn start_with_body(script: Script, answer: String) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = bodies.clone();
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let auth_seen = authorizations.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            let mut hung = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some((body, auth)) = read_request(&mut stream) else {
                    continue;
                };
                if let Ok(mut b) = seen.lock() {
                    b.push(body);
                }
                if let Ok(mut a) = auth_seen.lock() {
                    a.push(auth);
                }
                match script(n) {
                    Some(status) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                            answer.len()
                        );
                    }
                    None => hung.push(stream),
                }
                n += 1;
            }
        });
        Receiver {
            url,
            bodies,
            authorizations,
        }
    }

    /// The bodies once `n` have arrived, or whatever arrived within 10 s.
    pub fn wait_for_bodies(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let bodies = self.bodies();
            if bodies.len() >= n || Instant::now() > deadline {
                return bodies;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(Value, String)> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0usize;
    let mut auth = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
            if name.eq_ignore_ascii_case("authorization") {
                auth = value.trim().to_string();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((serde_json::from_slice(&body).ok()?, auth))
}

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on a loopback port, with its own
/// config and storage; killed on drop.
pub struct Alertmanager {
    pub port: u16,
    pub url: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// The Alertmanager binary, or `None` (after a loud SKIPPED) when it is not installed; under
/// `ML_MONITOR_REQUIRE_EXTERNAL=1` a missing binary fails the test.
pub fn alertmanager_binary(test: &str) -> Option<PathBuf> {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join("prometheus-alertmanager");
        if p.is_file() {
            return Some(p);
        }
    }
    if std::env::var("ML_MONITOR_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
        panic!(
            "{test}: prometheus-alertmanager is not installed and ML_MONITOR_REQUIRE_EXTERNAL=1"
        );
    }
    eprintln!("SKIPPED: {test}: prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)");
    None
}

impl Alertmanager {
    /// Reserves a port; [`Alertmanager::start`] starts it.
    pub fn new() -> Alertmanager {
        Self::with_global("")
    }

    /// With a `global:` section (e.g. `resolve_timeout: 2s`).
    pub fn with_global(global: &str) -> Alertmanager {
        let port = free_port();
        let dir = tempfile::tempdir().expect("tempdir");
        let global = if global.is_empty() {
            String::new()
        } else {
            format!("global:\n  {global}\n")
        };
        std::fs::write(
            dir.path().join("am.yml"),
            format!("{global}route:\n  receiver: 'null'\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: 'null'\n"),
        )
        .expect("am config");
        Alertmanager {
            port,
            url: format!("http://127.0.0.1:{port}"),
            dir,
            child: None,
        }
    }

    pub fn start(&mut self, binary: &Path) {
        let child = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                self.dir.path().join("am.yml").display()
            ))
            .arg(format!(
                "--storage.path={}",
                self.dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("alertmanager starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if ureq::get(&format!("{}/-/ready", self.url)).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("alertmanager did not become ready on port {}", self.port);
    }

    /// The active alerts.
    pub fn alerts(&self) -> Vec<Value> {
        let url = format!(
            "{}/api/v2/alerts?active=true&silenced=false&inhibited=false",
            self.url
        );
        let mut response = ureq::get(&url).call().expect("alerts");
        let body = response.body_mut().read_to_string().expect("body");
        serde_json::from_str::<Vec<Value>>(&body).expect("alerts JSON")
    }

    /// Waits until `pred` holds for the active alerts (or panics after `within`).
    pub fn wait_for(&self, within: Duration, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let alerts = self.alerts();
            if pred(&alerts) {
                return alerts;
            }
            if Instant::now() > deadline {
                panic!("alertmanager never got there: {alerts:#?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits for the child to exit, killing it and failing after `within`.
pub fn wait_exit(child: &mut Child, within: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the binary with a stdout pipe whose reader is closed at once, so its first write fails:
/// its status and stderr (stdout stays empty).
pub fn into_closed_pipe<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    let mut stderr = child.stderr.take().expect("stderr");
    let what: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
    let status = wait_exit(&mut child, Duration::from_secs(60), &format!("{what:?}"));
    let mut err = Vec::new();
    let _ = stderr.read_to_end(&mut err);
    Output {
        status,
        stdout: Vec::new(),
        stderr: err,
    }
}

use super::*;
use crate::history::outbox_tests::{change, queue};
use ml_monitor::{monitoring::ChangeKind, AlertLevel};

/// Queues `n` changes of `n` incidents (nothing to coalesce), delivers them to `target` and
/// returns the changes delivered per second.
fn delivery_rate(target: SinkTarget, n: u64) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("h.sqlite");
    queue(
        &path,
        (1..=n)
            .map(|id| change(id, AlertLevel::Info, ChangeKind::Opened))
            .collect(),
    );
    let spec = SinkSpec {
        name: "s".into(),
        min_level: AlertLevel::Info,
        timeout: Duration::from_secs(5),
        target,
    };
    let started = Instant::now();
    let sender = Sender::start(&path, vec![spec], "m".into(), Default::default()).expect("sender");
    let status = sender.drain(Duration::from_secs(120));
    let elapsed = started.elapsed();
    assert_eq!(status["s"].queued, 0, "{status:?}");
    assert_eq!(status["s"].refused, 0, "{status:?}");
    n as f64 / elapsed.as_secs_f64()
}

/// Issue 29, item 6: 1,278 of 23,688 changes were delivered during a run, about 7 a second.
#[test]
fn a_command_sink_and_a_webhook_take_at_least_200_changes_a_second() {
    let command = delivery_rate(
        SinkTarget::Command {
            argv: vec!["true".into()],
        },
        600,
    );
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a receiver"));
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .expect("port");
    let received = Arc::new(AtomicU64::new(0));
    let receiver = {
        let (server, received) = (server.clone(), received.clone());
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                received.fetch_add(1, Ordering::SeqCst);
                let _ = request.respond(tiny_http::Response::empty(200));
            }
        })
    };
    let webhook = delivery_rate(
        SinkTarget::Webhook {
            url: format!("http://127.0.0.1:{port}/hook"),
            headers: BTreeMap::new(),
        },
        600,
    );
    server.unblock();
    let _ = receiver.join();
    assert_eq!(received.load(Ordering::SeqCst), 600);
    eprintln!("delivered per second: command sink {command:.0}, webhook {webhook:.0}");
    // The 200 a second of the issue is measured on a release build (see the soak benchmark);
    // a debug build beside the rest of the suite runs near that, so the test asserts the floor
    // that still tells it from the old 7 a second without timing the machine.
    assert!(command >= 50.0, "command sink: {command:.0} changes/s");
    assert!(webhook >= 50.0, "webhook: {webhook:.0} changes/s");
}

/// A CRITICAL change queued behind a backlog of INFO ones is delivered first.
#[test]
fn a_critical_change_overtakes_a_backlog_of_info_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("h.sqlite");
    let mut changes: Vec<_> = (1..=300)
        .map(|id| change(id, AlertLevel::Info, ChangeKind::Opened))
        .collect();
    changes.push(change(1000, AlertLevel::Critical, ChangeKind::Opened));
    queue(&path, changes);
    let got = dir.path().join("got");
    let spec = SinkSpec {
        name: "s".into(),
        min_level: AlertLevel::Info,
        timeout: Duration::from_secs(5),
        target: SinkTarget::Command {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                format!("cat >> {}; echo >> {}", got.display(), got.display()),
            ],
        },
    };
    let sender = Sender::start(&path, vec![spec], "m".into(), Default::default()).expect("sender");
    let status = sender.drain(Duration::from_secs(120));
    assert_eq!(status["s"].queued, 0);
    let text = std::fs::read_to_string(&got).expect("delivered");
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("a line")).expect("JSON");
    assert_eq!(first["level"], "CRITICAL", "{first}");
    assert_eq!(text.lines().filter(|l| !l.trim().is_empty()).count(), 301);
}

#[test]
fn a_backlog_is_shown_although_nothing_fails() {
    let watcher = StatusWatcher(Arc::new(Mutex::new(BTreeMap::from([
        (
            "quiet".to_string(),
            SinkStatus {
                queued: 3,
                ..Default::default()
            },
        ),
        (
            "busy".to_string(),
            SinkStatus {
                queued: 2500,
                ..Default::default()
            },
        ),
    ]))));
    assert_eq!(watcher.failing(), vec!["busy: 2500 queued".to_string()]);
}

/// Issue 29, item 6: a CRITICAL change recorded while a batch of INFO changes is being
/// delivered goes next, not after the rest of the batch. The receiver holds the first delivery
/// until the CRITICAL change is recorded (no clock involved).
#[test]
fn a_critical_change_recorded_during_a_batch_is_delivered_next() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("h.sqlite");
    queue(
        &path,
        (1..=10)
            .map(|id| change(id, AlertLevel::Info, ChangeKind::Opened))
            .collect(),
    );
    let got = dir.path().join("got");
    let started = dir.path().join("started");
    let gate = dir.path().join("gate");
    let spec = SinkSpec {
        name: "s".into(),
        min_level: AlertLevel::Info,
        timeout: Duration::from_secs(120),
        target: SinkTarget::Command {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                format!(
                    "cat >> {got}; echo >> {got}; touch {started}; while [ ! -e {gate} ]; do sleep 0.01; done",
                    got = got.display(),
                    started = started.display(),
                    gate = gate.display()
                ),
            ],
        },
    };
    let sender = Sender::start(&path, vec![spec], "m".into(), Default::default()).expect("sender");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started.exists() {
        assert!(
            Instant::now() < deadline,
            "the first delivery did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The first INFO change is being delivered: a window adds a CRITICAL one.
    let mut history = crate::history::History::open(&path).expect("history");
    history.set_sinks(vec![crate::history::SinkFilter {
        name: "s".into(),
        min_level: AlertLevel::Info,
    }]);
    let mut result = ml_monitor::MonitoringResult::new("critical".to_string());
    result.incidents = vec![change(1000, AlertLevel::Critical, ChangeKind::Opened)];
    history.record_window(None, &result, &[]).expect("recorded");
    sender.wake();
    std::fs::write(&gate, "").expect("gate");
    let status = sender.drain(Duration::from_secs(120));
    assert_eq!(status["s"].queued, 0, "{status:?}");
    let text = std::fs::read_to_string(&got).expect("delivered");
    let levels: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("JSON")["level"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(levels.len(), 11, "{levels:?}");
    assert_eq!(levels[0], "INFO", "{levels:?}");
    assert_eq!(
        levels[1], "CRITICAL",
        "next after the delivery in hand: {levels:?}"
    );
}

/// `--headless`'s stderr: a line when trouble starts or changes, every 10 s while it lasts,
/// and one when every change is delivered.
#[test]
fn stderr_says_when_sinks_fail_or_lag_and_when_they_catch_up() {
    let mut report = StderrReport::default();
    let t0 = Instant::now();
    let at = |s: u64| t0 + Duration::from_secs(s);
    assert_eq!(report.line(&[], at(0)), None);
    let lag = |n: usize| vec![format!("webhook: {n} queued")];
    assert_eq!(
        report.line(&lag(150), at(1)).as_deref(),
        Some("sinks: webhook: 150 queued")
    );
    assert_eq!(
        report.line(&lag(180), at(2)),
        None,
        "same trouble, too soon"
    );
    assert_eq!(
        report.line(&lag(900), at(11)).as_deref(),
        Some("sinks: webhook: 900 queued"),
        "10 s later"
    );
    let failing = vec!["webhook: retrying, 901 queued".to_string()];
    assert_eq!(
        report.line(&failing, at(12)).as_deref(),
        Some("sinks: webhook: retrying, 901 queued"),
        "a change of trouble is said at once"
    );
    assert_eq!(
        report.line(&[], at(13)).as_deref(),
        Some("sinks: every change delivered")
    );
    assert_eq!(report.line(&[], at(30)), None);
    // A refusal is said once, and again only when another comes.
    let refused = |n: usize| vec![format!("webhook: {n} refused")];
    assert_eq!(
        report.line(&refused(1), at(40)).as_deref(),
        Some("sinks: webhook: 1 refused")
    );
    assert_eq!(report.line(&refused(1), at(60)), None);
    assert_eq!(
        report.line(&refused(2), at(61)).as_deref(),
        Some("sinks: webhook: 2 refused")
    );
}

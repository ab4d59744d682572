//! Tests of the directory watcher: real files in temporary directories, real notify events.

use super::*;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const WAIT: Duration = Duration::from_secs(2);

fn fast() -> WatchOptions {
    WatchOptions {
        rescan_interval: Duration::from_millis(50),
        ..WatchOptions::default()
    }
}

fn start(
    dir: &Path,
    options: WatchOptions,
    already_seen: impl Fn(&Path) -> bool + Send + 'static,
) -> (Watcher, Receiver<WatchEvent>) {
    let (tx, rx) = mpsc::channel();
    let watcher = spawn(dir.to_path_buf(), options, already_seen, move |event| {
        tx.send(event).is_ok()
    })
    .expect("watcher starts");
    (watcher, rx)
}

fn never(_: &Path) -> bool {
    false
}

fn ready(rx: &Receiver<WatchEvent>) -> PathBuf {
    match rx.recv_timeout(WAIT) {
        Ok(WatchEvent::Ready(path)) => path,
        other => panic!("expected Ready, got {other:?}"),
    }
}

fn assert_quiet(rx: &Receiver<WatchEvent>, for_how_long: Duration) {
    if let Ok(event) = rx.recv_timeout(for_how_long) {
        panic!("unexpected {event:?}");
    }
}

#[test]
fn slow_writer_is_reported_once_and_only_after_close() {
    let dir = tempfile::tempdir().unwrap();
    let (watcher, rx) = start(dir.path(), fast(), never);
    let path = dir.path().join("slow.csv");
    let mut file = File::create(&path).unwrap();
    for _ in 0..5 {
        file.write_all(b"a,b\n1,2\n").unwrap();
        file.flush().unwrap();
        thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "reported while being written");
    }
    // Several rescans now see a stable but still open file.
    assert_quiet(&rx, Duration::from_millis(300));
    drop(file);
    let got = ready(&rx);
    assert_eq!(got, path);
    assert_eq!(fs::metadata(&got).unwrap().len(), 40);
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn renamed_in_file_is_reported_once_under_its_final_name() {
    let dir = tempfile::tempdir().unwrap();
    let (watcher, rx) = start(dir.path(), fast(), never);
    let tmp = dir.path().join("x.csv.tmp");
    let mut file = File::create(&tmp).unwrap();
    for _ in 0..3 {
        file.write_all(b"a\n1\n").unwrap();
        thread::sleep(Duration::from_millis(20));
    }
    drop(file);
    fs::rename(&tmp, dir.path().join("x.csv")).unwrap();
    fs::write(dir.path().join(".y.csv"), b"a\n1\n").unwrap();
    fs::rename(dir.path().join(".y.csv"), dir.path().join("y.csv")).unwrap();
    assert_eq!(ready(&rx), dir.path().join("x.csv"));
    assert_eq!(ready(&rx), dir.path().join("y.csv"));
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn files_present_at_start_come_first_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["c.csv", "a.csv", "b.csv"] {
        fs::write(dir.path().join(name), b"a\n1\n").unwrap();
    }
    let (watcher, rx) = start(dir.path(), fast(), never);
    fs::write(dir.path().join("0_late.csv"), b"a\n1\n").unwrap();
    let got: Vec<PathBuf> = (0..4).map(|_| ready(&rx)).collect();
    let want: Vec<PathBuf> = ["a.csv", "b.csv", "c.csv", "0_late.csv"]
        .iter()
        .map(|name| dir.path().join(name))
        .collect();
    assert_eq!(got, want);
    assert_quiet(&rx, Duration::from_millis(200));
    watcher.stop();
}

#[test]
fn a_thousand_files_dropped_at_once_are_each_reported_once() {
    // Creating 1,000 files takes seconds on some disks; tmpfs keeps the test fast.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let (watcher, rx) = start(dir.path(), fast(), never);
    for i in 0..1000 {
        fs::write(dir.path().join(format!("w{i:04}.csv")), b"a\n1\n").unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut got = Vec::new();
    while got.len() < 1000 && Instant::now() < deadline {
        if let Ok(WatchEvent::Ready(path)) = rx.recv_timeout(Duration::from_millis(100)) {
            got.push(path);
        }
    }
    let distinct: HashSet<&PathBuf> = got.iter().collect();
    assert_eq!(got.len(), 1000);
    assert_eq!(distinct.len(), 1000);
    assert_quiet(&rx, Duration::from_millis(200));
    watcher.stop();
}

#[test]
#[cfg(unix)]
fn hidden_temporary_foreign_and_ignored_files_are_never_reported() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let noise = [
        ".hidden.csv",
        "a.csv.part",
        "b.csv.tmp",
        "c.CSV.TMP",
        "notes.txt",
    ];
    for name in noise {
        fs::write(dir.path().join(name), b"a\n1\n").unwrap();
    }
    fs::create_dir(dir.path().join(".ml-monitor")).unwrap();
    fs::write(dir.path().join(".ml-monitor/h.csv"), b"a\n1\n").unwrap();
    fs::create_dir(dir.path().join("folder.csv")).unwrap();
    fs::write(dir.path().join("ref.csv"), b"a\n1\n").unwrap();
    // The reference named through a symlinked directory: equal only once canonicalised.
    let link = elsewhere.path().join("link");
    std::os::unix::fs::symlink(dir.path(), &link).unwrap();
    let options = WatchOptions {
        ignore: vec![link.join("ref.csv")],
        ..fast()
    };
    assert_eq!(
        initial_files(dir.path(), &options.ignore).unwrap(),
        Vec::<PathBuf>::new()
    );

    let (watcher, rx) = start(dir.path(), options, never);
    let late_noise = [
        ".late.csv",
        "late.csv.part",
        "late.csv.tmp",
        "late.Csv.Part",
        "late.txt",
    ];
    for name in noise.iter().chain(&late_noise) {
        fs::write(dir.path().join(name), b"a\n1\n2\n").unwrap();
    }
    fs::write(dir.path().join(".ml-monitor/late.csv"), b"a\n1\n").unwrap();
    fs::write(dir.path().join("ref.csv"), b"a\n1\n2\n").unwrap();
    fs::write(dir.path().join("zz.csv"), b"a\n1\n").unwrap();
    assert_eq!(ready(&rx), dir.path().join("zz.csv"));
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn candidates_are_regular_csv_files_that_are_not_hidden_or_temporary() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "a.csv",
        "UP.CSV",
        ".a.csv",
        "a.csv.tmp",
        "a.csv.part",
        "a.txt",
    ] {
        fs::write(dir.path().join(name), b"a\n").unwrap();
    }
    fs::create_dir(dir.path().join("d.csv")).unwrap();
    let candidate = |name: &str| is_candidate(&dir.path().join(name));
    assert!(candidate("a.csv"));
    assert!(candidate("UP.CSV"));
    for name in [
        ".a.csv",
        "a.csv.tmp",
        "a.csv.part",
        "a.txt",
        "d.csv",
        "gone.csv",
    ] {
        assert!(!candidate(name), "{name} taken as a window");
    }
    let files = initial_files(dir.path(), &[]).unwrap();
    assert_eq!(
        files,
        vec![dir.path().join("UP.CSV"), dir.path().join("a.csv")]
    );
}

#[test]
fn poll_mode_finds_files_by_stable_size_without_notify() {
    let dir = tempfile::tempdir().unwrap();
    let interval = Duration::from_millis(200);
    let options = WatchOptions {
        poll: Some(interval),
        ..WatchOptions::default()
    };
    let (watcher, rx) = start(dir.path(), options, never);

    let growing = dir.path().join("growing.csv");
    let mut file = File::create(&growing).unwrap();
    for _ in 0..10 {
        file.write_all(b"a,b\n1,2\n").unwrap();
        thread::sleep(Duration::from_millis(50));
        assert!(rx.try_recv().is_err(), "reported while growing");
    }
    drop(file);
    let got = ready(&rx);
    assert_eq!(got, growing);
    assert_eq!(fs::metadata(&got).unwrap().len(), 80);

    let written = Instant::now();
    fs::write(dir.path().join("b.csv"), b"a\n1\n").unwrap();
    assert_eq!(ready(&rx), dir.path().join("b.csv"));
    // Notify would have reported the close within milliseconds; polling needs two scans.
    assert!(written.elapsed() >= interval, "{:?}", written.elapsed());
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn removed_directory_is_reported_once_and_recovered_when_recreated() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("w");
    fs::create_dir(&dir).unwrap();
    let (watcher, rx) = start(&dir, fast(), never);
    fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(rx.recv_timeout(WAIT), Ok(WatchEvent::Trouble(_))));
    assert_quiet(&rx, Duration::from_millis(300));
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("new.csv"), b"a\n1\n").unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(WatchEvent::Recovered));
    assert_eq!(ready(&rx), dir.join("new.csv"));
    // notify watches the new directory: an open, stable file waits for its close.
    let mut file = File::create(dir.join("next.csv")).unwrap();
    file.write_all(b"a\n1\n").unwrap();
    assert_quiet(&rx, Duration::from_millis(300));
    drop(file);
    assert_eq!(ready(&rx), dir.join("next.csv"));
    assert_quiet(&rx, Duration::from_millis(200));
    watcher.stop();
}

#[test]
fn directory_moved_away_is_not_followed() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("w");
    let moved = root.path().join("moved");
    fs::create_dir(&dir).unwrap();
    let (watcher, rx) = start(&dir, fast(), never);
    fs::rename(&dir, &moved).unwrap();
    assert!(matches!(rx.recv_timeout(WAIT), Ok(WatchEvent::Trouble(_))));
    fs::write(moved.join("stale.csv"), b"a\n1\n").unwrap();
    assert_quiet(&rx, Duration::from_millis(200));
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("fresh.csv"), b"a\n1\n").unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(WatchEvent::Recovered));
    assert_eq!(ready(&rx), dir.join("fresh.csv"));
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn files_already_seen_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.csv", "b.csv", "c.csv"] {
        fs::write(dir.path().join(name), b"a\n1\n").unwrap();
    }
    let seen = |path: &Path| {
        path.file_name()
            .is_some_and(|name| name == "b.csv" || name == "e.csv")
    };
    let (watcher, rx) = start(dir.path(), fast(), seen);
    assert_eq!(ready(&rx), dir.path().join("a.csv"));
    assert_eq!(ready(&rx), dir.path().join("c.csv"));
    fs::write(dir.path().join("e.csv"), b"a\n1\n").unwrap();
    fs::write(dir.path().join("d.csv"), b"a\n1\n").unwrap();
    assert_eq!(ready(&rx), dir.path().join("d.csv"));
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn a_closed_sink_stops_the_watcher_and_stop_is_prompt() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.csv", "b.csv"] {
        fs::write(dir.path().join(name), b"a\n1\n").unwrap();
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let watcher = spawn(
        dir.path().to_path_buf(),
        WatchOptions::default(),
        never,
        move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            false
        },
    )
    .unwrap();
    fs::write(dir.path().join("c.csv"), b"a\n1\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while calls.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let (watcher2, _rx) = start(dir.path(), WatchOptions::default(), never);
    let stopping = Instant::now();
    watcher2.stop();
    drop(watcher);
    // The default rescan interval is 2 s: stopping must not wait for it.
    assert!(stopping.elapsed() < Duration::from_millis(500));
}

#[test]
fn a_file_closed_with_only_its_header_waits_for_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (watcher, rx) = start(dir.path(), fast(), never);
    let path = dir.path().join("w.csv");
    fs::write(&path, b"a,b\n").unwrap();
    fs::write(dir.path().join("empty.csv"), b"").unwrap();
    assert_quiet(&rx, Duration::from_millis(400));
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"1,2\n3,4\n").unwrap();
    drop(file);
    assert_eq!(ready(&rx), path);
    assert_eq!(fs::metadata(&path).unwrap().len(), 12);
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn a_new_version_of_a_reported_file_is_reported_again_and_the_same_one_never() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.csv");
    fs::write(&path, b"a\n1\n").unwrap();
    let (watcher, rx) = start(dir.path(), fast(), never);
    assert_eq!(ready(&rx), path);
    assert_quiet(&rx, Duration::from_millis(300));
    fs::write(&path, b"a\n1\n2\n").unwrap();
    assert_eq!(ready(&rx), path);
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn a_forgotten_file_is_reported_again_once_it_changes_even_only_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.csv");
    fs::write(&path, b"a\n1\n").unwrap();
    let (watcher, rx) = start(dir.path(), fast(), never);
    assert_eq!(ready(&rx), path);
    watcher.forgetter().forget(&path);
    assert_quiet(&rx, Duration::from_millis(300));
    let mut perms = fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(&path, perms).unwrap();
    assert_eq!(ready(&rx), path);
    assert_quiet(&rx, Duration::from_millis(300));
    watcher.stop();
}

#[test]
fn spawn_fails_on_a_missing_directory_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = spawn(dir.path().join("nope"), fast(), never, |_| true);
    assert!(matches!(missing, Err(WatchError::Directory { .. })));
    let file = dir.path().join("f.csv");
    fs::write(&file, b"a\n").unwrap();
    let not_dir = spawn(file, fast(), never, |_| true);
    assert!(matches!(not_dir, Err(WatchError::NotADirectory { .. })));
}

#[test]
fn gzip_parquet_and_profile_windows_are_candidates() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "a.csv.gz",
        "b.parquet",
        "C.PARQUET",
        "d.profile.parquet",
        "e.profile.json",
        "f.gz",
    ] {
        fs::write(dir.path().join(name), b"x").unwrap();
    }
    let files = initial_files(dir.path(), &[]).unwrap();
    let names: Vec<_> = files.iter().filter_map(|p| p.file_name()).collect();
    // Profiles are windows too (evaluated from their counts); a bare `.gz` is not.
    assert_eq!(
        names,
        [
            "C.PARQUET",
            "a.csv.gz",
            "b.parquet",
            "d.profile.parquet",
            "e.profile.json"
        ]
    );
}

#[test]
fn a_parquet_file_waits_for_its_footer_and_a_gzip_file_for_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("w.parquet");
    fs::write(&parquet, b"PAR1 some column chunks").unwrap();
    assert!(!has_data_row(&parquet), "no footer yet");
    fs::write(&parquet, b"PAR1 column chunks, footer, PAR1").unwrap();
    assert!(has_data_row(&parquet));
    let gz = dir.path().join("w.csv.gz");
    let compress = |text: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    };
    fs::write(&gz, compress(b"a,b\n")).unwrap();
    assert!(!has_data_row(&gz), "only the header");
    let whole = compress(b"a,b\n1,2\n");
    fs::write(&gz, &whole[..whole.len() - 8]).unwrap();
    assert!(has_data_row(&gz), "a row, even before the gzip trailer");
}

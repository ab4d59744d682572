//! `--metrics-addr` in the TUI: the real binary in a pseudo-terminal serves the window it
//! shows, and the metrics server writes nothing on the screen.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

fn write_csv(path: &Path, rows: usize, shift: f64) -> std::io::Result<()> {
    let mut text = String::from("x0,city,prediction\n");
    for i in 0..rows {
        let x0 = (i % 17) as f64 / 17.0 + shift;
        let city = ["paris", "lyon", "nice"][i % 3];
        text.push_str(&format!("{x0},{city},0.{}\n", i % 10));
    }
    std::fs::write(path, text)
}

fn scrape(addr: SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn tui_serves_metrics_without_writing_on_the_screen() -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let dir = tempfile::tempdir()?;
    let reference = dir.path().join("reference.csv");
    write_csv(&reference, 200, 0.0)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;

    let pty = native_pty_system().openpty(PtySize {
        rows: 30,
        cols: 110,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ml-monitor"));
    command.args(["watch", &dir.path().display().to_string()]);
    command.args(["--reference", &reference.display().to_string()]);
    command.args(["--no-history", "--metrics-addr", &format!(":{port}")]);
    command.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(command)?;
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader()?;
    let mut keyboard = pty.master.take_writer()?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = String::new();
    let mut outcome = Ok(());
    let mut shown = false;
    let mut served = false;
    let mut window_written = false;
    while Instant::now() < deadline && !(shown && served) {
        while let Ok(bytes) = rx.recv_timeout(Duration::from_millis(100)) {
            screen.push_str(&String::from_utf8_lossy(&bytes));
        }
        if !window_written && screen.contains("waiting for the first window") {
            let hidden = dir.path().join(".w1.csv.tmp");
            write_csv(&hidden, 150, 0.5)?;
            std::fs::rename(&hidden, dir.path().join("w1.csv"))?;
            window_written = true;
        }
        shown = screen.contains("w1.csv");
        served = scrape(addr).is_some_and(|r| {
            r.contains("\nml_monitor_windows_total 1\n")
                && r.contains("\nml_monitor_window_rows 150.0\n")
        });
    }
    if !(shown && served) {
        outcome = Err(anyhow::anyhow!(
            "shown {shown}, served {served}; screen tail: {}",
            screen[screen.len().saturating_sub(2000)..].escape_debug()
        ));
    }
    if screen.contains("metrics on http") {
        outcome = Err(anyhow::anyhow!(
            "the metrics server wrote on the TUI's screen"
        ));
    }
    let _ = keyboard.write_all(b"q");
    let _ = keyboard.flush();
    let quit_by = Instant::now() + Duration::from_secs(10);
    while child.try_wait()?.is_none() {
        if Instant::now() > quit_by {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    outcome
}

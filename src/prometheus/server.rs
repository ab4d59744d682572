//! The scrape endpoint: `GET /metrics` and `GET /healthz` on threads of their own.
//!
//! The server never computes anything: it hands out the text the worker published after the
//! last completed window (an `Arc<String>` swapped under a lock held only for the swap), so a
//! slow scraper never delays a window and a window in progress never blocks a scrape.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
use tiny_http::{Header, Method, Response, Server};

/// Threads answering requests: one slow client never stalls the others.
const THREADS: usize = 2;

/// The last published exposition text.
#[derive(Clone, Default)]
pub(crate) struct Published(Arc<Mutex<Arc<String>>>);

impl Published {
    pub(crate) fn set(&self, text: String) {
        let text = Arc::new(text);
        match self.0.lock() {
            Ok(mut slot) => *slot = text,
            Err(poisoned) => *poisoned.into_inner() = text,
        }
    }

    pub(crate) fn get(&self) -> Arc<String> {
        match self.0.lock() {
            Ok(slot) => Arc::clone(&slot),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

/// Parses `HOST:PORT`, or `:PORT` for 127.0.0.1 (never every interface unless asked).
pub(crate) fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    let bad = |why: String| format!("metrics address \"{t}\": {why} (expected HOST:PORT or :PORT)");
    let full = match t.strip_prefix(':') {
        Some(port) => format!("127.0.0.1:{port}"),
        None => t.to_string(),
    };
    let mut addrs = full.to_socket_addrs().map_err(|e| bad(e.to_string()))?;
    addrs.next().ok_or_else(|| bad("no address".into()))
}

/// A running server; stopped on drop.
pub(crate) struct MetricsServer {
    server: Arc<Server>,
    threads: Vec<JoinHandle<()>>,
    addr: SocketAddr,
}

impl MetricsServer {
    /// Binds `addr` and starts answering from `published`.
    pub(crate) fn start(addr: SocketAddr, published: Published) -> anyhow::Result<Self> {
        let server = Server::http(addr)
            .map_err(|e| anyhow::anyhow!("metrics address {addr}: cannot listen: {e}"))?;
        let bound = server.server_addr().to_ip().unwrap_or(addr);
        let server = Arc::new(server);
        let mut threads = Vec::with_capacity(THREADS);
        for i in 0..THREADS {
            let server = Arc::clone(&server);
            let published = published.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("metrics-{i}"))
                    .spawn(move || serve(&server, &published))?,
            );
        }
        Ok(MetricsServer {
            server,
            threads,
            addr: bound,
        })
    }

    /// The address actually bound (the port when 0 was asked for).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        for _ in &self.threads {
            self.server.unblock();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn with_header<R: std::io::Read>(response: Response<R>, name: &str, value: &str) -> Response<R> {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(h) => response.with_header(h),
        Err(()) => response,
    }
}

fn serve(server: &Server, published: &Published) {
    for request in server.incoming_requests() {
        let path = request.url().split('?').next().unwrap_or("");
        let get = matches!(request.method(), Method::Get | Method::Head);
        let response = match (get, path) {
            (true, "/metrics") => {
                let text = published.get();
                with_header(
                    Response::from_data(text.as_bytes().to_vec()),
                    "Content-Type",
                    CONTENT_TYPE,
                )
            }
            (true, "/healthz") => Response::from_string("ok\n"),
            (true, _) => {
                Response::from_string("not found: try /metrics or /healthz\n").with_status_code(404)
            }
            (false, _) => with_header(
                Response::from_string("method not allowed\n").with_status_code(405),
                "Allow",
                "GET, HEAD",
            ),
        };
        // A client that went away is its own problem.
        let _ = request.respond(response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr(":9464"),
            Ok("127.0.0.1:9464".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("0.0.0.0:80"),
            Ok("0.0.0.0:80".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("[::1]:9464"),
            Ok("[::1]:9464".parse().expect("addr"))
        );
        for bad in ["9464", ":", ":port", "host", ":70000", ""] {
            let e = parse_addr(bad).expect_err(bad);
            assert!(e.contains("HOST:PORT"), "{e}");
        }
    }
}

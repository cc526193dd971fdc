//! Helpers that run the `herald` binary itself: its commands, and `herald serve` as
//! a child process (for kill -9, signals and logs).

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::TOKEN;

/// The `herald` binary built for these tests.
pub fn herald_bin() -> &'static str {
    env!("CARGO_BIN_EXE_herald")
}

/// Runs `herald ARGS --data-dir DATA` to completion, feeding `stdin`.
pub fn herald(data: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(herald_bin())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("HERALD_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn herald");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("herald runs")
}

/// A `herald serve` child process on port 0 over `data`, with its bound address and
/// everything it has logged so far.
pub struct Served {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Served {
    /// A test that fails before it stops its server must not leave it running: it
    /// would hold the test's data directory (and a tmpfs there, which then cannot be
    /// unmounted). Killing an exited child is harmless.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `herald serve` and waits until it logs the address it listens on.
pub fn serve_binary(data: &Path, extra_args: &[&str]) -> Served {
    serve_binary_with(data, extra_args, |_| {})
}

/// Like [`serve_binary`], letting the caller adjust the command (environment, limits).
pub fn serve_binary_with(
    data: &Path,
    extra_args: &[&str],
    configure: impl FnOnce(&mut Command),
) -> Served {
    let mut command = Command::new(herald_bin());
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra_args)
        .env("HERALD_API_TOKENS", TOKEN)
        .env("RUST_LOG", "info")
        .env_remove("HERALD_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    configure(&mut command);
    let mut child = command.spawn().expect("spawn herald");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let addr = loop {
        let line = lines
            .next()
            .expect("herald exited before listening")
            .expect("read stderr");
        log.lock().unwrap().push(line.clone());
        // Text logs say `addr=…`, JSON logs `"addr":"…"`.
        if let Some(rest) = line.split("addr=").nth(1) {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            break addr.parse().expect("address in log line");
        }
        if let Some(rest) = line.split("\"addr\":\"").nth(1) {
            let addr = rest.split('"').next().unwrap_or_default();
            break addr.parse().expect("address in JSON log line");
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    Served { child, addr, log }
}

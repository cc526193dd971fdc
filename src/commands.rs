//! The `import`, `export` and `healthcheck` subcommands.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::ingest::{BatchReport, Ingest, RawItem, parse_lines};
use crate::store::{Store, StoreError};

/// Lines per batch: big enough to amortise the flush, small enough to bound memory.
const CHUNK_LINES: usize = 2000;

/// Imports JSON Lines from `reader`. Without `strict`, valid lines are stored as they
/// come; with it, nothing is stored unless every line is valid.
pub fn import(
    ingest: &Ingest,
    reader: impl Read,
    strict: bool,
) -> Result<BatchReport, ImportError> {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} articles stored ({per_sec}) {elapsed}")
            .expect("static template"),
    );
    let mut total = BatchReport::default();
    let mut lines = BufReader::new(reader).lines();
    // Strict mode must see every line before storing any, so it takes one chunk.
    let chunk_lines = if strict { usize::MAX } else { CHUNK_LINES };
    let mut first_line = 1;
    loop {
        let mut chunk = String::new();
        let mut count = 0;
        for line in lines.by_ref().take(chunk_lines) {
            chunk.push_str(&line?);
            chunk.push('\n');
            count += 1;
        }
        if count == 0 {
            break;
        }
        merge(
            &mut total,
            write_chunk(ingest, &chunk, first_line, strict, &bar)?,
        );
        first_line += count;
    }
    bar.finish_and_clear();
    Ok(total)
}

fn write_chunk(
    ingest: &Ingest,
    text: &str,
    first_line: usize,
    strict: bool,
    bar: &ProgressBar,
) -> Result<BatchReport, StoreError> {
    let items: Vec<RawItem> = parse_lines(text)
        .into_iter()
        .map(|mut item| {
            item.line = item.line.map(|l| l + first_line - 1);
            item
        })
        .collect();
    ingest.write_batch(items, strict, || bar.inc(1))
}

fn merge(total: &mut BatchReport, part: BatchReport) {
    total.created += part.created;
    total.replaced += part.replaced;
    total.failed.extend(part.failed);
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("import: unable to read input: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes every article as stored, one JSON object per line, in id order.
pub fn export(store: &Store, mut out: impl Write) -> Result<usize, ExportError> {
    let mut n = 0;
    for article in store.articles() {
        serde_json::to_writer(&mut out, &article?).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("export: unable to write: {0}")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// True when the service at `listen` answers `GET /healthz` with 200 within `timeout`.
/// Uses a bare socket: slim images have no curl.
pub fn healthcheck(listen: &str, timeout: Duration) -> Result<(), String> {
    let mut addr: SocketAddr = listen
        .parse()
        .map_err(|e| format!("healthcheck: bad address {listen:?}: {e}"))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("healthcheck: cannot connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("healthcheck: {e}"))?;
    let mut status = String::new();
    BufReader::new(stream)
        .read_line(&mut status)
        .map_err(|e| format!("healthcheck: no answer: {e}"))?;
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("healthcheck: unhealthy: {}", status.trim()))
    }
}

//! The subcommands other than `serve`: import, export, check and reindex, and
//! healthcheck, with the reports and verdicts they print.

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

/// Writes every article as stored, one JSON object per line, in id order, to `out`.
pub fn export(ingest: &Ingest, mut out: impl Write) -> Result<usize, ExportError> {
    let mut failed = None;
    let n = ingest.export(|line| match out.write_all(&line) {
        Ok(()) => true,
        Err(e) => {
            failed = Some(e);
            false
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
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

/// `herald check` (or, with `repair`, `herald reindex`): prints each problem to
/// `err` and the verdict to `out`; true when the store is (now) consistent.
pub fn check(
    store: &Store,
    repair: bool,
    mut out: impl Write,
    mut err: impl Write,
) -> Result<bool, CommandError> {
    let report = if repair {
        store.reindex()?
    } else {
        store.check()?
    };
    for problem in report.problems() {
        writeln!(err, "{problem}")?;
    }
    let verdict = match (report.is_clean(), repair) {
        (true, _) => "consistent",
        (false, false) => "INCONSISTENT (run `herald reindex`)",
        (false, true) => "repaired",
    };
    writeln!(
        out,
        "{} articles, {} index entries: {verdict} ({} scheduled, {} change log entries)",
        report.articles, report.index_entries, report.scheduled, report.log_entries
    )?;
    // Reindex cannot mend an article that does not decode; say so with the verdict.
    Ok(if repair {
        report.undecodable.is_empty()
    } else {
        report.is_clean()
    })
}

/// Imports the JSON Lines of `file` (or standard input for `-`), printing each
/// invalid line and a summary to `err`; true when every line was valid.
pub fn import_file(
    ingest: &Ingest,
    file: &str,
    strict: bool,
    mut err: impl Write,
) -> Result<bool, CommandError> {
    let report = if file == "-" {
        import(ingest, std::io::stdin().lock(), strict)?
    } else {
        let f = std::fs::File::open(file).map_err(|source| CommandError::Open {
            path: file.to_string(),
            source,
        })?;
        import(ingest, f, strict)?
    };
    for item in &report.failed {
        let reasons: Vec<String> = item.fields.iter().map(|f| f.to_string()).collect();
        writeln!(
            err,
            "line {}: {}",
            item.line.unwrap_or(item.index + 1),
            reasons.join("; ")
        )?;
    }
    let nothing = strict && !report.failed.is_empty();
    let stored = if nothing {
        0
    } else {
        report.created + report.replaced
    };
    writeln!(
        err,
        "imported {stored} articles ({} new, {} replaced), {} sections, {} tombstones, {} invalid lines{}",
        report.created,
        report.replaced,
        report.categories,
        report.tombstones,
        report.failed.len(),
        if nothing {
            "; --strict: nothing stored"
        } else {
            ""
        }
    )?;
    Ok(report.failed.is_empty())
}

/// Why a command could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("import: unable to open {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unable to write the report: {0}")]
    Report(#[from] std::io::Error),
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

//! What the HTTP stack alone costs: hyper serving fixed documents from memory, with
//! an ETag (and 304s) and a precompressed gzip form, on one current-thread runtime per
//! core accepting from one socket, as Herald does, but with no axum, routing,
//! middleware, metrics or feed cache. `bench/perf.py` runs it beside Herald and nginx
//! on the same bytes, so the gap to nginx splits into hyper's share and Herald's.
//!
//! Usage: `cargo run --release --example hyper_static -- ADDR DIR`; serves every
//! `DIR/NAME` at `/NAME`, and `DIR/NAME.gz` to clients that accept gzip.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

struct Doc {
    identity: Bytes,
    gzip: Option<Bytes>,
    etag: String,
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: hyper_static ADDR DIR");
        std::process::exit(2);
    };
    let mut docs = HashMap::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".gz") || !path.is_file() {
            continue;
        }
        let identity = Bytes::from(std::fs::read(&path)?);
        let gzip = std::fs::read(path.with_file_name(format!("{name}.gz")))
            .ok()
            .map(Bytes::from);
        let etag = format!("\"{:x}\"", xxhash_rust::xxh3::xxh3_64(&identity));
        docs.insert(
            format!("/{name}"),
            Doc {
                identity,
                gzip,
                etag,
            },
        );
    }
    let docs = Arc::new(docs);
    let listener = std::net::TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?;
    println!("listening on {}", listener.local_addr()?);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (listener, docs) = (listener.try_clone(), Arc::clone(&docs));
            std::thread::spawn(move || serve(listener?, docs))
        })
        .collect();
    for w in workers {
        w.join().expect("a worker panicked")?;
    }
    Ok(())
}

fn serve(listener: std::net::TcpListener, docs: Arc<HashMap<String, Doc>>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let docs = Arc::clone(&docs);
            let service = service_fn(move |req| {
                let response = respond(&docs, &req);
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn respond(docs: &HashMap<String, Doc>, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let Some(doc) = docs.get(req.uri().path()) else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::new()))
            .expect("a valid response");
    };
    let builder = Response::builder()
        .header(ETAG, &doc.etag)
        .header(VARY, "Accept-Encoding");
    if req
        .headers()
        .get(IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == doc.etag.as_bytes())
    {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Full::new(Bytes::new()))
            .expect("a valid response");
    }
    let gzip_ok = req
        .headers()
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let builder = builder.header(CONTENT_TYPE, "application/xml");
    match (&doc.gzip, gzip_ok) {
        (Some(gz), true) => builder
            .header(CONTENT_ENCODING, "gzip")
            .body(Full::new(gz.clone())),
        _ => builder.body(Full::new(doc.identity.clone())),
    }
    .expect("a valid response")
}

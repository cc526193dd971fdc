//! Feed encodings: gzip and br on request (q=0 honoured), HEAD, and the compressed
//! forms of polled feeds sent with sendfile(2) from unnamed files (tuned transport)
//! or from memory (plain).

use std::io::Read;

use crate::common::{article, get_with, header, metric, spawn_app};

const FEED: &str = "/feeds/category/kinh-te/rss.xml";

#[tokio::test]
async fn head_works_and_bodies_are_compressed_on_request() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    let plain = app.get(FEED).await.bytes().await.unwrap();

    let head = app.client.head(app.url(FEED)).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(
        header(&head, "content-type"),
        "application/rss+xml; charset=utf-8"
    );
    assert!(head.bytes().await.unwrap().is_empty());

    // The compressed forms are made just after the render; until then the identity
    // bytes are served.
    let started = std::time::Instant::now();
    let gz = loop {
        let gz = get_with(&app, FEED, &[("accept-encoding", "gzip")]).await;
        if header(&gz, "content-encoding") == "gzip" {
            break gz;
        }
        assert_eq!(
            gz.bytes().await.unwrap(),
            plain,
            "identity until compressed"
        );
        assert!(started.elapsed().as_secs() < 10, "never compressed");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let gz_etag = header(&gz, "etag");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    let revalidated = get_with(
        &app,
        FEED,
        &[("accept-encoding", "gzip"), ("if-none-match", &gz_etag)],
    )
    .await;
    assert_eq!(revalidated.status().as_u16(), 304);

    let br = loop {
        let br = get_with(&app, FEED, &[("accept-encoding", "gzip, deflate, br")]).await;
        if header(&br, "content-encoding") == "br" {
            break br;
        }
        assert!(started.elapsed().as_secs() < 10, "never compressed with br");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let mut unbr = Vec::new();
    brotli::Decompressor::new(&br.bytes().await.unwrap()[..], 4096)
        .read_to_end(&mut unbr)
        .unwrap();
    assert_eq!(unbr, plain);

    let refused = get_with(&app, FEED, &[("accept-encoding", "br;q=0, gzip;q=0")]).await;
    assert_eq!(header(&refused, "content-encoding"), "");
}

/// A feed whose compressed form is large goes out with sendfile(2) from a file,
/// byte for byte what was compressed, and the file leaves no name in the store's
/// directory. Over the plain transport the same bytes go out from memory, and no
/// file is made.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn large_compressed_feeds_are_sent_from_files() {
    let app = spawn_app().await;
    // Words from a fixed pseudo-random sequence: text that gzip cannot shrink much.
    let syllables = [
        "nước",
        "đường",
        "huyện",
        "xã",
        "cầu",
        "lũ",
        "mưa",
        "đồi",
        "chè",
        "bản",
    ];
    let mut x: u64 = 7;
    let words: Vec<String> = (0..12_000)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            format!(
                "{}{}",
                syllables[(x >> 33) as usize % syllables.len()],
                (x >> 40) % 1000
            )
        })
        .collect();
    let mut doc = article("dai", "kinh-te", 0);
    doc["content_html"] = format!("<p>{}</p>", words.join(" ")).into();
    app.put_ok(&doc).await;
    let plain = app.get(FEED).await.bytes().await.unwrap();

    let started = std::time::Instant::now();
    let before = metric(
        &app.get("/metrics").await.text().await.unwrap(),
        "herald_sendfile_bytes_total",
    );
    let gz = loop {
        let gz = get_with(&app, FEED, &[("accept-encoding", "gzip")]).await;
        if header(&gz, "content-encoding") == "gzip" {
            break gz.bytes().await.unwrap();
        }
        assert!(started.elapsed().as_secs() < 10, "never compressed");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let after = metric(
        &app.get("/metrics").await.text().await.unwrap(),
        "herald_sendfile_bytes_total",
    );
    assert!(
        gz.len() > 32 * 1024,
        "only {} bytes: too short a test",
        gz.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    let tuned = !crate::common::plain_io();
    if tuned {
        // Other tests' servers share the counter, so it is a lower bound.
        assert!(after - before >= gz.len() as u64, "{before} → {after}");
    }
    // The server runs in this process: its files are among this process's open ones,
    // unnamed files of the store's directory, and the directory lists none of them.
    let data = app.dir.path().join("data").canonicalize().unwrap();
    let unnamed = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.parent() == Some(data.as_path()))
        .filter(|target| !target.exists())
        .count();
    if tuned {
        assert!(unnamed > 0, "no unnamed file open in {}", data.display());
    } else {
        assert_eq!(unnamed, 0, "plain io made files in {}", data.display());
    }
    for entry in std::fs::read_dir(&data).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().starts_with('#'),
            "{name:?} left in the store's directory"
        );
    }
}

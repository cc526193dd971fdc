//! Request limits: slow headers, slow bodies, too many connections, oversized bulk bodies.

use std::time::Duration;

use crate::common::{TOKEN, spawn_app_with};
use herald::auth::Tokens;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Reads until the peer closes or `wait` passes; returns what arrived.
async fn read_for(stream: &mut TcpStream, wait: Duration) -> String {
    let mut buf = Vec::new();
    let _ = timeout(wait, stream.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let app = spawn_app_with(
        |s| s.server.header_read_timeout_secs = 1,
        Tokens::from_list([TOKEN]),
    )
    .await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap(); // never finished

    let mut buf = Vec::new();
    let closed = timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(
        closed.is_ok(),
        "the server should close a connection whose headers never end"
    );
    assert_eq!(
        app.get("/healthz").await.status().as_u16(),
        200,
        "others are still served"
    );
}

#[tokio::test]
async fn slow_bodies_get_408() {
    let app = spawn_app_with(
        |s| s.server.request_timeout_secs = 1,
        Tokens::from_list([TOKEN]),
    )
    .await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "PUT /api/articles/cham HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n{{\"id\":"
    );
    slow.write_all(head.as_bytes()).await.unwrap();

    let answer = read_for(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    app.get_json("/api/articles/cham", 404).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_their_turn() {
    let app = spawn_app_with(|s| s.server.max_connections = 2, Tokens::from_list([TOKEN])).await;
    let first = TcpStream::connect(app.addr).await.unwrap();
    let _second = TcpStream::connect(app.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut third = TcpStream::connect(app.addr).await.unwrap(); // the kernel queues it
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let early = read_for(&mut third, Duration::from_millis(500)).await;
    assert!(early.is_empty(), "served beyond the cap: {early}");

    drop(first);
    let answer = read_for(&mut third, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn bulk_bodies_over_the_limit_are_413() {
    let app = spawn_app_with(
        |s| s.limits.max_bulk_request_bytes = 1000,
        Tokens::from_list([TOKEN]),
    )
    .await;
    let mut big = crate::common::article("a", "kinh-te", 0);
    big["content_html"] = serde_json::Value::from("x".repeat(2000));
    let body = format!("[{big}]");
    let r = app.post_bulk(body).await;
    assert_eq!(r.status().as_u16(), 413);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["error"], "payload_too_large");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("limits.max_bulk_request_bytes")
    );
}

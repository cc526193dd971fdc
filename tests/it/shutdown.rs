//! A graceful stop: the request in flight finishes, and new clients are refused at
//! once rather than queued behind the drain.

use std::time::Duration;

use crate::common::{TOKEN, article, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_stopping_server_finishes_its_request_and_refuses_new_clients() {
    let app = spawn_app().await;
    let addr = app.addr;
    // A PUT whose body is still arriving is in flight when the stop comes.
    let body = serde_json::to_vec(&article("a", "kinh-te", 0)).unwrap();
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /api/articles/a HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = TcpStream::connect(addr).await;
    assert_eq!(
        refused.map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionRefused),
        "a new client during the drain"
    );

    slow.write_all(&body[10..]).await.unwrap();
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once its request is done")
        .unwrap();
}

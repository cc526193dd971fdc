use std::io::IoSlice;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// Pseudo-random bytes (xorshift), so a body sent from a wrong offset cannot match.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn file_backed_bytes_read_back_and_are_found_until_dropped() {
    let want = pattern(100_000);
    let bytes = file_backed(want.clone());
    assert_eq!(&bytes[..], &want[..]);
    let (_, offset) = linux::find(&bytes[1000..40_000]).expect("found in its file");
    assert_eq!(offset, 1000);
    let start = bytes.as_ptr() as usize;
    assert!(
        linux::region_at(start + 99_999, 2).is_none(),
        "past the end"
    );
    let (file, _) = linux::region_at(start, 100_000).unwrap();
    let clone = bytes.clone();
    drop(bytes);
    let kept = linux::region_at(start, 100_000).map(|(f, _)| f);
    assert!(
        kept.is_some_and(|f| Arc::ptr_eq(&f, &file)),
        "a clone keeps it"
    );
    drop(clone);
    // Another test's file may be mapped there since; this one is not.
    let after = linux::region_at(start, 100_000).map(|(f, _)| f);
    assert!(
        !after.is_some_and(|f| Arc::ptr_eq(&f, &file)),
        "unregistered once dropped"
    );
    assert!(
        !is_file_backed(&file_backed(pattern(1000))),
        "short bodies stay ordinary"
    );
}

/// Writes a response head and a body the socket cannot take at once, as hyper does:
/// vectored writes, resumed after each partial one.
async fn send(stream: &mut Zerocopy, head: &[u8], body: &[u8]) {
    let mut parts = [IoSlice::new(head), IoSlice::new(body)];
    let mut parts = &mut parts[..];
    while !parts.is_empty() {
        let n = stream.write_vectored(parts).await.unwrap();
        assert!(n > 0);
        IoSlice::advance_slices(&mut parts, n);
    }
    stream.flush().await.unwrap();
}

async fn round_trip(body: Bytes) -> (Vec<u8>, u64) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let total = 11 + body.len();
    let reader = tokio::spawn(async move {
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut got = Vec::new();
        let mut chunk = vec![0; 64 * 1024];
        while got.len() < total {
            // Read slowly, so the sender meets a full socket and sends in parts.
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            let n = client.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed early");
            got.extend_from_slice(&chunk[..n]);
        }
        got
    });
    let (stream, _) = listener.accept().await.unwrap();
    let mut stream = Zerocopy::new(stream);
    send(&mut stream, b"HTTP/1.1 ..", &body).await;
    let got = tokio::time::timeout(std::time::Duration::from_secs(20), reader)
        .await
        .expect("the body never arrived whole");
    (got.unwrap(), stream.sent_from_files)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn file_backed_bodies_are_sent_from_their_file_whole_and_in_order() {
    let want = pattern(4_000_000);
    let (got, from_files) = round_trip(file_backed(want.clone())).await;
    assert_eq!(&got[..11], b"HTTP/1.1 ..");
    assert!(got[11..] == want[..], "body differs");
    assert_eq!(from_files, want.len() as u64);
}

#[tokio::test]
async fn ordinary_bodies_are_written_as_usual() {
    let want = pattern(1_000_000);
    let (got, from_files) = round_trip(Bytes::from(want.clone())).await;
    assert!(got[11..] == want[..], "body differs");
    assert_eq!(from_files, 0);
}

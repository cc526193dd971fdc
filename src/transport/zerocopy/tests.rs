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

/// Where the file backing `bytes` lives, as the kernel names its descriptor.
#[cfg(target_os = "linux")]
fn backing_path(bytes: &[u8]) -> String {
    use std::os::fd::AsRawFd;
    let (file, _) = linux::region_at(bytes.as_ptr() as usize, bytes.len()).expect("file-backed");
    let link = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).unwrap();
    link.to_string_lossy().into_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn kept_bytes_read_back_and_are_found_until_dropped() {
    let want = pattern(100_000);
    let bytes = Spool::memory_files().body(want.clone());
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
    // Another test's body may live there since; this one is gone.
    let after = linux::region_at(start, 100_000).map(|(f, _)| f);
    assert!(
        !after.is_some_and(|f| Arc::ptr_eq(&f, &file)),
        "unregistered once dropped"
    );
    assert!(
        !is_file_backed(&Spool::memory_files().body(pattern(1000))),
        "short bodies stay ordinary"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_spool_keeps_bodies_in_unnamed_files_of_its_directory_else_in_memory_files() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = Spool::in_dir(dir.path()).body(pattern(50_000));
    let path = backing_path(&bytes);
    assert!(
        path.starts_with(&dir.path().to_string_lossy().into_owned()),
        "{path}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no name in the directory"
    );
    let (file, _) = linux::region_at(bytes.as_ptr() as usize, bytes.len()).unwrap();
    assert_eq!(file.metadata().unwrap().len(), 50_000);

    let memory = Spool::memory_files().body(pattern(50_000));
    assert!(
        backing_path(&memory).starts_with("/memfd:herald-body"),
        "{}",
        backing_path(&memory)
    );
    let gone = dir.path().join("gone");
    let fallback = Spool::in_dir(&gone).body(pattern(50_000));
    assert!(
        backing_path(&fallback).starts_with("/memfd:"),
        "{}",
        backing_path(&fallback)
    );
}

/// Writes a response head and a body the socket cannot take at once, as hyper does:
/// vectored writes, resumed after each partial one. Returns what the first took.
async fn send(stream: &mut Zerocopy, head: &[u8], body: &[u8]) -> usize {
    let mut parts = [IoSlice::new(head), IoSlice::new(body)];
    let mut parts = &mut parts[..];
    let mut first = None;
    while !parts.is_empty() {
        let n = stream.write_vectored(parts).await.unwrap();
        assert!(n > 0);
        first.get_or_insert(n);
        IoSlice::advance_slices(&mut parts, n);
    }
    stream.flush().await.unwrap();
    first.unwrap_or(0)
}

/// Sends `head` and `body` to a slow reader, through a socket with a send buffer of
/// `send_buffer` bytes if given; returns what it read, the bytes sent from files,
/// and what the first write took.
async fn round_trip_with(
    head: &[u8],
    body: Bytes,
    send_buffer: Option<usize>,
) -> (Vec<u8>, u64, usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let total = head.len() + body.len();
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
    #[cfg(target_os = "linux")]
    if let Some(size) = send_buffer {
        rustix::net::sockopt::set_socket_send_buffer_size(&stream, size).unwrap();
    }
    let mut stream = Zerocopy::new(stream);
    let first = send(&mut stream, head, &body).await;
    let got = tokio::time::timeout(std::time::Duration::from_secs(20), reader)
        .await
        .expect("the body never arrived whole");
    (got.unwrap(), stream.sent_from_files, first)
}

/// Whether `from_files` accounts for all of `len` bytes but a last part shorter than
/// the length worth a lookup, which a partial send can leave and which is copied.
#[cfg(target_os = "linux")]
fn all_but_a_short_tail(from_files: u64, len: usize) -> bool {
    from_files <= len as u64 && from_files + linux::MIN_LEN as u64 > len as u64
}

async fn round_trip(body: Bytes) -> (Vec<u8>, u64) {
    let (got, from_files, _) = round_trip_with(b"HTTP/1.1 ..", body, None).await;
    (got, from_files)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn file_backed_bodies_are_sent_from_their_file_whole_and_in_order() {
    let want = pattern(4_000_000);
    let dir = tempfile::tempdir().unwrap();
    for spool in [Spool::in_dir(dir.path()), Spool::memory_files()] {
        let (got, from_files) = round_trip(spool.body(want.clone())).await;
        assert_eq!(&got[..11], b"HTTP/1.1 ..");
        assert!(got[11..] == want[..], "body differs");
        assert!(
            all_but_a_short_tail(from_files, want.len()),
            "{from_files} from files"
        );
    }
}

/// A head the socket cannot take at once (hyper's heads are short, but a full
/// socket takes only part of one): it goes out in parts, then the body from its file.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_head_sent_in_parts_is_followed_by_the_whole_body() {
    let head = pattern(300_000);
    let want = pattern(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let body = Spool::in_dir(dir.path()).body(want.clone());
    let (got, from_files, first) = round_trip_with(&head, body, Some(16 * 1024)).await;
    assert!(
        first < head.len(),
        "the first write took the whole head ({first} bytes)"
    );
    assert!(got[..head.len()] == head[..], "head differs");
    assert!(got[head.len()..] == want[..], "body differs");
    assert!(
        all_but_a_short_tail(from_files, want.len()),
        "{from_files} from files"
    );
}

#[tokio::test]
async fn ordinary_bodies_are_written_as_usual() {
    let want = pattern(1_000_000);
    let (got, from_files) = round_trip(Bytes::from(want.clone())).await;
    assert!(got[11..] == want[..], "body differs");
    assert_eq!(from_files, 0);
}

/// hyper hands a body of `Bytes` to the socket as a write buffer of its own, not
/// copied into its buffer, because `Zerocopy` says it writes vectored: sending kept
/// bodies from their files depends on that, so it is tested through hyper itself.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn hyper_writes_a_kept_body_as_its_own_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let want = pattern(200_000);
    let body = Spool::in_dir(dir.path()).body(want.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::spawn(async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        got
    });
    let (stream, _) = listener.accept().await.unwrap();
    let service = hyper::service::service_fn(move |_req| {
        let body = body.clone();
        async move {
            Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(body)))
        }
    });
    let parts = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(Zerocopy::new(stream)), service)
        .without_shutdown()
        .await
        .unwrap();
    let stream = parts.io.into_inner();
    let from_files = stream.sent_from_files;
    drop(stream);
    let got = client.await.unwrap();
    assert!(got.ends_with(&want), "the body arrived changed");
    assert!(
        all_but_a_short_tail(from_files, want.len()),
        "{from_files} of {} bytes from the file: hyper copied the body",
        want.len()
    );
}

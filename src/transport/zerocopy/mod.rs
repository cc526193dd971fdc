//! Bodies backed by files, which a socket sends with sendfile(2) instead of copying
//! them in: what nginx does with a static file.
//!
//! Why: serving a cached 50 KB gzip feed, a fifth of Herald's CPU time went on
//! copying the body into the kernel (`_copy_from_iter`), and that copy was what kept
//! it below nginx. [`Spool::keep`] writes a long-lived body to a file and remembers
//! where its bytes live in memory; `Zerocopy`, around each connection, spots a write
//! of those bytes and sends them from the file. Anything else, or any failure to
//! make a file, takes the ordinary path.
//!
//! The file is an unnamed one (`O_TMPFILE`) in the store's directory, or else a
//! sealed memory file. The first is faster: its page cache takes large folios on
//! filesystems that have them (ext4, xfs), while memory files get 4 KiB pages unless
//! the host enables shmem huge pages, and splicing a 42 KB body page by page cost
//! 1.5 us more per request (10.7-11.7 against 9.2-9.5 us; nginx's file 9.4-9.7 us).
//! The body stays in ordinary memory as well: only this process can change either
//! copy, and nothing here maps a file, so no read can fault on one.
//!
//! Linux only; elsewhere bodies are ordinary bytes and writes ordinary writes.

use std::io::{self, IoSlice};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

static SENT: AtomicU64 = AtomicU64::new(0);

/// Bytes sent from files since the process started.
pub fn sent_bytes() -> u64 {
    SENT.load(Ordering::Relaxed)
}

/// Whether `bytes` are backed by a file.
pub fn is_file_backed(bytes: &[u8]) -> bool {
    #[cfg(target_os = "linux")]
    return linux::region_at(bytes.as_ptr() as usize, bytes.len()).is_some();
    #[cfg(not(target_os = "linux"))]
    false
}

/// Files backing bodies now.
pub fn files() -> u64 {
    #[cfg(target_os = "linux")]
    return linux::files() as u64;
    #[cfg(not(target_os = "linux"))]
    0
}

/// Where bodies sent many times are kept: in ordinary memory (the default, and what
/// `server.io = "plain"` uses), in sealed memory files, or in unnamed files of a
/// directory (falling back to memory files, then to memory).
#[derive(Debug, Clone, Default)]
pub struct Spool {
    files: Files,
}

#[derive(Debug, Clone, Default)]
enum Files {
    #[default]
    None,
    Memory,
    InDir(Arc<Path>),
}

impl Spool {
    /// Bodies in ordinary memory, never in files.
    pub fn memory() -> Spool {
        Spool { files: Files::None }
    }

    /// Bodies in sealed memory files.
    pub fn memory_files() -> Spool {
        Spool {
            files: Files::Memory,
        }
    }

    /// Bodies in unnamed files in `dir`, which never appear in it and go with the
    /// process.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Spool {
        Spool {
            files: Files::InDir(Arc::from(dir.into())),
        }
    }

    /// `bytes` as a body, backed by a file when this spool makes files and one can
    /// be made (below the descriptor budget). Meant for bodies sent many times:
    /// making the file costs tens of microseconds.
    pub fn body(&self, bytes: Vec<u8>) -> Bytes {
        let dir = match &self.files {
            Files::None => return Bytes::from(bytes),
            Files::Memory => None,
            Files::InDir(dir) => Some(&**dir),
        };
        #[cfg(target_os = "linux")]
        return linux::keep(bytes, dir);
        #[cfg(not(target_os = "linux"))]
        {
            let _ = dir;
            Bytes::from(bytes)
        }
    }
}

/// A TCP stream that sends file-backed bytes with sendfile(2).
pub struct Zerocopy {
    stream: TcpStream,
    /// Bytes this stream sent from files.
    pub sent_from_files: u64,
}

impl Zerocopy {
    /// Wraps `stream`.
    pub fn new(stream: TcpStream) -> Self {
        Zerocopy {
            stream,
            sent_from_files: 0,
        }
    }

    #[cfg(target_os = "linux")]
    fn write_parts(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let Some((k, file, offset)) = bufs
            .iter()
            .enumerate()
            .find_map(|(k, b)| linux::find(b).map(|(file, offset)| (k, file, offset)))
        else {
            return Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        };
        // What comes before the file's bytes (the response head) goes first, held
        // back with MSG_MORE so that it leaves in the same packets as they do.
        let before: usize = bufs[..k].iter().map(|b| b.len()).sum();
        let head = if k == 0 {
            0
        } else {
            let sent = std::task::ready!(linux::poll_send_more(&self.stream, cx, &bufs[..k]))?;
            if sent < before {
                return Poll::Ready(Ok(sent));
            }
            sent
        };
        let sent = match linux::poll_sendfile(&self.stream, cx, &file, offset, bufs[k].len()) {
            Poll::Ready(Err(e)) if linux::refused(&e) => {
                // Not for want of a working socket: write the bytes instead.
                Pin::new(&mut self.stream).poll_write(cx, &bufs[k])
            }
            Poll::Ready(Ok(n)) => {
                self.sent_from_files += n as u64;
                SENT.fetch_add(n as u64, Ordering::Relaxed);
                Poll::Ready(Ok(n))
            }
            other => other,
        };
        match sent {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(head + n)),
            // The head went out; the error, if it lasts, comes back on the next write.
            Poll::Ready(Err(_)) | Poll::Pending if head > 0 => Poll::Ready(Ok(head)),
            other => other,
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn write_parts(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
}

impl AsyncRead for Zerocopy {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Zerocopy {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.write_parts(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.write_parts(cx, bufs)
    }

    /// Vectored, so that hyper queues bodies instead of copying them into its
    /// own buffer, where they would no longer be found as a kept body.
    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(target_os = "linux")]
mod linux;

#[cfg(test)]
mod tests;

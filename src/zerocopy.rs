//! Bytes kept in sealed memory files, which a socket sends with sendfile(2) instead
//! of copying them in: what nginx does with a static file.
//!
//! Why: serving a cached 50 KB gzip feed, a fifth of Herald's CPU time went on
//! copying the body into the kernel (`_copy_from_iter`), and that copy was what kept
//! it below nginx. `file_backed` puts a long-lived body in a memory file, maps it,
//! and remembers the mapping's address; `Zerocopy`, around each connection, spots a
//! write that points into such a mapping and sends those bytes from the file.
//! Anything else, or any failure to make a file, takes the ordinary path.
//!
//! Linux only; elsewhere bodies are ordinary bytes and writes ordinary writes.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

static SENT: AtomicU64 = AtomicU64::new(0);

/// Bytes sent from memory files since the process started.
pub fn sent_bytes() -> u64 {
    SENT.load(Ordering::Relaxed)
}

/// Whether `bytes` lie in a memory file.
pub fn is_file_backed(bytes: &[u8]) -> bool {
    #[cfg(target_os = "linux")]
    return linux::region_at(bytes.as_ptr() as usize, bytes.len()).is_some();
    #[cfg(not(target_os = "linux"))]
    false
}

/// Memory files alive now.
pub fn files() -> u64 {
    #[cfg(target_os = "linux")]
    return linux::files() as u64;
    #[cfg(not(target_os = "linux"))]
    0
}

/// `bytes`, in a memory file when one can be made (below the descriptor budget).
/// Meant for bodies sent many times: making the file costs tens of microseconds.
pub fn file_backed(bytes: Vec<u8>) -> Bytes {
    #[cfg(target_os = "linux")]
    if let Some(mapped) = linux::map(&bytes) {
        return mapped;
    }
    Bytes::from(bytes)
}

/// A TCP stream that sends file-backed bytes with sendfile(2).
pub struct Zerocopy {
    stream: TcpStream,
    /// Bytes this stream sent from memory files.
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
    /// own buffer, where they would no longer point into a memory file.
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
mod linux {
    //! Memory files, the registry of their mappings, and the two system calls.

    use std::collections::BTreeMap;
    use std::fs::File;
    use std::io::{self, IoSlice, Write};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, LazyLock, RwLock};
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use rustix::fs::{MemfdFlags, SealFlags};
    use rustix::net::SendFlags;
    use tokio::io::Interest;
    use tokio::net::TcpStream;

    /// Memory files alive at once, at most: each holds a descriptor, and clients
    /// need descriptors too. Past it, bodies are ordinary bytes.
    static BUDGET: LazyLock<usize> = LazyLock::new(|| {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let quarter = limit.map_or(usize::MAX, |l| usize::try_from(l / 4).unwrap_or(usize::MAX));
        quarter.min(1024)
    });
    static FILES: AtomicUsize = AtomicUsize::new(0);

    /// Bodies shorter than this stay ordinary bytes: copying 16 KiB costs about
    /// what the extra system call for the head does.
    const MIN_LEN: usize = 16 * 1024;

    /// Live mappings by start address. A write whose bytes lie in one is sending
    /// that mapping's bytes: the mapping cannot go away while they are borrowed.
    static MAPPINGS: RwLock<BTreeMap<usize, Region>> = RwLock::new(BTreeMap::new());

    struct Region {
        len: usize,
        file: Arc<File>,
    }

    /// Owns one mapping; unregisters it before it is unmapped. (The mapping keeps
    /// the file's pages; the registry keeps its descriptor.)
    struct Mapped {
        map: memmap2::Mmap,
    }

    impl AsRef<[u8]> for Mapped {
        fn as_ref(&self) -> &[u8] {
            &self.map
        }
    }

    impl Drop for Mapped {
        fn drop(&mut self) {
            let mut mappings = MAPPINGS.write().unwrap_or_else(|e| e.into_inner());
            mappings.remove(&(self.map.as_ptr() as usize));
            FILES.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Set once the system refuses sendfile(2) itself (a sandbox without it): from
    /// then on every write is an ordinary one.
    static REFUSED: AtomicBool = AtomicBool::new(false);

    /// Whether `e` means that sendfile(2) is unavailable rather than that the
    /// socket failed; if so, notes it, so that later writes do not try again.
    pub fn refused(e: &io::Error) -> bool {
        let errno = e.raw_os_error().map(rustix::io::Errno::from_raw_os_error);
        let refused = matches!(
            errno,
            Some(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM | rustix::io::Errno::INVAL)
        );
        if refused && !REFUSED.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %e, "sendfile(2) refused; sending bodies by copying them");
        }
        refused
    }

    /// `bytes` in a new sealed memory file, mapped; `None` when short, over budget,
    /// or when any step fails.
    pub fn map(bytes: &[u8]) -> Option<Bytes> {
        if bytes.len() < MIN_LEN {
            return None;
        }
        if FILES.fetch_add(1, Ordering::Relaxed) >= *BUDGET {
            FILES.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        let made = make(bytes);
        if made.is_none() {
            FILES.fetch_sub(1, Ordering::Relaxed);
        }
        made
    }

    fn make(bytes: &[u8]) -> Option<Bytes> {
        // Not executable, which kernels since 6.3 may insist on (vm.memfd_noexec=2)
        // and older ones do not know of.
        let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
        let fd = rustix::fs::memfd_create("herald-body", flags | MemfdFlags::NOEXEC_SEAL)
            .or_else(|_| rustix::fs::memfd_create("herald-body", flags))
            .ok()?;
        let mut file = File::from(fd);
        file.write_all(bytes).ok()?;
        let seals = SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL;
        rustix::fs::fcntl_add_seals(&file, seals).ok()?;
        // SAFETY: the file is sealed against writes, shrinking and growing, so its
        // contents cannot change under the mapping for as long as it exists.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let start = map.as_ptr() as usize;
        let region = Region {
            len: map.len(),
            file: Arc::new(file),
        };
        MAPPINGS
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(start, region);
        Some(Bytes::from_owner(Mapped { map }))
    }

    pub fn files() -> usize {
        FILES.load(Ordering::Relaxed)
    }

    /// The memory file `buf` lies in, and its offset there. Short writes (response
    /// heads, 304s) are not worth a lookup, nor a system call of their own.
    pub fn find(buf: &[u8]) -> Option<(Arc<File>, u64)> {
        if buf.len() < MIN_LEN
            || FILES.load(Ordering::Relaxed) == 0
            || REFUSED.load(Ordering::Relaxed)
        {
            return None;
        }
        region_at(buf.as_ptr() as usize, buf.len())
    }

    /// The memory file whose mapping holds `len` bytes from address `at`.
    pub(super) fn region_at(at: usize, len: usize) -> Option<(Arc<File>, u64)> {
        let mappings = MAPPINGS.read().unwrap_or_else(|e| e.into_inner());
        let (start, region) = mappings.range(..=at).next_back()?;
        let offset = at - start;
        (offset + len <= region.len).then(|| (Arc::clone(&region.file), offset as u64))
    }

    /// Sends `bufs` with MSG_MORE, once the socket is writable.
    pub fn poll_send_more(
        stream: &TcpStream,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        poll_io(stream, cx, || {
            let mut control = Default::default();
            let flags = SendFlags::MORE | SendFlags::NOSIGNAL;
            Ok(rustix::net::sendmsg(stream, bufs, &mut control, flags)?)
        })
    }

    /// Sends up to `len` bytes of `file` from `offset`, once the socket is writable.
    pub fn poll_sendfile(
        stream: &TcpStream,
        cx: &mut Context<'_>,
        file: &File,
        offset: u64,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        poll_io(stream, cx, || {
            let mut at = offset;
            Ok(rustix::fs::sendfile(stream, file, Some(&mut at), len)?)
        })
    }

    fn poll_io(
        stream: &TcpStream,
        cx: &mut Context<'_>,
        mut f: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            std::task::ready!(stream.poll_write_ready(cx))?;
            match stream.try_io(Interest::WRITABLE, &mut f) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                done => return Poll::Ready(done),
            }
        }
    }
}

#[cfg(test)]
mod tests;

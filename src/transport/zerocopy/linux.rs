//! The files, the registry of the bytes they back, and the two system calls.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use rustix::fs::{MemfdFlags, Mode, OFlags, SealFlags};
use rustix::net::SendFlags;
use tokio::io::Interest;
use tokio::net::TcpStream;

/// Files alive at once, at most: each holds a descriptor, and clients need
/// descriptors too. Past it, bodies are ordinary bytes.
static BUDGET: LazyLock<usize> = LazyLock::new(|| {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let quarter = limit.map_or(usize::MAX, |l| usize::try_from(l / 4).unwrap_or(usize::MAX));
    quarter.min(1024)
});
static FILES: AtomicUsize = AtomicUsize::new(0);

/// Bodies shorter than this stay ordinary bytes: copying 16 KiB costs about
/// what the extra system call for the head does.
pub(super) const MIN_LEN: usize = 16 * 1024;

/// Kept bodies by the address of their bytes. A write whose bytes lie in one is
/// sending that body: it cannot be freed while they are borrowed.
static BODIES: RwLock<BTreeMap<usize, Region>> = RwLock::new(BTreeMap::new());

struct Region {
    len: usize,
    file: Arc<File>,
}

/// Owns a kept body's bytes; unregisters them before they are freed.
struct Kept {
    bytes: Vec<u8>,
}

impl AsRef<[u8]> for Kept {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        let mut bodies = BODIES.write().unwrap_or_else(|e| e.into_inner());
        bodies.remove(&(self.bytes.as_ptr() as usize));
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

/// `bytes`, registered with a file holding a copy: an unnamed one in `dir` if
/// it can be made there, else a memory file. Ordinary bytes when short, over
/// budget, or when neither file can be made.
pub fn keep(bytes: Vec<u8>, dir: Option<&Path>) -> Bytes {
    if bytes.len() < MIN_LEN {
        return Bytes::from(bytes);
    }
    if FILES.fetch_add(1, Ordering::Relaxed) >= *BUDGET {
        FILES.fetch_sub(1, Ordering::Relaxed);
        return Bytes::from(bytes);
    }
    let Some(file) = dir
        .and_then(|dir| unnamed_file(dir, &bytes))
        .or_else(|| memory_file(&bytes))
    else {
        FILES.fetch_sub(1, Ordering::Relaxed);
        return Bytes::from(bytes);
    };
    let region = Region {
        len: bytes.len(),
        file: Arc::new(file),
    };
    BODIES
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(bytes.as_ptr() as usize, region);
    Bytes::from_owner(Kept { bytes })
}

/// A file in `dir` that has no name (`O_TMPFILE | O_EXCL`: nothing can link it
/// into the directory), holding `bytes`. Its pages are the page cache's, and are
/// never written to disk if it is closed first.
fn unnamed_file(dir: &Path, bytes: &[u8]) -> Option<File> {
    let flags = OFlags::TMPFILE | OFlags::EXCL | OFlags::RDWR | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::RUSR | Mode::WUSR).ok()?;
    let mut file = File::from(fd);
    file.write_all(bytes).ok()?;
    Some(file)
}

/// A memory file holding `bytes`, sealed against any change.
fn memory_file(bytes: &[u8]) -> Option<File> {
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
    Some(file)
}

/// Files backing bodies now.
pub fn files() -> usize {
    FILES.load(Ordering::Relaxed)
}

/// The file backing `buf`, and the offset there. Short writes (response heads,
/// 304s) are not worth a lookup, nor a system call of their own.
pub fn find(buf: &[u8]) -> Option<(Arc<File>, u64)> {
    if buf.len() < MIN_LEN || FILES.load(Ordering::Relaxed) == 0 || REFUSED.load(Ordering::Relaxed)
    {
        return None;
    }
    region_at(buf.as_ptr() as usize, buf.len())
}

/// The file backing `len` bytes from address `at`.
pub(super) fn region_at(at: usize, len: usize) -> Option<(Arc<File>, u64)> {
    let bodies = BODIES.read().unwrap_or_else(|e| e.into_inner());
    let (start, region) = bodies.range(..=at).next_back()?;
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

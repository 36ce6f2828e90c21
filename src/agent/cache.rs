//! Writing a snapshot without taking the etcd host's page cache: a multi-GiB archive written the
//! plain way fills the cache with pages nobody reads again, pushing out etcd's own, and is charged
//! to the agent container's memory. `DropBehind` starts the write-back of each window it filled
//! and, one window later, waits for it and tells the kernel those pages are not needed (what
//! `dd oflag=nocache` does). The bytes reach the disk all the same (the caller syncs at the end).
//! `on_disk` reads a synced file back from the device (O_DIRECT), not from what the cache holds.
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;

/// The size of the windows written back and dropped.
const WINDOW: u64 = 8 << 20;

pub struct DropBehind {
    file: File,
    written: u64,
    /// everything before this offset was written back and dropped
    dropped: u64,
}

impl DropBehind {
    pub fn new(file: File) -> Self {
        DropBehind { file, written: 0, dropped: 0 }
    }

    pub fn into_inner(self) -> File {
        self.file
    }

    /// Advice only: an error (a file system without these calls) changes nothing but the cache.
    fn release(&mut self) {
        let fd = self.file.as_raw_fd();
        while self.written >= self.dropped + 2 * WINDOW {
            let (old, new) = (self.dropped as libc::off64_t, (self.dropped + WINDOW) as libc::off64_t);
            // SAFETY: plain syscalls on a file descriptor this struct owns; no memory is passed.
            unsafe {
                libc::sync_file_range(fd, new, WINDOW as libc::off64_t, libc::SYNC_FILE_RANGE_WRITE);
                libc::sync_file_range(fd, old, WINDOW as libc::off64_t, libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER);
                libc::posix_fadvise(fd, old, WINDOW as libc::off64_t, libc::POSIX_FADV_DONTNEED);
            }
            self.dropped += WINDOW;
        }
    }
}

impl Write for DropBehind {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        self.release();
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Drops the cached pages of `len` bytes of `file` from `from` on. Advice only: an error (a file
/// system without it) changes nothing but the cache.
fn drop_cached(file: &File, from: u64, len: u64) {
    // SAFETY: a plain syscall on a file descriptor the caller owns; no memory is passed.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), from as libc::off64_t, len as libc::off64_t, libc::POSIX_FADV_DONTNEED);
    }
}

/// Where `on_disk` read a file from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// O_DIRECT: from the device, past the page cache
    Device,
    /// the file system refused O_DIRECT (tmpfs, some FUSE file systems): read after asking the
    /// kernel to drop the file's cached pages, which such a file system may ignore
    CacheDropped,
}

/// O_DIRECT reads go to the device in whole blocks, into memory aligned to the block size.
const DIRECT_ALIGN: usize = 4096;
const DIRECT_BUF: usize = 1 << 20;

/// Size and sha256 of a synced file as the disk holds it, read with O_DIRECT (a write the disk
/// lost or mangled shows here, not in a hash taken while writing); where the file system refuses
/// O_DIRECT, after dropping its cached pages, each window dropped again behind the reader.
pub fn on_disk(path: &std::path::Path) -> std::io::Result<(u64, String, ReadFrom)> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().read(true).custom_flags(libc::O_DIRECT).open(path) {
        Ok(file) => {
            let (size, sha256) = digest_direct(file)?;
            Ok((size, sha256, ReadFrom::Device))
        }
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            let (size, sha256) = digest_cache_dropped(File::open(path)?)?;
            Ok((size, sha256, ReadFrom::CacheDropped))
        }
        Err(e) => Err(e),
    }
}

fn digest_direct(file: File) -> std::io::Result<(u64, String)> {
    let layout = std::alloc::Layout::from_size_align(DIRECT_BUF, DIRECT_ALIGN).expect("a valid layout");
    // SAFETY: a non-zero-sized layout; the buffer is zeroed, so every byte read from it is
    // initialised, and it is freed below with the same layout
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `ptr` points to DIRECT_BUF initialised bytes owned here until the dealloc below
    let buf = unsafe { std::slice::from_raw_parts_mut(ptr, DIRECT_BUF) };
    let res = crate::snapshot::manifest::digest_through(file, buf);
    // SAFETY: allocated above with this layout and not used after
    unsafe { std::alloc::dealloc(ptr, layout) };
    res
}

fn digest_cache_dropped(file: File) -> std::io::Result<(u64, String)> {
    struct Behind {
        file: File,
        read: u64,
        dropped: u64,
    }
    impl Read for Behind {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.file.read(buf)?;
            self.read += n as u64;
            if self.read >= self.dropped + WINDOW {
                drop_cached(&self.file, self.dropped, self.read - self.dropped);
                self.dropped = self.read;
            }
            Ok(n)
        }
    }
    // only clean pages can be dropped: the caller synced the file
    drop_cached(&file, 0, 0);
    let mut r = Behind { file, read: 0, dropped: 0 };
    let got = crate::snapshot::manifest::digest_reader(&mut r)?;
    drop_cached(&r.file, 0, 0);
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn every_byte_is_written_whatever_is_dropped_from_the_cache() {
        let mut f = DropBehind::new(tempfile::tempfile().unwrap());
        let chunk: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..40 {
            f.write_all(&chunk).unwrap();
        }
        assert!(f.dropped >= 3 * WINDOW, "windows were released: {}", f.dropped);
        let mut file = f.into_inner();
        std::io::Seek::rewind(&mut file).unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back.len(), 40 * chunk.len());
        assert!(back.chunks(chunk.len()).all(|c| c == chunk));
    }

    #[test]
    fn a_file_read_back_from_the_disk_has_the_digest_of_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        let data: Vec<u8> = (0..(3 * WINDOW as usize + 12345)).map(|i| (i % 253) as u8).collect();
        let mut f = DropBehind::new(File::create(&path).unwrap());
        f.write_all(&data).unwrap();
        f.into_inner().sync_all().unwrap();
        let want = crate::snapshot::manifest::digest_reader(&data[..]).unwrap();
        let (size, sha256, from) = on_disk(&path).unwrap();
        assert_eq!((size, sha256), want, "read from {from:?}");
        // both ways of reading, whichever this file system allows
        assert_eq!(digest_cache_dropped(File::open(&path).unwrap()).unwrap(), want);
        std::fs::write(&path, &data[1..]).unwrap();
        std::fs::File::open(&path).unwrap().sync_all().unwrap();
        assert_ne!(on_disk(&path).unwrap().1, want.1);
    }
}

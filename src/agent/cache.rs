//! Writing a snapshot without taking the etcd host's page cache: a multi-GiB archive written the
//! plain way fills the cache with pages nobody reads again, pushing out etcd's own, and is charged
//! to the agent container's memory. `DropBehind` starts the write-back of each window it filled
//! and, one window later, waits for it and tells the kernel those pages are not needed (what
//! `dd oflag=nocache` does). The bytes reach the disk all the same (the caller syncs at the end).
use std::fs::File;
use std::io::Write;
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
}

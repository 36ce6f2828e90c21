//! One run at a time per cluster: a lock next to the state file, held for the whole run.
//!
//! An advisory `flock` on `<state>.lock`: the kernel drops it when the holder exits, however
//! it exits, so a stale lock of a killed run never blocks the next one (the file itself stays;
//! it only says who held it last).
use anyhow::{anyhow, Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

pub struct RunLock {
    _file: File,
}

pub fn lock_path(state: &Path) -> PathBuf {
    let mut s = state.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Takes the cluster's lock or says who holds it. `command` is recorded for the next one to see.
pub fn acquire(state: &Path, command: &str) -> Result<RunLock> {
    let path = lock_path(state);
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(&path).with_context(|| format!("opening {}", path.display()))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = f.read_to_string(&mut holder);
            // refused as unsafe (exit code 3)
            return crate::exit::refused(format!(
                "another stockade run is working on this cluster ({}; lock {}): wait for it to finish. Two runs at once would race on the hosts and the state file",
                holder.trim().trim_end_matches('.'),
                path.display()
            ));
        }
        Err(TryLockError::Error(e)) => return Err(anyhow!("locking {}: {e}", path.display())),
    }
    let who = format!("pid {} ({command}) since {}", std::process::id(), time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default());
    f.set_len(0).and_then(|_| f.rewind()).and_then(|_| f.write_all(who.as_bytes())).and_then(|_| f.flush()).with_context(|| format!("writing {}", path.display()))?;
    Ok(RunLock { _file: f })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_and_a_released_lock_is_taken() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().join("cluster.rkestate");
        let held = acquire(&state, "up").unwrap();
        let err = acquire(&state, "remove").err().expect("a second holder must be refused").to_string();
        assert!(err.contains(&format!("pid {}", std::process::id())) && err.contains("(up)"), "{err}");
        drop(held);
        // the file is still there (a "stale" lock): it does not block
        assert!(lock_path(&state).exists());
        acquire(&state, "up").unwrap();
    }
}

//! Reaching hosts: SSH sessions (`ssh`), keys (`keys`), Docker over SSH (`docker`) and the set
//! of connected hosts for one command (`hosts`).
pub mod docker;
pub mod hosts;
pub mod keys;
pub mod known_hosts;
pub mod ssh;

pub use hosts::{ConnectOptions, Host, Hosts};

/// A spawned connection task that is aborted when the request that owns it ends, whether it
/// finished or its deadline dropped it: a stalled channel is closed instead of left behind.
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

//! Reaching hosts: SSH sessions (`ssh`), keys (`keys`), Docker over SSH (`docker`) and the set
//! of connected hosts for one command (`hosts`).
pub mod docker;
pub mod hosts;
pub mod keys;
pub mod known_hosts;
pub mod ssh;

pub use hosts::{ConnectOptions, Host, Hosts};

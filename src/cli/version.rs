//! `stockade version`
pub fn run() -> anyhow::Result<()> {
    println!("stockade {}", env!("CARGO_PKG_VERSION"));
    println!("default Kubernetes version: {}", crate::versions::DEFAULT_KUBERNETES_VERSION);
    println!("Kubernetes versions with default images: {}", crate::versions::known_summary());
    Ok(())
}

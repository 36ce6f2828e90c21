//! `stockade version`
pub fn run() -> anyhow::Result<()> {
    crate::ui::print(&format!(
        "stockade {}\ndefault Kubernetes version: {}\nKubernetes versions with default images: {}\n",
        env!("CARGO_PKG_VERSION"),
        crate::versions::DEFAULT_KUBERNETES_VERSION,
        crate::versions::known_summary()
    ))?;
    Ok(())
}

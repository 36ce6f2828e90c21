//! The `stockade` executable: everything lives in the library; this only starts it.
use stockade::cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    init_tracing(cli.debug);
    // one rustls crypto backend in the whole tree (aws-lc-rs); make it the process default
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    // exit codes: stockade::exit (0 ok, 1 failed, 2 bad input, 3 refused as unsafe)
    let code = match rt.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            stockade::exit::code_of(&e)
        }
    };
    std::process::exit(code.as_i32());
}

/// `--debug` shows stockade's own debug events only: dependency internals (SSH packets, TLS)
/// stay at warn so no key material or credential can reach the log.
fn init_tracing(debug: bool) {
    let filter = if debug { "warn,stockade=debug" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

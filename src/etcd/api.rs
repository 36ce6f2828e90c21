//! etcd's v3 gRPC API, client side only: the code in `api/` is generated from etcd's `.proto`
//! files in `proto/` (etcd v3.5 API, as vendored by the etcd-client crate) and committed, so that
//! building stockade needs nothing outside cargo. `etcd_api_is_generated_from_proto` below
//! regenerates it with protox (a pure-Rust protobuf compiler) and fails when the committed files
//! differ (`UPDATE_GOLDEN=1 cargo test etcd_api` rewrites them).
#![allow(clippy::all, missing_docs, rustdoc::all)]

pub mod authpb {
    include!("api/authpb.rs");
}
pub mod mvccpb {
    include!("api/mvccpb.rs");
}
pub mod etcdserverpb {
    include!("api/etcdserverpb.rs");
}

/// The packages generated into `api/`, one file each.
#[cfg(test)]
const PACKAGES: [&str; 3] = ["authpb", "mvccpb", "etcdserverpb"];

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn etcd_api_is_generated_from_proto() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fds = protox::compile(["etcd/api/etcdserverpb/rpc.proto"], [root.join("proto")]).expect("compiling proto/");
        let out = tempfile::tempdir().unwrap();
        tonic_prost_build::configure()
            .build_server(false)
            .emit_rerun_if_changed(false)
            .out_dir(out.path())
            .compile_fds(fds)
            .expect("generating the etcd client");
        for pkg in super::PACKAGES {
            let fresh = std::fs::read_to_string(out.path().join(format!("{pkg}.rs"))).expect("generated file");
            let committed_path = root.join("src/etcd/api").join(format!("{pkg}.rs"));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(&committed_path, &fresh).unwrap();
            }
            let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
            assert!(committed == fresh, "src/etcd/api/{pkg}.rs is out of date with proto/: run UPDATE_GOLDEN=1 cargo test etcd_api");
        }
    }
}

//! The helper image, made by stockade from its own running executable: `/stockade` (this binary),
//! the shared libraries the loader mapped into this process (each under its SONAME in
//! `/lib/stockade`, found through `LD_LIBRARY_PATH`), the loader at the path the executable names
//! (`PT_INTERP`), and the laptop's CA roots. Written as a `docker load` archive, streamed over SSH to
//! hosts that lack it (the `--image-archive` path): no registry, works air-gapped, always the same
//! version as the CLI. The tag holds stockade's version and a hash of the content, so a rebuilt
//! binary is a new image and an unchanged one is never sent twice.
use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Repository of the helper image.
pub const REPOSITORY: &str = "stockade-agent";
const LIB_DIR: &str = "lib/stockade";
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A built helper image: its tag and the `docker load` archive on the laptop.
pub struct AgentImage {
    pub tag: String,
    pub archive: PathBuf,
    _dir: tempfile::TempDir,
}

/// Docker's (Go's) name of this machine's architecture, for the image config.
pub fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        other => other,
    }
}

/// Whether a host whose Docker reports `os_type`/`arch` (`docker info`: `linux`, `x86_64` or
/// `aarch64`) runs this executable.
pub fn runs_here(os_type: &str, arch: &str) -> bool {
    let ours = std::env::consts::ARCH;
    os_type == "linux" && std::env::consts::OS == "linux" && (arch == ours || arch == go_arch(ours))
}

/// Builds the image archive from `/proc/self/exe`.
pub fn build() -> Result<AgentImage> {
    let exe_path = fs::read_link("/proc/self/exe").context("finding the running executable (/proc/self/exe)")?;
    let exe = fs::read("/proc/self/exe").context("reading the running executable")?;
    let elf = Elf::parse(&exe).context("reading the running executable's ELF headers")?;
    let mut files: BTreeMap<String, (Vec<u8>, u32)> = BTreeMap::new();
    files.insert("stockade".into(), (exe, 0o755));
    if let Some(interp) = &elf.interp {
        let loader = fs::read(interp).with_context(|| format!("reading the loader {interp}"))?;
        files.insert(interp.trim_start_matches('/').to_string(), (loader, 0o755));
        // every library this process mapped is one the loader resolved for it (transitively)
        let maps = fs::read_to_string("/proc/self/maps").context("reading /proc/self/maps")?;
        let mut sonames = Vec::new();
        for lib in mapped_libraries(&maps, &exe_path) {
            let bytes = fs::read(&lib).with_context(|| format!("reading {}", lib.display()))?;
            let Ok(lib_elf) = Elf::parse(&bytes) else { continue };
            let soname = lib_elf.soname.clone().unwrap_or_else(|| lib.file_name().unwrap_or_default().to_string_lossy().into_owned());
            sonames.push(soname.clone());
            files.insert(format!("{LIB_DIR}/{soname}"), (bytes, 0o755));
        }
        let missing: Vec<&String> = elf.needed.iter().filter(|n| !sonames.contains(n)).collect();
        if !missing.is_empty() {
            bail!("cannot build the helper image: libraries {missing:?} the executable needs were not found mapped in this process");
        }
    }
    if let Ok(ca) = fs::read(CA_BUNDLE) {
        files.insert(CA_BUNDLE.trim_start_matches('/').to_string(), (ca, 0o644));
    }
    let dir = tempfile::tempdir().context("creating a temporary directory for the helper image")?;
    let layer_path = dir.path().join("layer.tar");
    let hashing = crate::snapshot::archive::HashingWriter::new(std::io::BufWriter::new(fs::File::create(&layer_path)?));
    let (out, layer_size, layer_sha) = layer_tar(hashing, &files)?.finish();
    out.into_inner().map_err(|e| anyhow!("writing the helper image layer: {}", e.error()))?;
    drop(files);
    let tag = format!("{REPOSITORY}:{}-{}", env!("CARGO_PKG_VERSION"), &layer_sha[..12]);
    let config = serde_json::json!({
        "architecture": go_arch(std::env::consts::ARCH),
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "Entrypoint": ["/stockade"],
            "Env": [format!("LD_LIBRARY_PATH=/{LIB_DIR}"), "PATH=/", format!("SSL_CERT_FILE={CA_BUNDLE}")],
            "Labels": { "io.stockade.managed": "agent-image" },
        },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{layer_sha}")] },
        "history": [{ "created": "1970-01-01T00:00:00Z", "created_by": "stockade agent image (from its own executable)" }],
    });
    let config = serde_json::to_vec(&config)?;
    let config_sha = hex(&Sha256::digest(&config));
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": format!("{config_sha}.json"),
        "RepoTags": [tag],
        "Layers": [format!("{layer_sha}/layer.tar")],
    }]))?;
    let archive = dir.path().join("stockade-agent.tar");
    let mut out = tar::Builder::new(std::io::BufWriter::new(fs::File::create(&archive)?));
    append(&mut out, &format!("{layer_sha}/"), &[], 0o755, tar::EntryType::Directory)?;
    append_reader(&mut out, &format!("{layer_sha}/layer.tar"), fs::File::open(&layer_path)?, layer_size)?;
    append(&mut out, &format!("{config_sha}.json"), &config, 0o644, tar::EntryType::Regular)?;
    append(&mut out, "manifest.json", &manifest, 0o644, tar::EntryType::Regular)?;
    out.into_inner()?.flush()?;
    Ok(AgentImage { tag, archive, _dir: dir })
}

/// The layer: deterministic (sorted, owner root, mtime 0), so the same files give the same hash.
fn layer_tar<W: Write>(out: W, files: &BTreeMap<String, (Vec<u8>, u32)>) -> Result<W> {
    let mut dirs: BTreeMap<String, u32> = BTreeMap::new();
    for path in files.keys() {
        let mut p = Path::new(path).parent();
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty()) {
            dirs.entry(format!("{}/", d.display())).or_insert(0o755);
            p = d.parent();
        }
    }
    dirs.insert("tmp/".into(), 0o1777);
    dirs.insert("run/".into(), 0o755);
    // where the job file is copied before the container starts
    dirs.insert(format!("{}/", crate::snapshot::job::JOB_DIR.trim_start_matches('/')), 0o700);
    let mut b = tar::Builder::new(out);
    for (d, mode) in &dirs {
        append(&mut b, d, &[], *mode, tar::EntryType::Directory)?;
    }
    for (path, (data, mode)) in files {
        append(&mut b, path, data, *mode, tar::EntryType::Regular)?;
    }
    Ok(b.into_inner()?)
}

fn append<W: Write>(b: &mut tar::Builder<W>, path: &str, data: &[u8], mode: u32, kind: tar::EntryType) -> Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    b.append_data(&mut h, path, data).with_context(|| format!("adding {path} to the helper image"))?;
    Ok(())
}

fn append_reader<W: Write>(b: &mut tar::Builder<W>, path: &str, data: impl Read, size: u64) -> Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    b.append_data(&mut h, path, data).with_context(|| format!("adding {path} to the helper image"))?;
    Ok(())
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Shared objects mapped into this process, from `/proc/self/maps`: every file mapped whose name
/// holds `.so`, the executable itself excluded.
pub fn mapped_libraries(maps: &str, exe: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.starts_with('/') && Path::new(p) != exe)
        .filter(|p| Path::new(p).file_name().and_then(|f| f.to_str()).is_some_and(|f| f.contains(".so")))
        .map(PathBuf::from)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What the image needs from an ELF file: its loader (`PT_INTERP`), the libraries it names
/// (`DT_NEEDED`) and its own name (`DT_SONAME`). ELF64 little-endian only (x86_64, aarch64).
#[derive(Debug, Default)]
pub struct Elf {
    pub interp: Option<String>,
    pub needed: Vec<String>,
    pub soname: Option<String>,
}

impl Elf {
    pub fn parse(b: &[u8]) -> Result<Elf> {
        if b.len() < 64 || &b[..4] != b"\x7fELF" {
            bail!("not an ELF file");
        }
        if b[4] != 2 || b[5] != 1 {
            bail!("not a 64-bit little-endian ELF file");
        }
        let u16_at = |o: usize| -> Result<u64> { Ok(u16::from_le_bytes(b.get(o..o + 2).ok_or_else(|| anyhow!("truncated ELF"))?.try_into()?) as u64) };
        let u64_at = |o: usize| -> Result<u64> { Ok(u64::from_le_bytes(b.get(o..o + 8).ok_or_else(|| anyhow!("truncated ELF"))?.try_into()?)) };
        let (phoff, phentsize, phnum) = (u64_at(0x20)? as usize, u16_at(0x36)? as usize, u16_at(0x38)? as usize);
        let cstr = |o: usize| -> Result<String> {
            let s = b.get(o..).ok_or_else(|| anyhow!("truncated ELF"))?;
            let end = s.iter().position(|c| *c == 0).ok_or_else(|| anyhow!("unterminated ELF string"))?;
            Ok(String::from_utf8_lossy(&s[..end]).into_owned())
        };
        let mut elf = Elf::default();
        let mut loads = Vec::new(); // (vaddr, offset, filesz) to map addresses to file offsets
        let mut dynamic = None;
        for i in 0..phnum {
            let ph = phoff + i * phentsize;
            let kind = u32::from_le_bytes(b.get(ph..ph + 4).ok_or_else(|| anyhow!("truncated ELF"))?.try_into()?);
            let (offset, vaddr, filesz) = (u64_at(ph + 8)?, u64_at(ph + 16)?, u64_at(ph + 32)?);
            match kind {
                1 => loads.push((vaddr, offset, filesz)),
                2 => dynamic = Some((offset as usize, filesz as usize)),
                3 => elf.interp = Some(cstr(offset as usize)?),
                _ => {}
            }
        }
        let Some((dyn_off, dyn_size)) = dynamic else { return Ok(elf) }; // static: nothing needed
        let mut entries = Vec::new();
        let mut strtab = None;
        for i in 0..dyn_size / 16 {
            let (tag, val) = (u64_at(dyn_off + i * 16)?, u64_at(dyn_off + i * 16 + 8)?);
            match tag {
                0 => break,
                5 => strtab = Some(val),
                1 | 14 => entries.push((tag, val)),
                _ => {}
            }
        }
        let strtab = strtab.ok_or_else(|| anyhow!("ELF dynamic section without a string table"))?;
        let str_off = loads
            .iter()
            .find(|(v, _, sz)| strtab >= *v && strtab < v + sz)
            .map(|(v, o, _)| (strtab - v + o) as usize)
            .ok_or_else(|| anyhow!("ELF string table outside the loaded segments"))?;
        for (tag, val) in entries {
            let s = cstr(str_off + val as usize)?;
            if tag == 1 {
                elf.needed.push(s);
            } else {
                elf.soname = Some(s);
            }
        }
        Ok(elf)
    }
}

/// Reads the `docker load` archive's manifest: the tags it holds (for tests and checks).
pub fn archive_tags(path: &Path) -> Result<Vec<String>> {
    let mut t = tar::Archive::new(fs::File::open(path)?);
    for e in t.entries()? {
        let mut e = e?;
        if e.path()?.as_os_str() == "manifest.json" {
            let mut s = String::new();
            e.read_to_string(&mut s)?;
            let v: serde_json::Value = serde_json::from_str(&s)?;
            return Ok(v[0]["RepoTags"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(String::from)).collect());
        }
    }
    bail!("no manifest.json in {}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_parses_and_its_libraries_are_found() {
        let exe = fs::read("/proc/self/exe").unwrap();
        let elf = Elf::parse(&exe).unwrap();
        let maps = fs::read_to_string("/proc/self/maps").unwrap();
        let libs = mapped_libraries(&maps, &fs::read_link("/proc/self/exe").unwrap());
        if let Some(interp) = &elf.interp {
            assert!(Path::new(interp).exists(), "{interp}");
            assert!(elf.needed.iter().any(|n| n.starts_with("libc.so")), "{:?}", elf.needed);
            let sonames: Vec<String> = libs.iter().filter_map(|l| Elf::parse(&fs::read(l).unwrap()).ok()?.soname).collect();
            for n in &elf.needed {
                assert!(sonames.contains(n), "{n} not among mapped {sonames:?}");
            }
        }
        assert!(Elf::parse(b"not an elf at all, not at all, not at all, not at all, not at all").is_err());
    }

    #[test]
    fn the_image_archive_is_loadable_shaped_and_its_tag_is_stable() {
        let a = build().unwrap();
        let b = build().unwrap();
        assert_eq!(a.tag, b.tag, "same executable, same tag");
        assert!(a.tag.starts_with(&format!("{REPOSITORY}:{}-", env!("CARGO_PKG_VERSION"))), "{}", a.tag);
        assert_eq!(archive_tags(&a.archive).unwrap(), vec![a.tag.clone()]);
        assert!(runs_here("linux", std::env::consts::ARCH));
        assert!(!runs_here("windows", std::env::consts::ARCH));
        assert!(!runs_here("linux", "riscv128"));
    }
}

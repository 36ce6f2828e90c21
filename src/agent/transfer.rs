//! Copies made while the snapshot is written. The archive's bytes, as the saving agent writes them
//! to its file, go at once to every sink: the agents on the other etcd hosts, host to host over
//! mutual TLS with the cluster's etcd certificates (never through the CLI's machine: RKE1's
//! `etcd-Serve-backup` also served host to host), and S3 as a streamed multipart upload. So a
//! snapshot is read once, from etcd, whatever the number of copies.
//!
//! A sink keeps nothing until the snapshot proved whole (etcd's integrity hash, the size etcd
//! announced): the end of the stream carries the manifest, and an abort, a silent end or a sink that
//! falls behind by more than the stall timeout discards that copy (the saving host's own copy is not
//! held up by it). The CLI compares every copy's checksum with the saving host's manifest.
//!
//! Wire format, inside TLS: one frame per message, `tag (1 byte) | length (u32, big endian) |
//! body`: `H` a JSON header (the snapshot's name), `D` archive bytes, then `M` the manifest (JSON)
//! or `A` an abort reason. The receiver answers one byte after `M`: `K` kept, `X` refused.
use crate::snapshot::archive::HashingWriter;
use crate::snapshot::manifest::{Checksum, Manifest};
use crate::snapshot::job::{ReceiveJob, TlsFiles};
use crate::snapshot::naming;
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// What flows to a sink: the archive's bytes, then how it ended.
#[derive(Debug)]
pub enum Piece {
    Data(Bytes),
    /// the snapshot is whole: this is its manifest
    Done(Box<Manifest>),
    /// the snapshot failed: discard what arrived
    Abort(String),
}

/// Chunks queued per sink (each up to the archive writer's 256 KiB buffer): the memory a sink
/// may hold behind the file.
const QUEUE: usize = 8;
/// The largest frame a receiver accepts (the writer sends at most its buffer).
const MAX_FRAME: usize = 4 << 20;

/// One sink's end of the pipe, held by the archive writer and then by the save.
pub struct Feed {
    pub to: String,
    tx: mpsc::Sender<Piece>,
}

impl Feed {
    /// A feed and the receiving end its sink task reads.
    pub fn new(to: &str) -> (Feed, mpsc::Receiver<Piece>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Feed { to: to.to_string(), tx }, rx)
    }

    /// The end of the stream (`Done` or `Abort`); a sink already gone is left alone (its task
    /// reports why).
    pub async fn end(self, piece: Piece, within: Duration) {
        let _ = self.tx.send_timeout(piece, within).await;
    }
}

/// A writer that passes everything it writes on to the feeds, after the inner writer took it. Runs
/// on a blocking thread (the archive writer's): it waits for a full feed at most `stall`, then drops
/// that feed (its sink sees the stream cut and discards its copy) rather than hold up the file.
pub struct Tee<W> {
    inner: W,
    feeds: Vec<Feed>,
    stall: Duration,
    runtime: tokio::runtime::Handle,
}

impl<W: Write> Tee<W> {
    pub fn new(inner: W, feeds: Vec<Feed>, stall: Duration, runtime: tokio::runtime::Handle) -> Self {
        Tee { inner, feeds, stall, runtime }
    }

    pub fn into_parts(self) -> (W, Vec<Feed>) {
        (self.inner, self.feeds)
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if n > 0 && !self.feeds.is_empty() {
            let chunk = Bytes::copy_from_slice(&buf[..n]);
            let (runtime, stall) = (&self.runtime, self.stall);
            self.feeds.retain(|f| {
                let sent = runtime.block_on(f.tx.send_timeout(Piece::Data(chunk.clone()), stall)).is_ok();
                if !sent {
                    eprintln!("stockade-agent: the copy to {} fell behind by more than {}s or failed: it is dropped", f.to, stall.as_secs());
                }
                sent
            });
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// An agent's identity from its certificate files: the cluster CA as the only root, its chain, its key.
fn identity(f: &TlsFiles) -> Result<(rustls::RootCertStore, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let read = |p: &str| std::fs::read(p).with_context(|| format!("reading {p}"));
    let certs = |p: &str| CertificateDer::pem_slice_iter(&read(p)?).collect::<Result<Vec<_>, _>>().with_context(|| format!("{p}: not a PEM certificate"));
    let mut roots = rustls::RootCertStore::empty();
    for c in certs(&f.ca_file)? {
        roots.add(c)?;
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&f.key_file)?).with_context(|| format!("{}: not a PEM private key", f.key_file))?;
    Ok((roots, certs(&f.cert_file)?, key))
}

/// The sending side: the receiver must prove its address with a certificate of the cluster's CA.
pub fn connector(f: &TlsFiles) -> Result<tokio_rustls::TlsConnector> {
    let (roots, chain, key) = identity(f)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The receiving side: only a client with a certificate of the cluster's CA is heard.
fn acceptor(f: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor> {
    let (roots, chain, key) = identity(f)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A connected, authenticated stream to one receiver.
pub type PeerStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// Connects to a receiver (which may still be starting: asked again until `within`), checks its
/// certificate against its address, and announces the snapshot.
pub async fn connect(address: &str, port: u16, connector: &tokio_rustls::TlsConnector, name: &str, within: Duration, stall: Duration) -> Result<PeerStream> {
    let until = Instant::now() + within;
    let tcp = loop {
        let attempt = tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect((address, port))).await;
        match attempt {
            Ok(Ok(s)) => break s,
            Ok(Err(_)) | Err(_) if Instant::now() + Duration::from_millis(250) < until => tokio::time::sleep(Duration::from_millis(250)).await,
            Ok(Err(e)) => bail!("{address}:{port}: {e} (the etcd hosts must reach each other on this port)"),
            Err(_) => bail!("{address}:{port}: no answer (the etcd hosts must reach each other on this port)"),
        }
    };
    let _ = tcp.set_nodelay(true);
    let server = ServerName::try_from(address.to_string()).map_err(|e| anyhow!("{address}: not a host name or address ({e})"))?;
    let mut tls = tokio::time::timeout(stall, connector.connect(server, tcp))
        .await
        .map_err(|_| anyhow!("{address}:{port}: no TLS handshake within {}s", stall.as_secs()))?
        .with_context(|| format!("{address}:{port}: TLS with the receiving agent"))?;
    let header = serde_json::to_vec(&serde_json::json!({ "name": name }))?;
    write_frame(&mut tls, b'H', &header, stall).await?;
    Ok(tls)
}

/// The sending task of one receiver: frames what the feed brings, and after the manifest waits
/// for the receiver's answer (so a copy is called made only once the receiver kept it).
pub async fn send(mut tls: PeerStream, mut rx: mpsc::Receiver<Piece>, stall: Duration) -> Result<String> {
    let mut sent = 0u64;
    loop {
        match rx.recv().await {
            Some(Piece::Data(b)) => {
                write_frame(&mut tls, b'D', &b, stall).await?;
                sent += b.len() as u64;
            }
            Some(Piece::Done(m)) => {
                write_frame(&mut tls, b'M', m.to_json().as_bytes(), stall).await?;
                break;
            }
            Some(Piece::Abort(why)) => {
                let _ = write_frame(&mut tls, b'A', why.as_bytes(), stall).await;
                bail!("the snapshot failed ({why}): the copy was discarded");
            }
            None => {
                let _ = write_frame(&mut tls, b'A', b"the stream was cut", stall).await;
                bail!("the stream was cut before the snapshot was verified: the copy was discarded");
            }
        }
    }
    tokio::time::timeout(stall, tls.flush()).await.map_err(|_| anyhow!("sending stalled"))??;
    let mut answer = [0u8; 1];
    let read = tokio::time::timeout(stall * 4, tls.read_exact(&mut answer)).await.map_err(|_| anyhow!("the receiver did not confirm the copy within {}s", (stall * 4).as_secs()))?;
    read.context("reading the receiver's answer")?;
    match answer[0] {
        b'K' => Ok(format!("sent {sent} bytes")),
        _ => bail!("the receiver refused the copy (see its log)"),
    }
}

async fn write_frame<S: AsyncWrite + Unpin>(s: &mut S, tag: u8, body: &[u8], stall: Duration) -> Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| anyhow!("frame too large"))?;
    let mut head = [0u8; 5];
    head[0] = tag;
    head[1..].copy_from_slice(&len.to_be_bytes());
    let write = async {
        s.write_all(&head).await?;
        s.write_all(body).await
    };
    tokio::time::timeout(stall, write).await.map_err(|_| anyhow!("sending stalled for {}s", stall.as_secs()))?.context("sending")?;
    Ok(())
}

/// One frame (`tag`, `body`), each read within `stall`; None at a clean end of stream.
async fn read_frame<S: AsyncRead + Unpin>(s: &mut S, body: &mut Vec<u8>, stall: Duration) -> Result<Option<u8>> {
    let mut head = [0u8; 5];
    let first = tokio::time::timeout(stall, s.read(&mut head[..1])).await.map_err(|_| anyhow!("nothing arrived for {}s", stall.as_secs()))??;
    if first == 0 {
        return Ok(None);
    }
    tokio::time::timeout(stall, s.read_exact(&mut head[1..])).await.map_err(|_| anyhow!("nothing arrived for {}s", stall.as_secs()))??;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        bail!("a frame of {len} bytes: not a stockade agent");
    }
    body.resize(len, 0);
    tokio::time::timeout(stall, s.read_exact(body)).await.map_err(|_| anyhow!("nothing arrived for {}s", stall.as_secs()))??;
    Ok(Some(head[0]))
}

/// Listens for the saving agent, writes what it sends to a hidden temporary file (hashed on the
/// way), and keeps it under its name only when the manifest that ends the stream describes it.
pub async fn receive(dir: &Path, j: &ReceiveJob) -> Result<Manifest> {
    let name = naming::normalize(&j.name)?;
    let stall = Duration::from_secs(j.stall_secs.max(1));
    let target = dir.join(naming::archive_file(&name));
    if target.exists() {
        bail!("{} already exists on this host", target.display());
    }
    let acceptor = acceptor(&j.tls)?;
    let listener = tokio::net::TcpListener::bind((j.listen.as_str(), j.port)).await.with_context(|| format!("listening on {}:{}", j.listen, j.port))?;
    println!("stockade-agent: listening on {}:{}", j.listen, j.port);
    let until = tokio::time::Instant::now() + Duration::from_secs(j.accept_secs.max(1));
    // the first client that proves a certificate of the cluster's CA and announces this snapshot
    let mut tls = loop {
        let (tcp, from) = tokio::time::timeout_at(until, listener.accept())
            .await
            .map_err(|_| anyhow!("no copy of {name} arrived on {}:{} within {}s", j.listen, j.port, j.accept_secs))??;
        // only the saving host is heard (when its address is an address, not a name)
        if let Ok(sender) = j.sender.parse::<std::net::IpAddr>()
            && from.ip() != sender
        {
            eprintln!("stockade-agent: ignored a connection from {from}: the snapshot comes from {sender}");
            continue;
        }
        let accepted = async {
            let mut s = tokio::time::timeout(stall, acceptor.accept(tcp)).await.map_err(|_| anyhow!("no TLS handshake"))??;
            let mut header = Vec::new();
            match read_frame(&mut s, &mut header, stall).await? {
                Some(b'H') => {}
                _ => bail!("no header"),
            }
            let announced: serde_json::Value = serde_json::from_slice(&header)?;
            if announced["name"].as_str() != Some(name.as_str()) {
                bail!("announced {} instead of {name}", announced["name"]);
            }
            Ok(s)
        };
        match accepted.await {
            Ok(s) => break s,
            Err(e) => eprintln!("stockade-agent: ignored a connection from {from}: {e:#}"),
        }
    };
    drop(listener);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".{}.receiving", naming::archive_file(&name)));
    let kept = async {
        let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut out = HashingWriter::new(std::io::BufWriter::with_capacity(256 * 1024, super::cache::DropBehind::new(file)));
        let mut body = Vec::new();
        let manifest = loop {
            match read_frame(&mut tls, &mut body, stall).await? {
                Some(b'D') => out.write_all(&body).with_context(|| format!("writing {}", tmp.display()))?,
                Some(b'M') => break Manifest::from_json(&String::from_utf8_lossy(&body), "the manifest sent")?,
                Some(b'A') => bail!("the sender gave up: {}", String::from_utf8_lossy(&body)),
                Some(t) => bail!("unexpected frame {t:?}"),
                None => bail!("the sender closed the connection before the end of the snapshot"),
            }
        };
        let (out, size, sha256) = out.finish();
        if manifest.name != name || manifest.check(size, &sha256) != Checksum::Ok {
            bail!("received {size} bytes with sha256 {sha256}, but the manifest sent describes {} ({} bytes, sha256 {})", manifest.name, manifest.size, manifest.sha256);
        }
        let file = out.into_inner().map_err(|e| anyhow!("writing {}: {}", tmp.display(), e.error()))?.into_inner();
        file.sync_all().context("syncing the copy")?;
        // read back from the disk before it takes the snapshot's name
        let (on_disk, sent) = (tmp.clone(), manifest.clone());
        tokio::task::spawn_blocking(move || super::read_back(&on_disk, &sent)).await.map_err(|e| anyhow!("reading {} back from the disk: {e}", tmp.display()))??;
        // archive first, then the manifest (as the saving agent does)
        std::fs::rename(&tmp, &target).with_context(|| format!("renaming {} to {}", tmp.display(), target.display()))?;
        let manifest_path = dir.join(naming::manifest_file(&name));
        if let Err(e) = super::write_manifest(&manifest_path, &manifest) {
            // an archive never stays named without the manifest that vouches for it
            let _ = std::fs::remove_file(&target);
            let _ = std::fs::remove_file(&manifest_path);
            return Err(e);
        }
        super::sync_dir(dir);
        Ok(manifest)
    };
    let outcome = kept.await;
    let answer: &[u8] = if outcome.is_ok() { b"K" } else { b"X" };
    let _ = tokio::time::timeout(stall, async {
        tls.write_all(answer).await?;
        tls.shutdown().await
    })
    .await;
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_a_cut_stream_is_told_apart_from_a_clean_end() {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let stall = Duration::from_secs(5);
        write_frame(&mut a, b'D', b"abc", stall).await.unwrap();
        write_frame(&mut a, b'M', b"{}", stall).await.unwrap();
        a.write_all(&[b'D', 0, 0]).await.unwrap();
        drop(a);
        let mut body = Vec::new();
        assert_eq!(read_frame(&mut b, &mut body, stall).await.unwrap(), Some(b'D'));
        assert_eq!(body, b"abc");
        assert_eq!(read_frame(&mut b, &mut body, stall).await.unwrap(), Some(b'M'));
        assert_eq!(body, b"{}");
        // a frame head cut short is an error, not an end
        assert!(read_frame(&mut b, &mut body, stall).await.is_err());
        let (a, mut b) = tokio::io::duplex(64);
        drop(a);
        assert_eq!(read_frame(&mut b, &mut body, stall).await.unwrap(), None);
    }

    /// A CA and one certificate for 127.0.0.1 (server and client usages, as the etcd ones), written
    /// to `dir`.
    fn identity(dir: &Path) -> TlsFiles {
        use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let cert = leaf.signed_by(&key, &issuer).unwrap();
        let write = |n: &str, t: String| {
            std::fs::write(dir.join(n), t).unwrap();
            dir.join(n).display().to_string()
        };
        TlsFiles { ca_file: write("ca.pem", ca_cert.pem()), cert_file: write("c.pem", cert.pem()), key_file: write("k.pem", key.serialize_pem()) }
    }

    /// One copy over mutual TLS on the loopback: `pieces` go in, what the receiver did comes out.
    async fn copy_over_loopback(pieces: Vec<Piece>) -> (Result<String>, Result<Manifest>, tempfile::TempDir) {
        let d = tempfile::tempdir().unwrap();
        let tls = identity(d.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let job = ReceiveJob { name: "n".into(), listen: "127.0.0.1".into(), port, tls: tls.clone(), accept_secs: 20, stall_secs: 5, sender: "127.0.0.1".into() };
        let dir = d.path().join("snaps");
        let receiving = receive(&dir, &job);
        let sending = async {
            let stream = connect("127.0.0.1", port, &connector(&tls)?, "n", Duration::from_secs(10), Duration::from_secs(5)).await?;
            let (feed, rx) = Feed::new("127.0.0.1");
            let task = tokio::spawn(send(stream, rx, Duration::from_secs(5)));
            for p in pieces {
                feed.tx.send(p).await.unwrap();
            }
            drop(feed);
            task.await.unwrap()
        };
        let (sent, received) = tokio::join!(sending, receiving);
        (sent, received, d)
    }

    #[tokio::test]
    async fn a_copy_is_kept_only_when_the_manifest_that_ends_it_describes_it() {
        let body = b"archive bytes".repeat(1000);
        let (size, sha256) = crate::snapshot::manifest::digest_reader(&body[..]).unwrap();
        let m = Manifest { name: "n".into(), cluster: "c".into(), etcd_version: "3.5".into(), revision: 1, size, sha256, created_unix: 1, encrypted: false };
        let (sent, kept, d) = copy_over_loopback(vec![Piece::Data(Bytes::from(body[..5000].to_vec())), Piece::Data(Bytes::from(body[5000..].to_vec())), Piece::Done(Box::new(m.clone()))]).await;
        assert!(sent.is_ok(), "{sent:?}");
        assert_eq!(kept.unwrap(), m);
        let snaps = d.path().join("snaps");
        assert_eq!(std::fs::read(snaps.join("n.zip")).unwrap(), body);
        assert_eq!(Manifest::from_json(&std::fs::read_to_string(snaps.join("n.zip.manifest.json")).unwrap(), "m").unwrap(), m);
        // a manifest that does not describe what arrived: refused, nothing kept
        let wrong = Manifest { size: 1, ..m.clone() };
        let (sent, kept, d) = copy_over_loopback(vec![Piece::Data(Bytes::from(body.clone())), Piece::Done(Box::new(wrong))]).await;
        assert!(sent.is_err() && kept.is_err());
        assert_eq!(std::fs::read_dir(d.path().join("snaps")).unwrap().count(), 0, "nothing left behind");
        // the snapshot failed on the saving host: the copy is discarded
        let (sent, kept, d) = copy_over_loopback(vec![Piece::Data(Bytes::from(body)), Piece::Abort("integrity hash".into())]).await;
        assert!(sent.is_err());
        assert!(format!("{:#}", kept.unwrap_err()).contains("integrity hash"));
        assert_eq!(std::fs::read_dir(d.path().join("snaps")).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn an_oversized_frame_is_refused() {
        let (mut a, mut b) = tokio::io::duplex(64);
        a.write_all(&[b'D', 0xff, 0xff, 0xff, 0xff]).await.unwrap();
        let mut body = Vec::new();
        let e = read_frame(&mut b, &mut body, Duration::from_secs(5)).await.unwrap_err();
        assert!(format!("{e}").contains("not a stockade agent"), "{e}");
    }

    #[test]
    fn the_tee_drops_a_feed_that_falls_behind_and_keeps_writing_the_file() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (slow, _rx_never_read) = Feed::new("slow");
        let (fast, mut rx) = Feed::new("fast");
        let reader = rt.spawn(async move {
            let mut n = 0;
            while let Some(Piece::Data(b)) = rx.recv().await {
                n += b.len();
            }
            n
        });
        let handle = rt.handle().clone();
        let written = std::thread::spawn(move || {
            let mut t = Tee::new(Vec::new(), vec![slow, fast], Duration::from_millis(200), handle);
            for _ in 0..(QUEUE + 4) {
                t.write_all(&[7u8; 1000]).unwrap();
            }
            let (file, feeds) = t.into_parts();
            (file.len(), feeds.iter().map(|f| f.to.clone()).collect::<Vec<_>>())
        })
        .join()
        .unwrap();
        assert_eq!(written, (1000 * (QUEUE + 4), vec!["fast".to_string()]));
        assert_eq!(rt.block_on(reader).unwrap(), 1000 * (QUEUE + 4));
    }
}

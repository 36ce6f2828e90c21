//! The snapshot S3 client (`stockade::snapshot::s3`) against the testbed's real S3 server (Garage,
//! started by testbed/s3.sh on the bridge address). Only standard S3 behaviour is relied on.
//! Each test works in its own folder of the bucket and removes what it wrote.
use crate::common::*;
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use stockade::config::secret::Secret;
use stockade::snapshot::s3::{S3Settings, S3Store, S3Timeouts, UploadShape};
use tokio::io::{AsyncRead, ReadBuf};

fn settings(s3: &S3Server, folder: &str) -> S3Settings {
    S3Settings {
        endpoint: Some(s3.endpoint.clone()),
        endpoint_ca_pem: None,
        access_key: Secret::new(&s3.access_key),
        secret_key: Secret::new(&s3.secret_key),
        session_token: Secret::default(),
        bucket: s3.bucket.clone(),
        region: s3.region.clone(),
        folder: folder.to_string(),
    }
}

/// A folder no other test (or earlier run) uses.
fn unique_folder(what: &str) -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("stockade-tests/{what}-{}-{t}", std::process::id())
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn store(s: &S3Settings) -> S3Store {
    S3Store::with_options(s, S3Timeouts::default(), UploadShape::default(), &no_env).unwrap()
}

fn peak_rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l[6..].trim().to_string()).unwrap_or_default()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `len` pseudo-random bytes produced on demand (never held in memory), hashed as they are read.
struct Generated {
    left: u64,
    state: u64,
    hash: Sha256,
}

impl Generated {
    fn new(len: u64, seed: u64) -> Self {
        Generated { left: len, state: seed | 1, hash: Sha256::new() }
    }
    fn sha256(self) -> String {
        hex(&self.hash.finalize())
    }
}

impl AsyncRead for Generated {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(self.left).min(64 << 10) as usize;
        let mut chunk = vec![0u8; n];
        for b in chunk.iter_mut() {
            // xorshift64
            let mut x = self.state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.state = x;
            *b = (x >> 32) as u8;
        }
        self.hash.update(&chunk);
        self.left -= n as u64;
        buf.put_slice(&chunk);
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn s3_streams_64_mib_up_and_back_with_the_same_sha256() {
    let s3 = s3_server();
    let s = settings(&s3, &unique_folder("stream"));
    let st = store(&s);
    let name = "rke_etcd_snapshot_2026-01-01T00-00-00Z.zip";
    let len = (64u64 << 20) + 12_345; // not a multiple of the part size: the last part is short
    let mut src = Generated::new(len, 0x5eed);
    let up = st.upload(name, &mut src).await.unwrap();
    let want = src.sha256();
    // informational (no timed or sized assertion in tests): the upload's memory is bounded by
    // UploadShape, not by the object's size
    eprintln!("peak RSS of this test process after the upload: {}", peak_rss());
    assert_eq!(up.size, len);
    assert_eq!(up.sha256, want, "upload hashed something other than what it read");
    assert_eq!(up.key, format!("{}/{name}", s.folder));

    // it went up as a multipart upload of 8 MiB parts: S3 servers tag such objects "<md5>-<parts>"
    let head = st.head(name).await.unwrap().expect("uploaded object is there");
    assert_eq!(head.size, len);
    let parts = len.div_ceil(UploadShape::default().part_size as u64);
    let etag = head.e_tag.clone().unwrap_or_default();
    assert!(etag.trim_matches('"').ends_with(&format!("-{parts}")), "ETag {etag:?} is not that of a {parts}-part upload");

    let listed = st.list().await.unwrap();
    assert_eq!(listed.iter().map(|o| (o.name.as_str(), o.size)).collect::<Vec<_>>(), vec![(name, len)]);

    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join(name);
    let down = st.download_to(name, &dest).await.unwrap();
    assert_eq!((down.size, down.sha256.as_str()), (len, want.as_str()));
    // and the file on disk is those bytes, private, with no temporary file left beside it
    let mut h = Sha256::new();
    let (mut f, mut b) = (std::fs::File::open(&dest).unwrap(), vec![0u8; 1 << 20]);
    loop {
        let n = std::io::Read::read(&mut f, &mut b).unwrap();
        if n == 0 {
            break;
        }
        h.update(&b[..n]);
    }
    let on_disk = hex(&h.finalize());
    assert_eq!(on_disk, want);
    assert_eq!(file_mode(&dest) & 0o777, 0o600);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    st.delete(name).await.unwrap();
    assert!(st.head(name).await.unwrap().is_none());
}

#[tokio::test]
async fn s3_list_head_delete_stay_in_the_folder() {
    let s3 = s3_server();
    let folder = unique_folder("list");
    let s = settings(&s3, &format!("/{folder}/")); // slashes around the folder are ignored, as RKE1
    let st = store(&s);
    let manifest = br#"{"name":"a"}"#;
    let a = st.upload("a.zip", &manifest[..]).await.unwrap();
    assert_eq!(a.key, format!("{folder}/a.zip"));
    st.upload("a.zip.manifest.json", &manifest[..]).await.unwrap();
    st.upload("b.zip", &b"bb"[..]).await.unwrap();
    // a sub-folder's objects are not this folder's snapshots
    let sub = S3Settings { folder: format!("{folder}/older"), ..s.clone() };
    let sub_st = store(&sub);
    sub_st.upload("c.zip", &b"c"[..]).await.unwrap();

    let names: Vec<String> = st.list().await.unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(names, ["a.zip", "a.zip.manifest.json", "b.zip"]);
    let h = st.head("b.zip").await.unwrap().unwrap();
    assert_eq!((h.size, h.key.as_str()), (2, format!("{folder}/b.zip").as_str()));
    assert!(st.head("missing.zip").await.unwrap().is_none());

    st.delete("a.zip").await.unwrap();
    st.delete("a.zip").await.unwrap(); // deleting what is gone succeeds, as S3 does
    let names: Vec<String> = st.list().await.unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(names, ["a.zip.manifest.json", "b.zip"]);
    for n in ["a.zip.manifest.json", "b.zip"] {
        st.delete(n).await.unwrap();
    }
    sub_st.delete("c.zip").await.unwrap();
    assert!(st.list().await.unwrap().is_empty());
    assert!(sub_st.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn s3_credentials_from_the_aws_environment_variables() {
    let s3 = s3_server();
    let mut s = settings(&s3, &unique_folder("env"));
    s.access_key = Secret::default();
    s.secret_key = Secret::default();
    let (a, k) = (s3.access_key.clone(), s3.secret_key.clone());
    let env = move |name: &str| match name {
        "AWS_ACCESS_KEY_ID" => Some(a.clone()),
        "AWS_SECRET_ACCESS_KEY" => Some(k.clone()),
        _ => None,
    };
    let st = S3Store::with_options(&s, S3Timeouts::default(), UploadShape::default(), &env).unwrap();
    st.upload("e.zip", &b"env"[..]).await.unwrap();
    assert_eq!(st.head("e.zip").await.unwrap().unwrap().size, 3);
    st.delete("e.zip").await.unwrap();
}

#[tokio::test]
async fn s3_wrong_secret_key_is_a_clear_error_that_holds_no_key() {
    let s3 = s3_server();
    let mut s = settings(&s3, &unique_folder("badsecret"));
    let wrong = format!("wrong{}", &s3.secret_key[5..]);
    s.secret_key = Secret::new(&wrong);
    let st = store(&s);
    let mut errors = vec![st.list().await.unwrap_err().to_string()];
    errors.push(st.upload("x.zip", &b"data"[..]).await.unwrap_err().to_string());
    errors.push(st.head("x.zip").await.unwrap_err().to_string());
    let dir = tempfile::tempdir().unwrap();
    errors.push(st.download_to("x.zip", &dir.path().join("x.zip")).await.unwrap_err().to_string());
    for e in &errors {
        eprintln!("wrong secret: {e}");
        assert!(!e.contains(&wrong) && !e.contains(&s3.secret_key) && !e.contains(&s3.access_key), "a key leaked: {e}");
        assert!(e.contains(&s3.endpoint) && e.contains(&format!("s3://{}/", s3.bucket)), "names no endpoint or bucket: {e}");
        assert!(e.contains("secret key") || e.contains("credentials"), "names no likely fix: {e}");
        assert!(!e.contains('\n'), "not one line: {e}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a failed download left a file");

    // an unknown access key is named as such
    let mut s = settings(&s3, &unique_folder("badkey"));
    s.access_key = Secret::new("GK000000000000000000000000");
    let e = store(&s).list().await.unwrap_err().to_string();
    assert!(!e.contains(&s3.secret_key), "{e}");
    assert!(e.contains("access key") || e.contains("credentials"), "{e}");
}

#[tokio::test]
async fn s3_missing_bucket_is_named_with_the_fix() {
    let s3 = s3_server();
    let mut s = settings(&s3, "x");
    s.bucket = "stockade-no-such-bucket".into();
    let st = store(&s);
    for e in [st.list().await.unwrap_err().to_string(), st.head("a.zip").await.unwrap_err().to_string()] {
        eprintln!("missing bucket: {e}");
        assert!(e.contains("stockade-no-such-bucket") && e.contains(&s3.endpoint), "{e}");
        assert!(e.contains("does not exist") || e.contains("no bucket"), "{e}");
    }
}

#[tokio::test]
async fn s3_unreachable_endpoint_fails_within_the_deadline() {
    let s3 = s3_server();
    let ip = s3.endpoint.trim_start_matches("http://").split(':').next().unwrap().to_string();
    let t = S3Timeouts {
        transfer: Duration::from_secs(20),
        request: Duration::from_secs(10),
        idle: Duration::from_secs(5),
        connect: Duration::from_secs(3),
    };
    // nothing listens on port 1 of the bridge address: connections are refused (and retried)
    let mut s = settings(&s3, "x");
    s.endpoint = Some(format!("http://{ip}:1"));
    let st = S3Store::with_options(&s, t, UploadShape::default(), &no_env).unwrap();
    let start = Instant::now();
    let e = st.list().await.unwrap_err().to_string();
    eprintln!("refused, after {:?}: {e}", start.elapsed());
    assert!(start.elapsed() < t.request + Duration::from_secs(5), "took {:?}", start.elapsed());
    assert!(e.contains(&format!("http://{ip}:1")) && e.contains("cannot connect"), "{e}");
    let start = Instant::now();
    let e = st.upload("u.zip", Generated::new(20 << 20, 7)).await.unwrap_err().to_string();
    assert!(start.elapsed() < t.transfer + Duration::from_secs(5), "took {:?}", start.elapsed());
    assert!(e.contains("upload") && e.contains(&format!("http://{ip}:1")), "{e}");

    // a server that accepts connections and then says nothing: the deadline ends the call
    let silent = std::net::TcpListener::bind((ip.as_str(), 0)).unwrap();
    let port = silent.local_addr().unwrap().port();
    let keep = std::thread::spawn(move || {
        let mut held = vec![];
        for c in silent.incoming().take(20) {
            held.push(c); // hold every connection open, never answer
        }
    });
    s.endpoint = Some(format!("http://{ip}:{port}"));
    let st = S3Store::with_options(&s, t, UploadShape::default(), &no_env).unwrap();
    let start = Instant::now();
    let e = st.head("a.zip").await.unwrap_err().to_string();
    eprintln!("silent, after {:?}: {e}", start.elapsed());
    assert!(start.elapsed() < t.request + Duration::from_secs(5), "took {:?}", start.elapsed());
    assert!(e.contains(&format!("http://{ip}:{port}")), "{e}");
    assert!(e.contains("deadline") || e.contains("did not answer") || e.contains("no progress"), "{e}");
    drop(keep);
}

/// The deadline covers the body: a download whose body stops half-way fails after the no-progress
/// timeout and leaves no file. (A stalling body cannot be provoked on a healthy Garage, so this
/// one server is a bare socket that sends real S3-shaped headers and then stops.)
#[tokio::test]
async fn s3_download_whose_body_stalls_fails_and_leaves_no_file() {
    use std::io::{Read, Write};
    let s3 = s3_server();
    let ip = s3.endpoint.trim_start_matches("http://").split(':').next().unwrap().to_string();
    let server = std::net::TcpListener::bind((ip.as_str(), 0)).unwrap();
    let port = server.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = vec![];
        for c in server.incoming().take(20) {
            let mut c = c.unwrap();
            let mut req = [0u8; 4096];
            let _ = c.read(&mut req);
            let _ = c.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\nContent-Type: application/zip\r\n\
                  ETag: \"0123456789abcdef0123456789abcdef\"\r\nLast-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n",
            );
            let _ = c.write_all(&[7u8; 1000]);
            held.push(c); // then silence, connection open
        }
    });
    let t = S3Timeouts {
        transfer: Duration::from_secs(60),
        request: Duration::from_secs(10),
        idle: Duration::from_secs(3),
        connect: Duration::from_secs(3),
    };
    let mut s = settings(&s3, "x");
    s.endpoint = Some(format!("http://{ip}:{port}"));
    let st = S3Store::with_options(&s, t, UploadShape::default(), &no_env).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let e = st.download_to("a.zip", &dir.path().join("a.zip")).await.unwrap_err().to_string();
    eprintln!("stalled body, after {:?}: {e}", start.elapsed());
    // well before the 60 s transfer deadline: the no-progress timeout (retries included) ended it
    assert!(start.elapsed() < Duration::from_secs(45), "took {:?}", start.elapsed());
    assert!(e.contains("download") && e.contains("s3://"), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a stalled download left a file");
}

/// `custom_ca` (`--s3-endpoint-ca`): an HTTPS endpoint whose certificate a private CA signed is
/// trusted with that CA and refused, with the fix named, without it. (The TLS server is the
/// testbed's second S3 server, moto: Garage serves plain HTTP only.)
#[tokio::test]
async fn s3_https_endpoint_with_a_private_ca() {
    let s3 = s3_server();
    let mut s = settings(&s3, &unique_folder("tls"));
    s.endpoint = Some(s3.tls_endpoint.clone());
    s.endpoint_ca_pem = Some(s3.tls_ca_pem.clone());
    let st = store(&s);
    let mut src = Generated::new((9 << 20) + 1, 11); // two parts
    let up = st.upload("t.zip", &mut src).await.unwrap();
    assert_eq!(up.sha256, src.sha256());
    let dir = tempfile::tempdir().unwrap();
    let down = st.download_to("t.zip", &dir.path().join("t.zip")).await.unwrap();
    assert_eq!(down.sha256, up.sha256);
    assert_eq!(st.list().await.unwrap().len(), 1);
    st.delete("t.zip").await.unwrap();

    s.endpoint_ca_pem = None;
    let e = store(&s).list().await.unwrap_err().to_string();
    eprintln!("without the CA: {e}");
    assert!(e.contains("certificate") && e.contains("custom_ca"), "{e}");
    assert!(e.contains(&s3.tls_endpoint), "{e}");
}

/// Data that stops coming after `after` bytes (a stuck etcd snapshot stream).
struct StallsAfter(Generated, u64);

impl AsyncRead for StallsAfter {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        if self.1 == 0 {
            return Poll::Pending; // never woken: no more data, no end
        }
        let room = (buf.remaining() as u64).min(self.1) as usize;
        let mut limited = buf.take(room);
        let r = Pin::new(&mut self.0).poll_read(cx, &mut limited);
        let n = limited.filled().len();
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        self.1 -= n as u64;
        r
    }
}

/// A source that stalls mid-upload (after the multipart upload began) fails after the no-progress
/// timeout, and no object appears.
#[tokio::test]
async fn s3_upload_whose_source_stalls_fails_and_leaves_no_object() {
    let s3 = s3_server();
    let s = settings(&s3, &unique_folder("stall"));
    let t = S3Timeouts { idle: Duration::from_secs(3), ..S3Timeouts::default() };
    let st = S3Store::with_options(&s, t, UploadShape::default(), &no_env).unwrap();
    let start = Instant::now();
    let e = st.upload("s.zip", StallsAfter(Generated::new(1 << 30, 3), 9 << 20)).await.unwrap_err().to_string();
    eprintln!("stalled source, after {:?}: {e}", start.elapsed());
    assert!(e.contains("made no progress") && e.contains("s3://"), "{e}");
    assert!(st.head("s.zip").await.unwrap().is_none());
    assert!(st.list().await.unwrap().is_empty());
}

/// An upload that runs out of its transfer deadline (the job deadline `S3Timeouts::within` derives
/// it from) while parts are already in S3 fails naming the deadline, and its multipart upload is
/// aborted: S3 lists no pending upload and no object in the folder.
#[tokio::test]
async fn s3_upload_past_its_deadline_is_aborted_and_leaves_no_parts() {
    let s3 = s3_server();
    let folder = unique_folder("deadline");
    let s = settings(&s3, &folder);
    // the no-progress timeout stays long: the transfer deadline must be what ends it
    let t = S3Timeouts { transfer: Duration::from_secs(4), idle: Duration::from_secs(60), ..S3Timeouts::default() };
    let st = S3Store::with_options(&s, t, UploadShape::default(), &no_env).unwrap();
    let start = Instant::now();
    let e = st.upload("d.zip", StallsAfter(Generated::new(1 << 30, 5), 17 << 20)).await.unwrap_err().to_string();
    eprintln!("past the deadline, after {:?}: {e}", start.elapsed());
    assert!(e.contains("deadline") && e.contains("s3://"), "{e}");
    assert!(start.elapsed() < t.transfer + t.request + Duration::from_secs(2), "took {:?}", start.elapsed());
    assert_eq!(s3.pending_multipart_uploads(&folder), Vec::<String>::new(), "the multipart upload was aborted");
    assert!(st.list().await.unwrap().is_empty());
}

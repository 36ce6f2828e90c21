//! The Docker Engine API over the host's SSH connection: bollard's custom transport opens a
//! `direct-streamlocal` channel to the node's `docker_socket` for each pooled HTTP connection.
use super::ssh::Session;
use bollard::{BollardRequest, Docker, API_DEFAULT_VERSION};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use russh::{client, ChannelStream};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// One SSH channel carrying one HTTP/1.1 connection.
pub struct ChannelIo(TokioIo<ChannelStream<client::Msg>>);

impl Connection for ChannelIo {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for ChannelIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: hyper::rt::ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ChannelIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// hyper-util connector: every new connection is a new channel on the shared session.
#[derive(Clone)]
struct SocketConnector {
    session: Arc<Session>,
    socket: Arc<str>,
}

impl tower_service::Service<http::Uri> for SocketConnector {
    type Response = ChannelIo;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<ChannelIo, io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let (session, socket) = (self.session.clone(), self.socket.clone());
        Box::pin(async move {
            let stream = session.open_unix(&socket).await.map_err(|e| {
                io::Error::other(format!("cannot open the Docker socket {socket} over SSH ({e})"))
            })?;
            Ok(ChannelIo(TokioIo::new(stream)))
        })
    }
}

/// A Docker client for the host; `timeout` bounds every API call.
pub fn connect(session: Arc<Session>, socket: &str, timeout: Duration) -> Result<Docker, bollard::errors::Error> {
    let connector = SocketConnector { session, socket: socket.into() };
    let client = Arc::new(Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(60)).build(connector));
    Docker::connect_with_custom_transport(
        move |req: BollardRequest| {
            let client = client.clone();
            async move { client.request(req).await.map_err(bollard::errors::Error::from) }
        },
        Some("http://docker"),
        timeout.as_secs(),
        API_DEFAULT_VERSION,
    )
}

// ---- conveniences over the Engine API used by several phases ----

use anyhow::{anyhow, Result};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptions, LogsOptions, RemoveContainerOptions, WaitContainerOptions};
use futures_util::StreamExt;

/// True when the error is Docker's 404.
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
}

/// The last `n` lines a container wrote, for error messages. Programs often print their
/// complaint first and a long usage text after it, so the first line that looks like an
/// error is put on top when the tail does not already hold it.
pub async fn tail_logs(docker: &Docker, container: &str, n: usize) -> String {
    let opts = LogsOptions { stdout: true, stderr: true, tail: "500".into(), ..Default::default() };
    let mut out = String::new();
    let mut logs = docker.logs(container, Some(opts));
    while let Some(Ok(chunk)) = logs.next().await {
        out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    let lines: Vec<&str> = out.lines().collect();
    let tail = &lines[lines.len().saturating_sub(n)..];
    let looks_bad = |l: &&&str| {
        let l = l.to_lowercase();
        ["error", "fatal", "panic", "not defined", "invalid", "failed"].iter().any(|w| l.contains(w))
    };
    let mut shown: Vec<&str> = Vec::new();
    if let Some(first) = lines.iter().find(looks_bad)
        && !tail.contains(first)
    {
        shown.push(first);
        shown.push("...");
    }
    shown.extend(tail);
    shown.join("\n")
}

/// A short-lived container of the helper image (RKE's rke-tools slot) with the given binds.
/// Used to read and write host directories through Docker, so that an SSH user who may only
/// use the Docker socket (not root) can still manage them, as with RKE.
pub struct Helper<'a> {
    pub docker: &'a Docker,
    pub id: String,
}

impl<'a> Helper<'a> {
    pub async fn create(docker: &'a Docker, image: &str, binds: Vec<String>, cmd: Vec<String>) -> Result<Helper<'a>> {
        Self::create_named(docker, &format!("stockade-helper-{}", std::process::id()), image, binds, cmd).await
    }

    /// A helper with a fixed name: a leftover of an interrupted run under that name is removed
    /// first, so it never blocks a retry nor stays behind.
    pub async fn create_named(docker: &'a Docker, name: &str, image: &str, binds: Vec<String>, cmd: Vec<String>) -> Result<Helper<'a>> {
        let name = name.to_string();
        // a helper left by an interrupted run under the same name would block the name
        let _ = docker.remove_container(&name, Some(RemoveContainerOptions { force: true, ..Default::default() })).await;
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            cmd: Some(cmd),
            labels: Some([(crate::plan::container::MANAGED_LABEL.to_string(), "helper".to_string())].into()),
            host_config: Some(HostConfig { binds: Some(binds), network_mode: Some("none".into()), ..Default::default() }),
            ..Default::default()
        };
        let r = docker
            .create_container(Some(CreateContainerOptions { name: Some(name), ..Default::default() }), body)
            .await
            .map_err(|e| anyhow!("creating a helper container from {image}: {e}"))?;
        Ok(Helper { docker, id: r.id })
    }

    /// Starts the helper and waits for it to exit; returns its exit code and output.
    pub async fn run(&self, timeout: std::time::Duration) -> Result<(i64, String)> {
        self.docker.start_container(&self.id, None).await?;
        let wait = async {
            let mut w = self.docker.wait_container(&self.id, None::<WaitContainerOptions>);
            match w.next().await {
                Some(Ok(r)) => Ok(r.status_code),
                // bollard reports a non-zero exit as an error carrying the code
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
                Some(Err(e)) => Err(anyhow!("waiting for the helper container: {e}")),
                None => Err(anyhow!("the helper container vanished")),
            }
        };
        let code = tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| anyhow!("the helper container did not finish within {}s", timeout.as_secs()))??;
        Ok((code, tail_logs(self.docker, &self.id, 20).await))
    }

    pub async fn remove(self) {
        let _ = self.docker.remove_container(&self.id, Some(RemoveContainerOptions { force: true, ..Default::default() })).await;
    }
}

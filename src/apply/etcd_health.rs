//! The one home of etcd health: reaching a member, reading the live member list, checking that
//! every member is healthy and agrees on the membership before one is touched, and waiting for a
//! member to become healthy. The membership changes and the etcd plane both use these.
use super::Ctx;
use crate::etcd::{self, Client, Credentials};
use crate::plan::etcd::{internal, CLIENT_PORT, CONTAINER};
use crate::plan::membership::LiveMember;
use crate::transport::Host;
use anyhow::{anyhow, Result};
use std::collections::BTreeSet;
use std::time::Duration;

/// How long one member gets to answer one question.
const ANSWER: Duration = Duration::from_secs(10);

/// A client to the member on `h` (as the host itself reaches it).
pub async fn connect_member(h: &Host, creds: &Credentials) -> Result<Client> {
    etcd::connect(h.session.clone(), internal(&h.node), CLIENT_PORT, creds, Duration::from_secs(5)).await
}

/// The first of `candidates` whose member is healthy (answers, knows a leader), with a client to it.
pub async fn first_healthy<'h>(candidates: impl IntoIterator<Item = &'h Host>, creds: &Credentials) -> Result<(Client, &'h Host)> {
    let mut errors = Vec::new();
    for h in candidates {
        let attempt = async {
            let mut c = connect_member(h, creds).await?;
            etcd::member_health(&mut c).await?;
            Ok::<_, anyhow::Error>(c)
        };
        match tokio::time::timeout(ANSWER, attempt).await {
            Ok(Ok(c)) => return Ok((c, h)),
            Ok(Err(e)) => errors.push(format!("{}: {e:#}", h.name())),
            Err(_) => errors.push(format!("{}: no answer within {}s", h.name(), ANSWER.as_secs())),
        }
    }
    Err(anyhow!("no healthy etcd member ({})", if errors.is_empty() { "no etcd host".into() } else { errors.join("; ") }))
}

/// The live member list, read linearizably through `client`.
pub async fn live_members(client: &mut Client) -> Result<Vec<LiveMember>> {
    let list = tokio::time::timeout(ANSWER, client.member_list()).await.map_err(|_| anyhow!("member list: no answer within {}s", ANSWER.as_secs()))??;
    Ok(list.into_iter().map(|m| LiveMember { id: m.id, name: m.name, peer_urls: m.peer_ur_ls, learner: m.is_learner }).collect())
}

/// Every member on `members` except `except` answers, knows a leader and reports the same member
/// list as the others (`expected` voters): the condition for touching one member without risking
/// quorum. The error names every member that fails it.
pub async fn all_healthy_except(members: &[&Host], except: Option<&str>, creds: &Credentials, expected: usize) -> Result<()> {
    let mut problems = Vec::new();
    let mut views: Vec<(String, BTreeSet<u64>)> = Vec::new();
    for h in members.iter().filter(|h| Some(h.name()) != except) {
        let check = async {
            let mut c = connect_member(h, creds).await?;
            let st = c.status().await?;
            if st.leader == 0 {
                return Err(anyhow!("no leader"));
            }
            let ids: BTreeSet<u64> = live_members(&mut c).await?.iter().filter(|m| !m.learner).map(|m| m.id).collect();
            Ok(ids)
        };
        match tokio::time::timeout(ANSWER, check).await {
            Ok(Ok(ids)) => views.push((h.name().to_string(), ids)),
            Ok(Err(e)) => problems.push(format!("{}: {e:#}", h.name())),
            Err(_) => problems.push(format!("{}: no answer within {}s", h.name(), ANSWER.as_secs())),
        }
    }
    if let Some((first, ids)) = views.first() {
        for (name, other) in &views[1..] {
            if other != ids {
                problems.push(format!("{name} sees members {other:x?}, {first} sees {ids:x?}"));
            }
        }
        if ids.len() != expected {
            problems.push(format!("{first} sees {} voting members, cluster.yml has {expected}", ids.len()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(anyhow!("etcd is not healthy on every member: {}", problems.join("; ")))
    }
}

/// Waits until the etcd member on `h` is healthy and sees `expected` members.
pub async fn wait_member_healthy(ctx: &Ctx<'_>, h: &Host, creds: &Credentials, expected: usize) -> Result<()> {
    let hint = "etcd members must reach each other on ports 2379/2380 (firewall?), and all etcd hosts must be up";
    super::health::wait_healthy(h, CONTAINER, ctx.timeouts.etcd_health, hint, || async {
        let mut client = connect_member(h, creds).await?;
        let health = etcd::member_health(&mut client).await?;
        if health.members.len() != expected {
            return Err(anyhow!("member list has {} of {expected} members: {:?}", health.members.len(), health.members));
        }
        Ok(())
    })
    .await
}

/// Whether the host behind `from` can open a TCP connection to `ip:port` (the SSH server on
/// that host makes the connection, so this is that host's view of the network).
pub async fn reaches(from: &Host, ip: &str, port: u16) -> Result<()> {
    match tokio::time::timeout(Duration::from_secs(5), from.session.open_tcp(ip, port)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(anyhow!("host {} cannot reach {ip}:{port}: {e}", from.name())),
        Err(_) => Err(anyhow!("host {} cannot reach {ip}:{port}: no answer within 5s", from.name())),
    }
}

//! RKE1's post-deploy authorization resources (RKE1 `ApplyAuthzResources`, applied right after
//! the control plane, before the worker plane):
//! - ClusterRoleBinding `system:node` → group `system:nodes`. RKE's `kube-node` certificate is
//!   one certificate shared by every kubelet (CN `system:node`, no node name), which the Node
//!   authorizer ignores; without this binding kubelets cannot register their Node.
//! - ClusterRole `proxy-clusterrole-kubeapiserver` + binding to user `kube-apiserver` (the CN of
//!   the apiserver's kubelet client certificate): kubelets run `--authorization-mode=Webhook`
//!   and ask the API whether the apiserver may use nodes/proxy, logs, ... (`kubectl exec/logs`).
//! - ServiceAccount `kube-system/rke-job-deployer` bound to `cluster-admin` (RKE1 runs its
//!   add-on jobs as it; kept for clusters and tools that expect it).
//!
//! Applied with server-side apply under the field manager `stockade`: the fields stockade sets
//! are owned (and taken over, `force`) by it, everything else on the objects — labels,
//! annotations, rules or subjects others added — is merged, never replaced.
use super::on_any_apiserver;
use crate::apply::{Ctx, Phase};
use anyhow::{Context, Result};
use futures_util::future::BoxFuture;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams};
use std::collections::BTreeMap;

/// The field manager of every object stockade applies.
pub const FIELD_MANAGER: &str = "stockade";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
pub const JOB_DEPLOYER_NAMESPACE: &str = "kube-system";

/// The objects, in the order they are applied (roles before their bindings).
pub struct Resources {
    pub service_account: ServiceAccount,
    pub cluster_roles: Vec<ClusterRole>,
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.into()), ..Default::default() }
}

fn binding(name: &str, role: &str, subject: Subject) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(name),
        role_ref: RoleRef { api_group: RBAC_GROUP.into(), kind: "ClusterRole".into(), name: role.into() },
        subjects: Some(vec![subject]),
    }
}

pub fn resources() -> Resources {
    let mut system_node = binding(
        "system:node",
        "system:node",
        Subject { kind: "Group".into(), name: "system:nodes".into(), api_group: Some(RBAC_GROUP.into()), namespace: None },
    );
    // as RKE1: the apiserver's RBAC bootstrap must not reconcile this binding back to no subjects
    system_node.metadata.annotations = Some(BTreeMap::from([("rbac.authorization.kubernetes.io/autoupdate".into(), "false".into())]));
    system_node.metadata.labels = Some(BTreeMap::from([("kubernetes.io/bootstrapping".into(), "rbac-defaults".into())]));
    let proxy_role = ClusterRole {
        metadata: meta("proxy-clusterrole-kubeapiserver"),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["".into()]),
            resources: Some(["nodes/metrics", "nodes/proxy", "nodes/stats", "nodes/log", "nodes/spec"].map(String::from).to_vec()),
            verbs: ["get", "list", "watch", "create"].map(String::from).to_vec(),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let proxy_binding = binding(
        "proxy-role-binding-kubernetes-master",
        "proxy-clusterrole-kubeapiserver",
        Subject { kind: "User".into(), name: "kube-apiserver".into(), api_group: Some(RBAC_GROUP.into()), namespace: None },
    );
    let job_deployer = binding(
        "job-deployer",
        "cluster-admin",
        Subject { kind: "ServiceAccount".into(), name: "rke-job-deployer".into(), api_group: None, namespace: Some(JOB_DEPLOYER_NAMESPACE.into()) },
    );
    let mut sa_meta = meta("rke-job-deployer");
    sa_meta.namespace = Some(JOB_DEPLOYER_NAMESPACE.into());
    Resources {
        service_account: ServiceAccount { metadata: sa_meta, ..Default::default() },
        cluster_roles: vec![proxy_role],
        cluster_role_bindings: vec![system_node, proxy_binding, job_deployer],
    }
}

/// Server-side apply of every resource through one apiserver.
///
/// A binding's `subjects` and a role's `rules` are atomic lists to server-side apply: applying
/// them with `force` would replace the whole list and drop what others added. So the object is
/// read first and what it already holds is applied along with what stockade adds (merged, never
/// replaced).
pub async fn apply(client: kube::Client) -> Result<()> {
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let r = resources();
    let sa_name = r.service_account.metadata.name.clone().unwrap_or_default();
    Api::<ServiceAccount>::namespaced(client.clone(), JOB_DEPLOYER_NAMESPACE)
        .patch(&sa_name, &pp, &Patch::Apply(&r.service_account))
        .await
        .with_context(|| format!("applying ServiceAccount {JOB_DEPLOYER_NAMESPACE}/{sa_name}"))?;
    for role in &r.cluster_roles {
        let name = role.metadata.name.clone().unwrap_or_default();
        let api = Api::<ClusterRole>::all(client.clone());
        let existing = api.get_opt(&name).await.with_context(|| format!("reading ClusterRole {name}"))?;
        let mut role = role.clone();
        role.rules = Some(merged(existing.and_then(|e| e.rules), role.rules.take()));
        api.patch(&name, &pp, &Patch::Apply(&role)).await.with_context(|| format!("applying ClusterRole {name}"))?;
    }
    for b in &r.cluster_role_bindings {
        let name = b.metadata.name.clone().unwrap_or_default();
        let api = Api::<ClusterRoleBinding>::all(client.clone());
        let existing = api.get_opt(&name).await.with_context(|| format!("reading ClusterRoleBinding {name}"))?;
        if let Some(e) = &existing {
            if e.role_ref != b.role_ref {
                anyhow::bail!(
                    "ClusterRoleBinding {name} refers to {} {}, not {} {} as RKE1's does: roleRef cannot be changed, so stockade leaves it alone. Delete it (`kubectl delete clusterrolebinding {name}`) and run `up` again",
                    e.role_ref.kind, e.role_ref.name, b.role_ref.kind, b.role_ref.name
                );
            }
        }
        let mut b = b.clone();
        b.subjects = Some(merged(existing.and_then(|e| e.subjects), b.subjects.take()));
        api.patch(&name, &pp, &Patch::Apply(&b)).await.with_context(|| format!("applying ClusterRoleBinding {name}"))?;
    }
    Ok(())
}

/// What the object holds, then each of stockade's entries it lacks.
fn merged<T: PartialEq>(existing: Option<Vec<T>>, ours: Option<Vec<T>>) -> Vec<T> {
    let mut out = existing.unwrap_or_default();
    for item in ours.unwrap_or_default() {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

pub struct Authorization;

impl Phase for Authorization {
    fn title(&self) -> &'static str {
        "Kubernetes authorization (RKE1's RBAC for nodes and the apiserver)"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            ctx.ui.status("applying the system:node binding and the kube-apiserver → kubelet role");
            on_any_apiserver(ctx.hosts.with_role("controlplane"), ctx.bundle, apply).await.map_err(|e| {
                anyhow::anyhow!(
                    "{e:#}\n      hint: kubelets cannot register and `kubectl exec/logs` are refused until these exist; check kube-apiserver's logs on the controlplane hosts"
                )
            })?;
            tracing::debug!("authorization resources applied (server-side apply, field manager {FIELD_MANAGER})");
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<(String, String, String, serde_json::Value)>>>;

    /// A kube client whose transport records each request: GETs are answered from `existing`
    /// (404 for what it lacks), PATCHes with the object they carry (as the API does on success).
    fn recording_client(existing: BTreeMap<String, serde_json::Value>) -> (kube::Client, Seen) {
        let seen: Seen = Arc::default();
        let record = seen.clone();
        let service = tower::service_fn(move |req: http::Request<kube::client::Body>| {
            let (record, existing) = (record.clone(), existing.clone());
            async move {
                use http_body_util::BodyExt;
                let (parts, body) = req.into_parts();
                let path = parts.uri.path().to_string();
                if parts.method == http::Method::GET {
                    return Ok::<_, anyhow::Error>(match existing.get(&path) {
                        Some(obj) => http::Response::new(http_body_util::Full::new(bytes::Bytes::from(obj.to_string()))),
                        None => {
                            let status = serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"});
                            let mut r = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(status.to_string())));
                            *r.status_mut() = http::StatusCode::NOT_FOUND;
                            r
                        }
                    });
                }
                let body = body.collect().await?.to_bytes();
                let obj: serde_json::Value = serde_json::from_slice(&body)?;
                let ctype = parts.headers.get(http::header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("").to_string()).unwrap_or_default();
                record.lock().unwrap().push((parts.method.to_string(), parts.uri.to_string(), ctype, obj));
                Ok(http::Response::new(http_body_util::Full::new(body)))
            }
        });
        (kube::Client::new(service, "default"), seen)
    }

    #[tokio::test]
    async fn apply_is_server_side_apply_with_stockades_field_manager() {
        let (client, seen) = recording_client(BTreeMap::new());
        apply(client).await.unwrap();
        let seen = seen.lock().unwrap();
        let paths: Vec<&str> = seen.iter().map(|(_, uri, _, _)| uri.split('?').next().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "/api/v1/namespaces/kube-system/serviceaccounts/rke-job-deployer",
                "/apis/rbac.authorization.k8s.io/v1/clusterroles/proxy-clusterrole-kubeapiserver",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/proxy-role-binding-kubernetes-master",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/job-deployer",
            ]
        );
        for (method, uri, ctype, obj) in seen.iter() {
            assert_eq!(method, "PATCH", "{uri}");
            assert!(uri.contains("fieldManager=stockade") && uri.contains("force=true"), "{uri}");
            assert_eq!(ctype, "application/apply-patch+yaml", "{uri}");
            // only the fields stockade owns: no status, no resourceVersion that would turn the apply into a replace
            assert!(obj.get("status").is_none() && obj["metadata"].get("resourceVersion").is_none(), "{obj}");
        }
    }

    /// Subjects and rules others added survive: the atomic lists are applied merged.
    #[tokio::test]
    async fn subjects_and_rules_others_added_are_kept() {
        let binding = serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:node"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:node"},
            "subjects": [{"kind": "User", "name": "someone-else", "apiGroup": "rbac.authorization.k8s.io"}]
        });
        let role = serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "proxy-clusterrole-kubeapiserver"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
        });
        let existing = BTreeMap::from([
            ("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node".to_string(), binding),
            ("/apis/rbac.authorization.k8s.io/v1/clusterroles/proxy-clusterrole-kubeapiserver".to_string(), role),
        ]);
        let (client, seen) = recording_client(existing);
        apply(client).await.unwrap();
        let seen = seen.lock().unwrap();
        let sent = |p: &str| seen.iter().find(|(_, uri, _, _)| uri.starts_with(p)).map(|(_, _, _, o)| o.clone()).unwrap();
        let b = sent("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node");
        let names: Vec<&str> = b["subjects"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["someone-else", "system:nodes"]);
        let r = sent("/apis/rbac.authorization.k8s.io/v1/clusterroles/proxy-clusterrole-kubeapiserver");
        assert_eq!(r["rules"].as_array().unwrap().len(), 2, "{r}");
        assert_eq!(r["rules"][0]["resources"][0], "pods");
    }

    /// The exact objects sent (RKE1's templates/authz.go, as JSON): a golden file, so a change
    /// is a reviewed diff.
    #[test]
    fn resources_golden() {
        let r = resources();
        let doc = serde_json::json!({
            "service_account": r.service_account,
            "cluster_roles": r.cluster_roles,
            "cluster_role_bindings": r.cluster_role_bindings,
        });
        let got = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/kubernetes/authz-resources.json");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &got).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("missing {}: run with UPDATE_GOLDEN=1", golden.display()));
        assert_eq!(got, want, "authorization resources differ from {}", golden.display());
    }
}

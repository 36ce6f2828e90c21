use super::*;
use crate::config::{schema::Node, ClusterConfig};

fn cfg(addresses: &[&str]) -> ClusterConfig {
    let mut c = ClusterConfig::default();
    for a in addresses {
        c.nodes.push(Node {
            address: a.to_string(),
            user: "root".into(),
            role: vec!["etcd".into(), "controlplane".into(), "worker".into()],
            ..Default::default()
        });
    }
    crate::config::defaults::apply(&mut c);
    c
}

#[test]
fn second_reconcile_changes_nothing_and_keys_survive_san_change() {
    let mut b = Bundle::new();
    let first = reconcile(&mut b, &cfg(&["10.0.0.1"])).unwrap();
    assert!(first.issued.contains(&"kube-ca".to_string()));
    assert!(b.contains_key("kube-etcd-10-0-0-1"));
    let again = reconcile(&mut b, &cfg(&["10.0.0.1"])).unwrap();
    assert!(again.is_empty(), "{again:?}");

    let api_key = b["kube-apiserver"].key_pem.clone();
    let ca = b["kube-ca"].certificate_pem.clone();
    let grown = reconcile(&mut b, &cfg(&["10.0.0.1", "10.0.0.2"])).unwrap();
    assert!(grown.issued.contains(&"kube-apiserver".to_string()));
    assert!(grown.issued.contains(&"kube-etcd-10-0-0-2".to_string()));
    assert!(!grown.issued.contains(&"kube-node".to_string()));
    assert_eq!(b["kube-apiserver"].key_pem, api_key, "key reused");
    assert_eq!(b["kube-ca"].certificate_pem, ca, "CA kept");
    let info = cert_info(&b["kube-apiserver"].certificate_pem).unwrap();
    assert!(info.sans.contains("10.0.0.2") && info.sans.contains("10.43.0.1"), "{:?}", info.sans);

    let shrunk = reconcile(&mut b, &cfg(&["10.0.0.1"])).unwrap();
    assert_eq!(shrunk.removed, vec!["kube-etcd-10-0-0-2".to_string()]);
}

#[test]
fn subjects_follow_rke() {
    let mut b = Bundle::new();
    reconcile(&mut b, &cfg(&["10.0.0.1"])).unwrap();
    let node = cert_info(&b["kube-node"].certificate_pem).unwrap();
    assert_eq!((node.cn.as_str(), node.org.as_deref()), ("system:node", Some("system:nodes")));
    let admin = cert_info(&b["kube-admin"].certificate_pem).unwrap();
    assert_eq!(admin.org.as_deref(), Some("system:masters"));
    assert_eq!(b["kube-apiserver"].env_name, "KUBE_APISERVER");
    assert_eq!(b["kube-apiserver"].key_path, "/etc/kubernetes/ssl/kube-apiserver-key.pem");
    assert!(b["kube-node"].config.contains("https://127.0.0.1:6443"));
    let proxy_client = cert_info(&b["kube-apiserver-proxy-client"].certificate_pem).unwrap();
    let rh = cert_info(&b["kube-apiserver-requestheader-ca"].certificate_pem).unwrap();
    assert_eq!(proxy_client.issuer, rh.subject);
}

#[test]
fn first_service_ip_is_dot_one() {
    assert_eq!(first_service_ip("10.43.0.0/16").unwrap().to_string(), "10.43.0.1");
}

/// A cluster RKE1 set up has kube-apiserver's certificate and key as its service-account token
/// entry: kept as RKE1 keeps it (only the key is used), never issued again.
#[test]
fn rke1s_token_entry_holding_the_apiserver_certificate_is_kept() {
    let c = cfg(&["10.0.0.1"]);
    let mut b = Bundle::new();
    reconcile(&mut b, &c).unwrap();
    let api = b["kube-apiserver"].clone();
    let token = CertificatePki::named(names::SERVICE_ACCOUNT, names::SERVICE_ACCOUNT, "", api.certificate_pem.clone(), api.key_pem.clone());
    b.insert(names::SERVICE_ACCOUNT.into(), token);
    let again = reconcile(&mut b, &c).unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(b[names::SERVICE_ACCOUNT].certificate_pem, api.certificate_pem);
    // without a usable key it is issued (with a new key)
    b.get_mut(names::SERVICE_ACCOUNT).unwrap().key_pem.clear();
    assert_eq!(reconcile(&mut b, &c).unwrap().issued, vec![names::SERVICE_ACCOUNT.to_string()]);
}

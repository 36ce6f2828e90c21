//! The whole cluster: etcd, control plane and worker plane, with the Kubernetes stand-ins.
use crate::common::*;

#[test]
fn up_brings_every_plane_up_and_a_worker_only_host_gets_no_control_plane() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all), (3, "[worker]")], ""));
    let r = tb.up_ok(&[]);
    for i in 0..3 {
        assert_eq!(
            tb.running(tb.h(i)),
            vec!["etcd", "kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubelet"],
            "{}",
            tb.h(i).name
        );
        // the sidekick lends its volume and never runs
        assert!(tb.docker_out(tb.h(i), &["ps", "-a", "--format", "{{.Names}}"]).contains("service-sidekick"));
    }
    assert_eq!(tb.running(tb.h(3)), vec!["kube-proxy", "kubelet", "nginx-proxy"], "{}", r.all());
    // the worker-only host's kubelet reached the API through nginx-proxy with its kubeconfig
    let log = String::from_utf8_lossy(&tb.docker(tb.h(3), &["logs", "kubelet"]).stderr).to_string();
    assert!(log.contains("API at 127.0.0.1:6443 accepted"), "{log}");
    let proxy = tb.docker_out(tb.h(3), &["inspect", "-f", "{{json .Config.Env}}", "nginx-proxy"]);
    assert!(proxy.contains(&format!("CP_HOSTS={},{},{}", tb.h(0).ip, tb.h(1).ip, tb.h(2).ip)), "{proxy}");
    // the CA key stays on controlplane hosts
    assert!(tb.host_path(tb.h(0), "etc-kubernetes").join("ssl/kube-ca-key.pem").exists());
    assert!(!tb.host_path(tb.h(3), "etc-kubernetes").join("ssl/kube-ca-key.pem").exists());
    assert!(!tb.host_path(tb.h(3), "etc-kubernetes").join("ssl/kube-apiserver.pem").exists());
    // kube-apiserver serves /healthz with the deployed certificate, for a client with the admin cert
    let kc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(tb.work.path().join("kube_config_cluster.yml")).unwrap()).unwrap();
    assert_eq!(kc["clusters"][0]["cluster"]["server"].as_str().unwrap(), format!("https://{}:6443", tb.h(0).ip));
    assert_eq!(kc["current-context"].as_str().unwrap(), "testbed");
    let again = tb.up_ok(&[]);
    assert!(again.all().contains("Nothing changed"), "{}", again.all());
}

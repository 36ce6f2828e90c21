//! `up` reports success only when every host is a Ready Node (with the stand-ins: their API keeps
//! Nodes in etcd and their kubelets register like the real ones once RBAC lets them).
use crate::common::*;

#[test]
fn up_fails_naming_each_node_that_never_becomes_ready_with_its_kubelet_logs() {
    let tb = Testbed::get();
    // every kubelet registers under another name than the hosts' hostname_override: the nodes
    // stockade waits for never appear
    let extra = "services:\n  kubelet:\n    extra_args:\n      hostname-override: renamed\n";
    tb.write_config(&tb.cluster_yml_roles(&[(0, "[etcd, controlplane, worker]"), (1, "[worker]")], extra));
    let archive = tb.archive();
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap(), "--health-timeout", "15"]);
    assert_eq!(r.code, 1, "up must fail on the hosts:\n{}", r.all());
    let all = r.all();
    assert!(all.contains("2 node(s) not Ready within 15s"), "{all}");
    for i in 0..2 {
        let h = tb.h(i);
        assert!(all.contains(&format!("node {} (host {}): not registered", h.name, h.ip)), "{all}");
    }
    // the kubelet's own last lines come with it
    assert!(all.contains("registered node renamed"), "{all}");
    assert!(!tb.work.path().join("kube_config_cluster.yml").exists(), "no kubeconfig for a cluster that is not up");
}

//! The cluster.yml schema: every key RKE1 accepts (rancher/rke `types/rke_types.go`), so an RKE1
//! user's file parses unchanged. `deny_unknown_fields` makes serde name each unknown key and the
//! keys valid at its place; `load::parse_with` then decides as issue 11 asks (a near-typo is an
//! error, anything else a located warning, `--strict` refuses all). Sub-objects that are Kubernetes API objects in RKE
//! (audit policy, admission configuration, encryption configuration, tolerations, ...) are kept
//! as free-form YAML values. Defaults are applied in `defaults.rs`, not here, so that what the
//! user wrote stays distinguishable from what stockade filled in.
use super::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize};
use serde_yaml::Value;
use std::collections::BTreeMap;

pub type StringMap = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub services: Services,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addons: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addons_include: Vec<String>,
    #[serde(default)]
    pub system_images: SystemImages,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_agent_auth: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_docker_version: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_cri_dockerd: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub private_registries: Vec<PrivateRegistry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_provider: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub win_prefix_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addon_job_timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bastion_host: Option<BastionHost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<Restore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_certificates: Option<RotateCertificates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_encryption_key: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Dns>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_strategy: Option<UpgradeStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cri_dockerd_stream_server_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cri_dockerd_stream_server_port: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Node {
    #[serde(default)]
    pub address: String,
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_address: Option<String>,
    #[serde(default)]
    pub role: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname_override: Option<String>,
    #[serde(default)]
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_socket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_agent_auth: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_path: Option<String>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub labels: StringMap,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    #[serde(default, rename = "nodeName", skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
}

impl Node {
    /// Whether the node has `role` (etcd, controlplane, worker): the one place that asks.
    pub fn has_role(&self, role: &str) -> bool {
        self.role.iter().any(|r| r == role)
    }

    /// The address the cluster's members use among themselves: `internal_address`, else `address`.
    pub fn internal(&self) -> &str {
        self.internal_address.as_deref().filter(|a| !a.is_empty()).unwrap_or(&self.address)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
    #[serde(default, rename = "timeAdded", skip_serializing_if = "Option::is_none")]
    pub time_added: Option<String>,
}

/// Declares a service section: RKE's `BaseService` keys plus the service's own keys.
/// (serde's `flatten` cannot be combined with `deny_unknown_fields`, hence the macro.)
macro_rules! service {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Ignored, as in RKE: the image always comes from `system_images`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub image: Option<String>,
            #[serde(default, skip_serializing_if = "StringMap::is_empty")]
            pub extra_args: StringMap,
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub extra_args_array: BTreeMap<String, Vec<String>>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub extra_binds: Vec<String>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub extra_env: Vec<String>,
            #[serde(default, skip_serializing_if = "StringMap::is_empty")]
            pub win_extra_args: StringMap,
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub win_extra_args_array: BTreeMap<String, Vec<String>>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub win_extra_binds: Vec<String>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub win_extra_env: Vec<String>,
            $($(#[$fm])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Services {
    #[serde(default)]
    pub etcd: EtcdService,
    #[serde(default, rename = "kube-api")]
    pub kube_api: KubeApiService,
    #[serde(default, rename = "kube-controller")]
    pub kube_controller: KubeControllerService,
    #[serde(default)]
    pub scheduler: SchedulerService,
    #[serde(default)]
    pub kubelet: KubeletService,
    #[serde(default)]
    pub kubeproxy: KubeproxyService,
}

service!(EtcdService {
    external_urls: Vec<String>,
    ca_cert: String,
    cert: String,
    key: Secret,
    path: String,
    uid: i64,
    gid: i64,
    snapshot: bool,
    retention: String,
    creation: String,
    backup_config: BackupConfig,
});

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackupConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_hours: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_timestamp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// RKE's YAML key is literally `s3backupconfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3backupconfig: Option<S3BackupConfig>,
    /// stockade extension: age recipients (`age1…` public keys) the recurring snapshots are
    /// encrypted to, on the hosts and in S3. Public keys only: a passphrase never goes in
    /// cluster.yml (the job file on every etcd host would hold it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_recipients: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3BackupConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_ca: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

service!(KubeApiService {
    service_cluster_ip_range: String,
    service_node_port_range: String,
    pod_security_policy: bool,
    pod_security_configuration: String,
    always_pull_images: bool,
    secrets_encryption_config: Value,
    audit_log: Value,
    admission_configuration: Value,
    event_rate_limit: Value,
});

service!(KubeControllerService {
    cluster_cidr: String,
    service_cluster_ip_range: String,
});

service!(SchedulerService {});

service!(KubeletService {
    cluster_domain: String,
    infra_container_image: String,
    cluster_dns_server: String,
    fail_swap_on: bool,
    generate_serving_certificate: bool,
});

service!(KubeproxyService {});

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Network {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub options: StringMap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calico_network_provider: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canal_network_provider: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flannel_network_provider: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weave_network_provider: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_network_provider: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Authentication {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub options: StringMap,
}

/// Image per component. `aci_*` images are kept as extra keys only through `aci_images`
/// because stockade does not ship the ACI plugin; every other key is RKE's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SystemImages {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etcd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nginx_proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_downloader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_services_sidecar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubedns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnsmasq: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubedns_sidecar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubedns_autoscaler: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coredns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coredns_autoscaler: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodelocal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flannel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flannel_cni: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calico_node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calico_cni: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calico_controllers: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calico_ctl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calico_flexvol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canal_node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canal_cni: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canal_controllers: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canal_flannel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canal_flexvol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weave_node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weave_cni: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_infra_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_webhook: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_pod_infra_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_cni_deploy_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_host_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_opflex_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_mcast_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_ovs_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_controller_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_gbp_server_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aci_opflex_server_container: Option<String>,
    /// stockade's own: the image of the snapshot agent (`stockade agent`) for hosts whose platform
    /// differs from the one stockade runs on (otherwise stockade makes it from its executable)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stockade_agent: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrivateRegistry {
    #[serde(default)]
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_credential_plugin: Option<EcrCredentialPlugin>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EcrCredentialPlugin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_access_key_id: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_secret_access_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_session_token: Option<Secret>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub options: StringMap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<StringMap>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub extra_args: StringMap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_envs: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_volumes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_volume_mounts: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_backend: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_http_backend_priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nginx_ingress_controller_priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_ingress_class: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BastionHost {
    #[serde(default)]
    pub address: String,
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_agent_auth: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_proxy_env_vars: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub options: StringMap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_server_priority_class_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    #[serde(default)]
    pub restore: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RotateCertificates {
    #[serde(default)]
    pub ca_certificates: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub options: StringMap,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstreamnameservers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reversecidrs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stubdomains: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodelocal: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_autoscaler_params: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_priority_class_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpgradeStrategy {
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub max_unavailable_worker: Option<String>,
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub max_unavailable_controlplane: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_drain_input: Option<Value>,
}

/// RKE accepts `port: 22` and `port: "22"` alike (and `max_unavailable_worker: 10%` or `2`).
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        S(String),
        N(i64),
    }
    Ok(Option::<V>::deserialize(d)?.map(|v| match v {
        V::S(s) => s,
        V::N(n) => n.to_string(),
    }))
}

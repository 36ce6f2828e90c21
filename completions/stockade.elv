
use builtin;
use str;

set edit:completion:arg-completer[stockade] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'stockade'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'stockade'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand up 'Bring the cluster to what cluster.yml describes'
            cand remove 'Remove the cluster''s containers and data from every host'
            cand validate 'Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)'
            cand cert 'Certificates of the cluster'
            cand version 'Print stockade''s version and the default Kubernetes version'
            cand config 'Write a commented cluster.yml by asking questions (like `rke config`; --empty, --print), or print the default system images per Kubernetes version'
            cand etcd 'etcd snapshots: save, restore, list, delete, prune'
            cand util 'Utilities'
            cand agent 'Runs on the etcd hosts inside stockade''s helper containers'
            cand completions 'Print a shell completion script'
            cand man 'Print the manual page (roff; `stockade man | man -l -`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;up'= {
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --output 'Output format: text, or JSON events one per line on stdout, the outcome last'
            cand --cert-dir 'The certificate directory for --custom-certs (default: <cluster.yml''s name>_certs next to it)'
            cand --etcd-health-timeout 'Seconds etcd members get to report healthy'
            cand --health-timeout 'Seconds each Kubernetes component gets to answer /healthz'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand --dry-run 'Print what `up` would change on each host, change nothing'
            cand --offline 'With --dry-run: the plan from cluster.yml and the state file alone, for review; no host is contacted (so it shows every container, file and image, not only what would change)'
            cand --timings 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
            cand --custom-certs 'Use the certificates in --cert-dir (signed by your own CA; RKE1''s file names, see `cert generate-csr`) instead of issuing any; every missing or wrong file is named before any host is contacted'
            cand --no-snapshot 'Upgrade (a kubernetes_version or etcd image change) without taking an etcd snapshot first'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;remove'= {
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --output 'Output format: text, or JSON events one per line on stdout, the outcome last'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand --force 'Do not ask for confirmation'
            cand --timings 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;validate'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;cert'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
            cand check-expiration 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)'
            cand rotate 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again'
            cand generate-csr 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;cert;check-expiration'= {
            cand --output 'Format of the report: text, or JSON events one per line (the report is one `report` event)'
            cand --warn-days 'Days: a certificate that expires within this many days is reported (exit 2)'
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --live 'Also read what every host serves (kube-apiserver :6443, etcd :2379, kubelet :10250, over SSH) and the certificate files under its ssl directory, next to the state''s'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;cert;rotate'= {
            cand --output 'Output format: text, or JSON events one per line on stdout, the outcome last'
            cand --service 'Rotate only this service''s certificates (repeatable)'
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --etcd-health-timeout 'Seconds etcd members get to report healthy'
            cand --health-timeout 'Seconds each Kubernetes component gets to answer /healthz'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --timings 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
            cand --rotate-ca 'New CAs, and new certificates for everything under them (every component restarts)'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;cert;generate-csr'= {
            cand --cert-dir 'Where to write `<name>-csr.pem` and `<name>-key.pem` (default: <cluster.yml''s name>_certs next to it)'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;cert;help'= {
            cand check-expiration 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)'
            cand rotate 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again'
            cand generate-csr 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;cert;help;check-expiration'= {
        }
        &'stockade;cert;help;rotate'= {
        }
        &'stockade;cert;help;generate-csr'= {
        }
        &'stockade;cert;help;help'= {
        }
        &'stockade;version'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;config'= {
            cand --version 'Kubernetes version for --system-images, and the kubernetes_version the wizard offers and --empty writes (default: the default version)'
            cand -n 'The file to write'
            cand --name 'The file to write'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -s 'Print the default system_images for a Kubernetes version'
            cand --system-images 'Print the default system_images for a Kubernetes version'
            cand -l 'List the Kubernetes versions stockade has default images for (every RKE1 release from 1.20 on, then the upstream minors)'
            cand --list-version 'List the Kubernetes versions stockade has default images for (every RKE1 release from 1.20 on, then the upstream minors)'
            cand -e 'Write a minimal valid cluster.yml (one host to replace) without asking anything'
            cand --empty 'Write a minimal valid cluster.yml (one host to replace) without asking anything'
            cand -p 'Print the file to stdout instead of writing it (the questions go to stderr)'
            cand --print 'Print the file to stdout instead of writing it (the questions go to stderr)'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;etcd'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
            cand snapshot-save 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host'
            cand snapshot-restore 'Restore every etcd member from a snapshot, then bring the cluster back with `up`'
            cand snapshot 'List, delete and prune snapshots on the etcd hosts'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;etcd;snapshot-save'= {
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --s3-endpoint 'S3 endpoint (host[:port] or URL); default AWS'
            cand --s3-endpoint-ca 'PEM file of the CA that signed the endpoint''s certificate'
            cand --access-key 'S3 access key'
            cand --secret-key 'S3 secret key (prefer the environment: command lines are visible to other users)'
            cand --bucket-name 'bucket-name'
            cand --region 'region'
            cand --folder 'Key prefix in the bucket'
            cand --name 'Snapshot name (default rke_etcd_snapshot_<time>); `.zip` is optional'
            cand --output 'Output format: text, or JSON events one per line on stdout, the outcome last'
            cand --encrypt-recipient 'Encrypt to this age public key (age1…, from `age-keygen`); repeatable; implies --encrypt'
            cand --passphrase-file 'File holding the encryption passphrase (first line); implies --encrypt'
            cand --copy-port 'TCP port the etcd hosts copy the snapshot to each other on, host to host, mutual TLS with the cluster''s etcd certificates; 0: copy through this machine''s SSH connections instead (also what happens when the port cannot be reached)'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand --s3 'Also upload to (save) or fetch from (restore) S3'
            cand --timings 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
            cand --encrypt 'Encrypt the snapshot with age on the etcd hosts, with the passphrase in STOCKADE_SNAPSHOT_PASSPHRASE or --passphrase-file (or use --encrypt-recipient)'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;etcd;snapshot-restore'= {
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --s3-endpoint 'S3 endpoint (host[:port] or URL); default AWS'
            cand --s3-endpoint-ca 'PEM file of the CA that signed the endpoint''s certificate'
            cand --access-key 'S3 access key'
            cand --secret-key 'S3 secret key (prefer the environment: command lines are visible to other users)'
            cand --bucket-name 'bucket-name'
            cand --region 'region'
            cand --folder 'Key prefix in the bucket'
            cand --name 'Snapshot to restore, with or without `.zip` (as `stockade etcd snapshot ls` lists it)'
            cand --output 'Output format: text, or JSON events one per line on stdout, the outcome last'
            cand --decrypt-identity 'age identity file (`age-keygen` output) to decrypt an encrypted snapshot'
            cand --passphrase-file 'File holding the passphrase of an encrypted snapshot (or set STOCKADE_SNAPSHOT_PASSPHRASE)'
            cand --etcd-health-timeout 'Seconds etcd members get to report healthy'
            cand --health-timeout 'Seconds each Kubernetes component gets to answer /healthz'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand --s3 'Also upload to (save) or fetch from (restore) S3'
            cand --use-local-state 'Keep the local state file instead of the one stored in the snapshot'
            cand --copy-missing 'Copy the snapshot to the etcd hosts that lack it (and S3 cannot supply it) from a copy on another etcd host that verifies against its manifest — a recurring snapshot is on one host only. Without it, such a restore is refused before anything stops'
            cand --timings 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;etcd;snapshot'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
            cand ls 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)'
            cand delete 'Delete a snapshot from every etcd host'
            cand prune 'Keep only the newest K snapshots on every etcd host'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;etcd;snapshot;ls'= {
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --output 'Output format: a table, or JSON events one per line (the list is one `snapshots` event)'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;etcd;snapshot;delete'= {
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --output 'Output format: text, or JSON events one per line on stdout, the outcome last'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;etcd;snapshot;prune'= {
            cand --known-hosts 'known_hosts file to verify host keys against'
            cand --ssh-timeout 'Seconds to wait for an SSH connection and login'
            cand --command-timeout 'Seconds any single remote command or Docker API call may take'
            cand --image-timeout 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)'
            cand --concurrency 'How many hosts to work on at once'
            cand --image-archive 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts'
            cand --retention 'retention'
            cand --output 'Output format: text, or JSON events one per line on stdout, the outcome last'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand --ssh-agent-auth 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
            cand --ssh-accept-new 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
            cand --ignore-docker-version 'Do not warn about Docker versions outside the tested range'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'stockade;etcd;snapshot;help'= {
            cand ls 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)'
            cand delete 'Delete a snapshot from every etcd host'
            cand prune 'Keep only the newest K snapshots on every etcd host'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;etcd;snapshot;help;ls'= {
        }
        &'stockade;etcd;snapshot;help;delete'= {
        }
        &'stockade;etcd;snapshot;help;prune'= {
        }
        &'stockade;etcd;snapshot;help;help'= {
        }
        &'stockade;etcd;help'= {
            cand snapshot-save 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host'
            cand snapshot-restore 'Restore every etcd member from a snapshot, then bring the cluster back with `up`'
            cand snapshot 'List, delete and prune snapshots on the etcd hosts'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;etcd;help;snapshot-save'= {
        }
        &'stockade;etcd;help;snapshot-restore'= {
        }
        &'stockade;etcd;help;snapshot'= {
            cand ls 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)'
            cand delete 'Delete a snapshot from every etcd host'
            cand prune 'Keep only the newest K snapshots on every etcd host'
        }
        &'stockade;etcd;help;snapshot;ls'= {
        }
        &'stockade;etcd;help;snapshot;delete'= {
        }
        &'stockade;etcd;help;snapshot;prune'= {
        }
        &'stockade;etcd;help;help'= {
        }
        &'stockade;util'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
            cand get-kubeconfig 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;util;get-kubeconfig'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;util;help'= {
            cand get-kubeconfig 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;util;help;get-kubeconfig'= {
        }
        &'stockade;util;help;help'= {
        }
        &'stockade;agent'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
            cand run 'Run one job (JSON) and print its result line'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;agent;run'= {
            cand --job 'Job file (default: read the job from stdin)'
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;agent;help'= {
            cand run 'Run one job (JSON) and print its result line'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;agent;help;run'= {
        }
        &'stockade;agent;help;help'= {
        }
        &'stockade;completions'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;man'= {
            cand --config 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]'
            cand -d 'Debug logging (secrets are never logged)'
            cand --debug 'Debug logging (secrets are never logged)'
            cand -q 'Only warnings and errors'
            cand --quiet 'Only warnings and errors'
            cand --strict 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
            cand -y 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand --yes 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'stockade;help'= {
            cand up 'Bring the cluster to what cluster.yml describes'
            cand remove 'Remove the cluster''s containers and data from every host'
            cand validate 'Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)'
            cand cert 'Certificates of the cluster'
            cand version 'Print stockade''s version and the default Kubernetes version'
            cand config 'Write a commented cluster.yml by asking questions (like `rke config`; --empty, --print), or print the default system images per Kubernetes version'
            cand etcd 'etcd snapshots: save, restore, list, delete, prune'
            cand util 'Utilities'
            cand agent 'Runs on the etcd hosts inside stockade''s helper containers'
            cand completions 'Print a shell completion script'
            cand man 'Print the manual page (roff; `stockade man | man -l -`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'stockade;help;up'= {
        }
        &'stockade;help;remove'= {
        }
        &'stockade;help;validate'= {
        }
        &'stockade;help;cert'= {
            cand check-expiration 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)'
            cand rotate 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again'
            cand generate-csr 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused'
        }
        &'stockade;help;cert;check-expiration'= {
        }
        &'stockade;help;cert;rotate'= {
        }
        &'stockade;help;cert;generate-csr'= {
        }
        &'stockade;help;version'= {
        }
        &'stockade;help;config'= {
        }
        &'stockade;help;etcd'= {
            cand snapshot-save 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host'
            cand snapshot-restore 'Restore every etcd member from a snapshot, then bring the cluster back with `up`'
            cand snapshot 'List, delete and prune snapshots on the etcd hosts'
        }
        &'stockade;help;etcd;snapshot-save'= {
        }
        &'stockade;help;etcd;snapshot-restore'= {
        }
        &'stockade;help;etcd;snapshot'= {
            cand ls 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)'
            cand delete 'Delete a snapshot from every etcd host'
            cand prune 'Keep only the newest K snapshots on every etcd host'
        }
        &'stockade;help;etcd;snapshot;ls'= {
        }
        &'stockade;help;etcd;snapshot;delete'= {
        }
        &'stockade;help;etcd;snapshot;prune'= {
        }
        &'stockade;help;util'= {
            cand get-kubeconfig 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)'
        }
        &'stockade;help;util;get-kubeconfig'= {
        }
        &'stockade;help;agent'= {
            cand run 'Run one job (JSON) and print its result line'
        }
        &'stockade;help;agent;run'= {
        }
        &'stockade;help;completions'= {
        }
        &'stockade;help;man'= {
        }
        &'stockade;help;help'= {
        }
    ]
    $completions[$command]
}

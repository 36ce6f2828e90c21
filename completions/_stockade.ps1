
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'stockade' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'stockade'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'stockade' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Bring the cluster to what cluster.yml describes')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove the cluster''s containers and data from every host')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'Certificates of the cluster')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print stockade''s version and the default Kubernetes version')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Write a commented cluster.yml by asking questions (like `rke config`; --empty, --print), or print the default system images per Kubernetes version')
            [CompletionResult]::new('etcd', 'etcd', [CompletionResultType]::ParameterValue, 'etcd snapshots: save, restore, list, delete, prune')
            [CompletionResult]::new('util', 'util', [CompletionResultType]::ParameterValue, 'Utilities')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Runs on the etcd hosts inside stockade''s helper containers')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff; `stockade man | man -l -`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;up' {
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, or JSON events one per line on stdout, the outcome last')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'The certificate directory for --custom-certs (default: <cluster.yml''s name>_certs next to it)')
            [CompletionResult]::new('--etcd-health-timeout', '--etcd-health-timeout', [CompletionResultType]::ParameterName, 'Seconds etcd members get to report healthy')
            [CompletionResult]::new('--health-timeout', '--health-timeout', [CompletionResultType]::ParameterName, 'Seconds each Kubernetes component gets to answer /healthz')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what `up` would change on each host, change nothing')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'With --dry-run: the plan from cluster.yml and the state file alone, for review; no host is contacted (so it shows every container, file and image, not only what would change)')
            [CompletionResult]::new('--timings', '--timings', [CompletionResultType]::ParameterName, 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)')
            [CompletionResult]::new('--custom-certs', '--custom-certs', [CompletionResultType]::ParameterName, 'Use the certificates in --cert-dir (signed by your own CA; RKE1''s file names, see `cert generate-csr`) instead of issuing any; every missing or wrong file is named before any host is contacted')
            [CompletionResult]::new('--no-snapshot', '--no-snapshot', [CompletionResultType]::ParameterName, 'Upgrade (a kubernetes_version or etcd image change) without taking an etcd snapshot first')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;remove' {
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, or JSON events one per line on stdout, the outcome last')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--timings', '--timings', [CompletionResultType]::ParameterName, 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;validate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;cert' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('check-expiration', 'check-expiration', [CompletionResultType]::ParameterValue, 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again')
            [CompletionResult]::new('generate-csr', 'generate-csr', [CompletionResultType]::ParameterValue, 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;cert;check-expiration' {
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the report: text, or JSON events one per line (the report is one `report` event)')
            [CompletionResult]::new('--warn-days', '--warn-days', [CompletionResultType]::ParameterName, 'Days: a certificate that expires within this many days is reported (exit 2)')
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Also read what every host serves (kube-apiserver :6443, etcd :2379, kubelet :10250, over SSH) and the certificate files under its ssl directory, next to the state''s')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;cert;rotate' {
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, or JSON events one per line on stdout, the outcome last')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Rotate only this service''s certificates (repeatable)')
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--etcd-health-timeout', '--etcd-health-timeout', [CompletionResultType]::ParameterName, 'Seconds etcd members get to report healthy')
            [CompletionResult]::new('--health-timeout', '--health-timeout', [CompletionResultType]::ParameterName, 'Seconds each Kubernetes component gets to answer /healthz')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--timings', '--timings', [CompletionResultType]::ParameterName, 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)')
            [CompletionResult]::new('--rotate-ca', '--rotate-ca', [CompletionResultType]::ParameterName, 'New CAs, and new certificates for everything under them (every component restarts)')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;cert;generate-csr' {
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'Where to write `<name>-csr.pem` and `<name>-key.pem` (default: <cluster.yml''s name>_certs next to it)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;cert;help' {
            [CompletionResult]::new('check-expiration', 'check-expiration', [CompletionResultType]::ParameterValue, 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again')
            [CompletionResult]::new('generate-csr', 'generate-csr', [CompletionResultType]::ParameterValue, 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;cert;help;check-expiration' {
            break
        }
        'stockade;cert;help;rotate' {
            break
        }
        'stockade;cert;help;generate-csr' {
            break
        }
        'stockade;cert;help;help' {
            break
        }
        'stockade;version' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;config' {
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Kubernetes version for --system-images, and the kubernetes_version the wizard offers and --empty writes (default: the default version)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The file to write')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The file to write')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Print the default system_images for a Kubernetes version')
            [CompletionResult]::new('--system-images', '--system-images', [CompletionResultType]::ParameterName, 'Print the default system_images for a Kubernetes version')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'List the Kubernetes versions stockade has default images for (every RKE1 release from 1.20 on, then the upstream minors)')
            [CompletionResult]::new('--list-version', '--list-version', [CompletionResultType]::ParameterName, 'List the Kubernetes versions stockade has default images for (every RKE1 release from 1.20 on, then the upstream minors)')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Write a minimal valid cluster.yml (one host to replace) without asking anything')
            [CompletionResult]::new('--empty', '--empty', [CompletionResultType]::ParameterName, 'Write a minimal valid cluster.yml (one host to replace) without asking anything')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Print the file to stdout instead of writing it (the questions go to stderr)')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Print the file to stdout instead of writing it (the questions go to stderr)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;etcd' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('snapshot-save', 'snapshot-save', [CompletionResultType]::ParameterValue, 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host')
            [CompletionResult]::new('snapshot-restore', 'snapshot-restore', [CompletionResultType]::ParameterValue, 'Restore every etcd member from a snapshot, then bring the cluster back with `up`')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'List, delete and prune snapshots on the etcd hosts')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;etcd;snapshot-save' {
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'S3 endpoint (host[:port] or URL); default AWS')
            [CompletionResult]::new('--s3-endpoint-ca', '--s3-endpoint-ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the endpoint''s certificate')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'S3 access key')
            [CompletionResult]::new('--secret-key', '--secret-key', [CompletionResultType]::ParameterName, 'S3 secret key (prefer the environment: command lines are visible to other users)')
            [CompletionResult]::new('--bucket-name', '--bucket-name', [CompletionResultType]::ParameterName, 'bucket-name')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'region')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Key prefix in the bucket')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Snapshot name (default rke_etcd_snapshot_<time>); `.zip` is optional')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, or JSON events one per line on stdout, the outcome last')
            [CompletionResult]::new('--encrypt-recipient', '--encrypt-recipient', [CompletionResultType]::ParameterName, 'Encrypt to this age public key (age1…, from `age-keygen`); repeatable; implies --encrypt')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'File holding the encryption passphrase (first line); implies --encrypt')
            [CompletionResult]::new('--copy-port', '--copy-port', [CompletionResultType]::ParameterName, 'TCP port the etcd hosts copy the snapshot to each other on, host to host, mutual TLS with the cluster''s etcd certificates; 0: copy through this machine''s SSH connections instead (also what happens when the port cannot be reached)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('--s3', '--s3', [CompletionResultType]::ParameterName, 'Also upload to (save) or fetch from (restore) S3')
            [CompletionResult]::new('--timings', '--timings', [CompletionResultType]::ParameterName, 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Encrypt the snapshot with age on the etcd hosts, with the passphrase in STOCKADE_SNAPSHOT_PASSPHRASE or --passphrase-file (or use --encrypt-recipient)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;etcd;snapshot-restore' {
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'S3 endpoint (host[:port] or URL); default AWS')
            [CompletionResult]::new('--s3-endpoint-ca', '--s3-endpoint-ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the endpoint''s certificate')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'S3 access key')
            [CompletionResult]::new('--secret-key', '--secret-key', [CompletionResultType]::ParameterName, 'S3 secret key (prefer the environment: command lines are visible to other users)')
            [CompletionResult]::new('--bucket-name', '--bucket-name', [CompletionResultType]::ParameterName, 'bucket-name')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'region')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Key prefix in the bucket')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Snapshot to restore, with or without `.zip` (as `stockade etcd snapshot ls` lists it)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, or JSON events one per line on stdout, the outcome last')
            [CompletionResult]::new('--decrypt-identity', '--decrypt-identity', [CompletionResultType]::ParameterName, 'age identity file (`age-keygen` output) to decrypt an encrypted snapshot')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'File holding the passphrase of an encrypted snapshot (or set STOCKADE_SNAPSHOT_PASSPHRASE)')
            [CompletionResult]::new('--etcd-health-timeout', '--etcd-health-timeout', [CompletionResultType]::ParameterName, 'Seconds etcd members get to report healthy')
            [CompletionResult]::new('--health-timeout', '--health-timeout', [CompletionResultType]::ParameterName, 'Seconds each Kubernetes component gets to answer /healthz')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('--s3', '--s3', [CompletionResultType]::ParameterName, 'Also upload to (save) or fetch from (restore) S3')
            [CompletionResult]::new('--use-local-state', '--use-local-state', [CompletionResultType]::ParameterName, 'Keep the local state file instead of the one stored in the snapshot')
            [CompletionResult]::new('--copy-missing', '--copy-missing', [CompletionResultType]::ParameterName, 'Copy the snapshot to the etcd hosts that lack it (and S3 cannot supply it) from a copy on another etcd host that verifies against its manifest — a recurring snapshot is on one host only. Without it, such a restore is refused before anything stops')
            [CompletionResult]::new('--timings', '--timings', [CompletionResultType]::ParameterName, 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;etcd;snapshot' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a snapshot from every etcd host')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Keep only the newest K snapshots on every etcd host')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;etcd;snapshot;ls' {
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, or JSON events one per line (the list is one `snapshots` event)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;etcd;snapshot;delete' {
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, or JSON events one per line on stdout, the outcome last')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;etcd;snapshot;prune' {
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to verify host keys against')
            [CompletionResult]::new('--ssh-timeout', '--ssh-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for an SSH connection and login')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Seconds any single remote command or Docker API call may take')
            [CompletionResult]::new('--image-timeout', '--image-timeout', [CompletionResultType]::ParameterName, 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many hosts to work on at once')
            [CompletionResult]::new('--image-archive', '--image-archive', [CompletionResultType]::ParameterName, 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts')
            [CompletionResult]::new('--retention', '--retention', [CompletionResultType]::ParameterName, 'retention')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, or JSON events one per line on stdout, the outcome last')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('--ssh-agent-auth', '--ssh-agent-auth', [CompletionResultType]::ParameterName, 'Use ssh-agent (SSH_AUTH_SOCK) for every host')
            [CompletionResult]::new('--ssh-accept-new', '--ssh-accept-new', [CompletionResultType]::ParameterName, 'Accept and record host keys not yet in known_hosts (a changed key is always refused)')
            [CompletionResult]::new('--ignore-docker-version', '--ignore-docker-version', [CompletionResultType]::ParameterName, 'Do not warn about Docker versions outside the tested range')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'stockade;etcd;snapshot;help' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a snapshot from every etcd host')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Keep only the newest K snapshots on every etcd host')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;etcd;snapshot;help;ls' {
            break
        }
        'stockade;etcd;snapshot;help;delete' {
            break
        }
        'stockade;etcd;snapshot;help;prune' {
            break
        }
        'stockade;etcd;snapshot;help;help' {
            break
        }
        'stockade;etcd;help' {
            [CompletionResult]::new('snapshot-save', 'snapshot-save', [CompletionResultType]::ParameterValue, 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host')
            [CompletionResult]::new('snapshot-restore', 'snapshot-restore', [CompletionResultType]::ParameterValue, 'Restore every etcd member from a snapshot, then bring the cluster back with `up`')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'List, delete and prune snapshots on the etcd hosts')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;etcd;help;snapshot-save' {
            break
        }
        'stockade;etcd;help;snapshot-restore' {
            break
        }
        'stockade;etcd;help;snapshot' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a snapshot from every etcd host')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Keep only the newest K snapshots on every etcd host')
            break
        }
        'stockade;etcd;help;snapshot;ls' {
            break
        }
        'stockade;etcd;help;snapshot;delete' {
            break
        }
        'stockade;etcd;help;snapshot;prune' {
            break
        }
        'stockade;etcd;help;help' {
            break
        }
        'stockade;util' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('get-kubeconfig', 'get-kubeconfig', [CompletionResultType]::ParameterValue, 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;util;get-kubeconfig' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;util;help' {
            [CompletionResult]::new('get-kubeconfig', 'get-kubeconfig', [CompletionResultType]::ParameterValue, 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;util;help;get-kubeconfig' {
            break
        }
        'stockade;util;help;help' {
            break
        }
        'stockade;agent' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run one job (JSON) and print its result line')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;agent;run' {
            [CompletionResult]::new('--job', '--job', [CompletionResultType]::ParameterName, 'Job file (default: read the job from stdin)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;agent;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run one job (JSON) and print its result line')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;agent;help;run' {
            break
        }
        'stockade;agent;help;help' {
            break
        }
        'stockade;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;man' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Debug logging (secrets are never logged)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only warnings and errors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never ask: for pipelines. A question stockade would ask (an SSH key''s passphrase, remove''s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove''s confirmation counts as given')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'stockade;help' {
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Bring the cluster to what cluster.yml describes')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove the cluster''s containers and data from every host')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'Certificates of the cluster')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print stockade''s version and the default Kubernetes version')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Write a commented cluster.yml by asking questions (like `rke config`; --empty, --print), or print the default system images per Kubernetes version')
            [CompletionResult]::new('etcd', 'etcd', [CompletionResultType]::ParameterValue, 'etcd snapshots: save, restore, list, delete, prune')
            [CompletionResult]::new('util', 'util', [CompletionResultType]::ParameterValue, 'Utilities')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Runs on the etcd hosts inside stockade''s helper containers')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff; `stockade man | man -l -`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'stockade;help;up' {
            break
        }
        'stockade;help;remove' {
            break
        }
        'stockade;help;validate' {
            break
        }
        'stockade;help;cert' {
            [CompletionResult]::new('check-expiration', 'check-expiration', [CompletionResultType]::ParameterValue, 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again')
            [CompletionResult]::new('generate-csr', 'generate-csr', [CompletionResultType]::ParameterValue, 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused')
            break
        }
        'stockade;help;cert;check-expiration' {
            break
        }
        'stockade;help;cert;rotate' {
            break
        }
        'stockade;help;cert;generate-csr' {
            break
        }
        'stockade;help;version' {
            break
        }
        'stockade;help;config' {
            break
        }
        'stockade;help;etcd' {
            [CompletionResult]::new('snapshot-save', 'snapshot-save', [CompletionResultType]::ParameterValue, 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host')
            [CompletionResult]::new('snapshot-restore', 'snapshot-restore', [CompletionResultType]::ParameterValue, 'Restore every etcd member from a snapshot, then bring the cluster back with `up`')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'List, delete and prune snapshots on the etcd hosts')
            break
        }
        'stockade;help;etcd;snapshot-save' {
            break
        }
        'stockade;help;etcd;snapshot-restore' {
            break
        }
        'stockade;help;etcd;snapshot' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a snapshot from every etcd host')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Keep only the newest K snapshots on every etcd host')
            break
        }
        'stockade;help;etcd;snapshot;ls' {
            break
        }
        'stockade;help;etcd;snapshot;delete' {
            break
        }
        'stockade;help;etcd;snapshot;prune' {
            break
        }
        'stockade;help;util' {
            [CompletionResult]::new('get-kubeconfig', 'get-kubeconfig', [CompletionResultType]::ParameterValue, 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)')
            break
        }
        'stockade;help;util;get-kubeconfig' {
            break
        }
        'stockade;help;agent' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run one job (JSON) and print its result line')
            break
        }
        'stockade;help;agent;run' {
            break
        }
        'stockade;help;completions' {
            break
        }
        'stockade;help;man' {
            break
        }
        'stockade;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

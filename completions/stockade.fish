# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_stockade_global_optspecs
    string join \n config= d/debug q/quiet strict y/yes h/help V/version
end

function __fish_stockade_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_stockade_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_stockade_using_subcommand
    set -l cmd (__fish_stockade_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c stockade -n "__fish_stockade_needs_command" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_needs_command" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_needs_command" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_needs_command" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_needs_command" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_needs_command" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_needs_command" -s V -l version -d 'Print version'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "up" -d 'Bring the cluster to what cluster.yml describes'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "remove" -d 'Remove the cluster\'s containers and data from every host'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "validate" -d 'Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "cert" -d 'Certificates of the cluster'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "version" -d 'Print stockade\'s version and the default Kubernetes version'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "config" -d 'Write a commented cluster.yml by asking questions (like `rke config`; --empty, --print), or print the default system images per Kubernetes version'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "etcd" -d 'etcd snapshots: save, restore, list, delete, prune'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "util" -d 'Utilities'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "agent" -d 'Runs on the etcd hosts inside stockade\'s helper containers'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "man" -d 'Print the manual page (roff; `stockade man | man -l -`)'
complete -c stockade -n "__fish_stockade_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l known-hosts -d 'known_hosts file to verify host keys against' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand up" -l ssh-timeout -d 'Seconds to wait for an SSH connection and login' -r
complete -c stockade -n "__fish_stockade_using_subcommand up" -l command-timeout -d 'Seconds any single remote command or Docker API call may take' -r
complete -c stockade -n "__fish_stockade_using_subcommand up" -l image-timeout -d 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)' -r
complete -c stockade -n "__fish_stockade_using_subcommand up" -l concurrency -d 'How many hosts to work on at once' -r
complete -c stockade -n "__fish_stockade_using_subcommand up" -l image-archive -d 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand up" -l output -d 'Output format: text, or JSON events one per line on stdout, the outcome last' -r -f -a "text\t'progress for people on stderr, the command\'s result on stdout'
json\t'one JSON event per line on stdout: phases, host steps and errors, warnings, the command\'s result (a plan, a report) as one event, and last the outcome (README: "JSON events")'"
complete -c stockade -n "__fish_stockade_using_subcommand up" -l cert-dir -d 'The certificate directory for --custom-certs (default: <cluster.yml\'s name>_certs next to it)' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand up" -l etcd-health-timeout -d 'Seconds etcd members get to report healthy' -r
complete -c stockade -n "__fish_stockade_using_subcommand up" -l health-timeout -d 'Seconds each Kubernetes component gets to answer /healthz' -r
complete -c stockade -n "__fish_stockade_using_subcommand up" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand up" -l ssh-agent-auth -d 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l ssh-accept-new -d 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l ignore-docker-version -d 'Do not warn about Docker versions outside the tested range'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l dry-run -d 'Print what `up` would change on each host, change nothing'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l offline -d 'With --dry-run: the plan from cluster.yml and the state file alone, for review; no host is contacted (so it shows every container, file and image, not only what would change)'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l timings -d 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l custom-certs -d 'Use the certificates in --cert-dir (signed by your own CA; RKE1\'s file names, see `cert generate-csr`) instead of issuing any; every missing or wrong file is named before any host is contacted'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l no-snapshot -d 'Upgrade (a kubernetes_version or etcd image change) without taking an etcd snapshot first'
complete -c stockade -n "__fish_stockade_using_subcommand up" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand up" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand up" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand up" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l known-hosts -d 'known_hosts file to verify host keys against' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l ssh-timeout -d 'Seconds to wait for an SSH connection and login' -r
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l command-timeout -d 'Seconds any single remote command or Docker API call may take' -r
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l image-timeout -d 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)' -r
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l concurrency -d 'How many hosts to work on at once' -r
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l image-archive -d 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l output -d 'Output format: text, or JSON events one per line on stdout, the outcome last' -r -f -a "text\t'progress for people on stderr, the command\'s result on stdout'
json\t'one JSON event per line on stdout: phases, host steps and errors, warnings, the command\'s result (a plan, a report) as one event, and last the outcome (README: "JSON events")'"
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l ssh-agent-auth -d 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l ssh-accept-new -d 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l ignore-docker-version -d 'Do not warn about Docker versions outside the tested range'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l force -d 'Do not ask for confirmation'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l timings -d 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c stockade -n "__fish_stockade_using_subcommand validate" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand validate" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand validate" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand validate" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand validate" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand validate" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -f -a "check-expiration" -d 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -f -a "rotate" -d 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -f -a "generate-csr" -d 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and not __fish_seen_subcommand_from check-expiration rotate generate-csr help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l output -d 'Format of the report: text, or JSON events one per line (the report is one `report` event)' -r -f -a "text\t'progress for people on stderr, the command\'s result on stdout'
json\t'one JSON event per line on stdout: phases, host steps and errors, warnings, the command\'s result (a plan, a report) as one event, and last the outcome (README: "JSON events")'"
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l warn-days -d 'Days: a certificate that expires within this many days is reported (exit 2)' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l known-hosts -d 'known_hosts file to verify host keys against' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l ssh-timeout -d 'Seconds to wait for an SSH connection and login' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l command-timeout -d 'Seconds any single remote command or Docker API call may take' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l image-timeout -d 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l concurrency -d 'How many hosts to work on at once' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l image-archive -d 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l live -d 'Also read what every host serves (kube-apiserver :6443, etcd :2379, kubelet :10250, over SSH) and the certificate files under its ssl directory, next to the state\'s'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l ssh-agent-auth -d 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l ssh-accept-new -d 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l ignore-docker-version -d 'Do not warn about Docker versions outside the tested range'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from check-expiration" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l output -d 'Output format: text, or JSON events one per line on stdout, the outcome last' -r -f -a "text\t'progress for people on stderr, the command\'s result on stdout'
json\t'one JSON event per line on stdout: phases, host steps and errors, warnings, the command\'s result (a plan, a report) as one event, and last the outcome (README: "JSON events")'"
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l service -d 'Rotate only this service\'s certificates (repeatable)' -r -f -a "kube-apiserver\t''
kube-controller-manager\t''
kube-scheduler\t''
kubelet\t''
kube-proxy\t''
etcd\t''"
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l known-hosts -d 'known_hosts file to verify host keys against' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l ssh-timeout -d 'Seconds to wait for an SSH connection and login' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l command-timeout -d 'Seconds any single remote command or Docker API call may take' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l image-timeout -d 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l concurrency -d 'How many hosts to work on at once' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l image-archive -d 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l etcd-health-timeout -d 'Seconds etcd members get to report healthy' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l health-timeout -d 'Seconds each Kubernetes component gets to answer /healthz' -r
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l timings -d 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l rotate-ca -d 'New CAs, and new certificates for everything under them (every component restarts)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l ssh-agent-auth -d 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l ssh-accept-new -d 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l ignore-docker-version -d 'Do not warn about Docker versions outside the tested range'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from generate-csr" -l cert-dir -d 'Where to write `<name>-csr.pem` and `<name>-key.pem` (default: <cluster.yml\'s name>_certs next to it)' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from generate-csr" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from generate-csr" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from generate-csr" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from generate-csr" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from generate-csr" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from generate-csr" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "check-expiration" -d 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "generate-csr" -d 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused'
complete -c stockade -n "__fish_stockade_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand version" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand version" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand version" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand version" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand version" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand version" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand config" -l version -d 'Kubernetes version for --system-images, and the kubernetes_version the wizard offers and --empty writes (default: the default version)' -r
complete -c stockade -n "__fish_stockade_using_subcommand config" -s n -l name -d 'The file to write' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand config" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand config" -s s -l system-images -d 'Print the default system_images for a Kubernetes version'
complete -c stockade -n "__fish_stockade_using_subcommand config" -s l -l list-version -d 'List the Kubernetes versions stockade has default images for (every RKE1 release from 1.20 on, then the upstream minors)'
complete -c stockade -n "__fish_stockade_using_subcommand config" -s e -l empty -d 'Write a minimal valid cluster.yml (one host to replace) without asking anything'
complete -c stockade -n "__fish_stockade_using_subcommand config" -s p -l print -d 'Print the file to stdout instead of writing it (the questions go to stderr)'
complete -c stockade -n "__fish_stockade_using_subcommand config" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand config" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand config" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand config" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand config" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -f -a "snapshot-save" -d 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -f -a "snapshot-restore" -d 'Restore every etcd member from a snapshot, then bring the cluster back with `up`'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -f -a "snapshot" -d 'List, delete and prune snapshots on the etcd hosts'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and not __fish_seen_subcommand_from snapshot-save snapshot-restore snapshot help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l known-hosts -d 'known_hosts file to verify host keys against' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l ssh-timeout -d 'Seconds to wait for an SSH connection and login' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l command-timeout -d 'Seconds any single remote command or Docker API call may take' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l image-timeout -d 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l concurrency -d 'How many hosts to work on at once' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l image-archive -d 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l s3-endpoint -d 'S3 endpoint (host[:port] or URL); default AWS' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l s3-endpoint-ca -d 'PEM file of the CA that signed the endpoint\'s certificate' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l access-key -d 'S3 access key' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l secret-key -d 'S3 secret key (prefer the environment: command lines are visible to other users)' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l bucket-name -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l region -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l folder -d 'Key prefix in the bucket' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l name -d 'Snapshot name (default rke_etcd_snapshot_<time>); `.zip` is optional' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l output -d 'Output format: text, or JSON events one per line on stdout, the outcome last' -r -f -a "text\t'progress for people on stderr, the command\'s result on stdout'
json\t'one JSON event per line on stdout: phases, host steps and errors, warnings, the command\'s result (a plan, a report) as one event, and last the outcome (README: "JSON events")'"
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l encrypt-recipient -d 'Encrypt to this age public key (age1…, from `age-keygen`); repeatable; implies --encrypt' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l passphrase-file -d 'File holding the encryption passphrase (first line); implies --encrypt' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l copy-port -d 'TCP port the etcd hosts copy the snapshot to each other on, host to host, mutual TLS with the cluster\'s etcd certificates; 0: copy through this machine\'s SSH connections instead (also what happens when the port cannot be reached)' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l ssh-agent-auth -d 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l ssh-accept-new -d 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l ignore-docker-version -d 'Do not warn about Docker versions outside the tested range'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l s3 -d 'Also upload to (save) or fetch from (restore) S3'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l timings -d 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l encrypt -d 'Encrypt the snapshot with age on the etcd hosts, with the passphrase in STOCKADE_SNAPSHOT_PASSPHRASE or --passphrase-file (or use --encrypt-recipient)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-save" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l known-hosts -d 'known_hosts file to verify host keys against' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l ssh-timeout -d 'Seconds to wait for an SSH connection and login' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l command-timeout -d 'Seconds any single remote command or Docker API call may take' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l image-timeout -d 'Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l concurrency -d 'How many hosts to work on at once' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l image-archive -d 'Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l s3-endpoint -d 'S3 endpoint (host[:port] or URL); default AWS' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l s3-endpoint-ca -d 'PEM file of the CA that signed the endpoint\'s certificate' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l access-key -d 'S3 access key' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l secret-key -d 'S3 secret key (prefer the environment: command lines are visible to other users)' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l bucket-name -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l region -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l folder -d 'Key prefix in the bucket' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l name -d 'Snapshot to restore, with or without `.zip` (as `stockade etcd snapshot ls` lists it)' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l output -d 'Output format: text, or JSON events one per line on stdout, the outcome last' -r -f -a "text\t'progress for people on stderr, the command\'s result on stdout'
json\t'one JSON event per line on stdout: phases, host steps and errors, warnings, the command\'s result (a plan, a report) as one event, and last the outcome (README: "JSON events")'"
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l decrypt-identity -d 'age identity file (`age-keygen` output) to decrypt an encrypted snapshot' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l passphrase-file -d 'File holding the passphrase of an encrypted snapshot (or set STOCKADE_SNAPSHOT_PASSPHRASE)' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l etcd-health-timeout -d 'Seconds etcd members get to report healthy' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l health-timeout -d 'Seconds each Kubernetes component gets to answer /healthz' -r
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l ssh-agent-auth -d 'Use ssh-agent (SSH_AUTH_SOCK) for every host'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l ssh-accept-new -d 'Accept and record host keys not yet in known_hosts (a changed key is always refused)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l ignore-docker-version -d 'Do not warn about Docker versions outside the tested range'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l s3 -d 'Also upload to (save) or fetch from (restore) S3'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l use-local-state -d 'Keep the local state file instead of the one stored in the snapshot'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l copy-missing -d 'Copy the snapshot to the etcd hosts that lack it (and S3 cannot supply it) from a copy on another etcd host that verifies against its manifest — a recurring snapshot is on one host only. Without it, such a restore is refused before anything stops'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l timings -d 'At the end, print where the time went: per phase and per host, slowest first (stderr; a `timings` event with --output json)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot-restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -f -a "ls" -d 'Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -f -a "delete" -d 'Delete a snapshot from every etcd host'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -f -a "prune" -d 'Keep only the newest K snapshots on every etcd host'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from snapshot" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from help" -f -a "snapshot-save" -d 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from help" -f -a "snapshot-restore" -d 'Restore every etcd member from a snapshot, then bring the cluster back with `up`'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from help" -f -a "snapshot" -d 'List, delete and prune snapshots on the etcd hosts'
complete -c stockade -n "__fish_stockade_using_subcommand etcd; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -f -a "get-kubeconfig" -d 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)'
complete -c stockade -n "__fish_stockade_using_subcommand util; and not __fish_seen_subcommand_from get-kubeconfig help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from get-kubeconfig" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from get-kubeconfig" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from get-kubeconfig" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from get-kubeconfig" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from get-kubeconfig" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from get-kubeconfig" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from help" -f -a "get-kubeconfig" -d 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)'
complete -c stockade -n "__fish_stockade_using_subcommand util; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -f -a "run" -d 'Run one job (JSON) and print its result line'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and not __fish_seen_subcommand_from run help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from run" -l job -d 'Job file (default: read the job from stdin)' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from run" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from run" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from run" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from run" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run one job (JSON) and print its result line'
complete -c stockade -n "__fish_stockade_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand completions" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand completions" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand completions" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand completions" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand completions" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand completions" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand man" -l config -d 'Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]' -r -F
complete -c stockade -n "__fish_stockade_using_subcommand man" -s d -l debug -d 'Debug logging (secrets are never logged)'
complete -c stockade -n "__fish_stockade_using_subcommand man" -s q -l quiet -d 'Only warnings and errors'
complete -c stockade -n "__fish_stockade_using_subcommand man" -l strict -d 'Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys'
complete -c stockade -n "__fish_stockade_using_subcommand man" -s y -l yes -d 'Never ask: for pipelines. A question stockade would ask (an SSH key\'s passphrase, remove\'s confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it; remove\'s confirmation counts as given'
complete -c stockade -n "__fish_stockade_using_subcommand man" -s h -l help -d 'Print help'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "up" -d 'Bring the cluster to what cluster.yml describes'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "remove" -d 'Remove the cluster\'s containers and data from every host'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "validate" -d 'Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "cert" -d 'Certificates of the cluster'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "version" -d 'Print stockade\'s version and the default Kubernetes version'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "config" -d 'Write a commented cluster.yml by asking questions (like `rke config`; --empty, --print), or print the default system images per Kubernetes version'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "etcd" -d 'etcd snapshots: save, restore, list, delete, prune'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "util" -d 'Utilities'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "agent" -d 'Runs on the etcd hosts inside stockade\'s helper containers'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "man" -d 'Print the manual page (roff; `stockade man | man -l -`)'
complete -c stockade -n "__fish_stockade_using_subcommand help; and not __fish_seen_subcommand_from up remove validate cert version config etcd util agent completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "check-expiration" -d 'When each certificate in the state file expires (no host is contacted, unless --live). Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "rotate" -d 'New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs and everything under them), then exactly the containers that read them restart, as `up` does (etcd one member at a time; with --rotate-ca all at once). The service-account token key is kept. Works with expired certificates; an interrupted rotation is finished by running the same command again'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "generate-csr" -d 'A certificate signing request and key for every certificate the cluster needs, for your own CA to sign (then `up --custom-certs`); keys the state already holds are reused'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from etcd" -f -a "snapshot-save" -d 'Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from etcd" -f -a "snapshot-restore" -d 'Restore every etcd member from a snapshot, then bring the cluster back with `up`'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from etcd" -f -a "snapshot" -d 'List, delete and prune snapshots on the etcd hosts'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from util" -f -a "get-kubeconfig" -d 'Rebuild the kubeconfig from the state file (the previous one is kept as .bak)'
complete -c stockade -n "__fish_stockade_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "run" -d 'Run one job (JSON) and print its result line'

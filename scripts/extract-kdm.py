#!/usr/bin/env python3
"""Extracts stockade's Kubernetes version table (src/versions/kdm.json) from RKE1's metadata.

RKE1 read its defaults from rancher/kontainer-driver-metadata (KDM): per Kubernetes version the
system images, per version range the default service flags, per minor the Docker versions, and
RKE's default version. stockade embeds the part of it for Kubernetes 1.20 and later. This script
is the only way that table is made; the generated file is committed, so building and testing
stockade never needs the inputs below.

Inputs (python3 standard library only):
  --data-json FILE    KDM's data/data.json (JSON: K8sVersionRKESystemImages, K8sVersionServiceOptions,
                      K8sVersionDockerInfo, RKEDefaultK8sVersions). Repeatable; later files win.
  --go-source DIR     KDM's pkg/rke directory (k8s_rke_system_images.go, k8s_service_options.go,
                      k8s_docker_info.go, k8s_version_info.go) of a commit whose data.json is not
                      readable (KDM generates data.json from exactly these files). Repeatable; it
                      wins over every --data-json.
  --rke-types FILE    rancher/rke types/rke_types.go: the RKESystemImages struct maps KDM's Go field
                      and JSON names to cluster.yml's system_images keys.
  --kdm-132 FILE      Kubernetes 1.32 metadata (RKE1's last minor), same shape as stockade's table
                      keys: system_images, service_options, docker_versions, rke_default_k8s_versions.
                      Wins over everything for the versions it holds.
  --out FILE          where to write (src/versions/kdm.json)

How the committed table was made (see README "Kubernetes versions"). The newest data.json the
KDM snapshot holds is 3dcd42bf (2023-01-27, Kubernetes up to 1.24); data.json of later commits is
too large for the snapshot, so later commits are read from the Go sources data.json is generated
from, and every service-option key data.json also holds must agree. The Go sources, oldest first:
rancher/kontainer-driver-metadata dev-v2.10 at 8f9a33aa (2024-10-21, up to v1.31.1); the merge of
PR #1614 into dev-v2.10, 0f48c6fe (2025-02-27, adds up to v1.29.14); the merge of PR #1615 into
dev-v2.11, 0d00bf5e (2025-03-03, up to v1.31.6 and v1.32.2). The last two are read from the fork
vardhaman22/rancher-kontainer-driver-metadata, whose history holds those upstream merges. A version
a newer commit dropped (v1.31.1-rancher1-1, RKE v1.7's default) is kept: RKE1 shipped it.
  KDM=<a clone of rancher/kontainer-driver-metadata>; FORK=<a clone of the fork above>
  git -C $KDM show 3dcd42bf556a2a8309246bfe155a0304141d7ec7:data/data.json > /tmp/data-3dcd42bf.json
  get() { mkdir -p /tmp/kdm-$2/pkg/rke; for f in k8s_rke_system_images k8s_service_options k8s_docker_info k8s_version_info; do
    git -C $1 show $2:pkg/rke/$f.go > /tmp/kdm-$2/pkg/rke/$f.go; done; }
  get $KDM 8f9a33aaa01d7129157f0313bad03ebd4d38cd9a
  get $FORK 0f48c6fec8b20483058a01c3ffadf89a3b772167
  get $FORK 0d00bf5e6205a84badba72cc5be224fe4d114292
  git -C <rancher/rke clone> show 40c5dd465677305662bc0471bfb9cf6ccf966782:types/rke_types.go > /tmp/rke_types.go
  python3 scripts/extract-kdm.py --data-json /tmp/data-3dcd42bf.json \
      --go-source /tmp/kdm-8f9a33aaa01d7129157f0313bad03ebd4d38cd9a/pkg/rke --go-label 8f9a33aa \
      --go-source /tmp/kdm-0f48c6fec8b20483058a01c3ffadf89a3b772167/pkg/rke --go-label 0f48c6fe \
      --go-source /tmp/kdm-0d00bf5e6205a84badba72cc5be224fe4d114292/pkg/rke --go-label 0d00bf5e \
      --rke-types /tmp/rke_types.go --kdm-132 kdm-1.32.json --out src/versions/kdm.json
"""
import argparse
import json
import os
import re
import sys

MIN_MINOR = (1, 20)
# stockade's names of RKE's services, keyed by KDM's JSON names and Go field names
SERVICES = {
    "etcd": "etcd", "Etcd": "etcd",
    "kubeapi": "kube-api", "KubeAPI": "kube-api",
    "kubelet": "kubelet", "Kubelet": "kubelet",
    "kubeController": "kube-controller", "KubeController": "kube-controller",
    "kubeproxy": "kubeproxy", "Kubeproxy": "kubeproxy",
    "scheduler": "scheduler", "Scheduler": "scheduler",
}
# images of Cisco ACI, a network plugin stockade does not deploy
SKIPPED_IMAGE_PREFIX = "aci_"
EXTENDED_LIFE_NAMESPACE = "rke-extended-life/"

VERSION_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-rancher(\d+)-(\d+))?$")


def version_key(v):
    m = VERSION_RE.match(v)
    if not m:
        raise SystemExit(f"unexpected version key {v!r}")
    return tuple(int(x or 0) for x in m.groups())


def minor_of(v):
    m = re.match(r"^v(\d+)\.(\d+)", v)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def wanted(v):
    return minor_of(v) >= MIN_MINOR


# ---- rancher/rke types: Go field / JSON name -> yaml key ----------------------------------

def image_key_maps(rke_types_path):
    text = open(rke_types_path, encoding="utf-8").read()
    body = re.search(r"type RKESystemImages struct \{(.*?)\n\}", text, re.S)
    if not body:
        raise SystemExit(f"{rke_types_path}: no RKESystemImages struct")
    by_field, by_json = {}, {}
    for field, tags in re.findall(r"^\s*(\w+)\s+string\s+`([^`]*)`", body.group(1), re.M):
        yaml_key = re.search(r'yaml:"([^",]+)', tags).group(1)
        json_key = re.search(r'json:"([^",]+)', tags).group(1)
        by_field[field] = yaml_key
        by_json[json_key] = yaml_key
    if "kubernetes" not in by_json.values():
        raise SystemExit(f"{rke_types_path}: RKESystemImages has no kubernetes image")
    return by_field, by_json


# ---- data.json ------------------------------------------------------------------------------

def from_data_json(path, by_json):
    d = json.load(open(path, encoding="utf-8"))
    images = {}
    for v, imgs in d["K8sVersionRKESystemImages"].items():
        if not wanted(v):
            continue
        out = {}
        for k, img in imgs.items():
            if k not in by_json:
                raise SystemExit(f"{path}: {v}: image key {k!r} is not in RKESystemImages")
            out[by_json[k]] = img
        images[v] = out
    options = {}
    for key, svcs in d["K8sVersionServiceOptions"].items():
        if not wanted(key):
            continue
        options[key] = {SERVICES[s]: dict(flags) for s, flags in svcs.items() if s in SERVICES and flags is not None}
    docker = {k: list(v) for k, v in d["K8sVersionDockerInfo"].items() if wanted("v" + k)}
    return images, options, docker, d["RKEDefaultK8sVersions"]["default"]


# ---- Go sources -----------------------------------------------------------------------------

GO_STRING = r'"((?:[^"\\]|\\.)*)"'


def go_function_bodies(text):
    """name -> body of every top-level `func name() ... {` (bodies end at a line `}`)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^func (\w+)\(\)[^{\n]*\{\n(.*?)^\}", text, re.M | re.S)}


def go_consts(text):
    consts = {}
    for block in re.findall(r"^const \((.*?)^\)", text, re.M | re.S):
        for name, value in re.findall(r"^\s*(\w+)\s*=\s*" + GO_STRING, block, re.M):
            consts[name] = value
    return consts


def go_images(path, by_field):
    text = open(path, encoding="utf-8").read()
    body = go_function_bodies(text)["loadK8sRKESystemImages"]
    images = {}
    for v, entry in re.findall(r'^\t\t"(v[^"]+)":\s*\{\n(.*?)^\t\t\},?$', body, re.M | re.S):
        if not wanted(v):
            continue
        out = {}
        for field, img in re.findall(r"^\s*(\w+):\s*(?:m\()?" + GO_STRING + r"\)?,", entry, re.M):
            if field not in by_field:
                raise SystemExit(f"{path}: {v}: field {field} is not in RKESystemImages")
            out[by_field[field]] = img
        if "kubernetes" not in out:
            raise SystemExit(f"{path}: {v}: no Kubernetes image parsed")
        images[v] = out
    return images


class GoOptions:
    """Evaluates KDM's service-option helpers: each builds a map[string]string from a literal,
    from another helper, and by assignments (`x["k"] = v`, fmt.Sprintf("%s,%s", x["k"], "more"))
    and deletions. Anything else in a helper is an error, so a new construct cannot pass silently."""

    def __init__(self, text):
        self.funcs = go_function_bodies(text)
        self.consts = go_consts(text)
        self.cache = {}

    def value(self, expr, env):
        expr = expr.strip()
        m = re.fullmatch(GO_STRING, expr)
        if m:
            return m.group(1)
        if expr in self.consts:
            return self.consts[expr]
        m = re.fullmatch(r"(\w+)\[" + GO_STRING + r"\]", expr)
        if m:
            return env[m.group(1)][m.group(2)]
        arg = r'("(?:[^"\\]|\\.)*"|\w+(?:\["[^"]*"\])?)'
        m = re.fullmatch(r'fmt\.Sprintf\("%s,%s",\s*' + arg + r",\s*" + arg + r"\)", expr)
        if m:
            return self.value(m.group(1), env) + "," + self.value(m.group(2), env)
        raise SystemExit(f"cannot evaluate Go expression {expr!r}")

    def literal(self, body, env):
        out = {}
        for k, v in re.findall(r"^\s*" + GO_STRING + r":\s*(.+?),\s*(?://.*)?$", body, re.M):
            out[k] = self.value(v, env)
        return out

    def call(self, name):
        if name in self.cache:
            return dict(self.cache[name])
        body = self.funcs.get(name)
        if body is None:
            raise SystemExit(f"no Go function {name}")
        env = {}
        result = None
        lines = iter(body.splitlines())
        for line in lines:
            s = line.strip()
            if not s or s.startswith("//"):
                continue
            m = re.fullmatch(r"(?:return|(\w+)\s*:=)\s*map\[string\]string\{", s)
            if m:
                block = []
                for inner in lines:
                    if inner.strip() == "}":
                        break
                    block.append(inner)
                literal = self.literal("\n".join(block), env)
                if m.group(1) is None:
                    result = literal
                    break
                env[m.group(1)] = literal
                continue
            m = re.fullmatch(r"(\w+)\s*:=\s*(\w+)\(\)", s)
            if m:
                env[m.group(1)] = self.call(m.group(2))
                continue
            m = re.fullmatch(r"(\w+)\[" + GO_STRING + r"\]\s*=\s*(.+)", s)
            if m:
                env[m.group(1)][m.group(2)] = self.value(m.group(3), env)
                continue
            m = re.fullmatch(r"delete\((\w+),\s*" + GO_STRING + r"\)", s)
            if m:
                env[m.group(1)].pop(m.group(2), None)
                continue
            m = re.fullmatch(r"return (\w+)", s)
            if m:
                result = env[m.group(1)]
                break
            raise SystemExit(f"{name}: cannot evaluate Go statement {s!r}")
        if result is None:
            raise SystemExit(f"{name}: no map returned")
        self.cache[name] = result
        return dict(result)


def go_service_options(path):
    text = open(path, encoding="utf-8").read()
    ev = GoOptions(text)
    body = ev.funcs["loadK8sVersionServiceOptions"]
    options = {}
    for key, entry in re.findall(r'^\t\t"(v[^"]+)":\s*\{\n(.*?)^\t\t\},?$', body, re.M | re.S):
        if not wanted(key):
            continue
        svcs = {}
        for field, fn in re.findall(r"^\s*(\w+):\s*(\w+)\(\),", entry, re.M):
            svcs[SERVICES[field]] = ev.call(fn)
        options[key] = svcs
    return options


def go_docker(path):
    text = open(path, encoding="utf-8").read()
    out = {}
    for minor, versions in re.findall(r'^\s*"(\d+\.\d+)":\s*\{([^}]*)\},', text, re.M):
        if wanted("v" + minor):
            out[minor] = re.findall(GO_STRING, versions)
    return out


def go_default(path):
    body = go_function_bodies(open(path, encoding="utf-8").read())["loadRKEDefaultK8sVersions"]
    return re.search(r'"default":\s*' + GO_STRING, body).group(1)


# ---- output ---------------------------------------------------------------------------------

def dedupe(items):
    """(list of distinct values, index of each item's value) — identical maps are stored once."""
    pool, index, refs = [], {}, []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in index:
            index[key] = len(pool)
            pool.append(item)
        refs.append(index[key])
    return pool, refs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-json", action="append", default=[])
    ap.add_argument("--go-source", action="append", default=[])
    ap.add_argument("--go-label", action="append", default=[], help="names the matching --go-source in the table's inputs (a commit)")
    ap.add_argument("--rke-types", required=True)
    ap.add_argument("--kdm-132", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    by_field, by_json = image_key_maps(a.rke_types)
    images, options, docker, default, sources = {}, {}, {}, None, []
    from_json = {}
    for path in a.data_json:
        i, o, d, dflt = from_data_json(path, by_json)
        from_json.update(o)
        changed = sorted(v for v in i if v in images and images[v] != i[v])
        images.update(i), options.update(o), docker.update(d)
        default = dflt
        sources.append(f"data.json {os.path.basename(path)}: {len(i)} versions, {len(o)} service-option keys")
        if changed:
            print(f"{path}: newer values for {len(changed)} versions", file=sys.stderr)
    for n, d in enumerate(a.go_source):
        i = go_images(f"{d}/k8s_rke_system_images.go", by_field)
        # values change in place between KDM commits: report how many the newer source changes
        changed = sorted(v for v in i if v in images and images[v] != i[v])
        dropped = sorted(v for v in images if v not in i)
        images.update(i)
        go_options = go_service_options(f"{d}/k8s_service_options.go")
        # the evaluator is checked against KDM's own generated data wherever both hold a key
        # (between Go sources of different commits a difference is a real change: newer wins)
        disagree = sorted(k for k in go_options if k in from_json and go_options[k] != from_json[k])
        if disagree:
            raise SystemExit(f"{d}: evaluated service options differ from data.json for {', '.join(disagree)}")
        options.update(go_options)
        docker.update(go_docker(f"{d}/k8s_docker_info.go"))
        default = go_default(f"{d}/k8s_version_info.go")
        sources.append(f"Go source {a.go_label[n] if n < len(a.go_label) else 'pkg/rke'}: {len(i)} versions ({len(changed)} with newer values, {len(dropped)} only in older inputs)")
        if dropped:
            print(f"{d}: versions only in older inputs (kept): {', '.join(dropped)}", file=sys.stderr)

    k132 = json.load(open(a.kdm_132, encoding="utf-8"))
    images.update({v: dict(i) for v, i in k132["system_images"].items() if wanted(v)})
    options.update({k: {s: dict(f) for s, f in o.items()} for k, o in k132["service_options"].items() if wanted(k)})
    docker.update({k: list(v) for k, v in k132["docker_versions"].items() if wanted("v" + k)})
    default = k132["rke_default_k8s_versions"]["default"]
    sources.append(f"Kubernetes 1.32 metadata {os.path.basename(a.kdm_132)}: {len(k132['system_images'])} versions")

    for v in images:
        images[v] = {k: img for k, img in sorted(images[v].items()) if not k.startswith(SKIPPED_IMAGE_PREFIX) and img}
    if default not in images:
        raise SystemExit(f"default {default} has no system images")
    versions = sorted(images, key=version_key)
    for v in versions:
        minor = "v%d.%d" % minor_of(v)
        if v not in options and minor not in options:
            raise SystemExit(f"{v}: no service options for the version or its minor {minor}")

    image_pool = sorted({img for i in images.values() for img in i.values()})
    position = {img: n for n, img in enumerate(image_pool)}
    image_keys = sorted({k for i in images.values() for k in i})
    option_keys = sorted(options, key=lambda k: (minor_of(k), k))
    option_sets, option_refs = dedupe([options[k] for k in option_keys])
    table = {
        "generated_by": "scripts/extract-kdm.py",
        "inputs": sources,
        "default": default,
        "extended_life_namespace": EXTENDED_LIFE_NAMESPACE,
        # every image string once; a version lists, for each of image_keys in order, the
        # position of its image in `images`, or null where the version has none
        "image_keys": image_keys,
        "images": image_pool,
        "versions": {v: [position[images[v][k]] if k in images[v] else None for k in image_keys] for v in versions},
        # RKE looks a version up here first, then its minor (vX.Y)
        "service_options": dict(zip(option_keys, option_refs)),
        "service_option_sets": option_sets,
        "docker_versions": {k: docker[k] for k in sorted(docker, key=lambda k: tuple(map(int, k.split("."))))},
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(table, f, indent=None, separators=(",", ":"), sort_keys=False)
        f.write("\n")
    minors = sorted({minor_of(v) for v in versions})
    print(f"{a.out}: {len(versions)} versions ({versions[0]} .. {versions[-1]}), minors "
          f"{', '.join('%d.%d' % m for m in minors)}, {len(image_pool)} distinct images, "
          f"{len(option_keys)} service-option keys in {len(option_sets)} distinct sets, default {default}")


if __name__ == "__main__":
    main()

# STAND-IN FOR TESTS ONLY — this is not Kubernetes. The part of kube-apiserver's HTTPS API that
# stockade and the stand-in kubelet use, answering as the real one does (status codes, Status
# bodies), with its objects stored in the cluster's REAL etcd (through etcd's v3 JSON gateway, with
# the apiserver's --etcd-* client certificate), so every controlplane host serves the same objects:
#   GET  /healthz /readyz /livez                       "ok"
#   PATCH <object path> (server-side apply)             create or merge, 201/200, the object
#   GET  <object path> / <collection path>              the object (404 Status) / a List
#   POST <collection path>                              create, 201; 409 AlreadyExists
# Authentication: client certificates from --client-ca-file only (CN = user, O = groups).
# Authorization (what matters to stockade): group system:masters may do anything; the shared
# kubelet certificate (user system:node, group system:nodes) may create/read nodes only once the
# ClusterRoleBinding system:node binds group system:nodes, as RBAC decides for the real one; any
# other request is 403 with the real message shape.
import base64, json, ssl, sys, threading, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def flag(name, default=None):
    for a in sys.argv[1:]:
        if a.startswith("--" + name + "="):
            return a.split("=", 1)[1]
    return default

def log(msg):
    print("standin kube-apiserver: " + msg, file=sys.stderr, flush=True)

PREFIX = "/registry-standin"
ETCD = [e.strip() for e in flag("etcd-servers", "").split(",") if e.strip()]
etcd_ctx = ssl.create_default_context(cafile=flag("etcd-cafile"))
etcd_ctx.load_cert_chain(flag("etcd-certfile"), flag("etcd-keyfile"))
etcd_ctx.check_hostname = False
# etcd is dialled directly: a HTTPS_PROXY in the container's env (extra_env) is for other traffic
etcd_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=etcd_ctx))
lock = threading.Lock()

def b64(s):
    return base64.b64encode(s.encode()).decode()

def etcd(call, body):
    last = None
    for ep in ETCD:
        try:
            req = urllib.request.Request(ep + "/v3/kv/" + call, data=json.dumps(body).encode(), method="POST")
            with etcd_opener.open(req, timeout=5) as r:
                return json.loads(r.read() or b"{}")
        except Exception as e:  # next member
            last = e
    raise RuntimeError("etcd: %s" % last)

def get(key):
    kvs = etcd("range", {"key": b64(PREFIX + key)}).get("kvs", [])
    return json.loads(base64.b64decode(kvs[0]["value"])) if kvs else None

def put(key, obj):
    etcd("put", {"key": b64(PREFIX + key), "value": b64(json.dumps(obj))})

def list_prefix(key):
    start = PREFIX + key + "/"
    end = start[:-1] + chr(ord("/") + 1)
    kvs = etcd("range", {"key": b64(start), "range_end": b64(end)}).get("kvs", [])
    return [json.loads(base64.b64decode(kv["value"])) for kv in kvs]

def merge(old, new):
    """Server-side apply, simplified: maps merge key by key, everything else is replaced."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for k, v in new.items():
            if v is None:  # a merge patch's null removes the key
                out.pop(k, None)
            else:
                out[k] = merge(old.get(k), v)
        return out
    return new

def status(code, reason, message):
    return code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": message, "reason": reason, "code": code}

def resource_of(path):
    """('nodes', 'h1') for /api/v1/nodes/h1; name None for a collection."""
    parts = [p for p in path.split("/") if p]
    parts = parts[2:] if parts[0] == "api" else parts[3:]
    if len(parts) >= 2 and parts[0] == "namespaces" and len(parts) > 2:
        parts = parts[2:]
    return (parts[0] if parts else ""), (parts[1] if len(parts) > 1 else None)

def allowed(user, groups, verb, resource):
    if "system:masters" in groups:
        return True
    if resource == "nodes" and "system:nodes" in groups:
        b = get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node")
        subjects = (b or {}).get("subjects") or []
        return any(s.get("kind") == "Group" and s.get("name") == "system:nodes" for s in subjects)
    return False

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def identity(self):
        cert = self.connection.getpeercert() or {}
        names = [v for rdn in cert.get("subject", ()) for (k, v) in rdn if k == "commonName"]
        groups = [v for rdn in cert.get("subject", ()) for (k, v) in rdn if k == "organizationName"]
        return (names[0] if names else "system:anonymous"), groups

    def answer(self, code, body):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_api(self, verb):
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/healthz", "/readyz", "/livez"):
            return 200, "ok"
        body = None
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            body = json.loads(self.rfile.read(n))
        if not (path.startswith("/api/") or path.startswith("/apis/")):
            return status(404, "NotFound", "the server could not find the requested resource")
        user, groups = self.identity()
        resource, name = resource_of(path)
        kverb = {"GET": "get" if name else "list", "POST": "create", "PATCH": "patch"}[verb]
        if not allowed(user, groups, kverb, resource):
            return status(403, "Forbidden", '%s "%s" is forbidden: User "%s" cannot %s resource "%s"' % (resource, name or "", user, kverb, resource))
        with lock:
            if verb == "GET" and name:
                obj = get(path)
                return (200, obj) if obj else status(404, "NotFound", '%s "%s" not found' % (resource, name))
            if verb == "GET":
                return 200, {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": list_prefix(path)}
            if verb == "POST":
                key = path + "/" + body["metadata"]["name"]
                if get(key):
                    return status(409, "AlreadyExists", '%s "%s" already exists' % (resource, body["metadata"]["name"]))
                put(key, body)
                return 201, body
            old = get(path)
            obj = merge(old or {}, body)
            put(path, obj)
            return (200 if old else 201), obj

    def serve(self, verb):
        try:
            code, body = self.handle_api(verb)
        except Exception as e:
            code, body = status(500, "InternalError", "standin: %s" % e)
        log("%s %s -> %d" % (verb, self.path, code))
        self.answer(code, body)

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def do_PATCH(self):
        self.serve("PATCH")

    def log_message(self, *args):
        pass

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(flag("tls-cert-file"), flag("tls-private-key-file"))
ctx.load_verify_locations(flag("client-ca-file"))
ctx.verify_mode = ssl.CERT_REQUIRED
server = ThreadingHTTPServer(("0.0.0.0", int(flag("secure-port", "6443"))), Handler)
server.daemon_threads = True
server.socket = ctx.wrap_socket(server.socket, server_side=True)
log("serving https://0.0.0.0:%s (healthz, server-side apply, nodes) with objects in etcd" % flag("secure-port", "6443"))
server.serve_forever()

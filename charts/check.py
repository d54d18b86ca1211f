#!/usr/bin/env python3
"""Lints, renders and validates the Breakroom Helm chart offline (`just chart`).

No helm binary and no cluster: helm-python-sdk carries Helm's Go SDK as a shared library
(lint, render, values-schema check) and kubernetes-validate the Kubernetes JSON schemas.
On first use the script installs both, pinned in charts/requirements.txt, into
.dev/chart-packages.

For the default values and every ci/*-values.yaml it
1. lints the chart (strict: warnings fail);
2. checks the values against values.schema.json;
3. renders it like `helm install` would (lookup finds nothing, so secrets are generated);
4. validates every manifest strictly (unknown fields fail) against the Kubernetes
   schemas of each version in KUBERNETES_VERSIONS, and each Tenant against the CRD;
5. checks what schemas cannot: selectors match pod labels, every Service, HPA, PDB,
   NetworkPolicy and binding points at something rendered, probes and ports agree, the
   pod security settings are in place, generated keys have the services' formats,
   notifications reaches 443 on public addresses only and SMTP only when configured;
   the web app serves HTTP with /healthz probes, finds the four services at their
   Services, seals sessions with a key from a Secret, is reachable only from the ingress
   controller, reaches only DNS and the four gRPC ports (which admit it), and its
   Ingress, when on, serves its host over TLS.
Then it checks that values.yaml comments every key, that wrong values are refused, that
the validation is strict (a broken object fails), that a new service is one values
block, and that each service's Dockerfile builds its binary and matches the chart's
user and ports.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

CHARTS = Path(__file__).resolve().parent
CHART = CHARTS / "breakroom"
ROOT = CHARTS.parent
PACKAGES = ROOT / ".dev" / "chart-packages"
REQUIREMENTS = CHARTS / "requirements.txt"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest the
# pinned kubernetes-validate bundles.
KUBERNETES_VERSIONS = ["1.30", "1.37"]
RELEASE, NAMESPACE = "breakroom", "breakroom"
# Order of P-256: a private key is a scalar in [1, N-1].
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def bootstrap() -> None:
    """Puts the pinned tools on sys.path, installing them into .dev/chart-packages first
    when needed (pip --target: needs neither a venv module nor a writable system site)."""
    stamp = PACKAGES / "requirements.txt"
    wanted = f"python {sys.version_info[0]}.{sys.version_info[1]}\n{REQUIREMENTS.read_text()}"
    if not stamp.exists() or stamp.read_text() != wanted:
        print(f"installing {', '.join(REQUIREMENTS.read_text().split())} into {PACKAGES}", flush=True)
        if PACKAGES.exists():
            shutil.rmtree(PACKAGES)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-warn-script-location", "--root-user-action=ignore", "--target", PACKAGES, "-r", REQUIREMENTS],
            check=True,
        )
        stamp.write_text(wanted)
    sys.path.insert(0, str(PACKAGES))


bootstrap()

import helm_python as helm  # noqa: E402
import jsonschema  # noqa: E402
import kubernetes_validate  # noqa: E402
import kubernetes_validate.utils as kv_utils  # noqa: E402
import yaml  # noqa: E402

# kubernetes-validate reads a version's 1.3 MB definitions file again for every object;
# remembering the parsed files takes the whole run from about 9 s to about 3 s.
_schema_cache: dict[tuple[str, str], object] = {}
_read_schema = kv_utils.schema_contents


def _cached_schema_contents(filename: str, desired_version: str):
    key = (filename, desired_version)
    if key not in _schema_cache:
        _schema_cache[key] = _read_schema(filename, desired_version)
    return _schema_cache[key]


kv_utils.schema_contents = _cached_schema_contents

failures: list[str] = []


def fail(message: str) -> None:
    failures.append(message)
    print(f"  FAIL {message}")


def step(title: str):
    """Prints a step title; the returned function prints its duration."""
    print(title, flush=True)
    start = time.monotonic()
    return lambda: print(f"  ({time.monotonic() - start:.1f} s)", flush=True)


def value_sets() -> dict[str, dict]:
    sets = {"default values": {}}
    for path in sorted((CHART / "ci").glob("*-values.yaml")):
        sets[str(path.relative_to(ROOT))] = yaml.safe_load(path.read_text()) or {}
    return sets


def lint(values: dict) -> None:
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBERNETES_VERSIONS[0]}.0")
    for message in report["messages"]:
        if message["severity"] >= 2:
            fail(f"lint: {message['path']}: {message['error']}")
    for error in report["errors"]:
        fail(f"lint: {error}")


def render(chart, values: dict) -> list[dict]:
    """The manifests of an install, NOTES.txt left out."""
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects = []
    for template, text in sorted(rendered.items()):
        if template.endswith("NOTES.txt"):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                document["__template"] = template
                objects.append(document)
    return objects


def strip(obj: dict) -> dict:
    """The object without the template name check.py keeps on it."""
    return {k: v for k, v in obj.items() if k != "__template"}


def closed(schema):
    """The CRD schema with unknown fields refused, as the API server's strict field
    validation does (kubectl's default); OpenAPI v3 here is JSON Schema enough."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def validation_errors(objects: list[dict], crds: list[dict]) -> list[str]:
    """Strict schema errors of the objects: Kubernetes kinds against each version's
    schemas, custom resources against their CRD, the CRDs themselves as Kubernetes kinds."""
    errors = []
    custom_schemas = {}
    for crd in crds:
        for version in crd["spec"]["versions"]:
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            custom_schemas[key] = closed(version["schema"]["openAPIV3Schema"])
    for obj in objects + crds:
        name = f"{obj['kind']}/{obj['metadata']['name']} ({obj.get('__template', 'crds/')})"
        custom = custom_schemas.get((obj["apiVersion"], obj["kind"]))
        if custom is not None:
            body = {k: v for k, v in strip(obj).items() if k not in ("apiVersion", "kind", "metadata")}
            for error in jsonschema.Draft7Validator(custom).iter_errors(body):
                errors.append(f"{name}: {'.'.join(map(str, error.absolute_path))}: {error.message}")
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(strip(obj), version, strict=True)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(map(str, error.absolute_path))
                errors.append(f"{name} on {version}: {path}: {error.message[:300]}")
            except kubernetes_validate.SchemaNotFoundError as error:
                errors.append(f"{name}: {error.message}")
    return errors


def subset(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_consistency(objects: list[dict], label: str) -> None:
    by_kind: dict[str, dict[str, dict]] = {}
    for obj in objects:
        names = by_kind.setdefault(obj["kind"], {})
        if obj["metadata"]["name"] in names:
            fail(f"{label}: two {obj['kind']}s named {obj['metadata']['name']}")
        names[obj["metadata"]["name"]] = obj
    ours = lambda kind: {  # noqa: E731
        n: o for n, o in by_kind.get(kind, {}).items() if o["__template"].startswith("breakroom/templates/")
    }
    deployments = ours("Deployment")
    secrets = by_kind.get("Secret", {})
    bound = {s["name"] for b in list(ours("RoleBinding").values()) + list(ours("ClusterRoleBinding").values())
             for s in b["subjects"]}
    if not deployments:
        fail(f"{label}: no Deployment rendered")

    def pods_matching(selector: dict) -> list[str]:
        return [n for n, d in deployments.items() if subset(selector, d["spec"]["template"]["metadata"]["labels"])]

    external_secrets = set()
    for name, deployment in deployments.items():
        where = f"{label}: Deployment {name}"
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        if not subset(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]):
            fail(f"{where}: selector does not match its pod labels")
        if len(pods_matching(spec["selector"]["matchLabels"])) != 1:
            fail(f"{where}: selector matches other Deployments' pods too")
        if not pod["securityContext"].get("runAsNonRoot") or pod["securityContext"].get("runAsUser", 0) == 0:
            fail(f"{where}: pod may run as root")
        if pod["serviceAccountName"] not in ours("ServiceAccount"):
            fail(f"{where}: ServiceAccount {pod['serviceAccountName']} not rendered")
        if pod["automountServiceAccountToken"] != (pod["serviceAccountName"] in bound):
            fail(f"{where}: token mounted {pod['automountServiceAccountToken']} but RBAC bound "
                 f"{pod['serviceAccountName'] in bound}")
        for container in pod["containers"]:
            sc = container.get("securityContext", {})
            if not (sc.get("runAsNonRoot") and sc.get("readOnlyRootFilesystem")
                    and sc.get("allowPrivilegeEscalation") is False
                    and sc.get("capabilities", {}).get("drop") == ["ALL"]):
                fail(f"{where}: container {container['name']} lacks the restricted security context")
            if "cpu" not in container.get("resources", {}).get("requests", {}):
                fail(f"{where}: no CPU request (the HPA needs one)")
            env = {e["name"]: e for e in container.get("env", [])}
            if len(env) != len(container.get("env", [])):
                fail(f"{where}: an environment variable is set twice")
            for variable in env.values():
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    if ref["name"] in secrets:
                        if ref["key"] not in secrets[ref["name"]].get("data", {}):
                            fail(f"{where}: {variable['name']} reads missing key {ref['key']} of {ref['name']}")
                    else:
                        external_secrets.add(f"{ref['name']}/{ref['key']}")
            ports = {p["containerPort"] for p in container.get("ports", [])}
            if "grpc" in {p["name"] for p in container.get("ports", [])}:
                grpc_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "grpc")
                if env.get("GRPC_LISTEN_ADDR", {}).get("value", "").rsplit(":", 1)[-1] != str(grpc_port):
                    fail(f"{where}: GRPC_LISTEN_ADDR does not name the gRPC port {grpc_port}")
                readiness = container.get("readinessProbe", {})
                if readiness.get("grpc", {}).get("port") != grpc_port:
                    fail(f"{where}: readiness is not a native gRPC probe on port {grpc_port}")
                liveness = container.get("livenessProbe")
                if not liveness:
                    fail(f"{where}: no liveness probe")
                elif list(liveness.get("tcpSocket", liveness.get("grpc", {})).values())[:1] != [grpc_port]:
                    fail(f"{where}: liveness does not probe port {grpc_port}")
            sleep = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            if "DATABASE_URL" in env:
                if not sleep:
                    fail(f"{where}: no preStop sleep before SIGTERM")
                if pod["terminationGracePeriodSeconds"] < sleep + 40:
                    fail(f"{where}: terminationGracePeriodSeconds below preStop + 40 s of shutdown")
            for probe in ("readinessProbe", "livenessProbe"):
                for action in ("grpc", "tcpSocket", "httpGet"):
                    port = container.get(probe, {}).get(action, {}).get("port")
                    if port is not None and port not in ports:
                        fail(f"{where}: {probe} probes undeclared port {port}")
        if name in ours("HorizontalPodAutoscaler") and "replicas" in spec:
            fail(f"{where}: sets replicas although an HPA scales it")

    for name, service in ours("Service").items():
        matches = pods_matching(service["spec"]["selector"])
        if len(matches) != 1:
            fail(f"{label}: Service {name} selects {matches}")
            continue
        container_ports = {p["name"] for c in deployments[matches[0]]["spec"]["template"]["spec"]["containers"]
                           for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in container_ports:
                fail(f"{label}: Service {name} targets unknown port {port['targetPort']}")
    services = ours("Service")
    for name, ingress in ours("Ingress").items():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                port = backend["port"].get("name", backend["port"].get("number"))
                ports = {p["name"] for p in services.get(backend["name"], {}).get("spec", {}).get("ports", [])}
                if port not in ports | {p["port"] for p in services.get(backend["name"], {}).get("spec", {}).get("ports", [])}:
                    fail(f"{label}: Ingress {name} sends {rule['host']} to missing {backend['name']}:{port}")
    for name, hpa in ours("HorizontalPodAutoscaler").items():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            fail(f"{label}: HPA {name} scales missing {target}")
        pdb = ours("PodDisruptionBudget").get(name)
        if pdb and "minAvailable" in pdb["spec"] and pdb["spec"]["minAvailable"] >= hpa["spec"]["minReplicas"]:
            fail(f"{label}: PDB {name} would block every eviction")
    for name, pdb in ours("PodDisruptionBudget").items():
        if len(pods_matching(pdb["spec"]["selector"]["matchLabels"])) != 1:
            fail(f"{label}: PDB {name} does not select one Deployment")
    for name, policy in ours("NetworkPolicy").items():
        matches = pods_matching(policy["spec"]["podSelector"]["matchLabels"])
        if len(matches) != 1:
            fail(f"{label}: NetworkPolicy {name} selects {matches}")
            continue
        container_ports = {p["containerPort"] for c in deployments[matches[0]]["spec"]["template"]["spec"]["containers"]
                           for p in c.get("ports", [])}
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                if port["port"] not in container_ports:
                    fail(f"{label}: NetworkPolicy {name} admits undeclared port {port['port']}")
            for peer in rule.get("from", []):
                if "podSelector" in peer and "namespaceSelector" not in peer and not pods_matching(
                        peer["podSelector"].get("matchLabels", {})):
                    fail(f"{label}: NetworkPolicy {name} admits pods that are not rendered")
    for kind, role_kind in (("RoleBinding", "Role"), ("ClusterRoleBinding", "ClusterRole")):
        for name, binding in ours(kind).items():
            if binding["roleRef"]["name"] not in ours(role_kind):
                fail(f"{label}: {kind} {name} refers to missing {role_kind}")
            for subject in binding["subjects"]:
                if subject["name"] not in ours("ServiceAccount"):
                    fail(f"{label}: {kind} {name} binds missing ServiceAccount {subject['name']}")
    for secret in ours("Secret").values():
        check_generated(secret, label)
    if external_secrets:
        print(f"  {label}: Secrets the cluster must provide: {', '.join(sorted(external_secrets))}")


# What notifications' HTTPS egress must exclude: the ranges the service refuses to push
# to (services/notifications/src/delivery/egress.rs).
PUSH_EXCLUDED = {
    "0.0.0.0/0": {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                  "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4"},
    "::/0": {"::ffff:0:0/96", "fc00::/7", "fe80::/10", "ff00::/8"},
}
SMTP_PORTS = {25, 465, 587}


def check_push_egress(objects: list[dict], values: dict, label: str) -> None:
    """Notifications reaches port 443 on public addresses only, and SMTP only when
    secrets.smtpUrl names a Secret."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"
                and o["metadata"]["name"].endswith("-notifications")]
    if not policies:
        return
    rules = policies[0]["spec"].get("egress", [])
    https = [r for r in rules if any(p.get("port") == 443 for p in r.get("ports", []))]
    # The Web Push rule: 443 to everywhere but the excluded ranges.
    anywhere = [peer["ipBlock"] for r in https for peer in r.get("to", [])
                if peer.get("ipBlock", {}).get("cidr") in PUSH_EXCLUDED]
    if not anywhere:
        fail(f"{label}: notifications has no HTTPS egress for Web Push")
    for block in anywhere:
        missing = PUSH_EXCLUDED[block["cidr"]] - set(block.get("except", []))
        if missing:
            fail(f"{label}: notifications' HTTPS egress to {block['cidr']} does not exclude {sorted(missing)}")
    smtp = any(p.get("port") in SMTP_PORTS for r in rules for p in r.get("ports", []))
    configured = bool(values.get("secrets", {}).get("smtpUrl", {}).get("existingSecret"))
    if smtp != configured:
        fail(f"{label}: notifications' SMTP egress is {'open' if smtp else 'closed'} although "
             f"secrets.smtpUrl is {'set' if configured else 'not set'}")


# The variables in which web finds each service it calls (services/web/src/config.rs).
WEB_CALLS = {
    "identity": "BREAKROOM_IDENTITY_URL",
    "scheduling": "BREAKROOM_SCHEDULING_URL",
    "feed": "BREAKROOM_FEED_URL",
    "notifications": "BREAKROOM_NOTIFICATIONS_URL",
}


def merged(*layers: dict | None) -> dict:
    """Maps deep-merged left to right, anything else replaced: values over the chart's
    values, then a service's entry over serviceDefaults, as Helm and _helpers.tpl do."""
    out: dict = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def service_values(values: dict, name: str) -> dict:
    """A service's effective settings under `values`."""
    top = merged(CHART_VALUES, values)
    return merged(top["serviceDefaults"], top["services"].get(name))


def check_web(objects: list[dict], values: dict, label: str) -> None:
    """The web app: HTTP with /healthz probes, the four services' URLs at their Services,
    the session key from a Secret, nothing of NATS, PostgreSQL or the Kubernetes API;
    reachable from the ingress controller only, reaching DNS and the four gRPC ports
    only, which admit it; its Ingress as configured."""
    web = service_values(values, "web")
    if not web["enabled"]:
        return
    top = merged(CHART_VALUES, values)
    full = f"{RELEASE}-web"
    where = f"{label}: web"
    find = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    deployment = find.get(("Deployment", full))
    if not deployment:
        fail(f"{where}: no Deployment {full}")
        return
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    http_port = next(p["port"] for p in web["extraPorts"] if p["name"] == "http")
    if [(p["name"], p["containerPort"]) for p in container.get("ports", [])] != [("http", http_port)]:
        fail(f"{where}: container ports {container.get('ports')} are not just http {http_port}")
    env = {e["name"]: e for e in container.get("env", [])}
    if env.get("HTTP_LISTEN_ADDR", {}).get("value") != f"{top['listenHost']}:{http_port}":
        fail(f"{where}: HTTP_LISTEN_ADDR is not {top['listenHost']}:{http_port}")
    for probe in ("readinessProbe", "livenessProbe"):
        action = container.get(probe, {}).get("httpGet", {})
        if (action.get("path"), action.get("port")) != ("/healthz", http_port):
            fail(f"{where}: {probe} is not GET /healthz on port {http_port}")
    for callee, variable in WEB_CALLS.items():
        port = service_values(values, callee)["grpcPort"]
        url = f"http://{RELEASE}-{callee}:{port}"
        if env.get(variable, {}).get("value") != url:
            fail(f"{where}: {variable} is {env.get(variable, {}).get('value')!r}, not {url}")
        service = find.get(("Service", f"{RELEASE}-{callee}"))
        if not service or port not in {p["port"] for p in service["spec"]["ports"] if p["name"] == "grpc"}:
            fail(f"{where}: {url} is not a rendered Service's gRPC port")
    key = env.get("BREAKROOM_WEB_COOKIE_KEY", {}).get("valueFrom", {}).get("secretKeyRef")
    secret = top["secrets"]["webCookieKey"]
    expected_secret = secret["existingSecret"] or f"{RELEASE}-generated"
    if not key or (key["name"], key["key"]) != (expected_secret, secret["key"]):
        fail(f"{where}: BREAKROOM_WEB_COOKIE_KEY does not come from Secret {expected_secret}, key {secret['key']}")
    for variable in ("DATABASE_URL", "NATS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT", "BREAKROOM_WEB_INSECURE_COOKIES"):
        if variable in env:
            fail(f"{where}: sets {variable}")
    ingress_values = web["ingress"]
    origin = web["env"].get("BREAKROOM_WEB_ORIGIN") or ""
    if "{{" in origin:
        origin = f"https://{ingress_values['host']}" if ingress_values["enabled"] else ""
    if env.get("BREAKROOM_WEB_ORIGIN", {}).get("value", "") != origin:
        fail(f"{where}: BREAKROOM_WEB_ORIGIN is {env.get('BREAKROOM_WEB_ORIGIN')}, expected {origin!r}")
    if pod["automountServiceAccountToken"] or ("Role", full) in find:
        fail(f"{where}: has Kubernetes API access")
    if web["autoscaling"]["enabled"] != (("HorizontalPodAutoscaler", full) in find):
        fail(f"{where}: HPA rendered {not web['autoscaling']['enabled']}, wanted {web['autoscaling']['enabled']}")
    if web["podDisruptionBudget"]["enabled"] != (("PodDisruptionBudget", full) in find):
        fail(f"{where}: PDB rendered contrary to podDisruptionBudget.enabled")
    if ("Service", full) not in find or [(p["name"], p["port"]) for p in find[("Service", full)]["spec"]["ports"]] != [
            ("http", http_port)]:
        fail(f"{where}: Service {full} does not serve just http {http_port}")

    ingress = find.get(("Ingress", full))
    if ingress_values["enabled"] != bool(ingress):
        fail(f"{where}: Ingress rendered {bool(ingress)}, ingress.enabled {ingress_values['enabled']}")
    if ingress:
        spec = ingress["spec"]
        host = ingress_values["host"]
        if spec.get("ingressClassName", "") != ingress_values["className"]:
            fail(f"{where}: Ingress class {spec.get('ingressClassName')!r}, not {ingress_values['className']!r}")
        if ingress["metadata"].get("annotations", {}) != ingress_values["annotations"]:
            fail(f"{where}: Ingress annotations differ from ingress.annotations")
        backends = [(r["host"], p["path"], p["backend"]["service"]["name"], p["backend"]["service"]["port"].get("name"))
                    for r in spec["rules"] for p in r["http"]["paths"]]
        if backends != [(host, "/", full, ingress_values["port"])]:
            fail(f"{where}: Ingress routes {backends}")
        tls_secret = ingress_values["tls"]["secretName"] or f"{full}-tls"
        tls = [(tuple(t["hosts"]), t["secretName"]) for t in spec.get("tls", [])]
        if tls != ([((host,), tls_secret)] if ingress_values["tls"]["enabled"] else []):
            fail(f"{where}: Ingress TLS {tls}")

    if not top["networkPolicy"]["enabled"]:
        return
    policy = find.get(("NetworkPolicy", full))
    if not policy:
        fail(f"{where}: no NetworkPolicy")
        return
    peers = web["networkPolicy"]["ingressFrom"] or top["networkPolicy"]["ingressFrom"]
    expected_ingress = ([{"from": peers, "ports": [{"port": http_port, "protocol": "TCP"}]}] if peers else []) + \
        top["networkPolicy"]["extraIngress"] + web["networkPolicy"]["extraIngress"]
    if policy["spec"].get("ingress") != expected_ingress:
        fail(f"{where}: NetworkPolicy ingress {policy['spec'].get('ingress')} is not the ingress controller on {http_port}")
    web_pods = deployment["spec"]["template"]["metadata"]["labels"]
    extra_egress = top["networkPolicy"]["extraEgress"] + web["networkPolicy"]["extraEgress"]
    reached = set()
    for rule in policy["spec"]["egress"]:
        ports = {(p["port"], p.get("protocol", "TCP")) for p in rule.get("ports", [])}
        if rule in extra_egress:
            continue
        if ports == {(53, "UDP"), (53, "TCP")}:
            if rule.get("to", []) != top["networkPolicy"]["egress"]["dns"]["to"]:
                fail(f"{where}: DNS egress to {rule.get('to')}")
            continue
        callee = next((c for c in WEB_CALLS if len(rule.get("to", [])) == 1 and rule["to"][0].get("podSelector", {})
                       .get("matchLabels", {}).get("app.kubernetes.io/component") == c
                       and "namespaceSelector" not in rule["to"][0]), None)
        if not callee or ports != {(service_values(values, callee)["grpcPort"], "TCP")}:
            fail(f"{where}: egress beyond DNS and the four services: {rule}")
            continue
        reached.add(callee)
    if reached != set(WEB_CALLS):
        fail(f"{where}: egress reaches {sorted(reached)}, not all of {sorted(WEB_CALLS)}")
    for callee in WEB_CALLS:
        port = service_values(values, callee)["grpcPort"]
        callee_policy = find.get(("NetworkPolicy", f"{RELEASE}-{callee}"), {})
        rules = callee_policy.get("spec", {}).get("ingress", [])
        admits_web = any(
            any(p["port"] == port for p in rule.get("ports", []))
            and any("namespaceSelector" not in peer and subset(peer.get("podSelector", {}).get("matchLabels", {}), web_pods)
                    for peer in rule.get("from", []))
            for rule in rules)
        if not admits_web:
            fail(f"{where}: {callee}'s NetworkPolicy does not admit web on {port}")
        callee_peers = service_values(values, callee)["networkPolicy"]["ingressFrom"] or top["networkPolicy"]["ingressFrom"]
        if callee_peers and not any(rule.get("from") == callee_peers and any(p["port"] == port for p in rule["ports"])
                                    for rule in rules):
            fail(f"{where}: {callee}'s NetworkPolicy no longer admits API consumers from networkPolicy.ingressFrom")


def decode_base64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_generated(secret: dict, label: str) -> None:
    """Generated values have the formats the services parse."""
    formats = {"base64url32": [], "base64url64": [], "token": [], "p256": []}
    for entry in CHART_VALUES["secrets"].values():
        formats.get(entry["generate"], []).append(entry["key"])
    for key, encoded in secret.get("data", {}).items():
        value = base64.b64decode(encoded).decode()
        where = f"{label}: generated {key}"
        try:
            if key in formats["base64url32"] and len(decode_base64url(value)) != 32:
                fail(f"{where}: not 32 bytes")
            if key in formats["base64url64"] and len(decode_base64url(value)) != 64:
                fail(f"{where}: not 64 bytes")
            if key in formats["token"] and not re.fullmatch(r"[A-Za-z0-9]{48}", value):
                fail(f"{where}: not 48 letters and digits")
            if key in formats["p256"]:
                raw = decode_base64url(value)
                if len(raw) != 32 or not 0 < int.from_bytes(raw, "big") < P256_N:
                    fail(f"{where}: not a P-256 private scalar")
        except ValueError as error:
            fail(f"{where}: {error}")


def check_comments() -> None:
    """Every key of values.yaml has a comment line right above it (keys inside list
    items are described by their list's comment)."""
    items: list[int] = []  # indentation of the list items the line is inside
    previous = ""
    for number, line in enumerate((CHART / "values.yaml").read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            previous = ""
            continue
        indent = len(line) - len(line.lstrip())
        while items and indent < items[-1]:
            items.pop()
        if stripped.startswith("- "):
            items.append(indent + 2)
        elif not items and re.match(r"^[A-Za-z_\"'][^:#]*:(\s|$)", stripped) and not previous.startswith("#"):
            fail(f"values.yaml:{number}: {stripped.split(':')[0]} has no comment above it")
        previous = stripped


def expect_refused(chart, values: dict, expected: str, what: str) -> None:
    try:
        chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    except helm.HelmError as error:
        if expected not in str(error):
            fail(f"{what}: refused, but not with {expected!r}: {str(error)[:300]}")
        return
    fail(f"{what}: rendered although it should be refused")


def check_refusals(chart) -> None:
    cases = [
        ({"breakroomNamespace": "Prod"}, "does not match pattern", "an invalid BREAKROOM_NAMESPACE"),
        ({"replicaCount": 3}, "additional properties 'replicaCount'", "an unknown top-level value"),
        ({"services": {"identity": {"grpcPort": 70000}}}, "maximum", "a port above 65535"),
        ({"services": {"feed": {"replicas": "two"}}}, "got string, want integer", "a mistyped value"),
        ({"nats": {"config": {"jetstream": {"enabled": False}}}}, "value must be true", "NATS without JetStream"),
        ({"nats": {"enabled": False}}, "externalNats.url is required", "no NATS at all"),
        ({"nats": {"enabled": False}, "externalNats": {"url": "nats://a:4222,nats://b:4222"}},
         "does not match pattern", "several NATS URLs (the client takes one)"),
        ({"services": {"notifications": {"enabled": True}}, "secrets": {"vapidPrivateKey": {"generate": "none"}}},
         "vapidPrivateKey.existingSecret is required",
         "a mandatory secret neither given nor generated"),
        ({"serviceDefaults": {"terminationGracePeriodSeconds": 20}}, "must be at least 45",
         "a grace period shorter than the shutdown"),
        ({"services": {"operator": {"enabled": True, "calls": ["billing"]}}}, "not an enabled service",
         "a call to an unknown service"),
        ({"services": {"scheduling": {"secretEnv": {"X": "nosuch"}}}}, "secrets.nosuch, which is not defined",
         "a reference to an undefined secret"),
        ({"services": {"web": {"ingress": {"enabled": True}}}}, "ingress.host is required", "an Ingress without a host"),
        ({"services": {"web": {"ingress": {"enabled": True, "host": "app.example.com", "port": "grpc"}}}},
         "not one of its extraPorts", "an Ingress to a port the Service lacks"),
        ({"services": {"web": {"ingress": {"host": "https://app.example.com"}}}}, "does not match pattern",
         "an Ingress host that is a URL"),
        ({"services": {"feed": {"enabled": False}}}, "calls names \"feed\", which is not an enabled service",
         "web without one of the services it calls"),
    ]
    for values, expected, what in cases:
        expect_refused(chart, values, expected, what)


def caught(check, *args) -> list[str]:
    """The failures a check reports, kept out of the run's own."""
    global failures
    saved, failures = failures, []
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*args)
        return failures
    finally:
        failures = saved


def check_web_strictness(chart) -> None:
    """check_web notices what it is there for, and an Ingress without TLS renders."""
    objects = render(chart, {})

    def broken(change) -> list[dict]:
        copied = copy.deepcopy(objects)
        for obj in copied:
            if obj["metadata"]["name"] == f"{RELEASE}-web":
                change(obj)
        return copied

    def egress_anywhere(obj):
        if obj["kind"] == "NetworkPolicy":
            obj["spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})

    def ingress_anyone(obj):
        if obj["kind"] == "NetworkPolicy":
            obj["spec"]["ingress"][0].pop("from")

    def plain_key(obj):
        if obj["kind"] == "Deployment":
            for variable in obj["spec"]["template"]["spec"]["containers"][0]["env"]:
                if variable["name"] == "BREAKROOM_WEB_COOKIE_KEY":
                    variable.pop("valueFrom")
                    variable["value"] = "x"

    def tcp_probe(obj):
        if obj["kind"] == "Deployment":
            obj["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {"tcpSocket": {"port": 8080}}

    for what, change in (("egress to anywhere", egress_anywhere), ("ingress from anyone", ingress_anyone),
                         ("a cookie key outside a Secret", plain_key), ("a TCP readiness probe", tcp_probe)):
        if not caught(check_web, broken(change), {}, "broken"):
            fail(f"check_web misses {what}")
    values = {"services": {"web": {"ingress": {"enabled": True, "host": "app.example.com", "tls": {"enabled": False}}}}}
    plain = render(chart, values)
    ingress = [o for o in plain if o["kind"] == "Ingress"]
    if len(ingress) != 1 or "tls" in ingress[0]["spec"] or "ingressClassName" in ingress[0]["spec"]:
        fail(f"an Ingress without TLS and class rendered {ingress}")
    for error in validation_errors(plain, []):
        fail(f"an Ingress without TLS: {error}")
    check_consistency(plain, "an Ingress without TLS")
    check_web(plain, values, "an Ingress without TLS")


def check_validators(chart, crds: list[dict]) -> None:
    """The validation is strict: an unknown field or a wrong value is caught."""
    objects = render(chart, {"tenants": [{"name": "t", "spec": {"displayName": "T", "timeZone": "UTC", "locale": "en"}}]})
    deployment = copy.deepcopy(next(o for o in objects if o["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["grpcc"] = {}
    errors = validation_errors([deployment], [])
    if len(errors) != len(KUBERNETES_VERSIONS) or not all("grpcc" in e for e in errors):
        fail(f"a Deployment with an unknown field: {errors}")
    tenant = copy.deepcopy(next(o for o in objects if o["kind"] == "Tenant"))
    tenant["spec"]["deletionPolicy"] = "Shred"
    tenant["spec"]["stores"] = [{"code": "1", "name": "One", "timezone": "UTC"}]
    errors = validation_errors([tenant], crds)
    if len(errors) != 2 or not any("Shred" in e for e in errors) or not any("timezone" in e for e in errors):
        fail(f"a Tenant with a wrong policy and an unknown field: {errors}")


# Services of the chart whose image this repository cannot build yet, and why. Kept
# visible in every run; an entry whose Dockerfile has appeared fails until removed.
DOCKERFILES_PENDING: dict[str, str] = {}


def check_dockerfiles() -> None:
    """Each service of the chart has services/<name>/Dockerfile building its binary,
    running as the chart's user and exposing the chart's ports."""
    user = CHART_VALUES["securityContext"]["runAsUser"]
    for name, entry in CHART_VALUES["services"].items():
        path = ROOT / "services" / name / "Dockerfile"
        if name in DOCKERFILES_PENDING:
            if path.exists():
                fail(f"{path.relative_to(ROOT)} exists now: drop {name} from DOCKERFILES_PENDING")
            else:
                print(f"  NOTE {DOCKERFILES_PENDING[name]}")
            continue
        if not path.exists():
            fail(f"{path.relative_to(ROOT)} is missing")
            continue
        text = path.read_text()
        ports = [p for p in [entry.get("grpcPort", 0)] + [x["port"] for x in entry.get("extraPorts", [])] if p]
        exposed = [int(p) for line in text.splitlines() if line.startswith("EXPOSE ") for p in line.split()[1:]]
        if f"cargo build --release --locked -p breakroom-{name} --bin {name}" not in text:
            fail(f"{path.relative_to(ROOT)} does not build breakroom-{name}'s binary {name}")
        if f"\nUSER {user}:" not in text:
            fail(f"{path.relative_to(ROOT)} does not run as user {user}")
        if sorted(exposed) != sorted(ports):
            fail(f"{path.relative_to(ROOT)} exposes {exposed}, the chart uses {ports}")


def check_new_service(chart) -> None:
    """Adding a service is one values block."""
    objects = render(chart, {"services": {"billing": {"grpcPort": 50055}}})
    kinds = sorted(o["kind"] for o in objects if o["metadata"]["name"] == f"{RELEASE}-billing")
    expected = sorted(["Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler",
                       "PodDisruptionBudget", "NetworkPolicy", "Role", "RoleBinding"])
    if kinds != expected:
        fail(f"a new service block rendered {kinds}, expected {expected}")
    check_consistency(objects, "with a new service")


def main() -> int:
    global CHART_VALUES
    started = time.monotonic()
    print(f"helm SDK {helm.helm_sdk_version()} (helm-python-sdk {helm.__version__}), "
          f"kubernetes-validate {kubernetes_validate.__version__}, Kubernetes {', '.join(KUBERNETES_VERSIONS)}")
    for dependency in helm.dependency_list(CHART):
        if dependency["status"] != "ok":
            fail(f"dependency {dependency['name']} {dependency['version']}: {dependency['status']}")
    with helm.Chart.load(CHART) as chart:
        CHART_VALUES = chart.values
        crds = [yaml.safe_load(c["data"]) for c in chart.crds]
        for label, values in value_sets().items():
            done = step(f"{label}: lint, schema, render, validate")
            lint(values)
            try:
                chart.validate_schema(values)
                objects = render(chart, values)
            except helm.HelmError as error:
                fail(f"{label}: {error}")
                done()
                continue
            for error in validation_errors(objects, crds):
                fail(f"{label}: {error}")
            check_consistency(objects, label)
            check_push_egress(objects, values, label)
            check_web(objects, values, label)
            kinds: dict[str, int] = {}
            for obj in objects:
                kinds[obj["kind"]] = kinds.get(obj["kind"], 0) + 1
            print("  " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
            done()
        done = step("values.yaml comments, refused values, strictness, web, a new service, Dockerfiles")
        check_comments()
        check_refusals(chart)
        check_validators(chart, crds)
        check_web_strictness(chart)
        check_new_service(chart)
        check_dockerfiles()
        done()
    print(f"chart check: {len(failures)} failed, {time.monotonic() - started:.1f} s in all")
    return 1 if failures else 0


CHART_VALUES: dict = {}

if __name__ == "__main__":
    sys.exit(main())

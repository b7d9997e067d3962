#!/usr/bin/env python3
"""What deploy/smoke-test.sh takes from the rendered manifests (`kubectl kustomize` output).

  smoke-manifests.py container RENDERED DEPLOYMENT BOOTSTRAP
      JSON for a plain `podman run` of the Deployment's first container: its CPU and memory
      limits, grace period, runAsUser, args ($(VAR) expanded) and environment (its ConfigMaps and
      literal env values), pointed at BOOTSTRAP over PLAINTEXT.
  smoke-manifests.py kube RENDERED DEPLOYMENT BOOTSTRAP IMAGE HTTP_PORT
      YAML for `podman kube play`: the Deployment and the ConfigMaps it reads, nothing else (no
      Strimzi, KEDA, Service, PDB or NetworkPolicy objects), with what podman 4.3 on a host-network
      broker needs changed, and nothing more (deploy/README.md, "Smoke test", lists each change).

The environment the pod gets from Secrets (the SCRAM JAAS config) and from the downward API is left
out: the smoke test's broker has no SASL, and the test sets the instance/worker id and lets the
image's entrypoint derive OMP_NUM_THREADS from the CPU limit (what it is there to check).
"""
import json
import re
import sys

import yaml

# The broker of the smoke test is plain: these Kafka client settings would ask for SASL or TLS.
SECURITY_PREFIXES = ("CHARSTREAM_KAFKA_SASL_", "CHARSTREAM_KAFKA_SSL_")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name):
    for d in docs:
        if d.get("kind") == kind and d["metadata"]["name"] == name:
            return d
    sys.exit(f"smoke-manifests: no {kind} {name} in the rendered manifests")


def config_maps(docs, container):
    """The ConfigMaps the container reads with envFrom, in order."""
    return [find(docs, "ConfigMap", e["configMapRef"]["name"])
            for e in container.get("envFrom", []) if "configMapRef" in e]


def to_host_broker(data, bootstrap):
    """A ConfigMap's data, pointed at the smoke test's broker (PLAINTEXT, no SASL/TLS keys)."""
    out = {k: v for k, v in data.items() if not k.startswith(SECURITY_PREFIXES)}
    if "CHARSTREAM_BOOTSTRAP_SERVERS" in out:
        out["CHARSTREAM_BOOTSTRAP_SERVERS"] = bootstrap
    if "CHARSTREAM_KAFKA_SECURITY_PROTOCOL" in out:
        out["CHARSTREAM_KAFKA_SECURITY_PROTOCOL"] = "PLAINTEXT"
    return out


def expand(arg, env):
    """Kubernetes' $(VAR) expansion in args (podman 4.3's kube play does not do it)."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), arg)


def cpus(quantity):
    q = str(quantity)
    return int(q[:-1]) / 1000 if q.endswith("m") else float(q)


def memory_bytes(quantity):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
             "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    q = str(quantity)
    for unit, factor in units.items():
        if q.endswith(unit):
            return int(float(q[: -len(unit)]) * factor)
    return int(q)


def container(rendered, deployment, bootstrap):
    docs = load(rendered)
    pod = find(docs, "Deployment", deployment)["spec"]["template"]["spec"]
    c = pod["containers"][0]
    env = {}
    for cm in config_maps(docs, c):
        env.update(to_host_broker(cm.get("data", {}), bootstrap))
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
    limits = c["resources"]["limits"]
    return {
        "name": c["name"],
        "cpus": cpus(limits["cpu"]),
        "memoryBytes": memory_bytes(limits["memory"]),
        "graceSeconds": pod.get("terminationGracePeriodSeconds", 30),
        "runAsUser": pod.get("securityContext", {}).get("runAsUser"),
        "readOnlyRootFilesystem": c.get("securityContext", {}).get("readOnlyRootFilesystem", False),
        "args": [expand(a, env) for a in c.get("args", [])],
        "env": env,
    }


def kube(rendered, deployment, bootstrap, image, http_port):
    docs = load(rendered)
    d = find(docs, "Deployment", deployment)
    pod = d["spec"]["template"]["spec"]
    c = pod["containers"][0]
    out = []
    env = {}
    for cm in config_maps(docs, c):
        data = to_host_broker(cm.get("data", {}), bootstrap)
        if "CHARSTREAM_HTTP_PORT" in data:
            data["CHARSTREAM_HTTP_PORT"] = str(http_port)
        cm["data"] = data
        env.update(data)
        out.append(cm)
    # The broker listens on the host's 127.0.0.1, so the pod shares the host's network.
    pod["hostNetwork"] = True
    # podman refuses port mappings with the host network; the port is the host's anyway.
    c.pop("ports", None)
    # Probes: podman 4.3 runs them as healthchecks through systemd timers (none on this kind of
    # machine) with curl inside the container (none in the image). The smoke test probes /livez and
    # /readyz from the host instead.
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        c.pop(probe, None)
    # The SCRAM JAAS config comes from a Strimzi-made Secret; the smoke test's broker has no SASL.
    c["env"] = [e for e in c.get("env", [])
                if "secretKeyRef" not in e.get("valueFrom", {})]
    c["args"] = [expand(a, env) for a in c.get("args", [])]
    c["image"] = image
    out.append(d)
    return yaml.safe_dump_all(out, sort_keys=False)


def main(argv):
    if len(argv) == 5 and argv[1] == "container":
        print(json.dumps(container(*argv[2:]), indent=1))
    elif len(argv) == 7 and argv[1] == "kube":
        sys.stdout.write(kube(*argv[2:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

"""Consistency checks between the deployment files that no schema sees: the
stop timeouts against the worker's shutdown bound, the writable paths
against the pipeline's directories, ports, probes, names, the Secret against
the pipeline's ${NAME}s, the image's packages against the .deb's Depends.
Called by scripts/test-deploy.sh; each subcommand exits 1 naming what failed."""

import re
import sys
from pathlib import Path

import yaml

SHUTDOWN_DEFAULT = 20  # source.shutdown_timeout_seconds, Pipelines/README.md
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def directories(node, key=""):
    """Every value of a key naming a directory the worker writes into."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from directories(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from directories(v, key)
    elif key in ("directory", "state_directory", "path") and isinstance(node, str):
        yield node


def shutdown_timeout(pipeline):
    return pipeline.get("source", {}).get("shutdown_timeout_seconds", SHUTDOWN_DEFAULT)


def seconds(value):
    match = re.fullmatch(r"(\d+)\s*(s|sec|min)?", value.strip())
    check(match, f"cannot read the duration '{value}'")
    return int(match[1]) * (60 if match and match[2] == "min" else 1) if match else 0


def unit(unit_path, pipeline_path):
    """The systemd unit against the pipeline the Debian package ships."""
    settings = {}
    for line in Path(unit_path).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    pipeline = yaml.safe_load(Path(pipeline_path).read_text())
    stop = seconds(settings.get("TimeoutStopSec", ["90s"])[-1])
    bound = shutdown_timeout(pipeline)
    check(stop > bound, f"TimeoutStopSec ({stop} s) must exceed source.shutdown_timeout_seconds ({bound} s)")
    check(settings.get("KillSignal") == ["SIGTERM"], "KillSignal must be SIGTERM (the worker's drain)")
    check(settings.get("ProtectSystem") == ["strict"], "ProtectSystem must be strict")
    writable = [f"/var/lib/{d}" for d in settings.get("StateDirectory", [])]
    writable += " ".join(settings.get("ReadWritePaths", [])).split()
    for directory in directories(pipeline):
        check(any(directory == w or directory.startswith(w.rstrip("/") + "/") for w in writable),
              f"{pipeline_path}: {directory} is not writable under the unit (ReadWritePaths, StateDirectory)")


def documents(directory):
    found = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found[(doc.get("kind"), doc.get("metadata", {}).get("name"))] = (path.name, doc)
    return found


def kubernetes(directory, pipeline_out, env_out):
    """The manifests against each other and against the pipeline they carry;
    writes that pipeline and the Secret's values (KEY=value) for `check`."""
    docs = documents(directory)
    kustomization = next((d for (kind, _), (_, d) in docs.items() if kind == "Kustomization"), None)
    check(kustomization, "no kustomization.yaml")
    listed = set((kustomization or {}).get("resources", []))
    files = {name for (kind, _), (name, _) in docs.items() if kind != "Kustomization"}
    check(listed == files, f"kustomization resources {sorted(listed)} are not the manifests {sorted(files)}")

    def one(kind):
        matches = [d for (k, _), (_, d) in docs.items() if k == kind]
        check(len(matches) == 1, f"expected one {kind}, found {len(matches)}")
        return matches[0] if matches else {}

    deployment, service, configmap, secret = one("Deployment"), one("Service"), one("ConfigMap"), one("Secret")
    pod = deployment.get("spec", {}).get("template", {}).get("spec", {})
    containers = pod.get("containers", [{}])
    container = containers[0]
    check(deployment.get("spec", {}).get("replicas") == 2, "Deployment replicas must be 2")
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    check(ports.get("metrics") == 9464, "the container must name port 9464 'metrics'")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        spec = container.get(probe, {})
        get = spec.get("httpGet", {})
        check(get.get("path") == path and ports.get(get.get("port"), get.get("port")) == 9464,
              f"{probe} must GET {path} on 9464")
        check(spec.get("timeoutSeconds") == 1 and spec.get("periodSeconds") == 5,
              f"{probe}: timeoutSeconds 1, periodSeconds 5")
    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})
    check(pod_security.get("runAsNonRoot") is True, "runAsNonRoot must be true")
    check(security.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem must be true")
    check(security.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation must be false")
    check("ALL" in security.get("capabilities", {}).get("drop", []), "capabilities must drop ALL")
    check("memory" in container.get("resources", {}).get("limits", {}), "a memory limit is needed")

    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: volumes.get(m["name"], {}) for m in container.get("volumeMounts", [])}
    config_mount = next((p for p, v in mounts.items()
                         if v.get("configMap", {}).get("name") == configmap.get("metadata", {}).get("name")), None)
    check(config_mount == "/etc/countersign", "the pipeline ConfigMap must be mounted at /etc/countersign")
    check(container.get("args", [])[-2:] == ["--pipeline", f"{config_mount}/pipeline.yaml"],
          "the container must run the mounted pipeline.yaml")
    refs = [e.get("secretRef", {}).get("name") for e in container.get("envFrom", [])]
    check(secret.get("metadata", {}).get("name") in refs, "the Secret must reach the container through envFrom")

    text = configmap.get("data", {}).get("pipeline.yaml", "")
    pipeline = yaml.safe_load(text) or {}
    check(pipeline.get("metrics", {}).get("listen") == "0.0.0.0:9464", "metrics.listen must be 0.0.0.0:9464 in a pod")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    bound = shutdown_timeout(pipeline)
    check(grace > bound, f"terminationGracePeriodSeconds ({grace}) must exceed shutdown_timeout_seconds ({bound})")
    scratch = [p for p, v in mounts.items() if "emptyDir" in v]
    for directory in directories(pipeline):
        check(any(directory.startswith(p.rstrip("/") + "/") for p in scratch),
              f"pipeline directory {directory} is not on a writable volume (the root file system is read-only)")
    values = secret.get("stringData", {})
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)) - {"HOSTNAME"}
    check(required <= set(values), f"the pipeline needs {sorted(required - set(values))} from the Secret")

    ports = service.get("spec", {}).get("ports", [])
    check(any(p.get("port") == 9464 for p in ports), "the Service must expose 9464")
    annotations = service.get("metadata", {}).get("annotations", {})
    check(annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") == "9464"
          and annotations.get("prometheus.io/path") == "/metrics", "the Service needs the prometheus.io annotations")
    labels = deployment.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    selector = service.get("spec", {}).get("selector", {})
    check(selector and all(labels.get(k) == v for k, v in selector.items()), "the Service selects no worker")

    Path(pipeline_out).write_text(text)
    Path(env_out).write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def container(containerfile, depends, kubernetes_directory):
    """The container file's structure and its runtime packages."""
    lines, current = [], ""
    for raw in Path(containerfile).read_text().splitlines():
        if raw.lstrip().startswith("#"):
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    stages = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
    check(len(stages) >= 2, "a build stage and a runtime stage are needed")
    runtime = lines[stages[-1]:] if stages else []
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", "\n".join(lines), re.M))
    base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), runtime[0].split()[1]) if runtime else ""
    check(base == "debian:bookworm-slim", f"the runtime stage must be debian:bookworm-slim, not {base}")
    check(any("--static-swift-stdlib" in line for line in lines[:stages[-1]] if stages),
          "the build stage must link the Swift runtime statically")
    check(not any(re.match(r"ADD\s+(--\S+\s+)*https?://", line, re.I) for line in lines), "no ADD of URLs")
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    check(users and users[-1].split(":")[0] not in ("0", "root"), "the runtime stage must set a non-root USER")
    deployments = [d for (k, _), (_, d) in documents(kubernetes_directory).items() if k == "Deployment"]
    pod = deployments[0]["spec"]["template"]["spec"] if deployments else {}
    expected_uid = str(pod.get("securityContext", {}).get("runAsUser"))
    check(users and users[-1].split(":")[0] == expected_uid,
          f"USER {users[-1] if users else '-'} differs from the Deployment's runAsUser {expected_uid}")
    check("EXPOSE 9464" in runtime, "EXPOSE 9464 missing")
    check('ENTRYPOINT ["/usr/bin/countersign"]' in runtime, "ENTRYPOINT must be countersign")
    check('CMD ["run", "--pipeline", "/etc/countersign/pipeline.yaml"]' in runtime,
          "CMD must be run --pipeline /etc/countersign/pipeline.yaml")
    installed = set()
    for line in runtime:
        for part in line.split("&&"):
            words = part.split()
            if words[:2] == ["apt-get", "install"] or words[:3] == ["RUN", "apt-get", "install"]:
                installed |= {w for w in words if not w.startswith("-") and w not in ("RUN", "apt-get", "install")}
    needed = {alternative.split()[0] for dep in depends.split(",") for alternative in [dep.split("|")[0].strip()]}
    missing = needed - installed - {"libc6", "adduser"}
    check(not missing, f"the runtime stage does not install {sorted(missing)} (the .deb depends on them)")


def envfile(path):
    """The assignments of an EnvironmentFile, as systemd reads the simple ones."""
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";")):
            check(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", line), f"{path}: not KEY=value: {line}")
            print(line)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {"unit": unit, "kubernetes": kubernetes, "container": container, "envfile": envfile}[command](*arguments)
    for failure in failures:
        print(f"test-deploy: FAIL: {failure}", file=sys.stderr)
    sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""Static checks of deploy/: what can be verified without a container engine or a cluster.

Run by deploy/check.sh, which renders the kustomizations first. Checks:
  * every YAML file under deploy/ parses;
  * the compose file: services, build contexts and Dockerfiles exist, volumes and depends_on resolve,
    each service gets the settings it needs, the source Postgres has wal_level=logical, NATS runs JetStream;
  * the rendered Kubernetes manifests (plain and Knative): names, namespaces, selectors, probes on
    /q/health/live and /q/health/ready, non-root pods, every ConfigMap/Secret key and claim referenced
    exists, the gateway runs as exactly one continuously running Deployment;
  * every TIDELINE_* variable handed to a service is a property that service reads (its @ConfigMapping
    interface, or the property name anywhere in its sources);
  * each service has a JVM and a native Dockerfile that run as a non-root user on port 8080.
Prints one line per problem and exits 1 if there is any.
"""
import argparse
import glob
import os
import re
import sys

import yaml

SERVICES = ["gateway", "apply", "sync", "api"]
problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# ---------------------------------------------------------------------------------------------
# Which TIDELINE_* variables each service reads.

def camel_to_kebab(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def config_properties(repo, service):
    """Dotted properties of the service's @ConfigMapping(prefix = "tideline") interface, plus every
    `tideline.*` literal in its main sources (properties read with @ConfigProperty or ConfigProvider)."""
    props = set()
    src = os.path.join(repo, f"{service}-service", "src", "main")
    for path in glob.glob(os.path.join(src, "**", "*.java"), recursive=True) + \
            glob.glob(os.path.join(src, "resources", "*.properties")):
        text = open(path, encoding="utf-8").read()
        if path.endswith(".java"):
            props.update(re.findall(r'"(tideline(?:\.[a-z0-9-]+)+)"', text))
        else:
            props.update(re.findall(r"^(?:%[\w-]+\.)?(tideline(?:\.[a-z0-9-]+)+)\s*=", text, re.M))
        if "@ConfigMapping(prefix = \"tideline\")" in text:
            props.update(mapping_paths(text))
    return props


def mapping_paths(text):
    """Walks the nested interfaces of a @ConfigMapping root: `Nats nats();` + `interface Nats { String url(); }`."""
    bodies = {}
    for m in re.finditer(r"interface\s+(\w+)\s*\{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        bodies[m.group(1)] = text[m.end():i - 1]
    root = next((n for n in bodies if re.search(r"@ConfigMapping[^\n]*\n\s*public\s+interface\s+" + n, text)), None)
    paths = set()

    def walk(name, prefix, seen):
        body = bodies.get(name, "")
        # Only the interface's own methods: drop nested interface bodies first.
        own = re.sub(r"interface\s+\w+\s*\{(?:[^{}]|\{[^{}]*\})*\}", "", body)
        for rtype, method in re.findall(r"([\w<>.,? ]+?)\s+(\w+)\(\)\s*;", own):
            rtype = rtype.split()[-1]
            path = prefix + "." + camel_to_kebab(method)
            inner = re.sub(r"^(Optional|List|Set)<(\w+)>$", r"\2", rtype)
            if inner in bodies and inner not in seen:
                walk(inner, path, seen | {inner})
            else:
                paths.add(path)

    if root:
        walk(root, "tideline", {root})
    return paths


def env_to_key(name):
    return name.lower().replace("-", "_").replace(".", "_")


def check_env_is_read(where, service, names, properties):
    known = {env_to_key(p) for p in properties.get(service, set())}
    for name in names:
        if name.startswith("TIDELINE_") and env_to_key(name) not in known:
            problem(where, f"{name} is given to {service}-service, which reads no such property "
                           f"(known: {', '.join(sorted(properties.get(service, set()))) or 'none'})")


# ---------------------------------------------------------------------------------------------

def check_compose(repo, properties):
    path = os.path.join(repo, "deploy", "compose", "compose.yaml")
    where = os.path.relpath(path, repo)
    doc = load_all(path)[0]
    services = doc.get("services", {})
    volumes = set((doc.get("volumes") or {}).keys())
    for required in ["nats", "source-postgres", "target-postgres"] + SERVICES:
        if required not in services:
            problem(where, f"service {required} missing")
    for name, svc in services.items():
        if "image" not in svc:
            problem(where, f"{name}: no image")
        build = svc.get("build")
        if build:
            context = os.path.normpath(os.path.join(os.path.dirname(path), build["context"]))
            dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            if not os.path.isfile(dockerfile):
                problem(where, f"{name}: Dockerfile {os.path.relpath(dockerfile, repo)} does not exist")
        for dep in (svc.get("depends_on") or {}):
            if dep not in services:
                problem(where, f"{name}: depends_on unknown service {dep}")
        for mount in svc.get("volumes") or []:
            source = mount.split(":")[0]
            if not source.startswith((".", "/")) and source not in volumes:
                problem(where, f"{name}: volume {source} is not declared under volumes")
    for name in SERVICES:
        svc = services.get(name, {})
        env = svc.get("environment") or {}
        needs = {"TIDELINE_NATS_URL"}
        if name != "gateway":
            needs.add("TIDELINE_WAREHOUSE")
        if name != "apply":
            needs.add("TIDELINE_SECRETS_KEY")
        if name == "api":
            needs.add("TIDELINE_API_TOKEN")
        for n in sorted(needs - set(env)):
            problem(where, f"{name}: {n} not set")
        check_env_is_read(where, name, list(env), properties)
        if "TIDELINE_WAREHOUSE" in env:
            mounted = [m.split(":")[1] for m in svc.get("volumes") or []]
            if env["TIDELINE_WAREHOUSE"] not in mounted:
                problem(where, f"{name}: the warehouse {env['TIDELINE_WAREHOUSE']} is not a mounted volume")
    if "wal_level=logical" not in " ".join(services.get("source-postgres", {}).get("command", [])):
        problem(where, "source-postgres does not set wal_level=logical")
    nats = services.get("nats", {})
    if "-js" not in nats.get("command", []) or not nats.get("volumes"):
        problem(where, "nats must run with -js and keep its store (-sd) on a volume")


# ---------------------------------------------------------------------------------------------

# Field names of the Kubernetes core types the manifests use: a misindented key lands in the wrong
# object and would otherwise be ignored silently by a lenient reader.
CONTAINER_FIELDS = {"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "volumeMounts",
                    "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
                    "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
                    "volumeDevices", "resizePolicy", "restartPolicy"}
SECURITY_CONTEXT_FIELDS = {"allowPrivilegeEscalation", "capabilities", "privileged", "procMount", "readOnlyRootFilesystem",
                           "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxOptions", "seccompProfile", "windowsOptions",
                           "appArmorProfile"}
PROBE_FIELDS = {"httpGet", "exec", "tcpSocket", "grpc", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
                "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"}
POD_SPEC_FIELDS = {"containers", "initContainers", "volumes", "securityContext", "terminationGracePeriodSeconds",
                   "restartPolicy", "serviceAccountName", "nodeSelector", "affinity", "tolerations", "imagePullSecrets",
                   "timeoutSeconds", "containerConcurrency", "enableServiceLinks", "topologySpreadConstraints",
                   "priorityClassName", "automountServiceAccountToken"}


def unknown_fields(label, where, obj, known):
    for key in set(obj or {}) - known:
        problem(label, f"{where}: unknown field '{key}' (misindented?)")


NAMESPACED_EXEMPT = {"Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding"}


def pod_spec(doc):
    kind = doc.get("kind")
    spec = doc.get("spec", {})
    if kind in ("Deployment", "StatefulSet"):
        return spec.get("template", {}).get("spec", {}), spec.get("template", {}).get("metadata", {})
    if kind == "CronJob":
        t = spec.get("jobTemplate", {}).get("spec", {}).get("template", {})
        return t.get("spec", {}), t.get("metadata", {})
    if kind == "Service" and doc.get("apiVersion", "").startswith("serving.knative.dev"):
        return spec.get("template", {}).get("spec", {}), spec.get("template", {}).get("metadata", {})
    return None, None


def env_value(container, name, config_data):
    for e in container.get("env", []):
        if e["name"] == name:
            if "value" in e:
                return e["value"]
            ref = e.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                return config_data.get(ref["name"], {}).get(ref["key"])
    return None


def service_of(image):
    m = re.match(r"(?:.*/)?tideline/(\w+)-service[:@]", image or "")
    return m.group(1) if m else None


def check_manifests(label, docs, properties, knative):
    by_kind = {}
    for d in docs:
        for f in ("apiVersion", "kind"):
            if f not in d:
                problem(label, f"a document without {f}: {str(d)[:80]}")
        meta = d.get("metadata", {})
        if "name" not in meta:
            problem(label, f"{d.get('kind')} without metadata.name")
        if d.get("kind") not in NAMESPACED_EXEMPT and meta.get("namespace") != "tideline":
            problem(label, f"{d.get('kind')} {meta.get('name')} is not in namespace tideline")
        by_kind.setdefault(d.get("kind"), []).append(d)

    config_data = {d["metadata"]["name"]: (d.get("data") or {}) for d in by_kind.get("ConfigMap", [])}
    config_maps = {name: set(data.keys()) for name, data in config_data.items()}
    secrets = {d["metadata"]["name"]: set((d.get("data") or {}).keys()) | set((d.get("stringData") or {}).keys())
               for d in by_kind.get("Secret", [])}
    claims = {d["metadata"]["name"] for d in by_kind.get("PersistentVolumeClaim", [])}
    pod_labels = []

    for d in docs:
        spec, meta = pod_spec(d)
        if spec is None:
            continue
        name = f"{d['kind']} {d['metadata']['name']}"
        is_ksvc = d["kind"] == "Service"
        labels = (meta or {}).get("labels", {})
        if d["kind"] in ("Deployment", "StatefulSet"):
            pod_labels.append(labels)
            selector = d["spec"].get("selector", {}).get("matchLabels", {})
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                problem(label, f"{name}: selector {selector} does not match the pod labels {labels}")
        unknown_fields(label, f"{name} pod spec", spec, POD_SPEC_FIELDS)
        pod_sc = spec.get("securityContext", {})
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for template in d.get("spec", {}).get("volumeClaimTemplates", []) if d["kind"] == "StatefulSet" else []:
            volumes[template["metadata"]["name"]] = {"name": template["metadata"]["name"]}
        for v in volumes.values():
            claim = v.get("persistentVolumeClaim", {}).get("claimName")
            if claim and claim not in claims:
                problem(label, f"{name}: volume {v['name']} claims {claim}, which is not defined")
            cm = v.get("configMap", {}).get("name")
            if cm and cm not in config_maps:
                problem(label, f"{name}: volume {v['name']} uses ConfigMap {cm}, which is not defined")
        for c in spec.get("containers", []):
            cname = f"{name} container {c.get('name', '?')}"
            if not c.get("image"):
                problem(label, f"{cname}: no image")
            sc = c.get("securityContext", {})
            unknown_fields(label, cname, c, CONTAINER_FIELDS)
            unknown_fields(label, f"{cname} securityContext", sc, SECURITY_CONTEXT_FIELDS)
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                unknown_fields(label, f"{cname} {probe}", c.get(probe), PROBE_FIELDS)
            if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
                problem(label, f"{cname}: not runAsNonRoot")
            if sc.get("allowPrivilegeEscalation") is not False:
                problem(label, f"{cname}: allowPrivilegeEscalation is not false")
            if "limits" not in c.get("resources", {}):
                problem(label, f"{cname}: no resource limits")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    problem(label, f"{cname}: mounts undefined volume {m['name']}")
            env_names = []
            for e in c.get("env", []):
                env_names.append(e["name"])
                ref = e.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    r = ref["configMapKeyRef"]
                    if r["key"] not in config_maps.get(r["name"], set()):
                        problem(label, f"{cname}: {e['name']} refers to missing ConfigMap key {r['name']}/{r['key']}")
                if "secretKeyRef" in ref:
                    r = ref["secretKeyRef"]
                    if r["key"] not in secrets.get(r["name"], set()):
                        problem(label, f"{cname}: {e['name']} refers to missing Secret key {r['name']}/{r['key']}")
            for ef in c.get("envFrom", []):
                ref = ef.get("configMapRef", {}).get("name")
                if ref and ref not in config_maps:
                    problem(label, f"{cname}: envFrom ConfigMap {ref} is not defined")
            svc = service_of(c.get("image"))
            if svc:
                check_env_is_read(label, svc, env_names, properties)
                warehouse = env_value(c, "TIDELINE_WAREHOUSE", config_data)
                if warehouse and warehouse.startswith("/"):
                    mount = next((m for m in c.get("volumeMounts", []) if m.get("mountPath") == warehouse), None)
                    if mount is None:
                        problem(label, f"{cname}: the warehouse {warehouse} is not a mounted volume")
                    elif svc == "apply" and mount.get("readOnly"):
                        problem(label, f"{cname}: apply-service writes the warehouse, but it is mounted read-only")
                live = c.get("livenessProbe", {}).get("httpGet", {}).get("path")
                ready = c.get("readinessProbe", {}).get("httpGet", {}).get("path")
                if live != "/q/health/live" or ready != "/q/health/ready":
                    problem(label, f"{cname}: probes must be /q/health/live and /q/health/ready (are {live}, {ready})")
                needs = {"TIDELINE_NATS_URL"} | ({"TIDELINE_WAREHOUSE"} if svc != "gateway" else set()) \
                    | ({"TIDELINE_SECRETS_KEY"} if svc != "apply" else set()) | ({"TIDELINE_API_TOKEN"} if svc == "api" else set())
                for n in sorted(needs - set(env_names)):
                    problem(label, f"{cname}: {n} not set")
                if svc == "gateway":
                    if is_ksvc:
                        problem(label, f"{name}: the gateway must not scale to zero (it must consume its slot continuously)")
                    elif d["spec"].get("replicas") != 1 or d["spec"].get("strategy", {}).get("type") != "Recreate":
                        problem(label, f"{name}: the gateway must be one replica with the Recreate strategy (one reader per slot)")
                if is_ksvc:
                    ann = (meta or {}).get("annotations", {})
                    if "autoscaling.knative.dev/min-scale" not in ann:
                        problem(label, f"{name}: no autoscaling.knative.dev/min-scale annotation")
                    if svc in ("apply", "sync") and ann.get("autoscaling.knative.dev/max-scale") != "1":
                        problem(label, f"{name}: {svc}-service must have max-scale 1 (one writer per table)")

    for d in by_kind.get("Service", []):
        if d.get("apiVersion", "").startswith("serving.knative.dev"):
            continue
        selector = d.get("spec", {}).get("selector", {})
        if not any(all(l.get(k) == v for k, v in selector.items()) for l in pod_labels):
            problem(label, f"Service {d['metadata']['name']}: selector {selector} matches no pod template")

    images = {service_of(c.get("image")) for d in docs for c in (pod_spec(d)[0] or {}).get("containers", [])}
    for s in SERVICES:
        if s not in images:
            problem(label, f"no workload runs {s}-service")
    if knative:
        ksvcs = {service_of(c.get("image")) for d in by_kind.get("Service", []) if d.get("apiVersion", "").startswith("serving")
                 for c in d["spec"]["template"]["spec"]["containers"]}
        if ksvcs != {"api", "apply", "sync"}:
            problem(label, f"the Knative Services run {sorted(x for x in ksvcs if x)}, expected api, apply and sync")


# ---------------------------------------------------------------------------------------------

def check_dockerfiles(repo):
    for s in SERVICES:
        for variant in ("jvm", "native"):
            path = os.path.join(repo, f"{s}-service", "src", "main", "docker", f"Dockerfile.{variant}")
            where = os.path.relpath(path, repo)
            if not os.path.isfile(path):
                problem(where, "missing")
                continue
            lines = [l.strip() for l in open(path, encoding="utf-8") if l.strip() and not l.lstrip().startswith("#")]
            instructions = [l.split()[0].upper() for l in lines if not l.startswith(("&&", "-"))]
            if not instructions or instructions[0] != "FROM":
                problem(where, "does not start with FROM")
            users = [l.split()[1] for l in lines if l.upper().startswith("USER ")]
            if not users or users[-1].split(":")[0] in ("0", "root"):
                problem(where, "does not switch to a non-root USER")
            if "EXPOSE 8080" not in lines:
                problem(where, "does not EXPOSE 8080")
            if not any(l.upper().startswith("ENTRYPOINT") for l in lines):
                problem(where, "no ENTRYPOINT")
            copies = [l for l in lines if l.upper().startswith("COPY")]
            expected = "target/quarkus-app/" if variant == "jvm" else "target/*-runner"
            if not any(expected in l for l in copies):
                problem(where, f"does not copy {expected}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--rendered", action="append", default=[], help="LABEL=FILE of a rendered kustomization")
    args = parser.parse_args()

    files = sorted(glob.glob(os.path.join(args.repo, "deploy", "**", "*.y*ml"), recursive=True))
    for path in files:
        try:
            load_all(path)
        except yaml.YAMLError as e:
            problem(os.path.relpath(path, args.repo), f"does not parse: {e}")
    print(f"parsed {len(files)} YAML files")

    properties = {s: config_properties(args.repo, s) for s in SERVICES}
    check_compose(args.repo, properties)
    for item in args.rendered:
        label, path = item.split("=", 1)
        docs = load_all(path)
        check_manifests(label, docs, properties, knative="knative" in label)
        print(f"checked {len(docs)} rendered resources of {label}")
    check_dockerfiles(args.repo)

    for p in problems:
        print("PROBLEM " + p)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

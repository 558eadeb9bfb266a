#!/usr/bin/env python3
"""Checks deploy/kubernetes against the binary and itself (run by check-ops-files.sh).

- kustomization.yaml lists every manifest, and each exists and parses;
- the kinds the operator needs are there: Deployment, Service, Ingress,
  HorizontalPodAutoscaler, PodDisruptionBudget, a Job running `civitas migrate`, and a
  CronJob running `civitas backup`;
- the sites Deployment: readiness on /readyz and liveness on /healthz, on the port
  its `--ops` listens on; `--no-migrate`; a termination grace period longer than the
  server's 10 s shutdown deadline;
- selectors and references agree (Service, PodDisruptionBudget, HPA, Ingress);
- every CIVITAS_* variable set is one the binary reads (settings.rs KNOWN_ENV);
- every subcommand and flag in the containers' args is one `civitas ... --help` lists.

Usage: check-kubernetes.py CIVITAS_BINARY
"""
import pathlib
import re
import subprocess
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
kdir = root / "deploy" / "kubernetes"
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / "target" / "debug" / "civitas")
problems = []


def problem(msg):
    problems.append(msg)


kust = yaml.safe_load((kdir / "kustomization.yaml").read_text())
listed = kust.get("resources", [])
present = sorted(p.name for p in kdir.glob("*.yaml") if p.name != "kustomization.yaml")
if sorted(listed) != present:
    problem(f"kustomization resources {sorted(listed)} differ from the files {present}")

docs = []
for name in present:
    for doc in yaml.safe_load_all((kdir / name).read_text()):
        if doc:
            docs.append((name, doc))


def of_kind(kind):
    return [d for _, d in docs if d.get("kind") == kind]


for kind in ["Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job", "ConfigMap"]:
    if not of_kind(kind):
        problem(f"no {kind}")

known_env = set(re.findall(r'"(CIVITAS_[A-Z_]+)"', (root / "platform/src/settings.rs").read_text()))
help_cache = {}


def help_of(sub):
    if sub not in help_cache:
        out = subprocess.run([binary, *sub, "--help"], capture_output=True, text=True)
        if out.returncode != 0:
            problem(f"`civitas {' '.join(sub)} --help` failed: {out.stderr.strip()[:200]}")
        help_cache[sub] = out.stdout
    return help_cache[sub]


def check_container(where, c):
    args = c.get("args", [])
    # The subcommand: the leading words before any flag (`backup`, `files sweep`),
    # its first one listed by `civitas --help`.
    words = []
    for a in args[:2]:
        if a.startswith("-"):
            break
        words.append(a)
    if words == ["provision"]:
        words = ["provision", "serve"]
    if not words or not re.search(rf"^\s+{re.escape(words[0])}\s", help_of(()), re.M):
        problem(f"{where}: args {args} start with no civitas subcommand")
        return
    sub = tuple(words)
    text = help_of(sub)
    for a in args:
        if a.startswith("--") and a not in text:
            problem(f"{where}: `civitas {' '.join(sub)}` has no flag {a}")
    for e in c.get("env", []):
        if e["name"].startswith("CIVITAS_") and e["name"] not in known_env:
            problem(f"{where}: unknown variable {e['name']}")


for cm in of_kind("ConfigMap"):
    for key in cm.get("data", {}):
        if key not in known_env:
            problem(f"ConfigMap {cm['metadata']['name']}: {key} is not a variable civitas reads")

for d in of_kind("Deployment") + of_kind("Job"):
    for c in d["spec"]["template"]["spec"]["containers"]:
        check_container(f"{d['kind']} {d['metadata']['name']}", c)
for cj in of_kind("CronJob"):
    for c in cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]:
        check_container(f"CronJob {cj['metadata']['name']}", c)

sites = [d for d in of_kind("Deployment") if d["metadata"]["labels"].get("app.kubernetes.io/component") == "sites"]
if len(sites) != 1:
    problem("expected one Deployment with component=sites")
else:
    site = sites[0]
    spec = site["spec"]["template"]["spec"]
    c = spec["containers"][0]
    args = c["args"]
    ops = args[args.index("--ops") + 1] if "--ops" in args else None
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    if not ops or ports.get("ops") != int(ops.rsplit(":", 1)[1]):
        problem(f"sites: the ops port {ports.get('ops')} is not the one --ops listens on ({ops})")
    for probe, path in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")]:
        got = c.get(probe, {}).get("httpGet", {})
        if got.get("path") != path or got.get("port") != "ops":
            problem(f"sites: {probe} must GET {path} on the ops port, got {got}")
    if "--no-migrate" not in args:
        problem("sites: pods must start with --no-migrate (the Job migrates)")
    if spec.get("terminationGracePeriodSeconds", 30) <= 10:
        problem("sites: terminationGracePeriodSeconds must exceed the 10 s shutdown deadline")
    labels = site["spec"]["template"]["metadata"]["labels"]

    def selects(selector):
        return all(labels.get(k) == v for k, v in selector.items())

    svc = [s for s in of_kind("Service") if selects(s["spec"]["selector"])]
    if not svc:
        problem("no Service selects the sites pods")
    for pdb in of_kind("PodDisruptionBudget"):
        if not selects(pdb["spec"]["selector"]["matchLabels"]):
            problem("the PodDisruptionBudget does not select the sites pods")
    for hpa in of_kind("HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] != site["metadata"]["name"]:
            problem("the HPA does not scale the sites Deployment")
    svc_ports = {p["name"] for s in svc for p in s["spec"]["ports"]}
    for ing in of_kind("Ingress"):
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                b = p["backend"]["service"]
                if b["name"] not in {s["metadata"]["name"] for s in svc} or b["port"]["name"] not in svc_ports:
                    problem(f"Ingress backend {b} is not the sites Service")
                if b["port"]["name"] == "ops":
                    problem("the Ingress must never route the ops port")

jobs = [j for j in of_kind("Job") if j["spec"]["template"]["spec"]["containers"][0].get("args") == ["migrate"]]
if not jobs:
    problem("no Job runs `civitas migrate`")
backups = [
    cj
    for cj in of_kind("CronJob")
    if cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].get("args", [])[:1] == ["backup"]
]
if not backups:
    problem("no CronJob runs `civitas backup`")

for p in problems:
    print(f"FAIL - kubernetes: {p}")
if problems:
    sys.exit(1)
print(f"ok   - deploy/kubernetes: {len(docs)} objects agree with the binary and with each other")

#!/usr/bin/env python3
"""Prints the provisioning benchmark's figures, ratios and floors from a result folder."""
import json
import os
import sys

out = sys.argv[1]


def load(name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def mib(n):
    return f"{int(n) / 1048576:,.1f} MiB"


cc, dc = load("civitas-create.json"), load("django-create.json")
cu, du = load("civitas-upgrade.json"), load("django-upgrade.json")
n = cc["tenants"]
c, d = cc["post_to_active"], dc["create"]
print(f"create, {n} tenants one at a time (ms)   median      p99      max   sum of creates")
print(f"  Civitas, POST -> job succeeded    {c['median_ms']:8.1f} {c['p99_ms']:8.1f} {c['max_ms']:8.1f} {cc['sum_s']:7.1f} s")
r = cc["job_run"]
print(f"  Civitas, job run (started->done)  {r['median_ms']:8.1f} {r['p99_ms']:8.1f} {r['max_ms']:8.1f}")
q = cc["job_queued"]
print(f"  Civitas, job queued (created->started) {q['median_ms']:5.1f} {q['p99_ms']:8.1f} {q['max_ms']:8.1f}")
print(f"  django-tenants, save+domain+pages {d['median_ms']:8.1f} {d['p99_ms']:8.1f} {d['max_ms']:8.1f} {dc['sum_s']:7.1f} s")
print(f"  first/last 100 median: Civitas {cc['first_100_median_ms']} / {cc['last_100_median_ms']} ms, "
      f"django-tenants {dc['first_100_median_ms']} / {dc['last_100_median_ms']} ms")
print(f"ratio Civitas / django-tenants: median {c['median_ms'] / d['median_ms']:.2f}, p99 {c['p99_ms'] / d['p99_ms']:.2f} "
      f"(job run only: median {r['median_ms'] / d['median_ms']:.2f})")
print()
print(f"upgrade, one new migration on {n} tenants")
print(f"  Civitas, POST /api/v1/upgrades -> succeeded: {cu['post_to_done_s']} s (job run {cu['job_run_s']} s, "
      f"{cu['concurrency']} at a time, attempts {cu['attempts']})")
print(f"  django-tenants, migrate_schemas --tenant: {du['migrate_schemas_s']} s")
print(f"ratio Civitas / django-tenants: {cu['post_to_done_s'] / du['migrate_schemas_s']:.2f}")
print()
print("sizes                          database     pg_catalog    app catalog   pg_class rows")
for name in ("civitas-size-before", "civitas-size-after", "civitas-size-upgraded", "django-size-before", "django-size-after"):
    s = load(name + ".json")
    print(f"  {name:26} {mib(s['database_bytes']):>12} {mib(s['pg_catalog_bytes']):>12} "
          f"{mib(s['app_catalog_bytes']):>12} {s['pg_class_rows']:>10}")
print()
median_ok = c["median_ms"] < 500
upgrade_ok = cu["post_to_done_s"] < 300
print(f"floor: median create under 500 ms: {c['median_ms']} ms -> {'met' if median_ok else 'NOT MET'}")
print(f"floor: {n} tenants upgraded under 5 min: {cu['post_to_done_s']} s -> {'met' if upgrade_ok else 'NOT MET'}")
print()
print("machine load by phase (5 s samples): mean 1-min load average, samples with another compiler running")
phases, current = {}, None
for line in open(os.path.join(out, "load.log")):
    parts = line.split()
    if len(parts) >= 3 and parts[1] == "phase":
        current = " ".join(parts[2:])
        phases.setdefault(current, [])
    elif current and len(parts) >= 7 and parts[1] == "load":
        phases[current].append((float(parts[2]), int(parts[6] or 0)))
for name, samples in phases.items():
    if samples:
        loads = [s[0] for s in samples]
        busy = sum(1 for s in samples if s[1] > 0)
        print(f"  {name:24} load {sum(loads) / len(loads):4.2f}   rustc in {busy} of {len(samples)} samples")

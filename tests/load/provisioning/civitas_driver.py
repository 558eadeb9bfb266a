#!/usr/bin/env python3
"""Drives the Civitas provisioning API for the provisioning benchmark (stdlib only).

  civitas_driver.py create  --api URL --token T --count N --out FILE.json
      POSTs /api/v1/tenants N times, one at a time. Each create is timed from just
      before the POST until GET /api/v1/jobs/{id} (polled every POLL_MS, default
      20 ms) reports the job `succeeded`: both steps committed, the tenant is
      `active`. The job's own timestamps give the server-side split (queued ->
      started -> finished).
  civitas_driver.py upgrade --api URL --token T --concurrency C --out FILE.json
      POSTs /api/v1/upgrades and times it until the job has succeeded.
"""
import argparse
import datetime
import json
import math
import statistics
import sys
import time
import urllib.error
import urllib.request

POLL_S = 0.020


def call(api, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(api + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_job(api, token, job_id, poll, limit_s):
    start = time.monotonic()
    while True:
        status, body = call(api, token, "GET", "/api/v1/jobs/" + job_id)
        if status != 200:
            sys.exit(f"GET job {job_id}: {status} {body}")
        job = body["job"]
        if job["status"] in ("succeeded", "failed"):
            return job
        if time.monotonic() - start > limit_s:
            sys.exit(f"job {job_id} still {job['status']} after {limit_s} s")
        time.sleep(poll)


def ts(value):
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def percentile(values, p):
    ordered = sorted(values)
    # Nearest rank.
    index = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(values):
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "min_ms": round(min(values) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1),
    }


def create_one(api, token, i, prefix="bench"):
    """Creates tenant `i`; returns (POST -> succeeded, queued, run) in seconds."""
    slug = f"{prefix}{i:04d}"
    body = {
        "slug": slug,
        "name": f"Benchmark tenant {i}",
        "hosts": [f"{slug}.test"],
        "locales": ["fr", "en"],
        "modules": ["pages", "blog"],
        "description": f"Tenant {i} of the provisioning benchmark",
    }
    t0 = time.monotonic()
    status, answer = call(api, token, "POST", "/api/v1/tenants", body)
    if status != 202:
        sys.exit(f"POST /api/v1/tenants {slug}: {status} {answer}")
    job = wait_job(api, token, answer["job"]["id"], POLL_S, 60)
    t1 = time.monotonic()
    if job["status"] != "succeeded":
        sys.exit(f"create {slug} failed: {job.get('error')}")
    queued = (ts(job["started_at"]) - ts(job["created_at"])).total_seconds()
    run = (ts(job["finished_at"]) - ts(job["started_at"])).total_seconds()
    return t1 - t0, queued, run


def create_result(samples, wall_s):
    total, queued, run = (list(x) for x in zip(*samples))
    return {
        "tenants": len(samples),
        "wall_s": round(wall_s, 1),
        "sum_s": round(sum(total), 1),
        "post_to_active": summary(total),
        "job_queued": summary(queued),
        "job_run": summary(run),
        "first_100_median_ms": round(statistics.median(total[:100]) * 1000, 1),
        "last_100_median_ms": round(statistics.median(total[-100:]) * 1000, 1),
    }


def create(args):
    samples = []
    started = time.monotonic()
    for i in range(args.count):
        samples.append(create_one(args.api, args.token, i, args.prefix))
        if (i + 1) % 100 == 0:
            print(f"  {i + 1} tenants, median so far {statistics.median(s[0] for s in samples) * 1000:.0f} ms", flush=True)
    result = create_result(samples, time.monotonic() - started)
    json.dump(result, open(args.out, "w"), indent=2)
    print(json.dumps(result, indent=2))


def upgrade(args):
    t0 = time.monotonic()
    status, answer = call(args.api, args.token, "POST", "/api/v1/upgrades", {"concurrency": args.concurrency})
    if status != 202:
        sys.exit(f"POST /api/v1/upgrades: {status} {answer}")
    job = wait_job(args.api, args.token, answer["job"]["id"], 0.1, 3600)
    t1 = time.monotonic()
    if job["status"] != "succeeded":
        sys.exit(f"upgrade failed: {job.get('error')}")
    result = {
        "concurrency": args.concurrency,
        "post_to_done_s": round(t1 - t0, 2),
        "job_run_s": round((ts(job["finished_at"]) - ts(job["started_at"])).total_seconds(), 2),
        "attempts": job["attempts"],
        "job_result": job["result"],
    }
    json.dump(result, open(args.out, "w"), indent=2)
    print(json.dumps(result, indent=2))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--prefix", default="bench")
    u = sub.add_parser("upgrade")
    u.add_argument("--concurrency", type=int, default=4)
    for p in (c, u):
        p.add_argument("--api", required=True)
        p.add_argument("--token", required=True)
        p.add_argument("--out", required=True)
    args = parser.parse_args()
    {"create": create, "upgrade": upgrade}[args.command](args)


if __name__ == "__main__":
    main()

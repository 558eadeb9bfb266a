#!/usr/bin/env bash
# Runs every check and test of Civitas, as CI does: formatting, lints, the
# dependency rule, unit and end-to-end tests against a real PostgreSQL, the ops
# files, and the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

CIVITAS_SETUP_TESTS=1 bash deploy/dev/setup.sh

# The tests' two PostgreSQL clusters (the second holds tenants placed on another
# cluster), each started by the first test that needs it.
stop_test_cluster() {
  local bin data
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  for data in "$root/target/tmp/test-pg/data" "$root/target/tmp/test-pg2/data"; do
    [ -f "$data/postmaster.pid" ] || continue
    if [ "$(id -u)" -eq 0 ]; then
      runuser -u postgres -- "$bin/pg_ctl" stop -D "$data" -m fast -w >/dev/null 2>&1 || true
    else
      "$bin/pg_ctl" stop -D "$data" -m fast -w >/dev/null 2>&1 || true
    fi
  done
}
trap stop_test_cluster EXIT

echo "== format"
cargo fmt --all -- --check

echo "== lints"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tenant-core knows nothing of HTTP"
forbidden=$(cargo tree -p tenant-core -e normal --prefix none | grep -E '^(actix-web|actix-http|tera|openidconnect|reqwest) ' || true)
if [ -n "$forbidden" ]; then
  echo "tenant-core depends on: $forbidden" >&2
  exit 1
fi
echo "ok"

echo "== unit and end-to-end tests"
cargo test --workspace

echo "== participatory budget rules against pabutools (the reference library), same files, same run"
bash budget-rules/pabutools/compare.sh

echo "== ops files (Prometheus rules, Grafana dashboard, systemd unit)"
bash deploy/check-ops-files.sh

echo "== provisioning API description (OpenAPI)"
bash deploy/check-openapi.sh

echo "== browser tests (headless Chromium)"
CIVITAS_BIN="$root/target/debug/civitas" bash tests/browser/run.sh

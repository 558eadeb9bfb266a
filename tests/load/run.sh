#!/usr/bin/env bash
# Load benchmark for the foundation (issue "Foundation"): the tenant home page
# across 100 tenants, each request with a different Host, and in the same run the
# process's own /healthz as the baseline. Also the home page with the page cache
# off, so the database path is measured too. Loopback only, bounded duration.
#
#   bash tests/load/run.sh            # defaults: 100 tenants, 64 connections, 15 s
#   DURATION=30s CONNECTIONS=64 bash tests/load/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
TENANTS=${TENANTS:-100}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}

command -v wrk >/dev/null || CIVITAS_SETUP_TESTS=1 bash deploy/dev/setup.sh
cargo build --release --bin civitas
bin="$root/target/release/civitas"

data=$(mktemp -d /tmp/civitas-bench.XXXXXX)
chmod 755 "$data"
export CIVITAS_DATA_DIR="$data" CIVITAS_THEMES_DIR="$root/themes" CIVITAS_LOG=warn
unset CIVITAS_DATABASE_URL
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

start_server() { # args: extra flags; sets server_pid, http_port, ops_port
  local log="$data/serve.$$.$RANDOM.out"
  "$bin" serve --http 127.0.0.1:0 --ops 127.0.0.1:0 --provisioning 127.0.0.1:0 --workers 2 --pool-size 8 "$@" >"$log" 2>"$data/serve.err" &
  server_pid=$!
  for _ in $(seq 1 300); do
    if grep -q "ops on" "$log" 2>/dev/null; then break; fi
    sleep 0.1
  done
  http_port=$(sed -n 's|^civitas: tenant sites on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
  ops_port=$(sed -n 's|^civitas: ops on http://127.0.0.1:\([0-9]*\) .*|\1|p' "$log")
  [ -n "$http_port" ] && [ -n "$ops_port" ] || { cat "$data/serve.err"; echo "server did not start" >&2; exit 1; }
}
stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "== starting civitas and creating $TENANTS tenants"
start_server --page-cache-ms 1000
for i in $(seq 0 $((TENANTS - 1))); do
  slug=$(printf 'bench%03d' "$i")
  "$bin" tenant create --slug "$slug" --name "Bench tenant $i" --host "$slug.test" \
    --locale fr --locale en --module pages --module blog --description "Tenant $i of the load benchmark" >/dev/null
done
# Let the directory pick the last one up (NOTIFY, well under 2 s).
sleep 2
for i in 0 $((TENANTS - 1)); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $(printf 'bench%03d' "$i").test" "http://127.0.0.1:$http_port/")
  [ "$code" = 200 ] || { echo "tenant $i answered $code" >&2; exit 1; }
done

run_wrk() { # label url [script]
  local label=$1 url=$2 script=${3:-}
  local out="$data/wrk-$label.txt"
  if [ -n "$script" ]; then
    CIVITAS_BENCH_TENANTS=$TENANTS wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$url" >"$out"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$out"
  fi
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$out")
  printf '%-34s %12s req/s   p50 %9s   p99 %9s   non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "${errors:-0}"
  eval "${label//-/_}_rps=$rps"
}

echo "== machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION (server: 2 workers, pool of 8; wrk on the same 2 cores)"
curl -s -o /dev/null -H "Host: bench000.test" "http://127.0.0.1:$http_port/"
run_wrk home-cached "http://127.0.0.1:$http_port/" tests/load/hosts.lua
run_wrk healthz "http://127.0.0.1:$ops_port/healthz"
stop_server

start_server --page-cache-ms 0 --no-migrate
run_wrk home-uncached "http://127.0.0.1:$http_port/" tests/load/hosts.lua
run_wrk healthz-again "http://127.0.0.1:$ops_port/healthz"
stop_server

awk -v a="$home_cached_rps" -v b="$healthz_rps" -v c="$home_uncached_rps" -v d="$healthz_again_rps" 'BEGIN {
  printf "ratio home (cached) / healthz   = %.2f\n", a / b
  printf "ratio home (uncached) / healthz = %.2f\n", c / d
}'

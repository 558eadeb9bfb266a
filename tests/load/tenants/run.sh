#!/usr/bin/env bash
# Many tenants (issue 8, "Operations at hosting scale"): TENANTS tenants (1,000) on one
# `civitas serve`, each with a process, a proposals component (20 proposals) and an
# open petition; then the same mixed load against the first 10, the first 100 and
# all of them: requests spread at random over the tenants, each with its Host,
# 10 reads (home, processes, proposals list, petitions list, petition page) for one
# write (a petition signature). Records requests/s, p50/p99, errors, the civitas
# process's peak RSS and the PostgreSQL connections in use (sampled), per size.
# Floor: with 1,000 tenants, at least 80 % of the 10-tenant throughput, and RSS
# under 300 MB. Loopback only.
#
#   bash tests/load/tenants/run.sh
#   TENANTS=100 SIZES="10 100" DURATION=10s bash tests/load/tenants/run.sh   # a quick try
#   CIVITAS_BIN=target/release/civitas bash tests/load/tenants/run.sh         # no build
#   SERVE_ARGS="--page-cache-ms 0" bash tests/load/tenants/run.sh  # more `civitas serve` options
#   REUSE=/tmp/tenants-data bash tests/load/tenants/run.sh   # keep the data folder and,
#       when it already holds the tenants, skip their creation (to compare binaries)
# Results: target/bench-tenants/<time>/ (wrk outputs, samples, summary.txt).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
here="$root/tests/load/tenants"
TENANTS=${TENANTS:-1000}
SIZES=${SIZES:-10 100 $TENANTS}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-120s}
WARMUP=${WARMUP:-150s}
THREADS=${THREADS:-2}
POOL=${POOL:-8}

command -v wrk >/dev/null || CIVITAS_SETUP_TESTS=1 bash deploy/dev/setup.sh
command -v psql >/dev/null || bash deploy/dev/setup.sh
cargo build --release -p platform --example petition_proofs
if [ -z "${CIVITAS_BIN:-}" ]; then
  cargo build --release --bin civitas
  bin="$root/target/release/civitas"
else
  bin=$(realpath "$CIVITAS_BIN")
  unset CIVITAS_BIN # the binary refuses unknown CIVITAS_ variables
fi
minter="$root/target/release/examples/petition_proofs"

out="$root/target/bench-tenants/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
if [ -n "${REUSE:-}" ]; then
  data=$REUSE
  mkdir -p "$data"
  KEEP_DATA=1
else
  data=$(mktemp -d /tmp/civitas-tenants-bench.XXXXXX)
fi
chmod 755 "$data"
export CIVITAS_DATA_DIR="$data" CIVITAS_THEMES_DIR="$root/themes" CIVITAS_LOG=warn
unset CIVITAS_DATABASE_URL CIVITAS_CONFIG
server_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "${KEEP_DATA:-}" ]; then echo "data kept in $data"; else rm -rf "$data"; fi
}
trap cleanup EXIT
fail() { echo "BENCHMARK FAILED: $*" >&2; exit 1; }
started=$(date +%s)
stamp() { echo "[$(($(date +%s) - started)) s] $*"; }
sql() { psql -h "$data/pg/run" -U postgres -d civitas -Atq -v ON_ERROR_STOP=1 "$@"; }
slug_of() { printf 'multi%04d' "$1"; }

{
  echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "postgresql: $(/usr/lib/postgresql/*/bin/postgres --version | tail -n 1)"
  echo "commit: $(git rev-parse --short HEAD) $(git log -1 --format=%s)$(git diff --quiet HEAD -- platform tenant-core themes migrations || echo ' (with uncommitted changes)')"
  echo "wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up) per size; server: --workers 2 --pool-size $POOL ${SERVE_ARGS:-}"
} | tee "$out/machine.txt"

log="$data/serve.out"
# shellcheck disable=SC2086
"$bin" serve --http 127.0.0.1:0 --ops 127.0.0.1:0 --provisioning 127.0.0.1:0 --workers 2 --pool-size "$POOL" ${SERVE_ARGS:-} \
  >"$log" 2>"$data/serve.err" &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "provisioning on" "$log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
http_port=$(sed -n 's|^civitas: tenant sites on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
[ -n "$http_port" ] || { cat "$data/serve.err" >&2; fail "server did not start"; }
ops_port=$(sed -n 's|^civitas: ops on http://127.0.0.1:\([0-9]*\) .*$|\1|p' "$log")
cache_counts() { # "<hits> <misses>" of the page cache so far
  curl -s "http://127.0.0.1:$ops_port/metrics" |
    awk '/^civitas_page_cache_hits_total/ {h = $2} /^civitas_page_cache_misses_total/ {m = $2} END {printf "%d %d\n", h, m}'
}

if [ -f "$data/sites.txt" ] && [ "$(wc -l <"$data/sites.txt")" -ge "$TENANTS" ]; then
  stamp "reusing the $TENANTS tenants of $data"
else
  stamp "creating $TENANTS tenants (proposals, petitions), two at a time"
  pids=()
  two_at_a_time() {
    "$@" &
    pids+=($!)
    if [ "${#pids[@]}" -ge 2 ]; then wait "${pids[@]}"; pids=(); fi
  }
  create_tenant() {
    "$bin" tenant create --slug "$(slug_of "$1")" --name "Ville $1" --host "$(slug_of "$1").test" \
      --locale fr --module proposals --module petitions >/dev/null 2>>"$data/create.err" || true
  }
  for i in $(seq 0 $((TENANTS - 1))); do two_at_a_time create_tenant "$i"; done
  [ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}"; pids=()
  for _ in $(seq 1 240); do
    active=$(sql -c "SELECT count(*) FROM catalog.tenants WHERE status = 'active' AND slug LIKE 'multi%'")
    [ "$active" = "$TENANTS" ] && break
    sleep 0.5
  done
  [ "$active" = "$TENANTS" ] || { tail -n 20 "$data/create.err" >&2; fail "$active of $TENANTS tenants active"; }

  stamp "content: a process with 20 proposals and an open petition in each tenant"
  seed_tenant() {
    local s="t_$(slug_of "$1")"
    sql -v schema="$s" -v users=10 -v proposals=20 -v supports=40 -v comments=20 -v seed="0.$1" \
      -o /dev/null -f "$root/tests/load/participation/generate.sql"
    sql -c "SET search_path TO $s;
      INSERT INTO petition_types (title, threshold, period_days, sign_requires) VALUES ('{\"fr\": \"Pétition\"}', 100000000, 180, 'franceconnect_anonymous');
      INSERT INTO petitions (type_id, author_id, title, body, body_text, state, threshold, submitted_at, published_at, signatures_end_at)
      VALUES (1, 1, 'Ouvrir la bibliothèque le dimanche', '<p>Le dimanche aussi.</p>', 'Le dimanche aussi.', 'open', 100000000, now(), now(), now() + interval '180 days');" >/dev/null
  }
  for i in $(seq 0 $((TENANTS - 1))); do two_at_a_time seed_tenant "$i"; done
  [ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}"; pids=()
  for i in $(seq 0 $((TENANTS - 1))); do
    s="t_$(slug_of "$i")"
    echo "$(slug_of "$i").test /processes/budget-participatif/f/$(sql -c "SELECT id FROM $s.components LIMIT 1")"
  done >"$data/sites.txt"
  sql -c "CHECKPOINT"
  stamp "content ready: $(sql -c "SELECT pg_size_pretty(pg_database_size('civitas'))")"
fi

# Each page answers 200 on the last tenant before any run.
last_host=$(awk 'END {print $1}' "$data/sites.txt")
for path in / /processes "$(awk 'END {print $2}' "$data/sites.txt")" /petitions /petitions/1; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $last_host" "http://127.0.0.1:$http_port$path")
  [ "$code" = 200 ] || fail "$last_host$path answered $code"
done

# Proofs: one new person per signature, spread over the tenants of each size.
targets_for() { # n: "<tenant uuid>:<host>:1" for the first n tenants
  sql -c "SELECT t.id || ':' || t.slug || '.test:1' FROM catalog.tenants t WHERE t.slug LIKE 'multi%' ORDER BY t.slug LIMIT $1"
}

sample() { # pid-of-civitas out-file: every second, RSS (kB), PostgreSQL connections, and
  # the private memory (RssAnon, kB) of civitas's backends: the largest one and their sum
  while kill -0 "$1" 2>/dev/null; do
    local pids backend_max=0 backend_sum=0 kb
    pids=$(sql -c "SELECT pid FROM pg_stat_activity WHERE datname = 'civitas' AND backend_type = 'client backend' AND application_name = 'civitas'")
    for p in $pids; do
      kb=$(awk '/^RssAnon/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
      kb=${kb:-0}
      backend_sum=$((backend_sum + kb))
      [ "$kb" -gt "$backend_max" ] && backend_max=$kb
    done
    printf '%s %s %s %s %s\n' "$(date +%s)" "$(awk '/^VmRSS/ {print $2}' "/proc/$1/status")" \
      "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'civitas' AND backend_type = 'client backend'")" \
      "$backend_max" "$backend_sum" >>"$2"
    sleep 1
  done
}

printf '%-8s %12s %10s %10s %8s %14s %14s %14s\n' tenants "req/s" p50 p99 errors "peak RSS (MB)" "PG conns (max)" \
  "PG backends (MB: largest / all)" \
  | tee "$out/summary.txt"
declare -A rps_of
for n in $SIZES; do
  # Each size is measured after a warm-up with the same mix (caches filled, plans made).
  signatures=$(( 4000 * ${DURATION%s} / 10 + 20000 ))
  # shellcheck disable=SC2046
  "$minter" "$data/master.key" "$signatures" "$data/proofs-$n.txt" $(targets_for "$n")
  BENCH_N=$n BENCH_SITES_FILE="$data/sites.txt" BENCH_PROOFS_FILE="$data/proofs-$n.txt" BENCH_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$here/mixed.lua" "http://127.0.0.1:$http_port/" >"$out/warmup-$n.txt"
  "$minter" "$data/master.key" "$signatures" "$data/proofs-$n.txt" $(targets_for "$n")
  : >"$out/samples-$n.txt"
  sample "$server_pid" "$out/samples-$n.txt" &
  sampler_pid=$!
  read -r hits0 misses0 < <(cache_counts)
  stamp "wrk on $n tenants"
  BENCH_N=$n BENCH_SITES_FILE="$data/sites.txt" BENCH_PROOFS_FILE="$data/proofs-$n.txt" BENCH_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$here/mixed.lua" "http://127.0.0.1:$http_port/" \
    >"$out/wrk-$n.txt"
  kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
  read -r hits1 misses1 < <(cache_counts)
  cache=$(awk -v h=$((hits1 - hits0)) -v m=$((misses1 - misses0)) 'BEGIN { if (h + m) printf "page cache %.0f %% hits", 100 * h / (h + m); else print "page cache unused" }')
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out/wrk-$n.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$out/wrk-$n.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$out/wrk-$n.txt")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$out/wrk-$n.txt")
  socket_errors=$(awk '/Socket errors/ {print $0}' "$out/wrk-$n.txt")
  peak_rss=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")
  max_conns=$(awk 'BEGIN {m = 0} $3 > m {m = $3} END {print m}' "$out/samples-$n.txt")
  backends=$(awk 'BEGIN {m = 0; t = 0} $4 > m {m = $4} $5 > t {t = $5} END {printf "%.0f / %.0f", m / 1024, t / 1024}' "$out/samples-$n.txt")
  rps_of[$n]=$rps
  printf '%-8s %12s %10s %10s %8s %14s %14s %14s %s\n' "$n" "$rps" "$p50" "$p99" "${errors:-0}" "$peak_rss" "$max_conns" \
    "$backends" "$cache $socket_errors" | tee -a "$out/summary.txt"
done

small=$(echo "$SIZES" | awk '{print $1}')
large=$(echo "$SIZES" | awk '{print $NF}')
peak_rss=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")
{
  awk -v a="${rps_of[$large]}" -v b="${rps_of[$small]}" -v l="$large" -v s="$small" \
    'BEGIN { printf "throughput with %s tenants / with %s tenants = %.2f\n", l, s, a / b }'
  if awk -v a="${rps_of[$large]}" -v b="${rps_of[$small]}" -v r="$peak_rss" 'BEGIN { exit !(a >= 0.8 * b && r < 300) }'; then
    echo "floor (at least 80 % of the $small-tenant throughput, peak RSS under 300 MB): met (peak RSS $peak_rss MB)"
  else
    echo "floor (at least 80 % of the $small-tenant throughput, peak RSS under 300 MB): NOT met (peak RSS $peak_rss MB)"
  fi
} | tee -a "$out/summary.txt"
stamp "done; results in $out"

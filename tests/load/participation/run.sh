#!/usr/bin/env bash
# Participation benchmark (issue 5, "Participation core"): one tenant with 10,000
# proposals, 200,000 supports and 50,000 comments (generated in SQL), 99 other tenants
# with a little data each; wrk on
#   list    the big tenant's proposals list: random order (a new seed cookie per
#           request), a category filter on 70 % of requests, pages 1-5 mostly;
#   show    proposal pages with their comments, over 1,000 proposals (the 100 most
#           commented and 900 others);
#   tenants the proposals list of each of the 100 tenants in turn (Host per request);
#   healthz the same process's /healthz on the ops listener (the baseline).
# Floor: p99 under 50 ms for list and show at 32 connections. Loopback only.
#
#   bash tests/load/participation/run.sh
#   DURATION=10s CONNECTIONS=32 bash tests/load/participation/run.sh
#   WARMUP=0 bash tests/load/participation/run.sh     # cold caches: no warm-up run
#   CIVITAS_BIN=target/release/civitas bash tests/load/participation/run.sh   # no build
#   PERF=1 RUNS="list show" bash tests/load/participation/run.sh  # with perf profiles
#   KEEP_DATA=1 bash tests/load/participation/run.sh   # keep the data folder (to profile again)
# Results: target/bench-participation/<time>/ (wrk outputs, summary.txt).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
here="$root/tests/load/participation"
TENANTS=${TENANTS:-100}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-20s}
# Each run starts after a warm-up with the same requests, not measured: a running
# server has its place and card caches filled and its statements prepared.
WARMUP=${WARMUP:-5s}
THREADS=${THREADS:-2}
USERS=${USERS:-6000}
PROPOSALS=${PROPOSALS:-10000}
SUPPORTS=${SUPPORTS:-200000}
COMMENTS=${COMMENTS:-50000}
RUNS=${RUNS:-list show tenants healthz}

command -v wrk >/dev/null || CIVITAS_SETUP_TESTS=1 bash deploy/dev/setup.sh
command -v psql >/dev/null || bash deploy/dev/setup.sh
if [ -z "${CIVITAS_BIN:-}" ]; then
  cargo build --release --bin civitas
  bin="$root/target/release/civitas"
else
  bin=$(realpath "$CIVITAS_BIN")
  unset CIVITAS_BIN # the binary refuses unknown CIVITAS_ variables
fi

out="$root/target/bench-participation/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
data=$(mktemp -d /tmp/civitas-part-bench.XXXXXX)
chmod 755 "$data"
export CIVITAS_DATA_DIR="$data" CIVITAS_THEMES_DIR="$root/themes" CIVITAS_LOG=warn
unset CIVITAS_DATABASE_URL CIVITAS_CONFIG
server_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "${KEEP_DATA:-}" ]; then echo "data kept in $data (server: $bin serve with CIVITAS_DATA_DIR=$data)"; else rm -rf "$data"; fi
}
trap cleanup EXIT
fail() { echo "BENCHMARK FAILED: $*" >&2; exit 1; }
started=$(date +%s)
stamp() { echo "[$(($(date +%s) - started)) s] $*"; }

start_server() { # extra flags; sets server_pid, http_port, ops_port
  local log="$data/serve.$RANDOM.out"
  "$bin" serve --http 127.0.0.1:0 --ops 127.0.0.1:0 --provisioning 127.0.0.1:0 --workers 2 --pool-size 4 "$@" \
    >"$log" 2>>"$data/serve.err" &
  server_pid=$!
  for _ in $(seq 1 600); do
    grep -q "ops on" "$log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  http_port=$(sed -n 's|^civitas: tenant sites on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
  ops_port=$(sed -n 's|^civitas: ops on http://127.0.0.1:\([0-9]*\) .*|\1|p' "$log")
  [ -n "$http_port" ] && [ -n "$ops_port" ] || { cat "$data/serve.err" >&2; fail "server did not start"; }
}
sql() { psql -h "$data/pg/run" -U postgres -d civitas -Atq -v ON_ERROR_STOP=1 "$@"; }
slug_of() { printf 'bench%03d' "$1"; }

{
  echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "postgresql: $(/usr/lib/postgresql/*/bin/postgres --version | tail -n 1)"
  echo "commit: $(git rev-parse --short HEAD) $(git log -1 --format=%s)$(git diff --quiet HEAD -- platform tenant-core themes migrations || echo ' (with uncommitted changes)')"
  echo "wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up); server: --workers 2 --pool-size 4"
} | tee "$out/machine.txt"

stamp "starting civitas, creating $TENANTS tenants with the proposals module"
start_server
# Two at a time (2 cores); `wait` on these pids only (the server is a child too).
pids=()
two_at_a_time() { # command...
  "$@" &
  pids+=($!)
  if [ "${#pids[@]}" -ge 2 ]; then wait "${pids[@]}"; pids=(); fi
}
# The CLI queues a create job and runs it; the server's job workers may claim it
# first ("run by another worker"): the tenant is created all the same, which the
# count below checks.
create_tenant() {
  "$bin" tenant create --slug "$(slug_of "$1")" --name "Participation $1" --host "$(slug_of "$1").test" \
    --locale fr --locale en --module proposals >/dev/null 2>>"$data/create.err" || true
}
for i in $(seq 0 $((TENANTS - 1))); do two_at_a_time create_tenant "$i"; done
[ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}"; pids=()
for _ in $(seq 1 120); do
  active=$(sql -c "SELECT count(*) FROM catalog.tenants WHERE status = 'active' AND slug LIKE 'bench%'")
  [ "$active" = "$TENANTS" ] && break
  sleep 0.5
done
[ "$active" = "$TENANTS" ] || { cat "$data/create.err" >&2; fail "$active of $TENANTS tenants active"; }

stamp "generating data: tenant 0 ($USERS users, $PROPOSALS proposals, $SUPPORTS supports, $COMMENTS comments)"
sql -v schema=t_bench000 -v users="$USERS" -v proposals="$PROPOSALS" -v supports="$SUPPORTS" \
  -v comments="$COMMENTS" -v seed=0.42 -f "$here/generate.sql" >/dev/null
stamp "generating data: tenants 1-$((TENANTS - 1)) (30 users, 20 proposals, 120 supports, 60 comments each)"
for i in $(seq 1 $((TENANTS - 1))); do
  two_at_a_time sql -v schema="t_$(slug_of "$i")" -v users=30 -v proposals=20 -v supports=120 -v comments=60 \
    -v seed="0.$i" -o /dev/null -f "$here/generate.sql"
done
[ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}"; pids=()
# The load's writes reach the disk now, not during the first run.
sql -c "CHECKPOINT"
stamp "data ready"

# What tenant 0 holds, checked against what was asked.
big=t_bench000
read -r n_users n_props n_supports n_comments n_votes n_versions max_depth max_comments bad_counts < <(sql -F ' ' -c "
  SET search_path TO $big;
  SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM proposals), (SELECT count(*) FROM proposal_supports),
         (SELECT count(*) FROM comments), (SELECT count(*) FROM comment_votes), (SELECT count(*) FROM proposal_versions),
         (SELECT max(depth) FROM comments), (SELECT max(comments_count) FROM proposals),
         (SELECT count(*) FROM proposals p WHERE supports_count <> (SELECT count(*) FROM proposal_supports s WHERE s.proposal_id = p.id)
                                              OR comments_count <> (SELECT count(*) FROM comments c WHERE c.resource_kind = 'proposal' AND c.resource_id = p.id))")
echo "tenant 0: $n_users users, $n_props proposals, $n_supports supports, $n_comments comments (max depth $max_depth, at most $max_comments on one proposal), $n_votes comment votes, $n_versions versions" \
  | tee "$out/data.txt"
[ "$n_props" = "$PROPOSALS" ] && [ "$n_supports" = "$SUPPORTS" ] && [ "$n_comments" = "$COMMENTS" ] \
  && [ "$n_versions" = "$PROPOSALS" ] && [ "$bad_counts" = 0 ] || fail "generated data does not match"
sql -c "SELECT pg_size_pretty(pg_database_size('civitas'))" | sed 's/^/database size: /' | tee -a "$out/data.txt"

component=$(sql -c "SELECT id FROM $big.components WHERE module = 'proposals'")
list_path="/processes/budget-participatif/f/$component"
all_pages=$(sql -c "SELECT ceil(count(*) / 20.0) FROM $big.proposals WHERE state = 'published' AND hidden_at IS NULL")
categories=$(sql -c "SELECT string_agg(c.id || ':' || ceil(n / 20.0), ',') FROM $big.space_categories c
  JOIN (SELECT category_id, count(*) AS n FROM $big.proposals WHERE state = 'published' GROUP BY 1) p ON p.category_id = c.id")
# The 100 most commented proposals and 900 others, at random.
sql -c "(SELECT id FROM $big.proposals ORDER BY comments_count DESC, id LIMIT 100)
        UNION ALL (SELECT id FROM (SELECT id FROM $big.proposals ORDER BY comments_count DESC, id OFFSET 100) o ORDER BY random() LIMIT 900)" \
  | sed "s|^|$list_path/|" >"$data/show-paths.txt"
avg_comments=$(sql -c "SELECT round(avg(comments_count), 1) FROM $big.proposals WHERE id IN ($(sed 's|.*/||' "$data/show-paths.txt" | paste -sd,))")
echo "proposal pages: 1,000 proposals, $avg_comments comments each on average, the most commented has $max_comments" | tee -a "$out/data.txt"
for i in $(seq 0 $((TENANTS - 1))); do
  s="t_$(slug_of "$i")"
  echo "$(slug_of "$i").test /processes/budget-participatif/f/$(sql -c "SELECT id FROM $s.components LIMIT 1") $(sql -c "SELECT min(id) FROM $s.space_categories")"
done >"$data/tenants.txt"

# Let the directory pick the last tenants up, then check each page answers.
sleep 2
check() { # host path: 200 or fail
  local code
  code=$(curl -s -o "$data/check.html" -w '%{http_code}' -H "Host: $1" "http://127.0.0.1:$http_port$2")
  [ "$code" = 200 ] || { head -c 2000 "$data/check.html" >&2; fail "$1$2 answered $code"; }
}
check bench000.test "$list_path?category=${categories%%:*}&page=2"
grep -q 'class="card proposal-card' "$data/check.html" || fail "the list shows no proposal"
check bench000.test "$(head -n 1 "$data/show-paths.txt")"
grep -q 'id="comment-' "$data/check.html" || fail "the proposal page shows no comment"
check "$(slug_of $((TENANTS - 1))).test" "$(awk 'END {print $2}' "$data/tenants.txt")"

run_wrk() { # label url [script]
  local label=$1 url=$2 script=${3:-} file="$out/wrk-$1.txt"
  if [ -n "$script" ] && [ "$WARMUP" != 0 ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --latency -s "$script" "$url" >"$out/warmup-$label.txt"
  fi
  echo "$(date +%T) run $label" >>"$out/load.log"
  local perf_pid=""
  if [ -n "${PERF:-}" ] && [ "$label" != healthz ]; then
    # A flat profile of the whole machine during the run (which process, which function).
    perf record -a -F 499 -o "$out/perf-$label.data" -- sleep "${DURATION%s}" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  if [ -n "$script" ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$url" >"$file"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$file"
  fi
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    perf report -i "$out/perf-$label.data" --no-children --sort comm,dso,sym --stdio 2>/dev/null \
      | grep -v '^#' | grep -v '^$' | head -n 60 >"$out/perf-$label.txt" || true
  fi
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' "$file")
  p50=$(awk '$1 == "50%" {print $2}' "$file")
  p99=$(awk '$1 == "99%" {print $2}' "$file")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$file")
  printf '%-8s %10s req/s   p50 %9s   p99 %9s   non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "${errors:-0}" \
    | tee -a "$out/summary.txt"
  eval "${label}_rps=$rps ${label}_p99=$p99"
}

export BENCH_HOST=bench000.test BENCH_LIST="$list_path" BENCH_CATEGORIES="$categories" BENCH_ALL_PAGES="$all_pages"
export BENCH_PATHS_FILE="$data/show-paths.txt" BENCH_TENANTS_FILE="$data/tenants.txt"
stamp "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
# Whatever else runs on the machine (other builds share the cores): every 5 s, the
# load average and how many compilers run, in load.log.
( while true; do echo "$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) rustc $(pgrep -xc rustc || true)"; sleep 5; done ) \
  >>"$out/load.log" 2>/dev/null &
sampler_pid=$!
for run in $RUNS; do
  case $run in
    list) run_wrk list "http://127.0.0.1:$http_port/" "$here/list.lua" ;;
    show) run_wrk show "http://127.0.0.1:$http_port/" "$here/show.lua" ;;
    tenants) run_wrk tenants "http://127.0.0.1:$http_port/" "$here/tenants.lua" ;;
    healthz) run_wrk healthz "http://127.0.0.1:$ops_port/healthz" ;;
    *) fail "unknown run $run" ;;
  esac
done

ms() { # wrk latency (e.g. 12.34ms, 1.02s, 850.00us) in ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; print n }'
}
{
  for label in list show tenants; do
    r="${label}_rps"
    [ -n "${!r:-}" ] && [ -n "${healthz_rps:-}" ] \
      && awk -v a="${!r}" -v b="$healthz_rps" -v l="$label" 'BEGIN { printf "ratio %s / healthz = %.3f\n", l, a / b }'
  done
  for label in list show; do
    p="${label}_p99"
    [ -n "${!p:-}" ] || continue
    if awk -v x="$(ms "${!p}")" 'BEGIN { exit !(x < 50) }'; then
      echo "floor (p99 < 50 ms at $CONNECTIONS connections), $label: met (${!p})"
    else
      echo "floor (p99 < 50 ms at $CONNECTIONS connections), $label: NOT met (${!p})"
    fi
  done
} | tee -a "$out/summary.txt"
kill "$sampler_pid" 2>/dev/null || true; sampler_pid=""
awk '$2 == "load" { n++; if ($7 > 0) busy++; load += $3 } END { printf "during wrk: load average %.1f on average, other compilers running in %d of %d samples\n", load / n, busy, n }' "$out/load.log" \
  | tee -a "$out/summary.txt"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
stamp "done; results in $out"

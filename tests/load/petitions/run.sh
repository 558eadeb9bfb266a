#!/usr/bin/env bash
# Signing benchmark (issue 6, "Petitions"): the request that records a signature
# (GET /petitions/{id}/signature with the proof FranceConnect's callback leaves, and
# the form-token cookie a signer's browser has; it answers with a redirect to the
# petition's page, measured last, on its own),
# across 10 petitions on 3 tenants, with one signature per person enforced; then,
# against the same PostgreSQL in the same run, pgbench with raw_insert.sql: the raw
# limit, one unique insert into the signatures table per transaction, nothing else.
# The server records signatures in batches (one commit for the signatures waiting
# while the previous batch committed): the summary gives its commits, and so the
# average batch.
# Floor: 2,000 signatures/s, and at least half the raw PostgreSQL rate. Loopback only.
#
#   bash tests/load/petitions/run.sh
#   DURATION=30s CONNECTIONS=32 POOL=16 bash tests/load/petitions/run.sh
#   CIVITAS_BIN=target/release/civitas bash tests/load/petitions/run.sh   # no build
# Results: target/bench-petitions/<time>/ (wrk and pgbench outputs, summary.txt).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
here="$root/tests/load/petitions"
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-20s}
THREADS=${THREADS:-2}
POOL=${POOL:-16}
# Proofs to mint: more than the run can use, so none is used twice.
PROOFS=${PROOFS:-200000}

command -v wrk >/dev/null || CIVITAS_SETUP_TESTS=1 bash deploy/dev/setup.sh
command -v psql >/dev/null || bash deploy/dev/setup.sh
pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench | tail -n 1)
cargo build --release -p platform --example petition_proofs
if [ -z "${CIVITAS_BIN:-}" ]; then
  cargo build --release --bin civitas
  bin="$root/target/release/civitas"
else
  bin=$(realpath "$CIVITAS_BIN")
  unset CIVITAS_BIN # the binary refuses unknown CIVITAS_ variables
fi
minter="$root/target/release/examples/petition_proofs"

out="$root/target/bench-petitions/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
data=$(mktemp -d /tmp/civitas-sign-bench.XXXXXX)
chmod 755 "$data"
export CIVITAS_DATA_DIR="$data" CIVITAS_THEMES_DIR="$root/themes" CIVITAS_LOG=warn
unset CIVITAS_DATABASE_URL CIVITAS_CONFIG
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "${KEEP_DATA:-}" ]; then echo "data kept in $data"; else rm -rf "$data"; fi
}
trap cleanup EXIT
fail() { echo "BENCHMARK FAILED: $*" >&2; exit 1; }
started=$(date +%s)
stamp() { echo "[$(($(date +%s) - started)) s] $*"; }

{
  echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "postgresql: $(/usr/lib/postgresql/*/bin/postgres --version | tail -n 1) (synchronous_commit on)"
  echo "commit: $(git rev-parse --short HEAD) $(git log -1 --format=%s)$(git diff --quiet HEAD -- platform tenant-core themes migrations || echo ' (with uncommitted changes)')"
  echo "wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency; server: --workers 2 --pool-size $POOL; pgbench: -c $CONNECTIONS -j $THREADS -T ${DURATION%s} -M prepared"
} | tee "$out/machine.txt"

log="$data/serve.out"
"$bin" serve --http 127.0.0.1:0 --ops 127.0.0.1:0 --provisioning 127.0.0.1:0 --workers 2 --pool-size "$POOL" \
  >"$log" 2>"$data/serve.err" &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "ops on" "$log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
http_port=$(sed -n 's|^civitas: tenant sites on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
[ -n "$http_port" ] || { cat "$data/serve.err" >&2; fail "server did not start"; }
sql() { psql -h "$data/pg/run" -U postgres -d civitas -Atq -v ON_ERROR_STOP=1 "$@"; }

stamp "creating 3 tenants with petitions, 10 open petitions (4, 3, 3)"
targets=()
for i in 0 1 2; do
  "$bin" tenant create --slug "sign$i" --name "Pétitions $i" --host "sign$i.test" --locale fr --module petitions \
    >/dev/null 2>>"$data/create.err" || true
done
for _ in $(seq 1 120); do
  active=$(sql -c "SELECT count(*) FROM catalog.tenants WHERE status = 'active' AND slug LIKE 'sign%'")
  [ "$active" = 3 ] && break
  sleep 0.5
done
[ "$active" = 3 ] || { cat "$data/create.err" >&2; fail "$active of 3 tenants active"; }
for i in 0 1 2; do
  n=$([ "$i" = 0 ] && echo 4 || echo 3)
  sql -c "SET search_path TO t_sign$i;
    INSERT INTO users (nickname, email, locale, role, email_confirmed_at) VALUES ('auteur', 'auteur@sign$i.test', 'fr', 'participant', now());
    INSERT INTO petition_types (title, threshold, period_days, sign_requires) VALUES ('{\"fr\": \"Pétition\"}', 100000000, 180, 'franceconnect_anonymous');
    INSERT INTO petitions (type_id, author_id, title, body, body_text, state, threshold, submitted_at, published_at, signatures_end_at)
    SELECT 1, 1, 'Pétition de charge ' || g, '<p>Signée en masse.</p>', 'Signée en masse.', 'open', 100000000, now(), now(), now() + interval '180 days'
    FROM generate_series(1, $n) g;"
  tenant_id=$(sql -c "SELECT id FROM catalog.tenants WHERE slug = 'sign$i'")
  for p in $(seq 1 "$n"); do targets+=("$tenant_id:sign$i.test:$p"); done
done
[ "${#targets[@]}" = 10 ] || fail "${#targets[@]} petitions, not 10"

stamp "minting $PROOFS proofs (one new person each)"
"$minter" "$data/master.key" "$PROOFS" "$data/proofs.txt" "${targets[@]}"
sql -c "CHECKPOINT"
# The last proof, spent on a check that a signature is recorded: the answer is a
# redirect to the petition's page, which says so to this browser (its cookie).
read -r check_host check_path check_cookie < <(tail -n 1 "$data/proofs.txt")
answer=$(curl -s -o /dev/null -D - -H "Host: $check_host" -H "Cookie: civitas_anon=$check_cookie" \
  "http://127.0.0.1:$http_port$check_path" | tr -d '\r')
location=$(sed -n 's/^[Ll]ocation: //p' <<<"$answer")
remembered=$(sed -n 's/^[Ss]et-[Cc]ookie: \(civitas_signed=[^;]*\).*/\1/p' <<<"$answer")
[[ "$location" == */petitions/*"?notice=petition_signed" && -n "$remembered" ]] || { echo "$answer" >&2; fail "a signature answered: $(head -n 1 <<<"$answer")"; }
code=$(curl -s -o "$data/check.html" -w '%{http_code}' -H "Host: $check_host" -H "Cookie: $remembered" "http://127.0.0.1:$http_port$location")
[ "$code" = 200 ] && grep -q "signature est enregistrée" "$data/check.html" || { head -c 3000 "$data/check.html" >&2; fail "the petition page answered $code"; }
sed -i '$d' "$data/proofs.txt"
before=$(sql -c "SELECT (SELECT count(*) FROM t_sign0.petition_signatures) + (SELECT count(*) FROM t_sign1.petition_signatures) + (SELECT count(*) FROM t_sign2.petition_signatures)")

commits() { sql -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'civitas'"; }
# CPU time (clock ticks, user + system) of the server and of PostgreSQL's processes,
# and the machine's idle ticks, so the summary can say where each signature's CPU went.
ticks() { # process name, or pid
  local t=0 p pids
  if [[ "$1" =~ ^[0-9]+$ ]]; then pids=$1; else pids=$(pgrep -x "$1"); fi
  for p in $pids; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
idle() { awk '/^cpu / {print $5 + $6}' /proc/stat; }
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
commits_before=$(commits)
cpu_before=("$(ticks "$server_pid")" "$(ticks postgres)" "$(idle)")
stamp "wrk: signatures through the server"
TIMEFORMAT='%U %S'
{ time BENCH_PROOFS_FILE="$data/proofs.txt" BENCH_THREADS=$THREADS \
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$here/sign.lua" "http://127.0.0.1:$http_port/" >"$out/wrk-sign.txt"; } 2>"$out/wrk-cpu.txt"
cpu_after=("$(ticks "$server_pid")" "$(ticks postgres)" "$(idle)")
commits_after=$(commits)
rps=$(awk '/^Requests\/sec/ {print $2}' "$out/wrk-sign.txt")
p99=$(awk '$1 == "99%" {print $2}' "$out/wrk-sign.txt")
p50=$(awk '$1 == "50%" {print $2}' "$out/wrk-sign.txt")
requests=$(awk '/requests in/ {print $1}' "$out/wrk-sign.txt")
errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$out/wrk-sign.txt")
[ -z "$errors" ] || fail "$errors answers were not 200 (see $out/wrk-sign.txt)"
[ "$requests" -lt "$PROOFS" ] || fail "the run used every proof: raise PROOFS"
sleep 1
after=$(sql -c "SELECT (SELECT count(*) FROM t_sign0.petition_signatures) + (SELECT count(*) FROM t_sign1.petition_signatures) + (SELECT count(*) FROM t_sign2.petition_signatures)")
stored=$((after - before))
bad=$(sql -c "SELECT count(*) FROM (
    SELECT p.id FROM t_sign0.petitions p WHERE (SELECT count(*) FROM t_sign0.petition_signatures s WHERE s.petition_id = p.id)
      <> (SELECT coalesce(sum(n), 0) FROM t_sign0.petition_signature_counts c WHERE c.petition_id = p.id)
    UNION ALL SELECT p.id FROM t_sign1.petitions p WHERE (SELECT count(*) FROM t_sign1.petition_signatures s WHERE s.petition_id = p.id)
      <> (SELECT coalesce(sum(n), 0) FROM t_sign1.petition_signature_counts c WHERE c.petition_id = p.id)
    UNION ALL SELECT p.id FROM t_sign2.petitions p WHERE (SELECT count(*) FROM t_sign2.petition_signatures s WHERE s.petition_id = p.id)
      <> (SELECT coalesce(sum(n), 0) FROM t_sign2.petition_signature_counts c WHERE c.petition_id = p.id)) x")
# wrk counts the answers it read; a few requests still in flight at the end are stored too.
[ "$stored" -ge "$requests" ] && [ "$stored" -le $((requests + CONNECTIONS)) ] || fail "$stored signatures stored for $requests answers"
[ "$bad" = 0 ] || fail "$bad petitions whose kept count differs from their rows"
commits=$((commits_after - commits_before))
printf 'server   %10s signatures/s   p50 %9s   p99 %9s   (%s answered, %s stored, counts = rows; %s commits, %s signatures each)\n' \
  "$rps" "$p50" "$p99" "$requests" "$stored" "$commits" "$(awk -v s="$stored" -v c="$commits" 'BEGIN { printf "%.1f", s / (c > 0 ? c : 1) }')" \
  | tee -a "$out/summary.txt"
hz=$(getconf CLK_TCK)
awk -v n="$requests" -v hz="$hz" -v c="$((cpu_after[0] - cpu_before[0]))" -v p="$((cpu_after[1] - cpu_before[1]))" \
  -v i="$((cpu_after[2] - cpu_before[2]))" -v w="$(awk '{print $1 + $2}' "$out/wrk-cpu.txt")" \
  'BEGIN { f = 1000000 / hz / n; printf "CPU per signature: civitas %.0f us, PostgreSQL %.0f us, wrk %.0f us, machine idle %.0f us\n", c * f, p * f, w * 1000000 / n, i * f }' \
  | tee -a "$out/summary.txt"

# The server stays up but idle; pgbench talks to the same PostgreSQL.
pgb() { # label script
  local busy0 idle0 busy1 idle1
  busy0=$(busy) idle0=$(idle)
  { time PGOPTIONS="-c search_path=t_sign0" "$pgbench" -h "$data/pg/run" -U postgres -n -M prepared -c "$CONNECTIONS" -j "$THREADS" \
    -T "${DURATION%s}" -D petitions=4 -f "$2" civitas >"$out/pgbench-$1.txt" 2>&1 || { cat "$out/pgbench-$1.txt" >&2; fail "pgbench $1"; }; } 2>"$out/pgbench-$1-cpu.txt"
  busy1=$(busy) idle1=$(idle)
  local tps n
  tps=$(awk '/^tps = / {print $3; exit}' "$out/pgbench-$1.txt")
  n=$(awk '/number of transactions actually processed/ {print $NF; exit}' "$out/pgbench-$1.txt")
  n=${n%%/*}
  printf 'pgbench  %10s %s\n' "$tps" "$1" | tee -a "$out/summary.txt"
  # PostgreSQL's backends that pgbench opened exit with it: their share is the machine's
  # busy time less pgbench's own.
  awk -v n="$n" -v hz="$hz" -v b="$((busy1 - busy0))" -v i="$((idle1 - idle0))" -v w="$(awk '{print $1 + $2}' "$out/pgbench-$1-cpu.txt")" \
    'BEGIN { f = 1000000 / hz / n; printf "CPU per insert: PostgreSQL (and the rest of the machine) %.0f us, pgbench %.0f us, machine idle %.0f us\n", b * f - w * 1000000 / n, w * 1000000 / n, i * f }' \
    | tee -a "$out/summary.txt"
  eval "tps_$1=$tps"
}
stamp "pgbench: the raw unique insert"
sql -c "CHECKPOINT"
pgb raw_insert "$here/raw_insert.sql"
{
  awk -v a="$rps" -v b="$tps_raw_insert" 'BEGIN { printf "ratio server / raw unique insert = %.2f\n", a / b }'
  if awk -v a="$rps" -v b="$tps_raw_insert" 'BEGIN { exit !(a >= 2000 && a >= b / 2) }'; then
    echo "floor (2,000 signatures/s and half the raw rate): met"
  else
    echo "floor (2,000 signatures/s and half the raw rate): NOT met"
  fi
} | tee -a "$out/summary.txt"
# Not the floor's subject, but what a signer's browser asks for next: the petition's
# page the answer redirects to, drawn for that browser (its notice, "you signed on").
stamp "wrk: the petition page a signer lands on"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${PAGE_DURATION:-10s}" --latency -H "Host: $check_host" -H "Cookie: $remembered" \
  "http://127.0.0.1:$http_port$location" >"$out/wrk-page.txt"
page_errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$out/wrk-page.txt")
[ -z "$page_errors" ] || fail "$page_errors petition pages were not 200 (see $out/wrk-page.txt)"
printf 'the petition page a signer lands on: %s req/s, p50 %s, p99 %s\n' "$(awk '/^Requests\/sec/ {print $2}' "$out/wrk-page.txt")" \
  "$(awk '$1 == "50%" {print $2}' "$out/wrk-page.txt")" "$(awk '$1 == "99%" {print $2}' "$out/wrk-page.txt")" | tee -a "$out/summary.txt"
stamp "done; results in $out"

#!/usr/bin/env bash
# Provisioning benchmark (issue 3, "Provisioning service"): create TENANTS tenants
# through the API, then upgrade all of them with one new tenant migration; in the
# same run, the same creation and upgrade with django-tenants (PyPI) on the same
# PostgreSQL server (a separate database), as the baseline. Loopback only.
#
#   bash tests/load/provisioning/run.sh                 # 1,000 tenants
#   TENANTS=50 bash tests/load/provisioning/run.sh      # a quick try
#
# What is measured (see BENCHMARKS.md for the figures):
#   - create: Civitas and django-tenants interleaved, one tenant of each in turn,
#     so both see the same background load. Civitas: per tenant, from just before `POST /api/v1/tenants` until
#     `GET /api/v1/jobs/{id}` (polled every 20 ms) says `succeeded`, i.e. the
#     job's `create` step (catalog rows, schema, every tenant migration, default
#     pages: one transaction) and its `activate` step have committed. One create
#     at a time. The job's timestamps give the server-side part.
#   - upgrade: the server restarted with one extra tenant migration
#     (CIVITAS_TEST_EXTRA_TENANT_MIGRATIONS), then from `POST /api/v1/upgrades`
#     until the job has succeeded; checked in SQL on every tenant schema.
#   - catalog size: PostgreSQL's system catalog (pg_catalog tables, with indexes),
#     Civitas's `catalog` schema and the whole database, before and after.
#   - django-tenants: Client(...).save() (schema + migrate_schemas for it), its
#     Domain and the same four default pages, per tenant; then one new migration
#     applied by `manage.py migrate_schemas --tenant`.
# Results go to target/bench-provisioning/<time>/ (JSON, and summary.txt).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
TENANTS=${TENANTS:-1000}
CONCURRENCY=${CONCURRENCY:-4}
here="$root/tests/load/provisioning"

command -v psql >/dev/null || bash deploy/dev/setup.sh
cargo build --release --bin civitas
bin="$root/target/release/civitas"

out="$root/target/bench-provisioning/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
data=$(mktemp -d /tmp/civitas-prov-bench.XXXXXX)
chmod 755 "$data"
export CIVITAS_DATA_DIR="$data" CIVITAS_THEMES_DIR="$root/themes" CIVITAS_LOG=warn
unset CIVITAS_DATABASE_URL CIVITAS_CONFIG CIVITAS_TEST_EXTRA_TENANT_MIGRATIONS

venv="$root/target/bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import django, django_tenants, psycopg2' 2>/dev/null \
  || "$venv/bin/pip" install -q django django-tenants psycopg2-binary
"$venv/bin/pip" list 2>/dev/null | grep -iE '^(django|django-tenants|psycopg2-binary) ' >"$out/python-packages.txt"

server_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

start_server() { # extra flags; sets server_pid, prov_port
  local log="$data/serve.$RANDOM.out"
  "$bin" serve --http 127.0.0.1:0 --ops 127.0.0.1:0 --provisioning 127.0.0.1:0 --workers 2 --pool-size 8 "$@" \
    >"$log" 2>>"$data/serve.err" &
  server_pid=$!
  for _ in $(seq 1 600); do
    grep -q "provisioning on" "$log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  prov_port=$(sed -n 's|^civitas: provisioning on http://127.0.0.1:\([0-9]*\) .*|\1|p' "$log")
  [ -n "$prov_port" ] || { cat "$data/serve.err" >&2; echo "server did not start" >&2; exit 1; }
}
stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
sql() { # query [database]
  psql -h "$data/pg/run" -U postgres -d "${2:-civitas}" -Atq -v ON_ERROR_STOP=1 -c "$1"
}
sizes() { # database label: one JSON object
  sql "SELECT json_build_object(
         'label', '$2',
         'database_bytes', pg_database_size(current_database()),
         'pg_catalog_bytes', (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                              JOIN pg_namespace n ON n.oid = c.relnamespace
                              WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r'),
         'app_catalog_bytes', (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
                               JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname IN ('catalog', 'public') AND c.relkind = 'r'),
         'pg_class_rows', (SELECT count(*) FROM pg_class),
         'pg_attribute_rows', (SELECT count(*) FROM pg_attribute))" "$1"
}
fail() { echo "BENCHMARK FAILED: $*" >&2; exit 1; }
phase() { echo "$(date +%T) phase $1" >>"$out/load.log"; }

{
  echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "postgresql: $(/usr/lib/postgresql/*/bin/postgres --version | tail -n 1)"
  echo "commit: $(git rev-parse --short HEAD) $(git log -1 --format=%s)"
  echo "python packages: $(tr -s ' \n' ' ' <"$out/python-packages.txt")"
  echo "tenants: $TENANTS, upgrade concurrency: $CONCURRENCY"
} | tee "$out/machine.txt"
# Load on the machine during the run (other builds may share the cores): every 5 s,
# the load average and how many compilers run.
( while true; do echo "$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) rustc $(pgrep -xc rustc || true)"; sleep 5; done ) \
  >>"$out/load.log" 2>/dev/null &
sampler_pid=$!

phase "civitas start"
echo "== Civitas: start, staff token"
start_server
"$bin" staff create --email bench@hebergeur.test >/dev/null 2>&1
token=$("$bin" staff token --email bench@hebergeur.test --name benchmark --scope read,write --days 1 2>/dev/null)
api="http://127.0.0.1:$prov_port"
sizes civitas before-create >"$out/civitas-size-before.json"

phase "django-tenants setup"
"$venv/bin/python" "$here/django_baseline.py" setup --dir "$data/django" --host "$data/pg/run" --db django_bench
sizes django_bench before-create >"$out/django-size-before.json"

phase "create"
echo "== create $TENANTS tenants: Civitas through POST /api/v1/tenants, django-tenants in-process (database"
echo "   django_bench, same PostgreSQL), interleaved one by one so both share whatever else loads the machine"
"$venv/bin/python" "$here/django_baseline.py" create --dir "$data/django" --count "$TENANTS" --out "$out/django-create.json" \
  --civitas-api "$api" --civitas-token "$token" --civitas-out "$out/civitas-create.json"
active=$(sql "SELECT count(*) FROM catalog.tenants WHERE status = 'active' AND slug LIKE 'bench%'")
schemas=$(sql "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 't\_bench%' AND tablename IN ('pages', 'blog_posts')")
[ "$active" = "$TENANTS" ] || fail "$active active tenants, expected $TENANTS"
[ "$schemas" = $((2 * TENANTS)) ] || fail "$schemas tenant tables, expected $((2 * TENANTS))"
sizes civitas after-create >"$out/civitas-size-after.json"
sizes django_bench after-create >"$out/django-size-after.json"

phase "civitas upgrade"
echo "== Civitas: restart with one new tenant migration, upgrade every tenant (POST /api/v1/upgrades)"
extra="$data/extra-migrations/2099-01-01-000001_upgrade_probe"
mkdir -p "$extra"
cat >"$extra/up.sql" <<'SQL'
CREATE TABLE upgrade_probe (id bigserial PRIMARY KEY, note text NOT NULL DEFAULT '');
ALTER TABLE pages ADD COLUMN probe text;
SQL
cat >"$extra/down.sql" <<'SQL'
ALTER TABLE pages DROP COLUMN probe;
DROP TABLE upgrade_probe;
SQL
stop_server
CIVITAS_TEST_EXTRA_TENANT_MIGRATIONS="$data/extra-migrations" start_server --no-migrate
api="http://127.0.0.1:$prov_port"
python3 "$here/civitas_driver.py" upgrade --api "$api" --token "$token" --concurrency "$CONCURRENCY" \
  --out "$out/civitas-upgrade.json"
recorded_query=$(sql "SELECT 'SELECT coalesce(sum(n), 0) FROM (' || string_agg(format(
    'SELECT count(*) AS n FROM %I.__diesel_schema_migrations WHERE version = %L', nspname, '20990101000001'),
    ' UNION ALL ') || ') s' FROM pg_namespace WHERE nspname LIKE 't\_bench%'")
recorded=$(sql "$recorded_query")
columns=$(sql "SELECT count(*) FROM information_schema.columns WHERE table_schema LIKE 't\_bench%' AND table_name = 'pages' AND column_name = 'probe'")
tables=$(sql "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 't\_bench%' AND tablename = 'upgrade_probe'")
echo "upgrade check: migration recorded in $recorded schemas, column in $columns, table in $tables (of $TENANTS)"
[ "$recorded" = "$TENANTS" ] && [ "$columns" = "$TENANTS" ] && [ "$tables" = "$TENANTS" ] \
  || fail "the upgrade did not reach every tenant"
sizes civitas after-upgrade >"$out/civitas-size-upgraded.json"

phase "django-tenants upgrade"
echo "== django-tenants: one new migration, manage.py migrate_schemas --tenant"
"$venv/bin/python" "$here/django_baseline.py" upgrade --dir "$data/django" --out "$out/django-upgrade.json"
dj_columns=$(sql "SELECT count(*) FROM information_schema.columns WHERE table_schema LIKE 't\_bench%' AND table_name = 'pages' AND column_name = 'probe'" django_bench)
[ "$dj_columns" = "$TENANTS" ] || fail "django-tenants upgraded $dj_columns of $TENANTS tenants"
phase "end"
stop_server
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=""

python3 "$here/summary.py" "$out" | tee "$out/summary.txt"
echo "results in $out"

#!/usr/bin/env bash
# Browser tests of the tenant sites and of the staff console: headless Chromium
# (Debian's package) driven by playwright-core, run by node's test runner against a
# `civitas serve` of its own, with two tenants and one staff account (not yet set up)
# in a fresh embedded PostgreSQL that is gone when this script ends, and the
# FranceConnect-like OpenID provider of tests/oidc with one client per tenant.
#
#   bash tests/browser/run.sh                           # every *.test.mjs
#   bash tests/browser/run.sh participation.test.mjs    # only those files
#
# CIVITAS_BIN overrides the binary (default: target/debug/civitas of this checkout).
# Screenshots land in tests/browser/screenshots/ (git-ignored); a failed run names that
# folder on its last line, for a CI to keep as an artifact.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${CIVITAS_BIN:-$repo/target/debug/civitas}"

# The binary refuses unknown CIVITAS_* variables (CIVITAS_BIN is one), and an
# inherited database URL or config file would point it away from the fresh embedded
# database this run is about: keep only CIVITAS_TEST_*.
while IFS= read -r name; do
  case "$name" in
    CIVITAS_TEST_*) ;;
    CIVITAS_*) unset "$name" ;;
  esac
done < <(compgen -e)

if [[ ! -x "$bin" ]]; then
  echo "run.sh: no civitas binary at $bin (build it first, or set CIVITAS_BIN)" >&2
  exit 1
fi

# --- Chromium, from Debian's packages (playwright never downloads a browser here) ---
chromium_packages=(chromium fonts-dejavu-core)
if [[ ! -x /usr/bin/chromium ]]; then
  echo "run.sh: installing ${chromium_packages[*]}" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${chromium_packages[@]}"; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${chromium_packages[@]}"
  fi
fi

# --- playwright-core, from the lock file ---
if [[ ! -d "$here/node_modules" ]]; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# --- a fresh data folder: embedded PostgreSQL and stored logos ---
data_dir="$(mktemp -d /tmp/civitas-browser.XXXXXX)"
chmod 755 "$data_dir" # run as root, the cluster runs as the postgres user
server_log="$data_dir/server.log"
server_pid=""
tests_pid=""
oidc_pid=""
oidc_log="$data_dir/oidc.log"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$tests_pid" ]] && kill -0 "$tests_pid" 2>/dev/null; then
    kill -TERM "$tests_pid" 2>/dev/null || true
    wait "$tests_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do # up to 30 s: the server drains, then stops PostgreSQL
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "run.sh: civitas serve (pid $server_pid) did not stop on SIGTERM; killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  # The OpenID provider is not a child of this shell (start.sh started it): poll.
  if [[ -n "$oidc_pid" ]] && kill -0 "$oidc_pid" 2>/dev/null; then
    kill -TERM "$oidc_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$oidc_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$oidc_pid" 2>/dev/null && kill -KILL "$oidc_pid" 2>/dev/null || true
  fi
  # Should the server have died without stopping its cluster, stop that postmaster.
  local pidfile="$data_dir/pg/data/postmaster.pid"
  if [[ -f "$pidfile" ]]; then
    local pg_pid
    pg_pid="$(head -n 1 "$pidfile")"
    if [[ "$pg_pid" =~ ^[0-9]+$ ]] && kill -0 "$pg_pid" 2>/dev/null; then
      echo "run.sh: the embedded PostgreSQL (pid $pg_pid) was left running; stopping it" >&2
      kill -INT "$pg_pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pg_pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
  fi
  if [[ $status -ne 0 && -s "$server_log" ]]; then
    echo "run.sh: last lines of the server's output:" >&2
    tail -n 40 "$server_log" >&2 || true
  fi
  if [[ $status -ne 0 && -s "$oidc_log" ]]; then
    echo "run.sh: last lines of the OpenID provider's log:" >&2
    tail -n 40 "$oidc_log" >&2 || true
  fi
  # What a CI keeps of a failed run: every screenshot, among them FAILED-<step>.png
  # of the page a failing step was on.
  if [[ $status -ne 0 && -d "$here/screenshots" ]]; then
    echo "screenshots: ${here#"$repo"/}/screenshots" >&2
  fi
  rm -rf "$data_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export CIVITAS_DATA_DIR="$data_dir"
export CIVITAS_THEMES_DIR="$repo/themes"
export CIVITAS_LOG=warn
logos="$repo/deploy/demo/logos"

# --- two tenants (names and hosts are what pages.test.mjs expects) ---
"$bin" tenant create --slug ville --name "Ville de Lumière" \
  --host ville.localhost --host www.ville.localhost \
  --locale fr --locale en --module pages --module blog \
  --theme default --color '#000091' --logo "$logos/lumiere.svg" \
  --description "Participez aux projets de la ville : budget participatif, concertations et consultations." \
  >/dev/null
"$bin" tenant create --slug campus --name "Campus Horizon" \
  --host campus.localhost \
  --locale en --locale fr --module pages \
  --theme civic --color '#6e2a8c' --logo "$logos/campus.svg" \
  --description "Have your say on campus life: consultations, projects and student initiatives." \
  >/dev/null

# A parliament-like petitions site (petitions.test.mjs).
"$bin" tenant create --slug senat --name "Pétitions du Sénat citoyen" \
  --host senat.localhost \
  --locale fr --locale en --module pages --module petitions \
  --theme default --color '#000091' --logo "$logos/parlement.svg" \
  --description "Déposez et signez des pétitions : à 100 000 signatures, elles sont examinées." \
  >/dev/null

# A city's participatory budget (budgets.test.mjs).
"$bin" tenant create --slug quartiers --name "Budget participatif de Quartville" \
  --host quartiers.localhost \
  --locale fr --locale en --module pages --module budgets \
  --theme default --color '#000091' --logo "$logos/lumiere.svg" \
  --description "Votez pour les projets de votre quartier." \
  >/dev/null

# --- the server, on free ports of 127.0.0.1 ---
"$bin" serve --http 127.0.0.1:0 --ops 127.0.0.1:0 --provisioning 127.0.0.1:0 >"$server_log" 2>&1 &
server_pid=$!

http_port=""
ops_port=""
prov_port=""
for _ in $(seq 1 600); do # up to 60 s
  if [[ -z "$http_port" ]]; then
    http_port="$(sed -n 's|^civitas: tenant sites on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$server_log" | head -n 1)"
  fi
  if [[ -z "$ops_port" ]]; then
    ops_port="$(sed -n 's|^civitas: ops on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$server_log" | head -n 1)"
  fi
  if [[ -z "$prov_port" ]]; then
    prov_port="$(sed -n 's|^civitas: provisioning on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$server_log" | head -n 1)"
  fi
  [[ -n "$http_port" && -n "$ops_port" && -n "$prov_port" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: civitas serve exited before listening" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$http_port" || -z "$ops_port" || -z "$prov_port" ]]; then
  echo "run.sh: civitas serve printed no listening address within 60 s" >&2
  exit 1
fi
export CIVITAS_TEST_HTTP_PORT="$http_port"
export CIVITAS_TEST_OPS_PORT="$ops_port"
export CIVITAS_TEST_PROV_PORT="$prov_port"
# Mail goes to files there (no SMTP server is configured): one .eml per message under
# <tenant slug>/, which the tests read links from.
export CIVITAS_TEST_MAIL_DIR="$data_dir/mail"

# Ready means the tenant directory is loaded.
ready=""
for _ in $(seq 1 300); do # up to 30 s
  if node -e "fetch('http://127.0.0.1:$ops_port/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    ready=1
    break
  fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "run.sh: /readyz did not answer 200 within 30 s" >&2
  exit 1
fi
echo "run.sh: civitas serving tenant sites on 127.0.0.1:$http_port (ops $ops_port, console $prov_port)" >&2

# --- the FranceConnect-like provider (tests/oidc), one client per tenant ---
# Written once the site's port is known: redirect URIs are matched exactly. Each
# tenant's provider is set up by identity.test.mjs through the provisioning API, with
# the client of this file whose client_id is civitas-<slug> and the key "fc".
oidc_config="$data_dir/oidc-config.json"
HTTP_PORT="$http_port" node -e '
  const port = process.env.HTTP_PORT;
  const client = (slug, host) => ({
    client_id: `civitas-${slug}`,
    client_secret: `${slug}-browser-test-secret-only-for-local-tests`,
    client_name: `Civitas — ${slug}`,
    redirect_uris: [`http://${host}:${port}/auth/fc/callback`],
    post_logout_redirect_uris: [`http://${host}:${port}/auth/fc/signed-out`],
  });
  const config = {
    port: 0,
    clients: [client("ville", "ville.localhost"), client("campus", "campus.localhost"), client("senat", "senat.localhost")],
    pkce_required: true,
    require_state_nonce: true,
    pairwise_salt: "civitas-browser-tests",
  };
  process.stdout.write(JSON.stringify(config, null, 2) + "\n");
' >"$oidc_config"
if ! oidc_env="$(bash "$repo/tests/oidc/start.sh" "$oidc_config" "$oidc_log")"; then
  echo "run.sh: the OpenID provider did not start" >&2
  exit 1
fi
OIDC_PORT="" OIDC_ISSUER="" OIDC_PID=""
eval "$oidc_env"
oidc_pid="$OIDC_PID"
if [[ -z "$OIDC_ISSUER" || -z "$oidc_pid" ]]; then
  echo "run.sh: tests/oidc/start.sh printed no issuer or pid: $oidc_env" >&2
  exit 1
fi
echo "run.sh: OpenID provider at $OIDC_ISSUER (log $oidc_log)" >&2
export CIVITAS_TEST_OIDC_ISSUER="$OIDC_ISSUER"
export CIVITAS_TEST_OIDC_CONFIG="$oidc_config"

# --- an open petition on senat.localhost, signed through FranceConnect anonymously ---
# (its type and filing are tested end to end in tests/e2e/petitions.rs; here, what a
# signer sees and does in a browser)
psql -h "$data_dir/pg/run" -U postgres -d civitas -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET search_path TO t_senat;
INSERT INTO users (nickname, email, locale, role, email_confirmed_at)
  VALUES ('Auteure', 'auteure@senat.test', 'fr', 'participant', now());
INSERT INTO petition_types (title, description, threshold, period_days, sign_requires)
  VALUES ('{"fr": "Pétition au Sénat", "en": "Petition to the Senate"}', '{}', 100000, 180, 'franceconnect_anonymous');
INSERT INTO petitions (type_id, author_id, title, body, body_text, state, threshold, submitted_at, published_at, signatures_end_at)
  VALUES (1, 1, 'Retransmettre en direct toutes les séances publiques',
          '<p>Nous demandons que chaque séance publique soit retransmise en direct, avec des sous-titres.</p>',
          'Nous demandons que chaque séance publique soit retransmise en direct, avec des sous-titres.',
          'open', 100000, now() - interval '2 days', now() - interval '1 day', now() + interval '179 days');
INSERT INTO petition_events (petition_id, kind, role, at) VALUES
  (1, 'created', 'author', now() - interval '3 days'), (1, 'submitted', 'author', now() - interval '2 days'),
  (1, 'published', 'admin', now() - interval '1 day');
SQL

# --- a participatory budget on quartiers.localhost, its vote open ---
# (its rules, secrecy and results are tested end to end in tests/e2e/budgets.rs; here,
# what a voter and an administrator see and do in a browser). Nadia votes; Régie
# administers; five earlier ballots (random keyed hashes, as real ones say nothing of
# anyone) are already confirmed. Both passwords: budget-Quartville-2027.
psql -h "$data_dir/pg/run" -U postgres -d civitas -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET search_path TO t_quartiers;
INSERT INTO users (nickname, email, password_hash, locale, role, email_confirmed_at, terms_accepted_at) VALUES
  ('Nadia', 'nadia@quartiers.test',
   '$argon2id$v=19$m=19456,t=2,p=1$EFcujIoGiJ/x8pVu9JcJ2g$Qeqpxhj3ZI35cauNQkfpWT+Cl60Pkd5iBXvEa6iCf8o', 'fr', 'participant', now(), now()),
  ('Régie', 'regie@quartiers.test',
   '$argon2id$v=19$m=19456,t=2,p=1$EFcujIoGiJ/x8pVu9JcJ2g$Qeqpxhj3ZI35cauNQkfpWT+Cl60Pkd5iBXvEa6iCf8o', 'fr', 'admin', now(), now());
INSERT INTO spaces (kind, slug, title, published_at)
  VALUES ('process', 'budget-2027', '{"fr": "Budget participatif 2027", "en": "Participatory budget 2027"}', now());
INSERT INTO space_phases (space_id, position, title, active) VALUES
  (1, 0, '{"fr": "Vote", "en": "Vote"}', true), (1, 1, '{"fr": "Résultats", "en": "Results"}', false);
INSERT INTO components (space_id, module, name, settings, phase_settings, published_at) VALUES
  (1, 'budgets', '{"fr": "Votez pour votre quartier", "en": "Vote for your district"}', '{}',
   '{"1": {"voting_enabled": true, "results_published": false}, "2": {"voting_enabled": false, "results_published": true}}', now());
INSERT INTO budgets (component_id, title, amount, currency, money_scale, rule, min_projects, results_rule) VALUES
  (1, '{"fr": "Quartier des Tilleuls", "en": "Tilleuls district"}', 10000000, 'EUR', 2, 'knapsack', 2, 'equal_shares');
INSERT INTO budget_projects (budget_id, pb_id, title, description, amount, category, address, position) VALUES
  (1, '1', 'Un jardin partagé', '<p>Des bacs et un composteur au square.</p>', 4000000, 'Nature', 'Square des Tilleuls', 0),
  (1, '2', 'Une piste cyclable', '<p>De la gare au collège.</p>', 5000000, 'Mobilités', 'Avenue de la Gare', 1),
  (1, '3', 'Des bancs', '<p>Dix bancs le long du canal.</p>', 1500000, 'Cadre de vie', 'Quai du canal', 2),
  (1, '4', 'Une fresque', '<p>Sur le mur du gymnase.</p>', 7000000, 'Culture', 'Rue du stade', 3);
INSERT INTO budget_ballots (budget_id, component_id, voter, state, confirmed_on)
  SELECT 1, 1, md5(random()::text) || md5(random()::text), 'confirmed', current_date FROM generate_series(1, 5);
INSERT INTO budget_ballot_projects (ballot_id, budget_id, project_id)
  SELECT b.id, 1, p.id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM budget_ballots) b
  JOIN budget_projects p ON (b.n <= 3 AND p.pb_id IN ('1', '3')) OR (b.n > 3 AND p.pb_id IN ('4', '3'));
SQL

# --- a staff account for console.test.mjs, which activates it from its setup link ---
# Created with the server's environment, so it uses the running embedded database. The
# link names the configured provisioning address, not the port the server took: keep
# only its path.
staff_email="agent@hebergeur.test"
if ! setup_link="$("$bin" staff create --email "$staff_email" 2>"$data_dir/staff-create.log")"; then
  echo "run.sh: civitas staff create failed:" >&2
  cat "$data_dir/staff-create.log" >&2
  exit 1
fi
setup_path="$(printf '%s\n' "$setup_link" | sed -n 's|^https\{0,1\}://[^/]*\(/setup/[A-Za-z0-9_.~-]*\)$|\1|p' | head -n 1)"
if [[ -z "$setup_path" ]]; then
  echo "run.sh: civitas staff create printed no setup link: $setup_link" >&2
  exit 1
fi
export CIVITAS_TEST_STAFF_EMAIL="$staff_email"
export CIVITAS_TEST_SETUP_PATH="$setup_path"

# An API token of that account, for identity.test.mjs to set up the tenants' sign-in
# providers through the provisioning API. A token needs no activated account.
if ! api_token="$("$bin" staff token --email "$staff_email" --name "browser tests" --scope read,write --days 1 2>"$data_dir/staff-token.log")"; then
  echo "run.sh: civitas staff token failed:" >&2
  cat "$data_dir/staff-token.log" >&2
  exit 1
fi
api_token="$(printf '%s\n' "$api_token" | sed -n 's|^\(cvt_[A-Za-z0-9_-]*\)$|\1|p' | head -n 1)"
if [[ -z "$api_token" ]]; then
  echo "run.sh: civitas staff token printed no cvt_ token" >&2
  exit 1
fi
export CIVITAS_TEST_API_TOKEN="$api_token"

# Screenshots of the previous run go; the test files, run in parallel, only add theirs.
rm -rf "$here/screenshots"
mkdir -p "$here/screenshots"

# In the background and waited for, so that a signal to this script runs the cleanup
# at once instead of after the tests. Chromium's temporary profile goes under the
# data folder, so that it is removed even when the tests are cut short.
mkdir -p "$data_dir/tmp"
cd "$here"
TMPDIR="$data_dir/tmp" node --test --test-reporter=tap --test-reporter-destination=stdout "$@" &
tests_pid=$!
wait "$tests_pid"

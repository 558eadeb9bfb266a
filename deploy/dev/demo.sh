#!/usr/bin/env bash
# Runs the Civitas demo: three institutions with sample content on *.localhost,
# served at http://<name>.localhost:8080/ , with demo accounts and a working
# "S'identifier avec FranceConnect" button backed by a local FranceConnect-like
# provider (tests/oidc, npm oidc-provider). Ctrl-C stops it (and its database).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bash deploy/dev/setup.sh
cargo build --release --bin civitas

port=8080
export CIVITAS_SITE_SCHEME=http CIVITAS_SITE_PORT=$port
oidc_pid=""
cleanup() { [ -n "$oidc_pid" ] && kill "$oidc_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if command -v node >/dev/null 2>&1; then
  mkdir -p var
  config=var/demo-oidc.json
  printf '{"port":0,"clients":[' >"$config"
  sep=""
  for site in lumiere climat campus parlement; do
    printf '%s{"client_id":"civitas-%s","client_secret":"%s-demo-secret","redirect_uris":["http://%s.localhost:%s/auth/fc/callback"],"post_logout_redirect_uris":["http://%s.localhost:%s/auth/fc/signed-out"]}' \
      "$sep" "$site" "$site" "$site" "$port" "$site" "$port" >>"$config"
    sep=","
  done
  printf ']}\n' >>"$config"
  if started=$(bash tests/oidc/start.sh "$config" var/demo-oidc.log); then
    eval "$started"
    oidc_pid=$OIDC_PID
    export CIVITAS_DEMO_FRANCECONNECT_ISSUER=$OIDC_ISSUER
    echo "demo: FranceConnect-like test provider on $OIDC_ISSUER"
  else
    echo "demo: the test OpenID provider did not start; the demo runs without FranceConnect" >&2
  fi
fi

"$root/target/release/civitas" demo --http 127.0.0.1:$port "$@"

#!/usr/bin/env bash
# Starts the FranceConnect-like test provider in the background (see README.md).
#
#   bash tests/oidc/start.sh CONFIG_JSON LOGFILE [PORTFILE]
#
# Installs the npm dependencies first when node_modules is missing (npm ci), starts provider.mjs
# bound to 127.0.0.1 with its output in LOGFILE, waits until it listens (at most 20 s) and prints,
# one per line and ready for `eval`:
#   OIDC_PORT=41234
#   OIDC_ISSUER=http://127.0.0.1:41234/api/v2
#   OIDC_PID=12345
# With PORTFILE, the port number alone is also written to that file. The port comes from the
# config's "port" or $OIDC_PROVIDER_PORT (0 or unset: a free port). Stop the provider with
# `kill $OIDC_PID`. Exits non-zero, with the log on stderr, when the provider does not come up.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: bash tests/oidc/start.sh CONFIG_JSON LOGFILE [PORTFILE]" >&2
  exit 2
fi
config=$1
log=$2
portfile=${3:-}

if [ ! -r "$config" ]; then
  echo "start.sh: cannot read config $config" >&2
  exit 2
fi

if [ ! -d "$here/node_modules/oidc-provider" ]; then
  echo "start.sh: installing the provider's npm dependencies (npm ci)" >&2
  (cd "$here" && npm ci --no-audit --no-fund) >&2
fi

mkdir -p "$(dirname "$log")"
: >"$log"
# stdin and stdout detached, so that a caller reading this script's output is not held open.
node "$here/provider.mjs" "$config" </dev/null >>"$log" 2>&1 &
pid=$!

for _ in $(seq 1 200); do
  if port=$(grep -m1 -oE 'oidc-provider listening on http://127\.0\.0\.1:[0-9]+' "$log" | grep -oE '[0-9]+$'); then
    if [ -n "$portfile" ]; then
      printf '%s\n' "$port" >"$portfile"
    fi
    echo "OIDC_PORT=$port"
    echo "OIDC_ISSUER=http://127.0.0.1:$port/api/v2"
    echo "OIDC_PID=$pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: the provider exited before listening; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

echo "start.sh: the provider is not listening after 20 s; stopping it. Its log:" >&2
kill "$pid" 2>/dev/null || true
cat "$log" >&2
exit 1

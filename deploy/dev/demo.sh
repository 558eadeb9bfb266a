#!/usr/bin/env bash
# Runs the Civitas demo: three institutions with sample content on *.localhost,
# served at http://<name>.localhost:8080/ . Ctrl-C stops it (and its database).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/dev/setup.sh
cargo build --release --bin civitas
exec ./target/release/civitas demo "$@"

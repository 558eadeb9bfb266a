#!/usr/bin/env bash
# Compares budget-rules with pabutools 1.2.3 (the academic reference implementation) on
# the four real PaBuLib files in tests/data/pabulib: greedy by votes (and by votes per
# cost), equal shares with cost utilities (no completion, add1, add1 then greedy) and
# with approval utilities. Prints a table; exits non-zero if any winner set differs.
#
#   bash budget-rules/pabutools/compare.sh [FILE.pb ...]
#
# It makes a Python virtual environment in the cargo target directory (reused on later
# runs), installs pabutools from PyPI into it, runs rules.py, then the crate's
# check_pabutools example. pabutools needs about 2 minutes, mostly Wieliczka's 150 add1 steps.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(dirname "$here")"
root="$(dirname "$crate")"
target="${CARGO_TARGET_DIR:-$root/target}"
# shellcheck source=venv.sh
source "$here/venv.sh"

out="$target/pabutools-compare.json"
echo "== pabutools $pabutools_version (python: $("$pabutools_python" --version 2>&1))"
nice -n 19 "$pabutools_python" "$here/rules.py" "$crate/tests/data/pabulib" "$out" "$@"

echo "== budget-rules"
cd "$root"
CARGO_TARGET_DIR="$target" nice -n 19 cargo run --quiet -j1 --release -p budget-rules --example check_pabutools -- "$out"

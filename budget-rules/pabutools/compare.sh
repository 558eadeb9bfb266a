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
venv="$target/pabutools-venv"
python="${PYTHON:-python3}"
version="1.2.3"

if ! "$venv/bin/python" -c "import pabutools" 2>/dev/null; then
    mkdir -p "$target"
    if ! "$python" -m venv --clear "$venv"; then
        # Debian's python3 lacks venv/ensurepip until python3-venv is installed.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
            "$python" -m venv --clear "$venv"
        else
            echo "compare.sh: '$python -m venv' failed; install python3-venv and retry" >&2
            exit 1
        fi
    fi
    nice -n 19 "$venv/bin/pip" install --quiet --disable-pip-version-check "pabutools==$version"
fi
installed="$("$venv/bin/pip" show pabutools 2>/dev/null | sed -n 's/^Version: //p')"
if [ "$installed" != "$version" ]; then
    nice -n 19 "$venv/bin/pip" install --quiet --disable-pip-version-check "pabutools==$version"
fi

out="$target/pabutools-compare.json"
echo "== pabutools $version (python: $("$venv/bin/python" --version 2>&1))"
nice -n 19 "$venv/bin/python" "$here/rules.py" "$crate/tests/data/pabulib" "$out" "$@"

echo "== budget-rules"
cd "$root"
CARGO_TARGET_DIR="$target" nice -n 19 cargo run --quiet -j1 --release -p budget-rules --example check_pabutools -- "$out"

#!/usr/bin/env bash
# Benchmark of issue 7: participatory-budgeting rules of budget-rules against pabutools
# 1.2.3 on the same files, in the same run. Files: the four real PaBuLib files of
# budget-rules/tests/data/pabulib (the largest, Wieliczka 2023, has 6,586 voters) and a
# generated city-wide election with 200 projects and 500,000 approval ballots
# (budget-rules/examples/generate.rs, seed 7). Rules: greedy by votes, maximal coverage
# (ours only: pabutools has none), equal shares with cost utilities with add1 + greedy
# completion, and without completion.
#
# Per file: our harness (bench_rules), then pabutools (pabutools/bench.py), then ours
# again, so that both meet the same load of the (shared) machine; our figures pool both
# passes. Each rule runs REPS times (fewer once its runs pass MAX_SECONDS, at least
# once); pabutools' runs are stopped after PABUTOOLS_LIMIT seconds and reported as such.
#
# Floors: equal shares with completion on the 500,000 ballots under 2 s (median), and
# at least 20 times faster than pabutools (ratio of medians) on the real files, for every
# rule pabutools has. Prints the table and says met / NOT met (exit status 1 if not met).
#
# Takes about 35 minutes on the 2-core machine, most of it pabutools on the generated
# file (parse 30 s, greedy 7 min, add1 stopped at 10 min, MES 5 min) and our maximal
# coverage there (5 min).
#
#   bash tests/load/budgets/run.sh
#   REPS=3 PABUTOOLS_LIMIT=300 bash tests/load/budgets/run.sh
#   SKIP_PABUTOOLS_GENERATED=1 bash tests/load/budgets/run.sh   # ours only on the 500k file
# Results: target/bench-budgets/<time>/ (JSON of both harnesses, logs, table.md, machine.txt).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
REPS=${REPS:-5}
MAX_SECONDS=${MAX_SECONDS:-20}
PABUTOOLS_LIMIT=${PABUTOOLS_LIMIT:-600}
VOTERS=${VOTERS:-500000}
SEED=${SEED:-7}

# shellcheck source=../../../budget-rules/pabutools/venv.sh
source "$root/budget-rules/pabutools/venv.sh"

cargo build --release -p budget-rules --example bench_rules --example generate
bin="$CARGO_TARGET_DIR/release/examples"
out="$CARGO_TARGET_DIR/bench-budgets/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"

generated_name="generated_${VOTERS}_seed${SEED}.pb"
generated="$CARGO_TARGET_DIR/bench-budgets/$generated_name"
"$bin/generate" "$generated" --voters "$VOTERS" --seed "$SEED" 2>&1 | tee "$out/generate.log"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD) ($(git log -1 --format=%s | cut -c1-80))"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "rust: $(rustc --version)"
  echo "python: $("$pabutools_python" --version 2>&1), pabutools $pabutools_version"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "generated file: $generated_name, sha256 $(sha256sum "$generated" | cut -c1-16)…"
  echo "settings: REPS=$REPS MAX_SECONDS=$MAX_SECONDS PABUTOOLS_LIMIT=$PABUTOOLS_LIMIT"
} | tee "$out/machine.txt"

data="$root/budget-rules/tests/data/pabulib"
# file, add1 increment per voter (as pabutools/rules.py and compare.sh use them)
files=(
  "$data/poland_wieliczka_2023_green-budget.pb" 1
  "$data/netherlands_amsterdam_2022_west.pb" 1
  "$data/poland_warszawa_2021_bielany.pb" 1000
  "$data/hungary_budapest_2024.pb" 100000
  "$generated" 1
)

for ((i = 0; i < ${#files[@]}; i += 2)); do
  file=${files[i]}
  increment=${files[i + 1]}
  name=$(basename "$file" .pb)
  echo "== $name (add1 increment $increment per voter)"
  echo "-- budget-rules, first pass"
  "$bin/bench_rules" --reps "$REPS" --max-seconds "$MAX_SECONDS" --json "$out/ours-$name-1.json" \
    --increment "$increment" "$file" | tee "$out/ours-$name-1.log"
  if [ "$file" = "$generated" ] && [ -n "${SKIP_PABUTOOLS_GENERATED:-}" ]; then
    echo "-- pabutools skipped (SKIP_PABUTOOLS_GENERATED)"
  else
    echo "-- pabutools $pabutools_version (each run stopped after $PABUTOOLS_LIMIT s)"
    "$pabutools_python" "$root/budget-rules/pabutools/bench.py" --reps "$REPS" --max-seconds "$MAX_SECONDS" \
      --time-limit "$PABUTOOLS_LIMIT" --json "$out/pabutools-$name.json" --increment "$increment" "$file" \
      | tee "$out/pabutools-$name.log"
  fi
  # Second pass; maximal coverage on the generated file takes minutes and runs once.
  rules=greedy_votes,max_coverage,mes_cost_add1_greedy,mes_cost
  [ "$file" = "$generated" ] && rules=greedy_votes,mes_cost_add1_greedy,mes_cost
  echo "-- budget-rules, second pass"
  "$bin/bench_rules" --reps "$REPS" --max-seconds "$MAX_SECONDS" --rules "$rules" \
    --json "$out/ours-$name-2.json" --increment "$increment" "$file" | tee "$out/ours-$name-2.log"
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"
echo "== results in $out"
python3 "$root/tests/load/budgets/report.py" "$out" "$(basename "$generated")"

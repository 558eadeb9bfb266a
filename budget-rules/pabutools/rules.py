"""Compute, with pabutools, the outcomes that budget-rules must reproduce.

Usage: python rules.py DATA_DIR OUT.json [FILE.pb ...]

For each real PaBuLib file (default: the four in DATA_DIR), with pabutools' default
lexicographic tie-breaking (project ids in text order) and exact fractions:

- greedy_votes:          greedy_utilitarian_welfare, Cost_Sat (density = votes)
- greedy_votes_per_cost: greedy_utilitarian_welfare, Cardinality_Sat (votes / cost)
- mes_cost:              method_of_equal_shares, Cost_Sat, no completion
- mes_cost_add1:         the same with voter_budget_increment=INCREMENT[file]
- mes_cost_add1_greedy:  then greedy_utilitarian_welfare (Cost_Sat) on what is left, as
                         completion_by_rule_combination would (it stops early only when
                         the outcome is exhaustive, where greedy adds nothing)
- mes_approval:          method_of_equal_shares, Cardinality_Sat, no completion

Winners are written as sorted lists of project ids.
"""

import json
import os
import sys
import time

import pabutools
from pabutools.election import Cardinality_Sat, Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import lexico_tie_breaking

FILES = [
    "poland_wieliczka_2023_green-budget.pb",
    "netherlands_amsterdam_2022_west.pb",
    "poland_warszawa_2021_bielany.pb",
    "hungary_budapest_2024.pb",
]

# Per-voter add1 increment, in currency units. 1 is what equalshares.net and the
# Wieliczka vote used; Budapest (budget 1e9 HUF) would need 1.6 million steps of 1 HUF,
# and Bielany 3,000 steps of 1 PLN at about 0.25 s each in pabutools, so they use the
# increments of the equalshares.net reference data instead.
INCREMENT = {
    "poland_wieliczka_2023_green-budget.pb": 1,
    "netherlands_amsterdam_2022_west.pb": 1,
    "poland_warszawa_2021_bielany.pb": 1000,
    "hungary_budapest_2024.pb": 100000,
}


def ids(allocation):
    return sorted(p.name for p in allocation)


def rules(path, increment):
    instance, profile = parse_pabulib(path)
    lexico = lexico_tie_breaking
    out = {}
    timings = {}

    def timed(name, compute):
        start = time.time()
        result = compute()
        timings[name] = round(time.time() - start, 2)
        out[name] = ids(result)
        print(f"  {name}: {len(result)} projects in {timings[name]} s", flush=True)
        return result

    timed("greedy_votes", lambda: greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=lexico))
    timed(
        "greedy_votes_per_cost",
        lambda: greedy_utilitarian_welfare(instance, profile, sat_class=Cardinality_Sat, tie_breaking=lexico),
    )
    timed("mes_cost", lambda: method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=lexico))
    add1 = timed(
        "mes_cost_add1",
        lambda: method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, tie_breaking=lexico, voter_budget_increment=increment
        ),
    )
    timed(
        "mes_cost_add1_greedy",
        lambda: greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, tie_breaking=lexico, initial_budget_allocation=add1
        ),
    )
    timed("mes_approval", lambda: method_of_equal_shares(instance, profile, sat_class=Cardinality_Sat, tie_breaking=lexico))
    return {"add1_increment": increment, "rules": out, "seconds": timings}


def main():
    data_dir, out_path = sys.argv[1], sys.argv[2]
    files = sys.argv[3:] or FILES
    result = {"pabutools_version": pabutools.__version__ if hasattr(pabutools, "__version__") else "1.2.3", "files": {}}
    for name in files:
        print(f"{name} (add1 increment {INCREMENT[name]}):", flush=True)
        result["files"][name] = rules(os.path.join(data_dir, name), INCREMENT[name])
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()

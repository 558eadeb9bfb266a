"""Time pabutools on the rules and files that budget-rules' bench_rules example times.

Usage: python bench.py --json OUT.json [--reps N] [--max-seconds S] [--time-limit S]
                       [--increment N] FILE.pb [[--increment N] FILE.pb ...]

--increment is the add1 increment per voter (pabutools' voter_budget_increment) for
the files after it (default 1). Per file, parse_pabulib is timed apart from the rules.
Each rule runs in a forked child process (the parsed election is shared with it), at
most --reps times (default 5), fewer once its runs pass --max-seconds (default 20),
always at least once; a run still going after --time-limit seconds (default 600) is
stopped and reported as such, with how far it got. Rules, all with pabutools' default
lexicographic tie-breaking and exact fractions, as in rules.py:

- greedy_votes:         greedy_utilitarian_welfare, Cost_Sat
- mes_cost_add1_greedy: method_of_equal_shares, Cost_Sat, voter_budget_increment, then
                        greedy_utilitarian_welfare (Cost_Sat) on what is left
- mes_cost:             method_of_equal_shares, Cost_Sat, no completion
- max_coverage:         not run: pabutools has no maximal coverage rule

For the equal shares rules, every call of pabutools' inner MES loop (one run at one
per-voter budget) is timed too, and reported as it happens, so that a run stopped at
the time limit still tells how many add1 runs it finished and how long each took: the
report can then extrapolate (clearly labelled) from them.
"""

import json
import multiprocessing
import os
import statistics
import sys
import time

import pabutools
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.rules.mes import mes_rule
from pabutools.tiebreaking import lexico_tie_breaking

RULES = ["greedy_votes", "mes_cost_add1_greedy", "mes_cost"]


def compute(rule, instance, profile, increment):
    lexico = lexico_tie_breaking
    if rule == "greedy_votes":
        return greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=lexico)
    if rule == "mes_cost":
        return method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=lexico)
    if rule == "mes_cost_add1_greedy":
        add1 = method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, tie_breaking=lexico, voter_budget_increment=increment
        )
        return greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, tie_breaking=lexico, initial_budget_allocation=add1
        )
    raise ValueError(rule)


def child(conn, rule, instance, profile, increment):
    """Runs one rule once; sends ("inner", seconds since start, seconds of that inner run)
    after each inner MES run, then ("done", seconds, winners)."""
    original = mes_rule.mes_inner_algo
    start = time.perf_counter()
    depth = [0]

    def timed_inner(*args, **kwargs):
        # mes_inner_algo calls itself once per round: only the outermost call is a run.
        depth[0] += 1
        begin = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                end = time.perf_counter()
                conn.send(("inner", end - start, end - begin))

    mes_rule.mes_inner_algo = timed_inner
    result = compute(rule, instance, profile, increment)
    seconds = time.perf_counter() - start
    conn.send(("done", seconds, sorted(p.name for p in result)))
    conn.close()


def run_once(rule, instance, profile, increment, limit):
    """One run in a forked child, stopped after `limit` seconds."""
    ctx = multiprocessing.get_context("fork")
    parent, child_end = ctx.Pipe(duplex=False)
    process = ctx.Process(target=child, args=(child_end, rule, instance, profile, increment))
    started = time.perf_counter()
    process.start()
    child_end.close()
    inner = []
    done = None
    while done is None:
        left = limit - (time.perf_counter() - started)
        if left <= 0 or not parent.poll(left):
            break
        try:
            message = parent.recv()
        except EOFError:
            break
        if message[0] == "inner":
            inner.append(message[1:])
        else:
            done = message
    if done is None:
        process.kill()
    process.join()
    first_inner_start = inner[0][0] - inner[0][1] if inner else None
    run = {
        "inner_runs": len(inner),
        "inner_seconds": [round(s, 4) for _, s in inner],
        "setup_seconds": first_inner_start,
    }
    if done is None:
        run.update(timed_out=True, limit=limit, seconds=None, winners=None,
                   error=None if process.exitcode in (None, -9) else f"exit code {process.exitcode}")
    else:
        run.update(timed_out=False, seconds=done[1], winners=done[2])
    return run


def bench_file(path, increment, reps, max_seconds, limit):
    name = os.path.basename(path)
    parse_times = []
    begin = time.perf_counter()
    while True:
        start = time.perf_counter()
        instance, profile = parse_pabulib(path)
        parse_times.append(time.perf_counter() - start)
        if len(parse_times) >= reps or time.perf_counter() - begin > max_seconds:
            break
    print(f"{name}: {len(instance)} projects, {len(profile)} voters, add1 increment {increment}", flush=True)
    rules = {"parse": summary(parse_times, "parse_pabulib")}
    print(f"  {'parse':22} {describe(rules['parse'])}", flush=True)
    for rule in RULES:
        runs = []
        begin = time.perf_counter()
        while True:
            run = run_once(rule, instance, profile, increment, limit)
            runs.append(run)
            if run["timed_out"] or len(runs) >= reps or time.perf_counter() - begin > max_seconds:
                break
        finished = [r for r in runs if not r["timed_out"]]
        entry = summary([r["seconds"] for r in finished], None)
        entry["winners"] = finished[-1]["winners"] if finished else None
        entry["timed_out"] = any(r["timed_out"] for r in runs)
        entry["limit"] = limit
        entry["runs"] = [{k: v for k, v in r.items() if k != "winners"} for r in runs]
        if entry["timed_out"]:
            stopped = runs[-1]
            inner = stopped["inner_seconds"]
            entry["detail"] = (
                f"stopped at the {limit:.0f} s limit after {len(inner)} inner MES runs"
                + (f" (setup {stopped['setup_seconds']:.1f} s, last run {inner[-1]:.1f} s)" if inner else "")
            )
        else:
            inner = finished[-1]["inner_runs"]
            entry["detail"] = f"{len(entry['winners'])} winners" + (f", {inner} inner MES runs" if inner else "")
        rules[rule] = entry
        print(f"  {rule:22} {describe(entry)}  {entry['detail']}", flush=True)
    rules["max_coverage"] = {"seconds": [], "min": None, "median": None, "detail": "no pabutools equivalent"}
    return {
        "file": name,
        "path": path,
        "projects": len(instance),
        "voters": len(profile),
        "add1_increment": increment,
        "rules": rules,
    }


def summary(times, detail):
    return {
        "seconds": times,
        "min": min(times) if times else None,
        "median": statistics.median(times) if times else None,
        "detail": detail,
    }


def describe(entry):
    if entry["min"] is None:
        return f"{'—':>24}"
    return f"min {entry['min'] * 1000:>10.1f} ms  median {entry['median'] * 1000:>10.1f} ms  ({len(entry['seconds'])} runs)"


def main(argv):
    reps, max_seconds, limit, out, increment = 5, 20.0, 600.0, None, 1
    files = []
    args = iter(argv)
    for arg in args:
        if arg == "--reps":
            reps = int(next(args))
        elif arg == "--max-seconds":
            max_seconds = float(next(args))
        elif arg == "--time-limit":
            limit = float(next(args))
        elif arg == "--json":
            out = next(args)
        elif arg == "--increment":
            increment = int(next(args))
        elif arg.startswith("--"):
            sys.exit(f"unknown option {arg}")
        else:
            files.append((arg, increment))
    if not files:
        sys.exit(__doc__)
    results = [bench_file(path, inc, reps, max_seconds, limit) for path, inc in files]
    if out:
        with open(out, "w") as f:
            json.dump(
                {"implementation": "pabutools", "version": getattr(pabutools, "__version__", "1.2.3"), "files": results},
                f,
                indent=1,
            )


if __name__ == "__main__":
    main(sys.argv[1:])

"""Table and floors of the budget-rules benchmark (tests/load/budgets/run.sh).

Usage: python3 report.py OUT_DIR GENERATED_FILE_NAME

Reads OUT_DIR/ours-*.json (budget-rules' bench_rules; two passes per file, before and
after pabutools, merged here) and OUT_DIR/pabutools-*.json (pabutools/bench.py); writes
OUT_DIR/table.md and OUT_DIR/floors.txt and prints both. Exit status 1 if a floor is
not met. Ratios are pabutools' median over ours (both medians of the runs made in this
run of the benchmark). Standard library only.
"""

import glob
import json
import os
import statistics
import sys

RULES = [
    ("parse", "parse (file → election)"),
    ("greedy_votes", "greedy by votes"),
    ("max_coverage", "maximal coverage"),
    ("mes_cost_add1_greedy", "MES cost, add1 + greedy"),
    ("mes_cost", "MES cost, no completion"),
]
FLOOR_SECONDS = 2.0
FLOOR_RATIO = 20.0


def load(pattern):
    by_file = {}
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            for entry in json.load(f)["files"]:
                by_file.setdefault(entry["file"], []).append(entry)
    return by_file


def merged(entries, rule):
    """One rule's runs over the passes of a file: seconds pooled, the last pass's facts."""
    present = [e["rules"][rule] for e in entries if rule in e["rules"]]
    if not present:
        return None
    seconds = [s for r in present for s in r["seconds"] if s is not None]
    out = dict(present[-1])
    out["seconds"] = seconds
    out["min"] = min(seconds) if seconds else None
    out["median"] = statistics.median(seconds) if seconds else None
    out["max"] = max(seconds) if seconds else None
    out["timed_out"] = any(r.get("timed_out") for r in present)
    return out


def fmt(seconds):
    if seconds is None:
        return "—"
    if seconds >= 10:
        return f"{seconds:,.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.01:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.3f} ms"


def extrapolate(pab, our_facts, greedy_seconds):
    """A lower estimate of pabutools' add1 + greedy from the inner runs it finished."""
    runs = pab["runs"][-1]
    inner = runs["inner_seconds"]
    if not inner or our_facts is None:
        return None
    needed = our_facts["add1_steps"] + 2  # runs at steps 0..k, and the one over budget
    recent = inner[-5:]
    per_run = sum(recent) / len(recent)
    total = (runs["setup_seconds"] or 0) + sum(inner) + max(0, needed - len(inner)) * per_run
    total += greedy_seconds or 0
    return total, needed, len(inner), per_run


def main():
    out_dir, generated = sys.argv[1], sys.argv[2]
    ours = load(os.path.join(out_dir, "ours-*.json"))
    pabs = load(os.path.join(out_dir, "pabutools-*.json"))
    lines = [
        "| file | voters | rule | ours min | ours median | pabutools min | pabutools median | ratio (medians) | same winners | notes |",
        "|---|---:|---|---:|---:|---:|---:|---:|:-:|---|",
    ]
    floors = []
    extrapolations = []
    for name, entries in ours.items():
        voters = entries[-1]["voters"]
        real = name != generated
        for rule, label in RULES:
            o = merged(entries, rule)
            p = merged(pabs.get(name, []), rule)
            if o is None:
                continue
            ratio = None
            ratio_text = "—"
            same = "—"
            notes = []
            if rule == "max_coverage":
                notes.append(o["detail"])
                notes.append("pabutools has no maximal coverage")
            elif rule in ("mes_cost_add1_greedy", "mes_cost"):
                notes.append(o["detail"])
            if p is not None and rule != "max_coverage":
                if p["timed_out"] and p["median"] is None:
                    limit = p.get("limit")
                    ratio = limit / o["median"] if limit else None
                    ratio_text = f"> {ratio:,.0f}×" if ratio else "—"
                    notes.append(f"pabutools: {p['detail']}")
                    if rule == "mes_cost_add1_greedy":
                        greedy = merged(pabs.get(name, []), "greedy_votes")
                        est = extrapolate(p, o.get("facts"), greedy["median"] if greedy else None)
                        if est:
                            total, needed, done, per_run = est
                            extrapolations.append(
                                f"- {name}, {label}: pabutools stopped at the {limit:.0f} s limit after {done} "
                                f"of the ≈{needed} MES runs add1 needs (our add1 steps + 2); its last runs took "
                                f"{per_run:.1f} s each. **Extrapolated** (setup + runs done + runs left × "
                                f"mean of its last 5 runs + its greedy time): ≈ {fmt(total)}, "
                                f"≈ {total / o['median']:,.0f}× ours. Later runs have a larger per-voter "
                                f"budget and more rounds, so this is likely an underestimate."
                            )
                elif p["median"] is not None:
                    ratio = p["median"] / o["median"] if o["median"] else None
                    ratio_text = f"{ratio:,.0f}×" if ratio is not None else "—"
                if rule != "parse" and o.get("winners") is not None and p.get("winners") is not None:
                    same = "yes" if o["winners"] == p["winners"] else "**NO**"
            if rule == "parse":
                p_min, p_med = (p["min"], p["median"]) if p else (None, None)
            else:
                p_min, p_med = (p["min"], p["median"]) if p else (None, None)
            lines.append(
                f"| {name} | {voters:,} | {label} | {fmt(o['min'])} | {fmt(o['median'])} | {fmt(p_min)} | "
                f"{fmt(p_med)} | {ratio_text} | {same} | {'; '.join(notes)} |"
            )
            if real and rule not in ("parse", "max_coverage") and p is not None:
                ok = ratio is not None and ratio >= FLOOR_RATIO
                floors.append((ok, f"{name}, {label}: ours {fmt(o['median'])}, pabutools "
                                   f"{fmt(p['median']) if p['median'] is not None else '> ' + fmt(p.get('limit'))}, "
                                   f"{ratio_text} (floor ≥ {FLOOR_RATIO:.0f}×)"))
            if not real and rule == "mes_cost_add1_greedy":
                ok = o["median"] is not None and o["median"] < FLOOR_SECONDS
                floors.append((ok, f"{name}, {label}: median {fmt(o['median'])}, slowest {fmt(o['max'])} "
                                   f"over {len(o['seconds'])} runs (floor < {FLOOR_SECONDS:.0f} s)"))
    same_all = all("**NO**" not in line for line in lines)
    table = "\n".join(lines)
    floor_lines = [f"- {'met' if ok else 'NOT met'}: {text}" for ok, text in floors]
    all_met = all(ok for ok, _ in floors) and bool(floors)
    report = (
        table
        + "\n\n"
        + ("\n".join(extrapolations) + "\n\n" if extrapolations else "")
        + "Floors:\n"
        + "\n".join(floor_lines)
        + f"\n\nAll floors {'met' if all_met else 'NOT met'}."
        + ("" if same_all else " Some winner sets differ from pabutools (see the table).")
        + "\n"
    )
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(report)
    print(report)
    return 0 if all_met and same_all else 1


if __name__ == "__main__":
    sys.exit(main())

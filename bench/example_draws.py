"""How much the learning curve depends on which company examples comms wrote: the first n per
topic (as `postguard evaluate` takes them) against random draws of n per topic.

    python bench/example_draws.py [--size 12] [--draws 3] [--cases eval/*.csv]

Each choice trains a model on the base corpus, the chosen taboo examples and all the company's
harmless examples, with thresholds from cross-validation as shipped, and is measured on every
evaluation set; a pooled row adds the sets' posts together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

import numpy as np  # noqa: E402

from postguard.evaluation import checker_for, company_subset, load_case_sets, measure_cases, pooled  # noqa: E402
from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.policy import load_policy  # noqa: E402

MEASURES = ("taboo_recall", "false_alarms_harmless", "false_alarms_hard")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=12, help="company taboo examples per topic")
    parser.add_argument("--draws", type=int, default=3, help="random draws besides the first n")
    parser.add_argument("--cases", type=Path, nargs="+", default=sorted((ROOT / "eval").glob("*.csv")),
                        metavar="CSV", help="evaluation sets (default: every set in eval/)")
    args = parser.parse_args()
    policy = load_policy(ROOT / "model" / "policy.toml")
    company = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids)
    base = load_base_corpus(policy.topic_ids)
    case_sets = load_case_sets(args.cases)

    choices = [(f"first {args.size}", None)] + [
        (f"draw {seed + 1}", np.random.default_rng(seed)) for seed in range(args.draws)
    ]
    print(f"| examples per topic | {' | '.join([*case_sets, 'pooled'])} |")
    print(f"|---|{'---|' * (len(case_sets) + 1)}")
    for label, rng in choices:
        checker = checker_for(company_subset(company, args.size, rng) + base, policy)
        measured = [measure_cases(checker, cases) for cases in case_sets.values()]
        cells = [rates(m) for m in [*measured, pooled(measured)]]
        print(f"| {label} | {' | '.join(cells)} |", flush=True)
    print("\nEach cell: taboo recall / false alarms / hard false alarms.")
    return 0


def rates(measured: dict) -> str:
    return " / ".join("–" if measured[key][0] is None else f"{measured[key][0]:.3f}" for key in MEASURES)


if __name__ == "__main__":
    raise SystemExit(main())

"""What the higher bar for posts that link a published page (`published_pages` in the policy)
does, per size of the bar: false alarms on harmless posts, and recall on taboo posts, as they
are and with a link to the first published page added to every one (the worst case: every
author who gives something away also links a press release).

    python bench/published_links.py [--odds 1 2 4 8] [--cases eval/*.csv]

Trains once on the shipped material; each bar is applied to the same model. A bar of 1 is the
check without the rule.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from postguard.check import Checker  # noqa: E402
from postguard.evaluation import Case, checker_for, load_case_sets, measure_cases, pooled  # noqa: E402
from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.policy import HARMLESS, load_policy  # noqa: E402
from postguard.published import PublishedPages  # noqa: E402

LINK_LINE = {"de": "Mehr dazu: {page}", "en": "More here: {page}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odds", type=float, nargs="+", default=[1, 2, 4, 8, 16],
                        help="bars to compare: how many times the odds a linked post needs")
    parser.add_argument("--policy", type=Path, default=ROOT / "model" / "policy.toml")
    parser.add_argument("--cases", type=Path, nargs="+", default=sorted((ROOT / "eval").glob("*.csv")),
                        metavar="CSV", help="evaluation sets (default: every set in eval/)")
    args = parser.parse_args()
    policy = load_policy(args.policy)
    if not policy.published_pages:
        parser.error(f"{args.policy} lists no published_pages")
    company = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids)
    checker = checker_for(company + load_base_corpus(policy.topic_ids), policy)
    case_sets = load_case_sets(args.cases)
    published = PublishedPages(policy.published_pages)
    page = policy.published_pages[0]
    linked_harmless = [c for cases in case_sets.values() for c in cases
                       if c.topic == HARMLESS and published.linked_in(c.text)]
    linked_taboo = sum(c.kind == "taboo" and published.linked_in(c.text) for cases in case_sets.values() for c in cases)
    probe = {name: [Case(f"{c.text}\n\n{LINK_LINE.get(c.lang, LINK_LINE['en']).format(page=page)}", c.topic, c.lang, c.kind)
                    for c in cases if c.kind == "taboo"] for name, cases in case_sets.items()}
    print(f"{len(linked_harmless)} harmless posts link a published page ({sum(c.kind == 'hard' for c in linked_harmless)} "
          f"hard), {linked_taboo} taboo posts do; the probe adds \"{page}\" to every taboo post.\n")
    print("| odds bar | taboo recall | false alarms | hard false alarms | linked harmless flagged "
          "| taboo recall, every post linking |")
    print("|---|---|---|---|---|---|")
    for odds in args.odds:
        bar = Checker(checker.model, policy, published_link_odds=odds)
        shipped = pooled([measure_cases(bar, cases) for cases in case_sets.values()])
        linked = measure_cases(bar, linked_harmless)["false_alarms_harmless"]
        probed = pooled([measure_cases(bar, cases) for cases in probe.values()])["taboo_recall"]
        print(f"| {odds:g} | {rate(shipped['taboo_recall'])} | {rate(shipped['false_alarms_harmless'])} "
              f"| {rate(shipped['false_alarms_hard'])} | {count(linked)} | {rate(probed)} |", flush=True)
    print("\nRates over all the sets' posts together (posts behind each in brackets).")
    return 0


def rate(measure) -> str:
    value, posts = measure
    return "–" if value is None else f"{value:.3f} ({posts:,})"


def count(measure) -> str:
    value, posts = measure
    return "–" if value is None else f"{round(value * posts)} of {posts}"


if __name__ == "__main__":
    raise SystemExit(main())

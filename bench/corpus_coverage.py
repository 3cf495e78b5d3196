"""How many base-corpus posts touch each kind of matter the policy names, taboo and harmless.

    python bench/corpus_coverage.py [--company]

A rough keyword count, German and English, to find kinds of post the corpus is thin on before
writing more: a post counts for every kind whose keywords it contains, whatever its label.
`--company` counts the company's examples (model/examples.csv) instead. It reads no
evaluation set.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.policy import HARMLESS, load_policy  # noqa: E402

# The policy's "better kept internal" list, split into the kinds a post can be about.
KINDS = {
    "revenue, sales": r"umsatz|revenue|\bsales\b",
    "order intake, backlog": r"auftragseingang|order intake|auftragsbestand|backlog|bookings",
    "margin, profit, result": r"marge|margin|gewinn|profit|ebit|operating result|ergebnis",
    "costs, budgets": r"kosten|costs?\b|budget|aufwend|expenses",
    "acquisitions, mergers": r"übernahme|übernehmen|acqui|kaufen|buying|takeover|merger|fusion",
    "restructuring, job cuts": r"stellenabbau|arbeitsplätze|job cuts|redundanc|layoff|entlass|abbau"
    r"|kurzarbeit|restructur|umstrukturier|\d+ (?:jobs|stellen|roles|positions)",
    "relocating, closing sites": r"verlager|relocat|moving (?:production|manufacturing|assembly)"
    r"|schließ|closing|close (?:the|our)|dicht ?mach|shut",
    "new sites, plants, markets": r"neues werk|new (?:plant|factory|site|office|subsidiary)|werk in"
    r"|standort in|niederlassung|expan",
    "owners, investors, listing": r"börsengang|\bipo\b|stock market|investor|eigentümer|owners",
    "launches, successors": r"nachfolger|successor|launch|markteinführung|neue generation"
    r"|next generation|prototyp|prototype|test field|testfeld",
    "customer incidents, complaints": r"reklamation|beschwerde|complain|escalat|eskalat|ausfall"
    r"|stillstand|outage|downtime|penalty|vertragsstrafe",
    "orders, contracts, deals": r"auftrag|order|contract|vertrag|deal",
    "what customers said": r"kunde sagt|customer said|told us|meinte|sagte|quote",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--company", action="store_true", help="count model/examples.csv instead")
    args = parser.parse_args()
    policy = load_policy(ROOT / "model" / "policy.toml")
    if args.company:
        examples = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids)
    else:
        examples = load_base_corpus(policy.topic_ids)
    labels = [HARMLESS, *policy.topic_ids]
    counts = {kind: dict.fromkeys(labels, 0) for kind in KINDS}
    for example in examples:
        text = example.text.lower()
        for kind, pattern in KINDS.items():
            if re.search(pattern, text):
                counts[kind][example.topic] += 1
    totals = {label: sum(example.topic == label for example in examples) for label in labels}
    print("| kind of matter | " + " | ".join(labels) + " |")
    print("|---" * (len(labels) + 1) + "|")
    print("| all posts | " + " | ".join(f"{totals[label]:,}" for label in labels) + " |")
    for kind, row in counts.items():
        print(f"| {kind} | " + " | ".join(str(row[label]) for label in labels) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

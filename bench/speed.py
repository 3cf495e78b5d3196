"""Server-side time of /v1/check and training time on the shipped material.

    python bench/speed.py [--repeat 200]

Trains a model from model/ (timed, like `python train_classifier.py`), then times the Flask app
handling POST /v1/check in-process (no network) for posts of several lengths: a harmless
post with one taboo sentence in the middle, repeated to length. The same post is sent again and
again, so the headline table runs with the sentence cache off; the second table, the typing
case, runs with it on (the default), where every sentence but the first time is remembered.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from postguard.app import create_app  # noqa: E402
from postguard.trainer import Material, train_and_publish  # noqa: E402

HARMLESS = (
    "Was für eine Woche! 🎉 Am Montag haben wir unsere neuen Azubis begrüßt, am Mittwoch waren "
    "wir mit dem ganzen Team beim Firmenlauf und sind zusammen 212 Kilometer gelaufen. "
    "Thanks to everyone who cheered us on, the weather was perfect and the team spirit even better. "
    "Ich bin jeden Tag dankbar, mit so tollen Kolleginnen und Kollegen zu arbeiten. "
)
TABOO = "Übrigens lag unser Auftragseingang im dritten Quartal bei 84 Mio. Euro, deutlich über Plan. "


def post_of_length(length: int) -> str:
    half = (HARMLESS * (length // len(HARMLESS) + 1))[: max(0, (length - len(TABOO)) // 2)]
    return (half + TABOO + half)[:length]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        artifact = Path(folder) / "postguard.joblib"
        material = Material(ROOT / "model" / "examples.csv", ROOT / "model" / "policy.toml", base=True)
        started = time.perf_counter()
        card, quality = train_and_publish(material, artifact, force=True, log=lambda _: None)
        training_seconds = time.perf_counter() - started
        examples = sum(quality["examples"].values())
        print(f"training on the shipped data: {training_seconds:.1f} s for {examples:,} examples "
              f"(5-fold cross-validation included), {os.cpu_count()} cores")

        config = {"MODEL_PATH": str(artifact), "POLICY_PATH": str(material.policy)}
        print("\nsentence cache off:")
        time_checks(create_app({**config, "CHECK_CACHE_SENTENCES": 0}).test_client(), args.repeat)
        print("\ntyping case, the same post resent with the sentence cache on (default):")
        time_checks(create_app(config).test_client(), args.repeat)
    return 0


def time_checks(client, repeat: int) -> None:
    print(f"{'characters':>10} {'p50 ms':>8} {'p99 ms':>8} {'findings':>9}")
    for length in (280, 1_300, 3_000, 10_000, 63_206):
        text = post_of_length(length)
        times, reply = [], None
        for _ in range((repeat if length <= 10_000 else max(10, repeat // 10)) + 5):
            started = time.perf_counter()
            reply = client.post("/v1/check", json={"text": text, "site": "linkedin"})
            times.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.get_json()
        times = times[5:]  # warm-up
        print(f"{length:>10,} {statistics.median(times):>8.2f} {percentile(times, 0.99):>8.2f} "
              f"{len(reply.get_json()['findings']):>9}")


if __name__ == "__main__":
    raise SystemExit(main())

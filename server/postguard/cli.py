"""The `postguard` command: serve, check, train."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path

from .paths import default_artifact, material_for

TERMINAL_TEXTS = {
    "de": {"none": "Keine Hinweise: der Beitrag sieht unbedenklich aus.", "found": "Hinweise",
           "why": "Warum", "guideline": "Leitlinie", "instead": "Stattdessen",
           "ask": "Ansprechperson", "speakers": "Darüber sprechen"},
    "en": {"none": "Nothing to point out: the post looks fine.", "found": "Findings",
           "why": "Why", "guideline": "Guideline", "instead": "Instead",
           "ask": "Contact", "speakers": "Who speaks about it"},
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postguard", description="Checks posts for the company's taboo topics, locally."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local checking server (waitress)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument("--port", type=int, default=7678, help="port (default: %(default)s)")
    serve.add_argument("--model", type=Path, default=None,
                       help="model artifact; trained from the examples beside it when missing "
                       "(default: model/postguard.joblib)")
    serve.add_argument("--threads", type=int, default=4, help="worker threads (default: %(default)s)")

    check = commands.add_parser("check", help="check a text from the terminal")
    check.add_argument("text", help="the post to check ('-' reads standard input)")
    check.add_argument("--json", action="store_true", help="print the raw JSON reply")
    check.add_argument("--model", type=Path, default=None, help="model artifact to use")

    evaluate = commands.add_parser(
        "evaluate", help="train on the shipped material and measure on the evaluation set"
    )
    root = Path(__file__).resolve().parents[2]
    evaluate.add_argument("--examples", type=Path, default=root / "model" / "examples.csv")
    evaluate.add_argument("--policy", type=Path, default=root / "model" / "policy.toml")
    evaluate.add_argument("--cases", type=Path, default=root / "eval" / "sample_company.csv",
                          help="evaluation CSV text,topic,lang,kind (default: %(default)s)")
    evaluate.add_argument("--real-data", type=Path, default=root.parent / "shared" / "data",
                          help="folder with third-party evaluation text; skipped when absent")
    evaluate.add_argument("--no-curve", action="store_true", help="skip the learning curve")
    evaluate.add_argument("--errors", action="store_true", help="list misses and false alarms")

    commands.add_parser("train", help="train the classifier (same as train_classifier.py)",
                        add_help=False)
    return parser


def run(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        from .trainer import main as train_main

        return train_main(argv[1:])
    args = build_parser().parse_args(argv)
    return {"serve": serve, "check": check, "evaluate": evaluate}[args.command](args)


def serve(args) -> int:
    """Make sure a current model exists, then serve the API with waitress."""
    import waitress

    from .app import create_app
    from .artifact import ModelError
    from .examples import ExamplesError
    from .policy import PolicyError
    from .trainer import Material, ensure_model, published_with_base

    artifact = (args.model or default_artifact()).resolve()
    examples, policy = material_for(artifact)
    try:
        material = Material(examples, policy, base=published_with_base(artifact))
        ensure_model(artifact, material, log=_say)
        app = create_app({"MODEL_PATH": str(artifact), "POLICY_PATH": str(policy)})
    except (PolicyError, ExamplesError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _say(f"Postguard is checking on http://{args.host}:{args.port} (model {artifact})")
    # The model and everything loaded so far live as long as the server: keep the cyclic garbage
    # collector from scanning them (a full collection of ~100,000 objects stalls a check ~80 ms).
    gc.collect()
    gc.freeze()
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="postguard")
    return 0


def check(args) -> int:
    """Check one text with the local model and print the findings."""
    from .artifact import ModelError, load_model
    from .check import Checker
    from .policy import PolicyError, load_policy

    text = sys.stdin.read() if args.text == "-" else args.text
    artifact = (args.model or default_artifact()).resolve()
    try:
        checker = Checker(load_model(artifact), load_policy(material_for(artifact)[1]))
    except (ModelError, PolicyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = checker.check(text)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_result(text, result.to_dict()))
    return 1 if result.findings else 0


def evaluate(args) -> int:
    """Print the quality report of docs/quality.md for the given material."""
    from .evaluation import evaluate as run_evaluation, format_evaluation
    from .examples import ExamplesError
    from .policy import PolicyError, load_policy

    try:
        report = run_evaluation(
            args.examples, load_policy(args.policy), args.cases, args.real_data,
            curve=not args.no_curve,
        )
    except (PolicyError, ExamplesError, OSError, KeyError) as exc:
        print(f"error: cannot evaluate: {exc}", file=sys.stderr)
        return 2
    print(format_evaluation(report, show_errors=args.errors))
    return 0


def format_result(text: str, result: dict) -> str:
    """The findings as a person would read them in a terminal."""
    labels = TERMINAL_TEXTS[result["lang"]]
    if not result["findings"]:
        return labels["none"]
    utf16 = text.encode("utf-16-le")
    lines = [f"{labels['found']}: {len(result['findings'])}"]
    for finding in result["findings"]:
        start, end = 2 * finding["offset"], 2 * (finding["offset"] + finding["length"])
        passage = utf16[start:end].decode("utf-16-le")
        contact = finding["contact"]
        lines += [
            "",
            f"⚠ {finding['title']} ({finding['score']:.2f})",
            f"  “{passage}”",
            f"  {finding['message']}",
            f"  {labels['why']}: {', '.join(finding['evidence'])}",
            f"  {labels['guideline']}: {finding['guideline']}",
            f"  {labels['speakers']}: {finding['speakers']}",
            f"  {labels['instead']}: {finding['alternative']}",
            f"  {labels['ask']}: {contact['name']} <{contact['email']}> {contact['url']}".rstrip(),
        ]
    return "\n".join(lines)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

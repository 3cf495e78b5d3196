"""The `postguard` command: serve, check, train, evaluate, config, token, admin, service."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from .paths import (
    CHECKOUT, EVALUATION_SETS, EXAMPLES_NAME, POLICY_NAME, SOURCE_MODEL_DIR, default_artifact,
    default_model_dir, install_shipped_material, material_for,
)

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

    serve = commands.add_parser(
        "serve", help="run the local checking server (waitress)",
        description="Options left out come from the configuration (see `postguard config`).",
    )
    serve.add_argument("--host", default=None, help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: 7678)")
    serve.add_argument("--model", type=Path, default=None,
                       help="model artifact; trained from the examples beside it when missing "
                       "(default: postguard.joblib in the model folder, see docs/deployment.md)")
    serve.add_argument("--threads", type=_at_least_one, default=None,
                       help="worker threads per process (default: 2; 1 each with several workers)")
    serve.add_argument("--workers", type=_at_least_one, default=None,
                       help="server processes sharing the port, for more checks per second on "
                       "several cores (default: 1; POSIX only; with more, /admin is off)")

    commands.add_parser(
        "config", help="print the effective configuration and where each value comes from"
    )
    token = commands.add_parser(
        "token", help="show the pairing token the extension needs (see --new)",
        description="Prints the pairing token. With --new, makes a new one and saves it in "
        "your configuration file; a running server needs a restart to use it.",
    )
    token.add_argument("--new", action="store_true", help="make and save a new token")

    check = commands.add_parser("check", help="check a text from the terminal")
    check.add_argument("text", help="the post to check ('-' reads standard input)")
    check.add_argument("--json", action="store_true", help="print the raw JSON reply")
    check.add_argument("--model", type=Path, default=None, help="model artifact to use")

    evaluate = commands.add_parser(
        "evaluate", help="train on the shipped material and measure on the evaluation sets"
    )
    evaluate.add_argument("--examples", type=Path, default=SOURCE_MODEL_DIR / EXAMPLES_NAME)
    evaluate.add_argument("--policy", type=Path, default=SOURCE_MODEL_DIR / POLICY_NAME)
    evaluate.add_argument(
        "--cases", type=Path, nargs="+", metavar="CSV",
        help="evaluation sets, CSV text,topic,lang,kind (default: every set in eval/)",
    )
    evaluate.add_argument("--real-data", type=Path, default=CHECKOUT.parent / "shared" / "data",
                          help="folder with third-party evaluation text; skipped when absent")
    evaluate.add_argument("--no-curve", action="store_true", help="skip the learning curve")
    evaluate.add_argument("--errors", action="store_true", help="list misses and false alarms")
    evaluate.add_argument(
        "--targets", type=_share, nargs="+", metavar="SHARE",
        help="instead: compare false-alarm targets per topic (e.g. 0.01 0.015), one training for all",
    )

    commands.add_parser("train", help="train the classifier (same as train_classifier.py)",
                        add_help=False)

    admin = commands.add_parser("admin", help="set the password of the comms workspace at /admin")
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input instead of asking")
    admin.add_argument("--model", type=Path, default=None,
                       help="model artifact whose folder keeps the password (default: model/postguard.joblib)")

    service = commands.add_parser(
        "service", help="start the checking server at every login, for this user "
        "(systemd user unit, launchd agent, Task Scheduler task)"
    )
    service.add_argument("action", choices=["install", "uninstall", "status"])
    service.add_argument("--print", dest="print_only", action="store_true",
                         help="print the definition for this system instead of installing it")
    return parser


def run(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        from .trainer import main as train_main

        return train_main(argv[1:])
    args = build_parser().parse_args(argv)
    commands = {"serve": serve, "check": check, "evaluate": evaluate, "config": show_config,
                "token": token, "admin": admin, "service": service}
    return commands[args.command](args)


def serve(args) -> int:
    """Make sure a current model exists, then serve the API with waitress."""
    import waitress

    from .app import create_app
    from .artifact import ModelError
    from .examples import ExamplesError
    from .policy import PolicyError
    from .trainer import Material, ensure_model, published_with_base

    from .clients import is_loopback_address
    from .config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host, port = args.host or config["host"], args.port or config["port"]
    workers = args.workers or config["workers"]
    threads = args.threads or config.threads_for(workers)
    if workers > 1 and not hasattr(os, "fork"):
        print(f"error: {workers} worker processes need a system that forks (Linux, macOS); "
              "set workers = 1 on this one", file=sys.stderr)
        return 2
    if not is_loopback_address(host) and not config["token"]:
        print(f"error: refusing to listen on {host} without a pairing token; other machines could "
              "read what employees check. Run `postguard token --new` or set `token` in the "
              "configuration (see `postguard config`)", file=sys.stderr)
        return 2
    _configure_logging(config["log_level"])
    settings = config.app_settings()
    try:
        # an installed package brings the company's policy and examples along
        for path in install_shipped_material(default_model_dir()):
            _say(f"Installed the shipped {path.name} as {path}")
        artifact = (args.model or default_artifact()).resolve()
        examples, policy = material_for(artifact)
        material = Material(examples, policy, base=published_with_base(artifact))
        ensure_model(artifact, material, log=_say)
        # Several processes: the workspace would lose sign-ins and training between them, and
        # the feed refresh starts in each worker, not in the parent that forks them.
        several = {"WORKSPACE": False, "PRELOADED": True} if workers > 1 else {}
        app = create_app({**settings, "MODEL_PATH": str(artifact), "POLICY_PATH": str(policy), **several})
    except (PolicyError, ExamplesError, ModelError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot prepare the model folder: {exc}", file=sys.stderr)
        return 2
    if workers > 1:
        from .workers import listening_sockets, serve_in_workers

        try:
            sockets = listening_sockets(host, port)
        except (OSError, ValueError) as exc:
            print(f"error: cannot listen on {host} port {port}: {exc}", file=sys.stderr)
            return 2
    pairing = "pairing token required" if config["token"] else "no pairing token"
    workspace = "; the comms workspace is off, it needs workers = 1" if workers > 1 else ""
    _say(f"Postguard is checking on http://{host}:{port} (model {artifact}; {pairing}{workspace})")
    # The model and everything loaded so far live as long as the server: keep the cyclic garbage
    # collector from scanning them (a full collection of ~100,000 objects stalls a check ~80 ms);
    # in forked workers it also keeps the collector from writing to, and so copying, shared pages.
    gc.collect()
    gc.freeze()
    if workers == 1:
        waitress.serve(app, host=host, port=port, threads=threads, ident="postguard")
        return 0
    try:
        return serve_in_workers(app, sockets, workers=workers, threads=threads, say=_say)
    finally:
        for listener in sockets:
            listener.close()


def show_config(args) -> int:
    """Print every setting, its effective value and the layer it came from."""
    from .config import ConfigError, describe, load_config, system_config_file, user_config_file

    try:
        config = load_config()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(describe(config))
    print(f"\nfiles read, later ones win: {system_config_file()}, {user_config_file()}, "
          "then POSTGUARD_* environment variables")
    return 0


def token(args) -> int:
    """Print the pairing token; with --new make one and save it in the per-user file."""
    from .config import ConfigError, load_config, new_token, save_token, user_config_file

    try:
        config = load_config()
        if args.new:
            if config.sources["token"] not in ("default", str(user_config_file())):
                print(f"error: the token is set in {config.sources['token']}, which wins over your "
                      "own file; change it there", file=sys.stderr)
                return 2
            save_token(user_config_file(), new_token())
            config = load_config()
            _say(f"saved a new pairing token in {user_config_file()}; restart the server to use it")
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not config["token"]:
        print("error: no pairing token is set; `postguard token --new` makes one", file=sys.stderr)
        return 1
    print(config["token"])
    return 0


def check(args) -> int:
    """Check one text with the local model and print the findings."""
    from .artifact import ModelError, load_model
    from .check import Checker
    from .policy import PolicyError, load_policy

    from .config import ConfigError

    text = sys.stdin.read() if args.text == "-" else args.text
    try:
        artifact = (args.model or default_artifact()).resolve()
        checker = Checker(load_model(artifact), load_policy(material_for(artifact)[1]))
    except (ModelError, PolicyError, ConfigError) as exc:
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
    from .evaluation import evaluate as run_evaluation, format_evaluation, format_sweep, load_case_sets, threshold_sweep
    from .examples import ExamplesError, load_base_corpus, load_examples
    from .policy import PolicyError, load_policy

    cases = args.cases or sorted(EVALUATION_SETS.glob("*.csv"))
    if not cases:
        print(f"error: cannot evaluate: no evaluation sets in {EVALUATION_SETS}; give --cases CSV ...",
              file=sys.stderr)
        return 2
    try:
        if args.targets:
            policy = load_policy(args.policy)
            examples = load_examples(args.examples, policy.topic_ids) + load_base_corpus(policy.topic_ids)
            points = threshold_sweep(examples, policy, load_case_sets(cases), args.real_data, args.targets)
            print(format_sweep(points))
            return 0
        report = run_evaluation(
            args.examples, load_policy(args.policy), cases, args.real_data,
            curve=not args.no_curve,
        )
    except (PolicyError, ExamplesError, OSError, KeyError) as exc:
        print(f"error: cannot evaluate: {exc}", file=sys.stderr)
        return 2
    print(format_evaluation(report, show_errors=args.errors))
    return 0


def admin(args) -> int:
    """Set the password of the comms workspace; it signs out every open session."""
    import getpass

    from .admin_auth import PasswordError, set_password

    folder = (args.model or default_artifact()).resolve().parent
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("New password for the comms workspace: ")
        if getpass.getpass("Once more: ") != password:
            print("error: the two passwords differ; nothing changed", file=sys.stderr)
            return 2
    try:
        set_password(folder, password)
    except (PasswordError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _say(f"Password set (stored as a salted hash in {folder}). Comms signs in at /admin on the "
         "running server, e.g. http://127.0.0.1:7678/admin")
    return 0


def service(args) -> int:
    """Install, remove or report the per-user service that runs `postguard serve`."""
    from .service import ServiceError, for_this_system

    definition = for_this_system()
    if args.print_only:
        if args.action != "install":
            print("error: --print goes with install", file=sys.stderr)
            return 2
        print(definition.definition(), end="")
        return 0
    if args.action == "status":
        status = definition.status()
        yes_no = {True: "yes", False: "no", None: "unknown"}
        print(f"{definition.system}: {status.definition}")
        print(f"installed: {yes_no[status.installed]}")
        print(f"starts at login: {yes_no[status.enabled]}")
        print(f"running: {yes_no[status.running]}" + (f" ({status.detail})" if status.detail else ""))
        return status.exit_code
    try:
        messages = definition.install() if args.action == "install" else definition.uninstall()
    except (ServiceError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for message in messages:
        print(message)
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


def _at_least_one(value: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return number


def _share(value: str) -> float:
    """argparse type: a share strictly between 0 and 1."""
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 < share < 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1, such as 0.01, not {value!r}")
    return share


def _configure_logging(level: str) -> None:
    """Log lines to standard error; access lines (see access.py) appear at level info."""
    import logging

    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("waitress.queue").setLevel(max(logging.getLogger().level, logging.WARNING))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

"""Load test of the checking server over loopback HTTP: latency, checks per second, memory, and
training time and memory for growing sets of examples.

    python bench/load.py                       # start `postguard serve`, measure everything
    python bench/load.py --skip-training       # only the server
    python bench/load.py --workers 2           # `postguard serve --workers 2`: two processes
    python bench/load.py --repeat 3            # each server row three times: the median run, all rates
    python bench/load.py --skip-server         # only training
    python bench/load.py --url http://127.0.0.1:8000 [--token T] [--host-header H]
                                               # an already running server (no memory, no training)

The server runs in its own process (`python -m postguard serve`, waitress, trained on the
shipped material in a temporary folder); the client is this process, with one thread per
concurrent client, each holding a persistent HTTP/1.1 connection (http.client). The clients
share the cores with the server, so their own CPU time per check is shown beside the server's.

Headline numbers use posts in which every sentence is new (sentences from a small pool, each
with a number that is never reused), so the server's sentence cache cannot help. The typing
scenario, labelled as such, resends a growing draft as the extension does, with the cache on
and off.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from postguard.config import default_threads  # noqa: E402
from postguard.text import normalise, split_sentences  # noqa: E402

LENGTHS = (280, 1_300, 3_000, 63_206)  # 63,206: Facebook's limit for a post
CONCURRENCY = (1, 8, 32)
TRAINING_SIZES = (100, 1_000, 10_000)

# Everyday sentences; {n} takes a number that is never reused, so that no sentence repeats.
HARMLESS = (
    "Was für eine Woche, {n} Kolleginnen und Kollegen waren beim Firmenlauf dabei! 🎉",
    "Am Montag haben wir {n} neue Azubis begrüßt, herzlich willkommen im Team.",
    "Thanks to the {n} people who cheered us on, the weather was perfect and the team spirit even better.",
    "Ich bin jeden Tag dankbar, mit so tollen Menschen zu arbeiten, seit {n} Tagen schon.",
    "Our apprentices built a tiny conveyor out of {n} Lego bricks for the open day.",
    "Beim Sommerfest haben wir {n} Würstchen gegrillt und für das Kinderhospiz gesammelt.",
    "Great panel on the talent shortage in engineering, {n} visitors came to our booth today.",
    "Nach {n} Tagen Elternzeit freue ich mich riesig, wieder bei euch zu sein!",
    "If you are curious about a career in intralogistics, {n} open positions are on our careers page.",
    "Danke an Jana für {n} Jahre gute Laune in der Montagehalle 🙌",
    "We planted {n} trees around the new parking lot, and everyone brought a shovel.",
    "Heute Morgen gab es {n} Brezeln für alle, die beim Aufräumen geholfen haben.",
)
# One per post, in the middle, so that every reply carries a finding to explain.
TABOO = (
    "Übrigens lag unser Auftragseingang im dritten Quartal bei {n} Mio. Euro, deutlich über Plan.",
    "Between us, our operating margin slipped to 4.1% this quarter and revenue came in at €{n}M.",
    "Die Geschäftsführung hat beschlossen, das Werk in Minden zu schließen, {n} Stellen fallen weg, offiziell erst im Januar.",
    "Our client Harbor Foods signed a €{n}k contract with us yesterday, and their director said our rival was far too expensive.",
)

# Words that pad the last sentence to the exact length (they go after its number).
FILLER = (
    "und wir freuen uns schon sehr auf das nächste Mal mit euch allen, and we are already looking "
    "forward to seeing all of you again next time, bis bald und danke für alles"
)

_numbers = itertools.count(1000)  # shared by all client threads; next() is atomic


def post_of_length(length: int) -> str:
    """A post of exactly `length` characters: harmless sentences around one taboo sentence,
    every sentence carrying a number no other sentence has."""
    taboo = [random.choice(TABOO), next(_numbers)]
    before, after = [], []
    total = len(taboo[0].format(n=taboo[1]))
    while True:
        sentence = [random.choice(HARMLESS), next(_numbers)]
        size = len(sentence[0].format(n=sentence[1])) + 1
        if total + size > length:
            break
        (before if len(before) <= len(after) else after).append(sentence)
        total += size
    missing = length - total  # fewer characters than one more sentence would take
    padded = (after or before or [taboo])[-1]  # a harmless sentence, when there is one
    padded[1] = f"{padded[1]}{(' ' + FILLER)[:missing]}"
    return " ".join(template.format(n=number) for template, number in before + [taboo] + after)


def draft_steps(length: int, words_per_pause: int) -> list[str]:
    """A draft as the extension sends it: the text so far after every few words typed."""
    words = post_of_length(length).split(" ")
    ends = list(range(words_per_pause, len(words), words_per_pause)) + [len(words)]
    return [" ".join(words[:end]) for end in ends]


def all_sentences_distinct(posts: int = 500) -> int:
    """Check the post builder: every sentence of every post differs after normalisation."""
    seen: set[str] = set()
    count = 0
    for length in LENGTHS:
        for _ in range(posts if length < 10_000 else posts // 20):
            for sentence in split_sentences(post_of_length(length)):
                seen.add(normalise(sentence.text))
                count += 1
    if len(seen) != count:
        raise SystemExit(f"post builder repeats sentences: {count - len(seen)} of {count}")
    return count


# --- the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where to send checks, and the headers a deployment behind a proxy may need."""

    scheme: str
    host: str
    port: int
    prefix: str = ""
    headers: dict = field(default_factory=dict)

    @classmethod
    def of_url(cls, url: str, token: str | None, host_header: str | None) -> Target:
        parts = urlsplit(url)
        headers = {}
        if token:
            headers["X-Postguard-Token"] = token
        if host_header:
            headers["Host"] = host_header
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"), headers)

    def connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return kind(self.host, self.port, timeout=120)

    def request(self, connection, method: str, path: str, body: bytes | None = None):
        headers = {"Content-Type": "application/json", **self.headers}
        connection.request(method, self.prefix + path, body=body, headers=headers)
        reply = connection.getresponse()
        return reply.status, reply.read()


@dataclass
class Cell:
    """What one run measured: latencies in ms, wall time, findings per reply, failures, and the
    server's CPU time per check (warm-up included), when this process started the server."""

    latencies: list[float]
    seconds: float
    findings: int
    failures: int
    completed: int  # all answered checks, warm-up included
    client_cpu_ms: float  # this process's CPU time per check: the clients share the cores
    cpu_ms: float | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_clients(target: Target, concurrency: int, seconds: float, warmup: float, make_posts) -> Cell:
    """`concurrency` threads send their posts back to back for `seconds` after a warm-up.

    `make_posts()` gives each thread an iterator of texts (one check each). Only requests sent
    after the warm-up and finished before the deadline count.
    """
    started, client_cpu = time.perf_counter(), time.process_time()
    measure_from, deadline = started + warmup, started + warmup + seconds
    latencies: list[float] = []
    counts = {"findings": 0, "failures": 0, "completed": 0}
    lock = threading.Lock()

    def client():
        connection = target.connect()
        mine, findings, failures, completed = [], 0, 0, 0
        for text in make_posts():
            body = json.dumps({"text": text, "site": "linkedin"}).encode()
            sent = time.perf_counter()
            if sent >= deadline:
                break
            try:
                status, reply = target.request(connection, "POST", "/v1/check", body)
            except (OSError, http.client.HTTPException):
                status, reply = None, b""
                connection.close()
                connection = target.connect()
            done = time.perf_counter()
            completed += status == 200
            if sent >= measure_from and done <= deadline:
                if status == 200:
                    mine.append((done - sent) * 1000)
                    findings += len(json.loads(reply)["findings"])
                else:
                    failures += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["findings"] += findings
            counts["failures"] += failures
            counts["completed"] += completed

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client_cpu_ms = (time.process_time() - client_cpu) * 1000 / max(1, counts["completed"])
    return Cell(latencies, seconds, counts["findings"], counts["failures"], counts["completed"], client_cpu_ms)


def run_on(server: Server, concurrency: int, seconds: float, warmup: float, make_posts) -> Cell:
    """`run_clients` against a server this process started, with the server's CPU time per check."""
    before = server.cpu_seconds()
    cell = run_clients(server.target, concurrency, seconds, warmup, make_posts)
    cell.cpu_ms = (server.cpu_seconds() - before) * 1000 / max(1, cell.completed)
    return cell


def distinct_posts(length: int):
    return lambda: iter(lambda: post_of_length(length), None)


def typed_drafts(length: int, words_per_pause: int):
    return lambda: itertools.chain.from_iterable(
        iter(lambda: draft_steps(length, words_per_pause), None)
    )


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`python -m postguard serve` on a free loopback port, with its memory readable from /proc.

    With several workers, CPU time is that of the parent and its workers together.
    """

    def __init__(self, artifact: Path, threads: int, cache_sentences: int | None = None, workers: int = 1):
        self.port = free_port()
        self.workers = workers
        env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
        if cache_sentences is not None:
            env["POSTGUARD_CHECK_CACHE_SENTENCES"] = str(cache_sentences)
        self.log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "postguard", "serve", "--model", str(artifact),
                   "--port", str(self.port), "--threads", str(threads), "--workers", str(workers)]
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log)
        self.target = Target("http", "127.0.0.1", self.port)
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                connection = self.target.connect()
                status, _ = self.target.request(connection, "GET", "/v1/health")
                connection.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.log.seek(0)
        raise SystemExit(f"server did not start:\n{self.log.read().decode(errors='replace')}")

    def processes(self) -> list[int]:
        """The server's process and its worker processes (none with one worker)."""
        pid = self.process.pid
        return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]

    def cpu_seconds(self) -> float:
        """User and system CPU time the server has used so far, all its threads (and running
        workers) together."""
        ticks = 0
        for pid in self.processes():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> tuple[float, float, float, float]:
        """(resident now, peak resident, file-backed resident) in MB of the largest process, from
        /proc/<pid>/status, and the proportional set size of all processes together (pages they
        share counted once), from /proc/<pid>/smaps_rollup."""
        largest, pss = (0.0, 0.0, 0.0), 0.0
        for pid in self.processes():
            status = Path(f"/proc/{pid}/status").read_text()
            kilobytes = dict(re.findall(r"^(VmRSS|VmHWM|RssFile):\s+(\d+) kB$", status, re.M))
            largest = max(largest, tuple(int(kilobytes[key]) / 1024 for key in ("VmRSS", "VmHWM", "RssFile")))
            pss += int(re.search(r"^Pss:\s+(\d+) kB$", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)[1]) / 1024
        return (*largest, pss)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def train_server_model(folder: Path) -> Path:
    """Train on the shipped material into `folder`, as `postguard serve` would on first start."""
    for name in ("examples.csv", "policy.toml"):
        shutil.copy(ROOT / "model" / name, folder / name)
    command = [sys.executable, str(ROOT / "train_classifier.py"), "--examples", str(folder / "examples.csv"),
               "--policy", str(folder / "policy.toml"), "--force"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT / "server")})
    return folder / "postguard.joblib"


# --- training --------------------------------------------------------------------------------


def examples_of_size(size: int, seed: int = 0):
    """`size` examples from the shipped material (company examples and base corpus).

    Fewer than there are: a sample stratified by topic (every topic keeps at least 5).
    More: all of them, then copies with variation until the size is reached; a copy has its
    numbers replaced by other random numbers and its sentences in shuffled order, so that it is
    a new text with the vocabulary of the original.
    """
    from postguard.examples import Example, load_base_corpus, load_examples
    from postguard.policy import load_policy

    policy = load_policy(ROOT / "model" / "policy.toml")
    shipped = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids) + load_base_corpus(policy.topic_ids)
    rng = random.Random(seed)
    if size <= len(shipped):
        by_topic: dict[str, list] = {}
        for example in shipped:
            by_topic.setdefault(example.topic, []).append(example)
        shares = {topic: max(5, round(size * len(examples) / len(shipped))) for topic, examples in by_topic.items()}
        largest = max(shares, key=shares.get)
        shares[largest] -= sum(shares.values()) - size  # rounding: the largest topic gives or takes
        chosen = [e for topic, examples in by_topic.items() for e in rng.sample(examples, shares[topic])]
        rng.shuffle(chosen)
        return chosen, policy
    varied = list(shipped)
    while len(varied) < size:
        original = rng.choice(shipped)
        text = re.sub(r"\d+", lambda _: str(rng.randint(2, 999)), original.text)
        parts = [s.text for s in split_sentences(text)]
        rng.shuffle(parts)
        varied.append(Example(text=" ".join(parts) or text, topic=original.topic, source=original.source))
    return varied, policy


def train_child(size: int) -> None:
    """Runs in a fresh process: train on `size` examples, print time and peak memory as JSON."""
    from joblib.externals.loky import get_reusable_executor

    from postguard.artifact import save_model
    from postguard.training import model_card, train

    examples, policy = examples_of_size(size)
    started = time.perf_counter()
    result = train(examples, policy)
    with tempfile.TemporaryDirectory() as folder:
        save_model(result.classifier, model_card(result.quality, {}, True), Path(folder) / "postguard.joblib")
    seconds = time.perf_counter() - started
    get_reusable_executor().shutdown(wait=True)  # reap the fold workers so that their peak is counted
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"examples": len(examples), "seconds": seconds, "peak_mb": own, "worker_peak_mb": worker}))


def measure_training(sizes) -> list[dict]:
    results = []
    for size in sizes:
        command = [sys.executable, __file__, "--train-child", str(size)]
        output = subprocess.run(command, check=True, capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT / "server")}).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    return results


# --- the report ------------------------------------------------------------------------------


def print_header(title: str) -> None:
    print(f"\n{title}")
    print(f"{'clients':>7} {'threads':>7} {'characters':>10} {'checks':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'checks/s':>9} {'findings':>9} {'CPU ms/check':>13} {'client CPU ms':>14}")


def print_cell(concurrency: int, threads, length, cell: Cell, runs: list[Cell] | None = None) -> None:
    """One row; with several runs of it, `cell` is the median one and the rates of all follow."""
    findings = cell.findings / len(cell.latencies) if cell.latencies else 0
    runs = runs or [cell]
    failures = sum(run.failures for run in runs)
    notes = f"  ({failures} failed{' in all runs' if len(runs) > 1 else ''})" if failures else ""
    if len(runs) > 1:
        notes += f"  checks/s of the {len(runs)} runs: {', '.join(f'{run.rate:.0f}' for run in runs)}"
    print(f"{concurrency:>7} {threads!s:>7} {length:>10} {len(cell.latencies):>7} "
          f"{statistics.median(cell.latencies) if cell.latencies else float('nan'):>8.2f} "
          f"{percentile(cell.latencies, 0.99):>8.2f} {cell.rate:>9.0f} {findings:>9.2f} "
          f"{'-' if cell.cpu_ms is None else format(cell.cpu_ms, '.2f'):>13} {cell.client_cpu_ms:>14.2f}{notes}",
          flush=True)


def at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY))
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per cell (default: %(default)s)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each cell")
    parser.add_argument("--repeat", type=at_least_one, default=1,
                        help="measure each row of a server this script starts this many times and show "
                             "the run with the median rate, then every run's rate (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=None,
                        help="waitress threads per process (default: what `postguard serve` uses)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (`postguard serve --workers`; default: %(default)s)")
    parser.add_argument("--model", type=Path, default=None,
                        help="serve this model (policy and examples beside it) instead of training one")
    parser.add_argument("--url", default=None, help="measure a running server at this base URL instead")
    parser.add_argument("--token", default=None, help="sent as X-Postguard-Token (with --url)")
    parser.add_argument("--host-header", default=None, help="Host header to send (with --url)")
    parser.add_argument("--skip-server", action="store_true", help="only measure training")
    parser.add_argument("--skip-typing", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--train-child", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.train_child:
        train_child(args.train_child)
        return 0
    random.seed(0)
    checked = all_sentences_distinct()
    print(f"{os.cpu_count()} cores; every sentence of every post is new ({checked:,} generated "
          f"sentences checked after normalisation), so the sentence cache cannot help")
    if args.url:
        measure_url(args)
        return 0
    if not args.skip_server:
        with tempfile.TemporaryDirectory() as folder:
            measure_serve(args, args.model or train_server_model(Path(folder)))
    if not args.skip_training:
        print("\ntraining (5-fold cross-validation, final fit and saving; a fresh process each)")
        print(f"{'examples':>8} {'seconds':>8} {'peak MB':>8} {'largest fold worker MB':>23}")
        for result in measure_training(TRAINING_SIZES):
            print(f"{result['examples']:>8,} {result['seconds']:>8.1f} {result['peak_mb']:>8.0f} "
                  f"{result['worker_peak_mb']:>23.0f}", flush=True)
    return 0


def measure_url(args) -> None:
    """Every cell against a server someone else started (its cache setting is its own)."""
    target = Target.of_url(args.url, args.token, args.host_header)
    print_header(f"{args.url}: POST /v1/check, {args.seconds:g} s per row")
    for concurrency in args.concurrency:
        for length in args.lengths:
            cell = run_clients(target, concurrency, args.seconds, args.warmup, distinct_posts(length))
            print_cell(concurrency, "-", length, cell)
    if not args.skip_typing:
        print_typing_header("the server's own cache setting")
        for concurrency in (1, 8):
            cell = run_clients(target, concurrency, args.seconds, args.warmup, typed_drafts(1_300, 5))
            print_cell(concurrency, "-", "draft", cell)


def measure_serve(args, artifact: Path) -> None:
    """Every cell against a fresh `postguard serve` per concurrency level, then its memory."""
    processes = "1 process" if args.workers == 1 else f"{args.workers} worker processes"
    print_header(f"postguard serve (waitress, {processes}) on 127.0.0.1, POST /v1/check, {args.seconds:g} s per row")
    memory = []
    for concurrency in args.concurrency:
        threads = args.threads or default_threads(args.workers)
        server = Server(artifact, threads, workers=args.workers)
        time.sleep(1)
        at_rest, _, libraries, pss_at_rest = server.memory_mb()
        for length in args.lengths:
            runs = sorted((run_on(server, concurrency, args.seconds, args.warmup, distinct_posts(length))
                           for _ in range(args.repeat)), key=lambda cell: cell.rate)
            print_cell(concurrency, threads, length, runs[len(runs) // 2], runs)
        time.sleep(2)
        after, peak, _, pss_after = server.memory_mb()
        memory.append((concurrency, threads, at_rest, after, peak, libraries, pss_at_rest, pss_after))
        server.stop()
    print(f"\nserver memory, MB, {processes}: resident (VmRSS) of the largest process; 'libraries' is its "
          "file-backed part at rest (RssFile); PSS is the proportional set size of all processes "
          "together, pages they share counted once")
    print(f"{'clients':>7} {'threads':>7} {'at rest':>8} {'after load':>11} {'peak':>6} {'libraries':>10} "
          f"{'PSS at rest':>12} {'PSS after':>10}")
    for concurrency, threads, at_rest, after, peak, libraries, pss_at_rest, pss_after in memory:
        print(f"{concurrency:>7} {threads:>7} {at_rest:>8.0f} {after:>11.0f} {peak:>6.0f} {libraries:>10.0f} "
              f"{pss_at_rest:>12.0f} {pss_after:>10.0f}")

    if not args.skip_typing:
        print_typing_header(f"sentence cache on (2,048 sentences, the default) and off; {processes}")
        for cache in (2048, 0):
            for concurrency in (1, 8):
                server = Server(artifact, args.threads or default_threads(args.workers), cache_sentences=cache,
                                workers=args.workers)
                cell = run_on(server, concurrency, args.seconds, args.warmup, typed_drafts(1_300, 5))
                print_cell(concurrency, "on" if cache else "off", "draft", cell)
                server.stop()


def print_typing_header(setting: str) -> None:
    print(f"\nTYPING SCENARIO (not the headline): each client types its own 1,300-character draft and "
          f"sends the whole draft after every 5 words, as the extension does after a pause; {setting}")
    print(f"{'clients':>7} {'cache':>7} {'text':>10} {'checks':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'checks/s':>9} {'findings':>9} {'CPU ms/check':>13} {'client CPU ms':>14}")


if __name__ == "__main__":
    raise SystemExit(main())

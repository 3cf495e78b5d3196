"""Train Postguard's classifier from model/examples.csv and model/policy.toml.

    python train_classifier.py [--examples model/examples.csv] [--policy model/policy.toml]
                               [--out PATH] [--no-base] [--force]
"""

import sys
from pathlib import Path

try:
    from postguard.trainer import main
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))
    from postguard.trainer import main

if __name__ == "__main__":
    raise SystemExit(main())

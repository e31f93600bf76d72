"""Where the repository's files are, and facts about them the tests share."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
PROVIDERS = ("alipay_plus", "antom", "ottpay", "paykka")


def row_counts() -> dict[str, int]:
    """Rows per shipped mapping file, counted by tomllib, not by payerr's own loader."""
    counts = {}
    for path in sorted((REPO / "mappings").glob("*.toml")):
        with path.open("rb") as f:
            counts[path.stem] = len(tomllib.load(f)["code"])
    return counts


CONTRACT_KEYS = frozenset(
    {"provider", "code", "known", "outcome", "category", "retryable", "message", "action"}
)
"""The --json keys the CLI contract names; Classification.as_dict carries them too."""


def seed_codes(provider: str) -> list[str]:
    lines = (DATA / "seed_codes" / f"{provider}.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]

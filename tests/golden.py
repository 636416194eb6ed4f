"""Golden files of the report tests: compare, or rewrite with ``make golden`` (not a test module)."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KAOHE_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run `make golden`"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs; review and run `make golden`"

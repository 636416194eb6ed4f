"""Options shared by the ``kaohe`` commands, and small argument helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kaohe.engine.cli.output import err
from kaohe.engine.i18n import Lang

LangOpt = Annotated[
    str, typer.Option("--lang", help="zh (default) or en", envvar="KAOHE_LANG")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="database URL (default: KAOHE_DB or sqlite:///kaohe.db)", envvar="KAOHE_DB"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="treat warnings (unknown keys) as errors")]


def lang_of(value: str) -> Lang:
    """Validate ``--lang``."""
    if value not in ("zh", "en"):
        err.print(f"--lang: zh | en (got {value!r})", markup=False)
        raise typer.Exit(2)
    return "en" if value == "en" else "zh"


def ruleset_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the ruleset files they hold (sorted, recursive)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.yaml") if "templates" not in q.parts))
        else:
            files.append(p)
    return files

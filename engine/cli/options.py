"""Options shared by the ``kaohe`` commands, and small argument helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from kaohe.engine.cli.translate import current_language, register_help
from kaohe.engine.i18n import Lang

# accepted before the subcommand too (the `kaohe` group has it); the language itself is decided
# from the whole command line before click parses (engine/cli/translate.py)
LangOpt = Annotated[
    Literal["zh", "en"] | None, typer.Option("--lang", help="zh (default) or en", envvar="KAOHE_LANG")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="database URL (default: KAOHE_DB or sqlite:///kaohe.db)", envvar="KAOHE_DB"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="treat warnings (unknown keys) as errors")]
ReportFormat = Literal["html", "md", "xlsx", "pdf", "json"]
# a choice: `--format docx` is a usage error before anything runs
FormatOpt = Annotated[ReportFormat, typer.Option("--format", help="report format")]
PerUnitOpt = Annotated[bool, typer.Option("--per-unit", help="one card per unit, written into the --out folder")]

register_help({
    "database URL (default: KAOHE_DB or sqlite:///kaohe.db)":
        "数据库地址（默认：环境变量 KAOHE_DB，或 sqlite:///kaohe.db）",
    "print one JSON document": "输出一个 JSON 文档",
    "treat warnings (unknown keys) as errors": "把警告（如未知的键）当作错误",
    "report format": "报告格式",
    "one card per unit, written into the --out folder": "每个单位一张卡片，写入 --out 指定的文件夹",
})


def lang_of(value: str | None = None) -> Lang:
    """The language of this command line.

    ``--lang`` before or after the subcommand, else ``KAOHE_LANG``, else Chinese —
    decided from the whole command line before click parsed it; click has
    checked ``value`` (zh | en) by now, and it agrees.
    """
    return current_language()


def ruleset_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the ruleset files they hold (sorted, recursive)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.yaml") if "templates" not in q.parts))
        else:
            files.append(p)
    return files

"""Options shared by the ``kaohe`` commands, and small argument helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from kaohe.engine.cli.translate import current_language, register_help
from kaohe.engine.i18n import Lang, register
from kaohe.engine.ruleset.access import ExtendsPolicy

register(
    {
        "cli.no_facts": ("没有事实数据：用 --facts 文件（可重复），或 --facts-sql 查询 加 --facts-db 数据库地址",
                         "no facts: give --facts FILE (repeatable), or --facts-sql QUERY with --facts-db URL"),
        "cli.facts_sql_pair": ("--facts-sql 与 --facts-db 要一起使用（数据库地址也可放在 KAOHE_FACTS_DB 环境变量中）",
                               "--facts-sql and --facts-db go together (the URL may also be in KAOHE_FACTS_DB)"),
    }
)

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
FormatOpt = Annotated[ReportFormat | None, typer.Option(
    "--format", help="report format (default: the file name's suffix, else html)")]
PerUnitOpt = Annotated[bool, typer.Option("--per-unit", help="one card per unit, written into the --out folder")]

AllowOutsideOpt = Annotated[bool, typer.Option(
    "--allow-outside", help="let extends read rulesets outside the rulesets folder (trusted rulesets only)")]

register_help({
    "database URL (default: KAOHE_DB or sqlite:///kaohe.db)":
        "数据库地址（默认：环境变量 KAOHE_DB，或 sqlite:///kaohe.db）",
    "print one JSON document": "输出一个 JSON 文档",
    "treat warnings (unknown keys) as errors": "把警告（如未知的键）当作错误",
    "report format (default: the file name's suffix, else html)": "报告格式（默认：按文件扩展名，否则为 html）",
    "let extends read rulesets outside the rulesets folder (trusted rulesets only)":
        "允许 extends 读取规则集文件夹以外的规则集（仅用于可信的规则集）",
    "one card per unit, written into the --out folder": "每个单位一张卡片，写入 --out 指定的文件夹",
})


def lang_of(value: str | None = None) -> Lang:
    """The language of this command line.

    ``--lang`` before or after the subcommand, else ``KAOHE_LANG``, else Chinese —
    decided from the whole command line before click parsed it; click has
    checked ``value`` (zh | en) by now, and it agrees.
    """
    return current_language()


def fact_sources(files: list[Path] | None, query: Path | None, db: str | None, *, one: bool = False) -> Any:
    """``--facts`` files and the ``--facts-sql`` query as the sources of one run (a facts error if none).

    ``one``: exactly one ``--facts`` (``--engine dask`` reads one folder or glob of partitions), returned as is.
    """
    from kaohe.engine.errors import FactsError, Problem
    from kaohe.engine.facts import SqlSource

    if (query is None) != (db is None):
        raise FactsError(Problem("cli.facts_sql_pair"))
    sources: list[Any] = list(files or [])
    if query is not None and db is not None:
        sources.append(SqlSource(query, db))
    if not sources:
        raise FactsError(Problem("cli.no_facts"))
    if one:
        if len(sources) != 1 or isinstance(sources[0], SqlSource):
            raise FactsError(Problem("facts.one_source"))
        return sources[0]
    return sources


def extends_policy(file: Path, given: list[Path], allow_outside: bool) -> ExtendsPolicy:
    """Where ``extends`` may read for ``file`` from the command line: besides its rulesets
    folder (engine/ruleset/access.py), the project (the folder kaohe runs in) and a folder
    given as an argument that holds ``file``."""
    resolved = file.resolve()
    roots = tuple(p.resolve() for p in given if p.is_dir() and resolved.is_relative_to(p.resolve()))
    return ExtendsPolicy((Path.cwd().resolve(), *roots), allow_outside)


def ruleset_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the ruleset files they hold (sorted, recursive)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.yaml") if "templates" not in q.parts))
        else:
            files.append(p)
    return files


_SUFFIX_FORMATS: dict[str, ReportFormat] = {".html": "html", ".htm": "html", ".md": "md", ".xlsx": "xlsx",
                                             ".pdf": "pdf", ".json": "json"}


def report_format(given: ReportFormat | None, path: Path | None) -> ReportFormat:
    """``--format`` if given, else the format the file name says (``r.md`` → md), else html."""
    if given is not None:
        return given
    return _SUFFIX_FORMATS.get(path.suffix.lower(), "html") if path is not None else "html"

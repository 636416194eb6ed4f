"""The ``kaohe`` command line (typer): validate, test, run, explain, runs, schema, plugins, demo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from kaohe.engine.cli.output import err, out, print_json
from kaohe.engine.i18n import Lang, register, text

register(
    {
        "cli.help": ("kaohe（考核）：机关绩效考核规则引擎", "kaohe (考核): rules-engine appraisal"),
        "cli.valid": ("{path}：规则集 {id} 有效（{indicators} 个指标，{rules} 条规则）",
                      "{path}: ruleset {id} is valid ({indicators} indicators, {rules} rules)"),
        "cli.no_rulesets": ("在 {path} 中没有找到规则集（*.yaml）", "no rulesets (*.yaml) found in {path}"),
    }
)

LangOpt = Annotated[
    str, typer.Option("--lang", help="zh (default) or en", envvar="KAOHE_LANG")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="database URL (default: KAOHE_DB or sqlite:///kaohe.db)", envvar="KAOHE_DB"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="treat warnings (unknown keys) as errors")]

app = typer.Typer(
    help="kaohe (考核): rules-engine performance appraisal for government agencies",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


@app.command()
def validate(
    rulesets: Annotated[list[Path], typer.Argument(help="ruleset files or folders")],
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh",
) -> None:
    """Load and check rulesets; exit 1 with every problem listed when one is invalid."""
    from kaohe.engine.errors import KaoheError, RulesetError
    from kaohe.engine.ruleset import load_ruleset

    lg = lang_of(lang)
    files = ruleset_files(rulesets)
    failed: list[KaoheError] = []
    report = []
    for f in files:
        try:
            rs = load_ruleset(f, strict=strict)
        except RulesetError as e:
            failed.append(e)
            report.append({"path": str(f), "valid": False,
                           "problems": [p.as_dict(lg) for p in e.problems]})
            if not as_json:
                err.print(e.render(lg), markup=False)
            continue
        report.append({"path": str(f), "valid": True, "id": rs.model.id,
                       "warnings": [w.as_dict(lg) for w in rs.warnings]})
        if not as_json:
            for w in rs.warnings:
                err.print(w.render(lg), markup=False)
            out.print(text("cli.valid", lg, path=f, id=rs.model.id,
                           indicators=len(rs.model.indicators), rules=len(rs.model.rules)),
                      markup=False)
    if as_json:
        print_json({"rulesets": report})
    if not files:
        err.print(text("cli.no_rulesets", lg, path=", ".join(map(str, rulesets))), markup=False)
        raise typer.Exit(1)
    if failed:
        raise typer.Exit(1)


@app.command()
def schema(
    out_file: Annotated[Path | None, typer.Option("--out", help="write to a file")] = None,
) -> None:
    """Print the JSON Schema of ruleset files (for editor autocompletion)."""
    import json

    from kaohe.engine.ruleset.schema import json_schema

    doc = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out_file:
        out_file.write_text(doc, encoding="utf-8")
    else:
        typer.echo(doc, nl=False)


@app.command()
def plugins(as_json: JsonOpt = False, lang: LangOpt = "zh") -> None:
    """List installed plugin metrics and their parameters."""
    from kaohe.engine.plugins import registry

    lg = lang_of(lang)
    rows = []
    for m in registry.all():
        params = m.params.model_json_schema().get("properties", {})
        rows.append({"name": m.name,
                     "description": m.description_zh if lg == "zh" and m.description_zh else m.description,
                     "parameters": {k: v.get("type", v.get("anyOf", "")) for k, v in params.items()}})
    if as_json:
        print_json({"metrics": rows, "load_errors": registry.load_errors})
        return
    from rich.table import Table

    table = Table("metric", "parameters", "description")
    for r in rows:
        table.add_row(str(r["name"]), ", ".join(r["parameters"]), str(r["description"]))
    out.print(table)
    for name, why in registry.load_errors.items():
        err.print(f"{name}: {why}", markup=False)


def main() -> None:
    """Console-script entry point."""
    from kaohe.engine.cli import (
        analyze,  # noqa: F401  (registers the analyze command)
        commands,  # noqa: F401  (registers the run/explain/test/demo commands)
    )

    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()

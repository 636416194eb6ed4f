"""Commands for rule authors: validate, schema, plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kaohe.engine.cli.options import JsonOpt, LangOpt, StrictOpt, lang_of, ruleset_files
from kaohe.engine.cli.output import err, out, print_json
from kaohe.engine.i18n import register, text

register(
    {
        "cli.help": ("kaohe（考核）：机关绩效考核规则引擎", "kaohe (考核): rules-engine appraisal"),
        "cli.valid": ("{path}：规则集 {id} 有效（{indicators} 个指标，{rules} 条规则）",
                      "{path}: ruleset {id} is valid ({indicators} indicators, {rules} rules)"),
        "cli.no_rulesets": ("在 {path} 中没有找到规则集（*.yaml）", "no rulesets (*.yaml) found in {path}"),
    }
)


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


COMMANDS = {"validate": validate, "schema": schema, "plugins": plugins}

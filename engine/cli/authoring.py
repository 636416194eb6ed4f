"""Commands for rule authors: validate, schema, plugins."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from kaohe.engine.cli.options import (
    AllowOutsideOpt,
    JsonOpt,
    LangOpt,
    StrictOpt,
    extends_policy,
    lang_of,
    ruleset_files,
)
from kaohe.engine.cli.output import err, out, print_json
from kaohe.engine.cli.translate import register_help
from kaohe.engine.i18n import Lang, register, text

register(
    {
        "cli.help": ("kaohe（考核）：机关绩效考核规则引擎", "kaohe (考核): rules-engine appraisal"),
        "cli.valid": ("{path}：规则集 {id} 有效（{indicators} 个指标，{rules} 条规则）",
                      "{path}: ruleset {id} is valid ({indicators} indicators, {rules} rules)"),
        "cli.no_rulesets": ("在 {path} 中没有找到规则集（*.yaml）", "no rulesets (*.yaml) found in {path}"),
        "cli.plugins.metric": ("{name}：{description}（软件包 {package}）", "{name}: {description} (package {package})"),
        "cli.plugins.registered": ("直接注册", "registered directly"),
        "cli.plugins.col.key": ("参数", "parameter"), "cli.plugins.col.type": ("类型", "type"),
        "cli.plugins.col.required": ("必填", "required"), "cli.plugins.col.default": ("默认值", "default"),
        "cli.plugins.col.description": ("说明", "description"),
        "cli.plugins.yes": ("是", "yes"), "cli.plugins.no": ("否", "no"),
    }
)


def validate(
    rulesets: Annotated[list[Path], typer.Argument(metavar="RULESET", help="ruleset files or folders")],
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
    allow_outside: AllowOutsideOpt = False,
    lang: LangOpt = None,
) -> None:
    """Load and check rulesets; exit 1 with every problem listed when one is invalid."""
    from kaohe.engine.errors import KaoheError, RulesetError
    from kaohe.engine.plugins import registry
    from kaohe.engine.ruleset import load_ruleset

    lg = lang_of(lang)
    files = ruleset_files(rulesets)
    failed: list[KaoheError] = []
    report = []
    # a broken plugin installation concerns every ruleset: said once, as a warning (a ruleset
    # that uses the metric gets an error of its own)
    plugin_problems = [replace(p, severity="warning") for p in registry.load_errors.values()]
    if not as_json:
        for problem in plugin_problems:
            err.print(problem.render(lg), markup=False)
    for f in files:
        try:
            rs = load_ruleset(f, strict=strict, extends=extends_policy(f, rulesets, allow_outside))
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
        print_json({"rulesets": report, "plugin_load_errors": [p.as_dict(lg) for p in plugin_problems]})
    if not files:
        err.print(text("cli.no_rulesets", lg, path=", ".join(map(str, rulesets))), markup=False)
        raise typer.Exit(1)
    if failed:
        raise typer.Exit(1)


def schema(
    out_file: Annotated[Path | None, typer.Option("--out", help="write to a file")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="the schema of `kaohe diff --json` instead")] = False,
) -> None:
    """Print the JSON Schema of ruleset files (for editor autocompletion), or of `kaohe diff --json`."""
    import json

    if diff:
        from kaohe.engine.diff.schema import DiffDocument

        schema_doc = DiffDocument.model_json_schema(by_alias=True)
    else:
        from kaohe.engine.ruleset.schema import json_schema

        schema_doc = json_schema()
    doc = json.dumps(schema_doc, ensure_ascii=False, indent=2) + "\n"
    if out_file:
        out_file.write_text(doc, encoding="utf-8")
    else:
        typer.echo(doc, nl=False)


def plugins(as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List installed plugin metrics, the package providing each, and their parameters.

    Entry points that could not be loaded are listed with the reason; exit 1 when there are any.
    """
    from kaohe.engine.plugins import registry
    from kaohe.engine.ruleset.schema import parameter_info

    lg = lang_of(lang)
    rows = []
    for m in registry.all():
        source = registry.provider(m.name)
        rows.append({"name": m.name,
                     "package": source.package if source else None,
                     "version": source.version if source else None,
                     "entry_point": source.entry_point if source else None,
                     "description": m.description_zh if lg == "zh" and m.description_zh else m.description,
                     "uses_history": m.uses_history,
                     "parameters": [p.as_json() for p in parameter_info(m, lg)]})
    errors = registry.load_errors
    if as_json:
        print_json({"metrics": rows, "load_errors": [{"name": name, **p.as_dict(lg)} for name, p in errors.items()]})
    else:
        _print_plugins(rows, lg)
        for problem in errors.values():
            err.print(problem.render(lg), markup=False)
    if errors:
        raise typer.Exit(1)


def _print_plugins(rows: list[dict[str, Any]], lg: Lang) -> None:
    from rich.table import Table
    from rich.text import Text

    for r in rows:
        package = f"{r['package']} {r['version']}" if r["package"] else text("cli.plugins.registered", lg)
        out.print(text("cli.plugins.metric", lg, name=r["name"], description=r["description"], package=package),
                  markup=False)
        table = Table(box=None, padding=(0, 2))
        for column in ("key", "type", "required", "default", "description"):
            table.add_column(text(f"cli.plugins.col.{column}", lg), overflow="fold")  # never cut with "…"
        for p in r["parameters"]:
            default = "—" if p["required"] else json.dumps(p["default"], ensure_ascii=False)
            cells = (p["name"], p["type"], text("cli.plugins.yes" if p["required"] else "cli.plugins.no", lg),
                     default, p["description"])
            table.add_row(*(Text(str(c)) for c in cells))  # plain text: `list[string]` is not markup
        out.print(table)
        out.print()


COMMANDS = {"validate": validate, "schema": schema, "plugins": plugins}

register_help({
    "the schema of `kaohe diff --json` instead": "改为输出 `kaohe diff --json` 的 JSON Schema",
    validate: "加载并检查规则集；有规则集无效时列出全部问题，退出码为 1。",
    "ruleset files or folders": "规则集文件或文件夹",
    schema: "输出规则集文件的 JSON Schema（供编辑器自动补全和检查，含各插件 with: 的参数）。",
    "write to a file": "写入文件",
    plugins: "列出已安装的插件指标、提供它们的软件包及其参数。\n\n无法加载的入口点连同原因一并列出；存在时退出码为 1。",
})

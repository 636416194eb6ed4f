"""The Jinja environment: sandboxed, autoescaped, strict about undefined names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from engine.errors import Location, Problem, RunError
from engine.i18n import register

PROJECT_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"

register(
    {
        "report.template_error": ("报告模板 {template} 出错：{error}", "report template {template} failed: {error}"),
    }
)


def environment(region_dir: Path | None = None) -> SandboxedEnvironment:
    """Region templates first, then the project's; HTML autoescaped; undefined names are errors."""
    loaders = []
    if region_dir is not None and (Path(region_dir) / "templates").is_dir():
        loaders.append(FileSystemLoader(str(Path(region_dir) / "templates")))
    loaders.append(FileSystemLoader(str(PROJECT_TEMPLATES)))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    return env


def format_number(value: Any, digits: int = 2) -> str:
    """Numbers for display: 2 decimals, trailing zeros dropped; missing as —."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    text = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def render_template(name: str, context: dict[str, Any], *, region_dir: Path | None = None) -> str:
    """Render ``name``; a template error names the template file and line."""
    env = environment(region_dir)
    try:
        return env.get_template(name).render(**context)
    except TemplateError as e:
        line = getattr(e, "lineno", None)
        filename = getattr(e, "filename", None) or name
        raise RunError(Problem("report.template_error", {"template": filename, "error": str(e)},
                               Location(filename, line))) from e

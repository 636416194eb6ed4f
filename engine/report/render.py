"""The Jinja environments: sandboxed, strict about undefined names, escaping every value.

HTML templates (``*.html.j2``) are autoescaped.  Markdown templates
(``*.md.j2``) run in an environment whose ``finalize`` escapes every
``{{ value }}`` for Markdown tables (``|``, ``<``, ``>``, ``&``, newlines),
so text from facts cannot break a table or inject HTML into a wiki either.
"""

from __future__ import annotations

import traceback
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from kaohe.engine.errors import Location, Problem, RunError
from kaohe.engine.i18n import register
from kaohe.engine.resources import templates_dir

register(
    {
        "report.template_error": ("报告模板 {template} 出错：{error}", "report template {template} failed: {error}"),
    }
)


def environment(region_dir: Path | None = None, *, markdown: bool = False) -> SandboxedEnvironment:
    """Region templates first, then the project's; HTML autoescaped; undefined names are errors."""
    return _environment(str(region_dir) if region_dir is not None else None, markdown)


@cache
def _environment(region_dir: str | None, markdown: bool) -> SandboxedEnvironment:
    loaders = []
    if region_dir is not None and (Path(region_dir) / "templates").is_dir():
        loaders.append(FileSystemLoader(str(Path(region_dir) / "templates")))
    loaders.append(FileSystemLoader(str(templates_dir())))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=False if markdown else select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=markdown_escape if markdown else None,
        auto_reload=True,
    )
    env.filters["num"] = format_number
    return env


_MD = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "\n": " ", "\r": " "})


def markdown_escape(value: Any) -> Any:
    """A value as safe Markdown table-cell text (numbers and None pass through)."""
    return value.translate(_MD) if isinstance(value, str) else value


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
    env = environment(region_dir, markdown=name.endswith(".md.j2"))
    try:
        return env.get_template(name).render(**context)
    except TemplateError as e:
        filename, line = _where(e, name)
        raise RunError(Problem("report.template_error", {"template": f"{filename}:{line}" if line else filename,
                                                         "error": str(e)},
                               Location(filename, line))) from e


def _where(e: TemplateError, name: str) -> tuple[str, int | None]:
    """The template file and line of an error: syntax errors carry them, runtime errors are in the traceback."""
    line = getattr(e, "lineno", None)
    filename = getattr(e, "filename", None)
    if line is not None:
        return filename or name, line
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if frame.filename.endswith(".j2") or frame.filename.endswith(".css"):
            return frame.filename, frame.lineno
    return filename or name, None

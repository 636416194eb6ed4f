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

from kaohe.engine.errors import Hint, Location, Problem, RunError
from kaohe.engine.i18n import register
from kaohe.engine.report.sandbox import BoundedSandbox, TemplateLimit, limits
from kaohe.engine.resources import templates_dir

register(
    {
        "report.template_error": ("报告模板 {template} 出错：{error}", "report template {template} failed: {error}"),
        "report.limit.range": ("报告模板 {template} 超出限制：range() 最多 {limit} 个数",
                               "report template {template} is over a limit: range() gives at most {limit} numbers"),
        "report.limit.steps": ("报告模板 {template} 超出限制：运算超过 {limit} 步，已停止",
                               "report template {template} is over a limit: more than {limit} steps, stopped"),
        "report.limit.time": ("报告模板 {template} 超出限制：渲染超过 {limit} 秒，已停止",
                              "report template {template} is over a limit: rendering took more than {limit} s, stopped"),
        "report.limit.power": ("报告模板 {template} 超出限制：乘方结果超过 {limit} 位（二进制）",
                               "report template {template} is over a limit: a power of more than {limit} bits"),
        "report.limit.sequence": ("报告模板 {template} 超出限制：用 * 重复出的文本或列表超过 {limit} 个元素",
                                  "report template {template} is over a limit: `*` built a text or list of more than {limit} items"),
        "report.limit.recursion": ("报告模板 {template} 递归过深：宏或 include 不停地调用自身",
                                   "report template {template} recurses too deep: a macro or include keeps calling itself"),
        "hint.template_limit": ("检查该行的循环、range() 和宏调用；报告模板只应遍历报告中的数据",
                                "check the loops, range() and macro calls on that line; a report template should only walk the report's data"),
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
    env = BoundedSandbox(
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


_MD = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "\n": " ", "\r": " ",
                     "\\": "\\\\", "[": "\\[", "]": "\\]", "`": "\\`", "*": "\\*", "_": "\\_"})


def markdown_escape(value: Any) -> Any:
    """A value as safe Markdown table-cell text (numbers and None pass through).

    HTML is entity-escaped, table syntax and line breaks neutralised, and
    Markdown's own syntax (links ``[t](u)``, images, code, emphasis) is
    backslash-escaped, so a unit named ``[l](javascript:…)`` stays text.
    """
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
        with limits():
            return env.get_template(name).render(**context)
    except TemplateLimit as e:
        raise _located(e, name, f"report.limit.{e.kind}", {"limit": e.limit}) from e
    except RecursionError as e:
        raise _located(e, name, "report.limit.recursion", {}) from e
    except TemplateError as e:
        raise _located(e, name, "report.template_error", {"error": str(e)}, hint=False) from e
    except Exception as e:  # ZeroDivisionError, TypeError, … raised by the template's own expressions
        raise _located(e, name, "report.template_error", {"error": f"{type(e).__name__}: {e}"}, hint=False) from e


def check_template(name: str, *, region_dir: Path | None = None) -> None:
    """Load and compile ``name`` and every template it names statically (``extends``,
    ``include``, ``import``), so a missing or broken template is an error before a run."""
    from jinja2 import meta

    env = environment(region_dir, markdown=name.endswith(".md.j2"))
    pending, seen = [name], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source, _filename, _uptodate = env.loader.get_source(env, current)  # type: ignore[union-attr]
            env.get_template(current)
            pending.extend(n for n in meta.find_referenced_templates(env.parse(source)) if n is not None)
        except TemplateError as e:
            raise _located(e, current, "report.template_error", {"error": str(e) or type(e).__name__},
                           hint=False) from e


def _located(e: BaseException, name: str, code: str, params: dict[str, Any], *, hint: bool = True) -> RunError:
    filename, line = _where(e, name)
    where = f"{filename}:{line}" if line else filename
    return RunError(Problem(code, {"template": where, **params}, Location(filename, line),
                            hint=Hint("hint.template_limit") if hint else None))


def _where(e: BaseException, name: str) -> tuple[str, int | None]:
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

"""The pages' Jinja environment: sandboxed, autoescaped, strict, and the zh/en switch.

Page templates live in ``templates/serve/`` beside the report templates (which
the pages include for the run report and the unit cards).  Every text a page
shows is a message registered here or by the module that renders it, read in
templates as ``_('code')``; Chinese unless the ``kaohe_lang`` cookie says ``en``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.report.render import format_number
from kaohe.engine.resources import templates_dir

LANG_COOKIE = "kaohe_lang"

register(
    {
        "serve.app": ("考核工作台", "kaohe workspace"),
        "serve.nav.runs": ("运行记录", "Runs"),
        "serve.nav.rulesets": ("规则集", "Rulesets"),
        "serve.nav.uploads": ("数据上传", "Uploads"),
        "serve.nav.users": ("用户", "Users"),
        "serve.nav.audit": ("审计日志", "Audit log"),
        "serve.nav.logout": ("退出", "Sign out"),
        "serve.nav.lang": ("English", "中文"),
        "serve.role.admin": ("管理员", "admin"),
        "serve.role.office": ("考核办", "office"),
        "serve.role.unit": ("被考核单位", "unit"),
        "serve.error.404": ("找不到该页面或对象", "Not found"),
        "serve.error.403": ("没有权限执行此操作", "You may not do this"),
        "serve.error.403_csrf": ("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
                                 "the form expired or came from elsewhere (CSRF check failed); reload the page and retry"),
        "serve.error.back": ("返回首页", "Back to the start page"),
        "serve.problem.where": ("位置", "Where"),
        "serve.problem.message": ("问题", "Problem"),
        "serve.problem.hint": ("建议", "Hint"),
        "serve.problem.line": ("第 {line} 行", "line {line}"),
        "serve.problem.column": ("第 {column} 列", "column {column}"),
        "serve.yes": ("是", "yes"),
        "serve.no": ("否", "no"),
    }
)


def lang_of(request: Request) -> Lang:
    """The page language: ``?lang=`` first, then the cookie, else Chinese."""
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if wanted == "en" else "zh"


@cache
def environment() -> SandboxedEnvironment:
    """One environment for all pages (the report templates are reachable by name too)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.filters["num"] = format_number
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``serve/<name>`` with the common context (user, language, CSRF token, messages)."""
    from kaohe.engine.serve.auth import Principal

    lang = lang_of(request)
    p: Principal | None = getattr(request.state, "principal", None)

    def message(code: str, **params: object) -> str:
        return text(f"serve.{code}", lang, **params)

    common = {
        "_": message,
        "lang": lang,
        "me": p.user if p else None,
        "csrf": p.csrf if p and p.csrf else "",
        "path": request.url.path,
        "query": str(request.url.query),
    }
    html = environment().get_template(f"serve/{name}").render({**context, **common})
    return HTMLResponse(html, status_code=status)

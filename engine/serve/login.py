"""Signing in and out (``POST /login`` → 303 with the session cookie; ``POST /logout``)."""

from __future__ import annotations

import asyncio
import math
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaohe.engine.i18n import register
from kaohe.engine.serve import audit
from kaohe.engine.serve.auth import (
    Forbidden,
    lock_remaining,
    login_failed,
    login_succeeded,
    principal,
)
from kaohe.engine.serve.csrf import check_csrf, same_origin
from kaohe.engine.serve.sessions import COOKIE
from kaohe.engine.serve.state import state
from kaohe.engine.serve.users import verify_login
from kaohe.engine.serve.views import LANG_COOKIE, render

register(
    {
        "serve.login.title": ("登录", "Sign in"),
        "serve.login.username": ("用户名", "User name"),
        "serve.login.password": ("密码", "Password"),
        "serve.login.submit": ("登录", "Sign in"),
        "serve.login.failed": ("用户名或密码不正确", "wrong user name or password"),
        "serve.login.locked": ("登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试",
                               "too many failed logins: locked, try again in {minutes} minute(s)"),
    }
)

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//elsewhere`` or ``https://…``) may follow a login."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return "/"
    return target


def client_ip(request: Request) -> str:
    """The client address (the proxy's view when behind nginx with proxy headers)."""
    return request.client.host if request.client else ""


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return render(request, "login.html.j2", next=safe_next(next), error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password; on success a new session (never the one the browser came with)."""
    st = state(request)
    if not same_origin(request):
        raise Forbidden
    form = await request.form()
    name = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    ip = client_ip(request)
    locked = await run_in_threadpool(lock_remaining, st.engine, name)
    if locked > 0:
        audit.record(st.engine, name, "login_failed", name, {"reason": "locked"}, ip=ip)
        minutes = max(1, math.ceil(locked / 60))
        locked_page = render(request, "login.html.j2", status=429, next=target,
                          error=("login.locked", {"minutes": minutes}))
        locked_page.headers["Retry-After"] = str(math.ceil(locked))
        return locked_page
    user = await run_in_threadpool(verify_login, st.engine, name, password) if name else None
    if user is None:
        delay = await run_in_threadpool(login_failed, st.engine, name, st.config)
        audit.record(st.engine, name, "login_failed", name, {}, ip=ip)
        await asyncio.sleep(delay)
        return render(request, "login.html.j2", status=401, next=target, error=("login.failed", {}))
    await run_in_threadpool(login_succeeded, st.engine, name)
    cookie, _row = st.sessions.create(user, request.cookies.get(COOKIE))
    audit.record(st.engine, user.name, "login", user.name, {"role": user.role}, ip=ip)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(st.config.session_hours * 3600), path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the CSRF token is required: a foreign page cannot sign you out)."""
    st = state(request)
    p = principal(request)
    await check_csrf(request, p)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        st.sessions.end(cookie)
    audit.record(st.engine, p.user.name, "logout", p.user.name, {}, ip=client_ip(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "/") -> Response:
    """Remember the page language (zh or en) in a cookie and go back."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, "en" if lang == "en" else "zh", samesite="lax", max_age=365 * 86400,
                        path="/")
    return response


def login_redirect(request: Request) -> Response:
    """Where an anonymous page request goes."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

"""CSRF protection for every state-changing request made with the session cookie.

Each session has its own random token; forms carry it in a hidden
``csrf_token`` field, the page's JavaScript in an ``X-CSRF-Token`` header.
Requests authenticated with a Bearer token carry no ambient credential, so
they need none.  As a second line, a POST whose ``Origin`` header names
another site is refused whatever it carries.  ``POST /login`` is the one
exception to the token (it creates the session); it is still checked for a
foreign ``Origin``, and the cookie is SameSite.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from kaohe.engine.serve.auth import Forbidden, Principal

FIELD = "csrf_token"
HEADER = "x-csrf-token"


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


async def check_csrf(request: Request, p: Principal) -> None:
    """Raise :class:`Forbidden` unless a cookie-authenticated POST carries the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS") or p.via == "token":
        return
    if not same_origin(request):
        raise Forbidden
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or p.csrf is None or not hmac.compare_digest(sent, p.csrf):
        raise Forbidden
